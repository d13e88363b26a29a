package sql

import (
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// Conversions: toX() and convertsToX() with the runtime's rules
// (runtime/eval funcs.go, toXConv), decided by the input's static class —
// JSON alone cannot tell a date from a string, and the runtime classifies
// items by the plan's type the same way. Text is validated with the
// dialect's Shape (digits and fixed characters) and range checks on the
// parts, never with the engine's own date parser: T-SQL's accepts
// '2020-5-1', ' 2020-05-01' and years without months as dates, and neither
// engine knows FHIRPath's partial dates and times.
//
// Every input of every expression below is safe: SUBSTRING and LEFT never
// get a negative length and numbers are read with TRY_CAST, because T-SQL
// does not promise to evaluate AND and OR operands in order.

// convSpec describes one conversion of one value.
type convSpec struct {
	// same: the value converts to itself (toDate() of a date).
	same bool
	// never: the value does not convert (toDate() of a number).
	never bool
	// in is the input, bound once; ok(in) says it converts (nil: always)
	// and out(in) is the converted value where ok holds.
	in  Expr
	ok  func(s Expr) Expr
	out func(s Expr) Expr
	// sh and t override the result's shape and type (same: the type).
	sh shape
	t  types.Type
}

// result types of the conversions, by FHIRPath type name.
var convResults = map[string]struct {
	sh shape
	t  types.Type
	st Type
}{
	"String":   {shStr, types.String, TTextMax},
	"Integer":  {shNum, types.Integer, TBigInt},
	"Decimal":  {shNum, types.Decimal, TDecimal},
	"Boolean":  {shBit, types.Boolean, TInt},
	"Date":     {shText, types.Date, TText},
	"DateTime": {shText, types.DateTime, TText},
	"Time":     {shText, types.Time, TText},
}

// convertCall compiles toX() (test false) and convertsToX() (test true) of
// the value v for X in Integer, Decimal, Boolean, Date, DateTime and Time,
// and convertsToString(); handled reports false when v's type is not known
// statically and the caller keeps its older, type-blind translation
// (toInteger, toDecimal, toBoolean).
func (e *emitter) convertCall(x *plan.Call, v val, to string, test bool) (r res, handled bool) {
	spec, why := e.conversion(to, v)
	if why != "" {
		if !test && to != "Date" && to != "DateTime" && to != "Time" {
			return res{}, false
		}
		e.report(errUnsupportedFunc(e.v.File, x.Span(), x.Func.Name, e.d.Name(), why))
		return one(emptyVal(x.Type().Type)), true
	}
	if test {
		return one(e.converts(v, spec)), true
	}
	rt := convResults[to]
	switch {
	case spec.same:
		if spec.t != "" {
			v.t = spec.t
		}
		return one(v), true
	case spec.never:
		return one(emptyVal(rt.t)), true
	}
	if spec.sh != 0 {
		rt.sh, rt.st = spec.sh, TTextMax
	}
	out := e.bind(spec.in, func(s Expr) Expr {
		if spec.ok == nil {
			return spec.out(s)
		}
		return &Case{Whens: []When{{Cond: spec.ok(s), Then: spec.out(s)}}}
	})
	return one(val{x: out, sh: rt.sh, t: rt.t, styp: e.d.TypeName(rt.st)}), true
}

// converts is convertsToX(): empty for an empty input, else whether it
// converts.
func (e *emitter) converts(v val, spec convSpec) val {
	bit := func(x Expr) val { return val{x: x, sh: shBit, t: types.Boolean, styp: e.d.TypeName(TInt)} }
	if spec.same || spec.never || spec.ok == nil {
		k := "1"
		if spec.never {
			k = "0"
		}
		present := &IsNull{X: e.asValue(v).x, Not: true}
		return bit(&Case{Whens: []When{{Cond: present, Then: &Num{V: k}}}})
	}
	return bit(e.bind(spec.in, func(s Expr) Expr {
		return &Case{Whens: []When{
			{Cond: &IsNull{X: s}, Then: &Null{}},
			{Cond: spec.ok(s), Then: &Num{V: "1"}},
		}, Else: &Num{V: "0"}}
	}))
}

const unknownTypeWhy = "the input's type is not known statically (a choice element without ofType(), or values of mixed types), and the conversion rules depend on it"

// conversion is the runtime's toXConv for a value of v's class.
func (e *emitter) conversion(to string, v val) (convSpec, string) {
	cl := classOf(v)
	if cl == cUnknown || v.sh == shAny {
		return convSpec{}, unknownTypeWhy
	}
	never := convSpec{never: true}
	switch to {
	case "String":
		switch cl {
		case cComplex:
			if isQuantityType(v.t) {
				return convSpec{}, "a Quantity converts only when its value is a JSON number, which the SQL targets do not test"
			}
			return never, ""
		}
		return convSpec{same: true}, ""
	case "Integer":
		switch cl {
		case cNum:
			if !isInteger(v) {
				return never, ""
			}
			if sysType(v.t) != types.Long {
				return convSpec{same: true}, ""
			}
			return convSpec{in: e.number(v, true), out: id, ok: int32Range}, ""
		case cBool:
			return convSpec{in: e.bit(v), out: id}, ""
		case cString:
			return convSpec{in: e.text(v),
				// FHIRPath's Integer is 32-bit; the runtime accepts any
				// 64-bit value from a string (a runtime bug, reported).
				ok: func(s Expr) Expr {
					return and(e.holds(e.unsign(s), func(u Expr) Expr { return e.d.Shape(u, "*") }),
						int32Range(e.d.ToNumber(e.unplus(s), true)))
				},
				out: func(s Expr) Expr { return e.d.ToNumber(e.unplus(s), true) },
			}, ""
		}
		return never, ""
	case "Decimal":
		switch cl {
		case cNum:
			// The runtime keeps the lexeme (5 stays 5, 1.50 stays 1.50).
			return convSpec{same: true, t: types.Decimal}, ""
		case cBool:
			return convSpec{in: e.bit(v), out: func(s Expr) Expr {
				return &Case{Operand: s, Whens: []When{{Cond: &Num{V: "1"}, Then: &Num{V: "1.0"}}, {Cond: &Num{V: "0"}, Then: &Num{V: "0.0"}}}}
			}}, ""
		case cString:
			// The text without a leading +, as the runtime keeps it
			// ('1.50' stays 1.50); a decimal column or arithmetic reads it
			// as a number.
			return convSpec{in: e.text(v),
				ok:  func(s Expr) Expr { return e.holds(e.unsign(s), e.decimalDigits) },
				out: e.unplus, sh: shText,
			}, ""
		}
		return never, ""
	case "Boolean":
		switch cl {
		case cBool:
			return convSpec{same: true}, ""
		case cString:
			words := func(s Expr, ws ...string) Expr {
				var ps []Expr
				for _, w := range ws {
					ps = append(ps, e.d.StringEq(s, &Str{V: w}))
				}
				return or(ps...)
			}
			yes := func(s Expr) Expr { return words(s, "true", "t", "yes", "y", "1", "1.0") }
			no := func(s Expr) Expr { return words(s, "false", "f", "no", "n", "0", "0.0") }
			return convSpec{in: e.d.Fn(FnLower, e.text(v)),
				ok: func(s Expr) Expr { return or(yes(s), no(s)) },
				out: func(s Expr) Expr {
					return &Case{Whens: []When{{Cond: yes(s), Then: &Num{V: "1"}}, {Cond: no(s), Then: &Num{V: "0"}}}}
				},
			}, ""
		case cNum:
			one, zero := &Num{V: "1"}, &Num{V: "0"}
			return convSpec{in: e.number(v, false),
				ok: func(s Expr) Expr { return or(&Bin{Op: OpEq, X: s, Y: one}, &Bin{Op: OpEq, X: s, Y: zero}) },
				out: func(s Expr) Expr {
					return &Case{Whens: []When{{Cond: &Bin{Op: OpEq, X: s, Y: one}, Then: one}, {Cond: &Bin{Op: OpEq, X: s, Y: zero}, Then: zero}}}
				},
			}, ""
		}
		return never, ""
	case "Date":
		switch cl {
		case cDate:
			return convSpec{same: true}, ""
		case cDateTime, cString:
			// The date part: the text up to the day, without a
			// trailing T ('2020T', '2020-05T').
			return convSpec{in: e.text(v), ok: e.validDateTime, out: func(s Expr) Expr {
				return &Case{Operand: e.length(s), Whens: []When{
					{Cond: &Num{V: "5"}, Then: e.d.Fn(FnLeft, s, &Num{V: "4"})},
					{Cond: &Num{V: "8"}, Then: e.d.Fn(FnLeft, s, &Num{V: "7"})},
				}, Else: e.d.Fn(FnLeft, s, &Num{V: "10"})}
			}}, ""
		}
		return never, ""
	case "DateTime":
		switch cl {
		case cDateTime:
			return convSpec{same: true}, ""
		case cDate, cString:
			// The text itself, without a trailing T.
			return convSpec{in: e.text(v), ok: e.validDateTime, out: func(s Expr) Expr {
				return &Case{Whens: []When{{Cond: e.d.StringEq(e.d.Fn(FnRight, s, &Num{V: "1"}), &Str{V: "T"}), Then: e.cut(s, numLit(1))}}, Else: s}
			}}, ""
		}
		return never, ""
	case "Time":
		switch cl {
		case cTime:
			return convSpec{same: true}, ""
		case cString:
			// The text without a leading T; a date or dateTime never
			// converts.
			return convSpec{in: e.text(v),
				ok:  func(s Expr) Expr { return e.clock(e.trimT(s)) },
				out: e.trimT,
			}, ""
		}
		return never, ""
	}
	return convSpec{}, "no conversion to " + to
}

func id(s Expr) Expr { return s }

// holds is a predicate on s that names it several times, evaluating s once
// when it is not simple. Unlike predOn, unknown counts as false, which
// validity tests may do (a value converts only when its test is true), and
// the predicate is written once instead of twice.
func (e *emitter) holds(s Expr, f func(Expr) Expr) Expr {
	switch s.(type) {
	case *Col, *Str, *Num, *Null, *Var, *ASCII:
		return f(s)
	}
	return &Bin{Op: OpEq, X: e.bind(s, func(s Expr) Expr { return e.d.BoolValue(f(s), true) }), Y: &Num{V: "1"}}
}

// bind evaluates x once for f, in a one-row derived table unless x is
// simple. Unlike let, it never moves f into a scalar subquery: f holds
// subqueries of its own, which must not see the subquery's aggregates
// (T-SQL allows an outer aggregate in a subquery only in a select list).
func (e *emitter) bind(x Expr, f func(Expr) Expr) Expr {
	switch x.(type) {
	case *Col, *Str, *Num, *Null, *Var, *ASCII:
		return f(x)
	}
	alias := e.alias("b")
	return &Sub{Q: &Select{
		Items: []Item{{X: f(&Col{Table: alias, Name: "v"})}},
		From:  []*From{{Src: &Derived{Q: &Select{Items: []Item{{X: x, Alias: "v"}}}}, Alias: alias}},
	}}
}

func isQuantityType(t types.Type) bool {
	switch strings.TrimPrefix(string(t), "System.") {
	case "Quantity", "SimpleQuantity", "Age", "Duration", "Distance", "Count", "MoneyQuantity":
		return true
	}
	return false
}

func numLit(k int) Expr { return &Num{V: strconv.Itoa(k)} }

// firstIs is "s starts with the character c".
func (e *emitter) firstIs(s Expr, c string) Expr {
	return e.d.StringEq(e.d.Fn(FnLeft, s, numLit(1)), &Str{V: c})
}

// rest is s without its first character.
func (e *emitter) rest(s Expr) Expr {
	return e.d.Fn(FnSubstring, s, numLit(2), e.length(s))
}

// unsign is s without a leading + or -.
func (e *emitter) unsign(s Expr) Expr {
	return &Case{Whens: []When{{Cond: or(e.firstIs(s, "+"), e.firstIs(s, "-")), Then: e.rest(s)}}, Else: s}
}

// unplus is s without a leading +.
func (e *emitter) unplus(s Expr) Expr {
	return &Case{Whens: []When{{Cond: e.firstIs(s, "+"), Then: e.rest(s)}}, Else: s}
}

// trimT is s without a leading T.
func (e *emitter) trimT(s Expr) Expr {
	return &Case{Whens: []When{{Cond: e.firstIs(s, "T"), Then: e.rest(s)}}, Else: s}
}

// cut is s without its last k characters (” when it is shorter).
func (e *emitter) cut(s Expr, k Expr) Expr {
	l := e.length(s)
	n := &Case{Whens: []When{{Cond: &Bin{Op: OpGt, X: l, Y: k}, Then: &Bin{Op: OpSub, X: l, Y: k}}}, Else: numLit(0)}
	return e.d.Fn(FnLeft, s, n)
}

// intAt reads n digits at a 1-based position as an integer (NULL when they
// are not one).
func (e *emitter) intAt(s Expr, pos, n int) Expr {
	return &Cast{X: e.d.Fn(FnSubstring, s, numLit(pos), numLit(n)), Typ: e.d.TypeName(TInt), Try: true}
}

func int32Range(x Expr) Expr {
	return and(&Bin{Op: OpGe, X: x, Y: &Num{V: "-2147483648"}}, &Bin{Op: OpLe, X: x, Y: &Num{V: "2147483647"}})
}

func between(x Expr, lo, hi int) Expr {
	return and(&Bin{Op: OpGe, X: x, Y: numLit(lo)}, &Bin{Op: OpLe, X: x, Y: numLit(hi)})
}

func atMost(x Expr, hi int) Expr { return &Bin{Op: OpLe, X: x, Y: numLit(hi)} }

// decimalDigits is the runtime's isDecimalText after the sign: digits,
// optionally a point and more digits (no exponent, no bare point).
func (e *emitter) decimalDigits(u Expr) Expr {
	dot := e.d.Fn(FnIndexOf, &Str{V: "."}, u)
	intLen := &Case{Whens: []When{{Cond: &Bin{Op: OpGt, X: dot, Y: numLit(1)}, Then: &Bin{Op: OpSub, X: dot, Y: numLit(1)}}}, Else: numLit(0)}
	return or(
		and(&Bin{Op: OpEq, X: dot, Y: numLit(0)}, e.d.Shape(u, "*")),
		and(e.d.Shape(e.d.Fn(FnLeft, u, intLen), "*"), e.d.Shape(e.d.Fn(FnSubstring, u, &Bin{Op: OpAdd, X: dot, Y: numLit(1)}, e.length(u)), "*")),
	)
}

// validDateTime is the runtime's parseDateTime: YYYY, YYYY-MM or
// YYYY-MM-DD (a real day, leap years included), optionally followed by a T,
// and after a full date by hh[:mm[:ss[.f+]]] and an optional Z or ±hh:mm.
func (e *emitter) validDateTime(s Expr) Expr {
	return e.validDateThen(s, func(t Expr) Expr { return e.timeZoned(t) })
}

// validDateThen is validDateTime with the time after the T (a full date's
// characters from the twelfth) validated by zoned.
func (e *emitter) validDateThen(s Expr, zoned func(t Expr) Expr) Expr {
	l := e.length(s)
	y, m, d := e.intAt(s, 1, 4), e.intAt(s, 6, 2), e.intAt(s, 9, 2)
	month := between(m, 1, 12)
	mod := func(x Expr, k int) Expr { return &Bin{Op: OpMod, X: x, Y: numLit(k)} }
	leap := and(&Bin{Op: OpEq, X: mod(y, 4), Y: numLit(0)},
		or(&Bin{Op: OpNe, X: mod(y, 100), Y: numLit(0)}, &Bin{Op: OpEq, X: mod(y, 400), Y: numLit(0)}))
	days := &Case{Whens: []When{
		{Cond: &In{X: m, List: []Expr{numLit(4), numLit(6), numLit(9), numLit(11)}}, Then: numLit(30)},
		{Cond: &Bin{Op: OpNe, X: m, Y: numLit(2)}, Then: numLit(31)},
		{Cond: leap, Then: numLit(29)},
	}, Else: numLit(28)}
	afterDay := or(
		&Bin{Op: OpEq, X: l, Y: numLit(10)},
		and(e.d.StringEq(e.d.Fn(FnSubstring, s, numLit(11), numLit(1)), &Str{V: "T"}),
			or(&Bin{Op: OpEq, X: l, Y: numLit(11)}, zoned(e.d.Fn(FnSubstring, s, numLit(12), l)))),
	)
	return or(
		e.d.Shape(s, "9999"),
		e.d.Shape(s, "9999T"),
		and(or(e.d.Shape(s, "9999-99"), e.d.Shape(s, "9999-99T")), month),
		and(e.d.Shape(e.d.Fn(FnLeft, s, numLit(10)), "9999-99-99"), month,
			&Bin{Op: OpGe, X: d, Y: numLit(1)}, &Bin{Op: OpLe, X: d, Y: days}, afterDay),
	)
}

// timeZoned is a clock optionally followed by Z or ±hh:mm (hh at most 14).
// At most one form can fit (a clock has no Z, + or -), so the offset's
// length is decided first and one clock is validated.
func (e *emitter) timeZoned(t Expr) Expr {
	return e.holds(t, func(t Expr) Expr { return e.zonedClock(t, e.tzLen(t), e.cut(t, e.tzLen(t))) })
}

// zonedClock is timeZoned of the time t whose offset has length n and
// whose clock (t without the offset) is c.
func (e *emitter) zonedClock(t, n, c Expr) Expr {
	tz := e.d.Fn(FnRight, t, numLit(6))
	return and(e.clock(c),
		or(&Bin{Op: OpNe, X: n, Y: numLit(6)}, and(atMost(e.intAt(tz, 2, 2), 14), atMost(e.intAt(tz, 5, 2), 59))))
}

// tzLen is the length of the offset that ends a time: 1 for Z, 6 for
// ±hh:mm (digits and colon checked, not ranges), else 0.
func (e *emitter) tzLen(t Expr) Expr {
	tz := e.d.Fn(FnRight, t, numLit(6))
	return &Case{Whens: []When{
		{Cond: e.d.StringEq(e.d.Fn(FnRight, t, numLit(1)), &Str{V: "Z"}), Then: numLit(1)},
		{Cond: or(e.d.Shape(tz, "+99:99"), e.d.Shape(tz, "-99:99")), Then: numLit(6)},
	}, Else: numLit(0)}
}

// clock is the runtime's parseClock over the whole text:
// hh[:mm[:ss[.f+]]] with hh ≤ 23, mm ≤ 59, ss ≤ 59.
func (e *emitter) clock(c Expr) Expr {
	return e.holds(c, func(c Expr) Expr {
		h, m, s := e.intAt(c, 1, 2), e.intAt(c, 4, 2), e.intAt(c, 7, 2)
		l := e.length(c)
		frac := or(&Bin{Op: OpEq, X: l, Y: numLit(8)},
			and(e.d.StringEq(e.d.Fn(FnSubstring, c, numLit(9), numLit(1)), &Str{V: "."}),
				e.d.Shape(e.d.Fn(FnSubstring, c, numLit(10), l), "*")))
		return or(
			and(e.d.Shape(c, "99"), atMost(h, 23)),
			and(e.d.Shape(c, "99:99"), atMost(h, 23), atMost(m, 59)),
			and(e.d.Shape(e.d.Fn(FnLeft, c, numLit(8)), "99:99:99"), atMost(h, 23), atMost(m, 59), atMost(s, 59), frac),
		)
	})
}
