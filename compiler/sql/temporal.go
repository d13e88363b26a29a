package sql

import (
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/compiler/types"
)

// Dates, dateTimes and times compare exactly as the runtime compares them
// (runtime/eval cmpTemporal and eqItem), in =, !=, <, <=, > and >= and in
// de-duplication (union, distinct, isDistinct):
//
//   - two values that parse compare at the precision both have, component
//     by component; when both have a time they compare in UTC (a value
//     without an offset is UTC), so 10:00+02:00 = 08:00Z. A fraction of a
//     second counts as seconds (10:00:00 = 10:00:00.000) and compares to
//     the nanosecond;
//   - when the components both have are equal but the precisions differ,
//     the answer is unknown, empty: 2020 = 2020-05, 2020 < 2020-05 and
//     T10:00 = T10:00:00 are empty, while 2020 < 2021-05 is true;
//   - text that does not parse equals only the same text, and is not
//     ordered.
//
// The parts of each value (tparts) are computed once, as the columns of
// one-row derived tables chained with CROSS APPLY, or here for a literal.
// The UTC instant is integer arithmetic on the text (a day number of the
// proleptic Gregorian calendar, then seconds), never the engine's date
// parser: DuckDB parses no clock without seconds and reads a value without
// an offset in the session's time zone, and T-SQL's DATETIMEOFFSET holds no
// UTC instant before the year 1 (0001-01-01T00:00+01:00).

// tparts are the parts of one date, dateTime or time that its comparisons
// read.
type tparts struct {
	value Expr // the text
	valid Expr // 1 when the text parses (runtime parseDateTime, parseTime), else 0
	// prec is the precision: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6
	// second (with or without a fraction).
	prec Expr
	// text is the value as written up to the day (a date or dateTime:
	// YYYY, YYYY-MM or YYYY-MM-DD) or the second (a time: hh[:mm[:ss]]).
	text Expr
	// frac is the fraction of a second as a number to 9 places, 0 without
	// one.
	frac Expr
	// instant is a dateTime with a time as whole seconds in UTC from an
	// epoch (a BIGINT); meaningless for a date, nil for a time.
	instant Expr
}

// parsed says the value is a literal that parses.
func (p tparts) parsed() bool {
	n, ok := p.valid.(*Num)
	return ok && n.V == "1"
}

// chain binds expressions as the columns of one-row derived tables in the
// FROM of q, each CROSS APPLYed to those before it, so that later
// expressions name earlier columns instead of repeating them.
type chain struct {
	e *emitter
	q *Select
}

// bind adds a one-row derived table of the items and returns its alias.
func (c chain) bind(items ...Item) string {
	alias := c.e.alias("b")
	join := CrossApply
	if len(c.q.From) == 0 {
		join = JoinNone
	}
	c.q.From = append(c.q.From, &From{Join: join, Src: &Derived{Q: &Select{Items: items}}, Alias: alias})
	return alias
}

// one binds a single expression and returns its column.
func (c chain) one(x Expr) Expr { return &Col{Table: c.bind(Item{X: x, Alias: "v"}), Name: "v"} }

// partsExprs computes the parts of the text s (a column or a constant),
// binding intermediate values on c; the parts are expressions over them.
func (e *emitter) partsExprs(c chain, s Expr, isTime bool) tparts {
	if isTime {
		t := c.one(e.trimT(s))
		return tparts{value: s, valid: e.d.BoolValue(e.clock(t), true), prec: e.clockPrec(t),
			text: e.d.Fn(FnLeft, t, numLit(8)), frac: e.fraction(t)}
	}
	// The date as a day number: March-based years and months, so that a
	// leap day ends its year (y and m are bound once, the day number is
	// computed from them).
	month := e.intAt(s, 6, 2)
	janFeb := &Case{Whens: []When{{Cond: &Bin{Op: OpLe, X: month, Y: numLit(2)}, Then: numLit(1)}}, Else: numLit(0)}
	ymd := c.bind(
		Item{X: e.d.Fn(FnSubstring, s, numLit(12), e.length(s)), Alias: "t"},
		Item{X: &Bin{Op: OpSub, X: &Bin{Op: OpAdd, X: e.intAt(s, 1, 4), Y: numLit(400)}, Y: janFeb}, Alias: "y"},
		Item{X: &Bin{Op: OpSub, X: &Bin{Op: OpAdd, X: e.intAt(s, 6, 2), Y: &Bin{Op: OpMul, X: numLit(12), Y: janFeb}}, Y: numLit(3)}, Alias: "m"},
		Item{X: e.intAt(s, 9, 2), Alias: "d"},
	)
	col := func(n string) Expr { return &Col{Table: ymd, Name: n} }
	t := col("t")
	z := c.one(e.tzLen(t))
	clock := c.one(e.cut(t, z))
	l := e.length(s)
	prec := &Case{Whens: []When{
		{Cond: &Bin{Op: OpLe, X: l, Y: numLit(5)}, Then: numLit(1)},
		{Cond: &Bin{Op: OpLe, X: l, Y: numLit(8)}, Then: numLit(2)},
		{Cond: &Bin{Op: OpLe, X: l, Y: numLit(11)}, Then: numLit(3)},
	}, Else: e.clockPrec(clock)}
	text := &Case{Whens: []When{
		{Cond: &Bin{Op: OpLe, X: l, Y: numLit(5)}, Then: e.d.Fn(FnLeft, s, numLit(4))},
		{Cond: &Bin{Op: OpLe, X: l, Y: numLit(8)}, Then: e.d.Fn(FnLeft, s, numLit(7))},
	}, Else: e.d.Fn(FnLeft, s, numLit(10))}
	// Integer division needs integer operands on every engine (DuckDB's /
	// divides a column of unknown type as a double).
	y, m := e.asInt(col("y")), e.asInt(col("m"))
	div := func(x Expr, k int) Expr { return &Bin{Op: OpDiv, X: x, Y: numLit(k)} }
	add := func(x, y Expr) Expr { return &Bin{Op: OpAdd, X: x, Y: y} }
	days := add(add(&Bin{Op: OpSub, X: add(&Bin{Op: OpMul, X: numLit(365), Y: y}, div(y, 4)), Y: div(y, 100)}, div(y, 400)),
		add(div(add(&Bin{Op: OpMul, X: numLit(153), Y: m}, numLit(2)), 5), col("d")))
	orZero := func(x Expr) Expr { return e.d.Fn(FnCoalesce, x, numLit(0)) }
	tz := e.d.Fn(FnRight, t, numLit(6))
	sign := &Case{Whens: []When{{Cond: e.firstIs(tz, "-"), Then: numLit(-1)}}, Else: numLit(1)}
	offset := &Case{Whens: []When{{
		Cond: &Bin{Op: OpEq, X: z, Y: numLit(6)},
		Then: &Bin{Op: OpMul, X: &Bin{Op: OpAdd, X: &Bin{Op: OpMul, X: e.intAt(tz, 2, 2), Y: numLit(60)}, Y: e.intAt(tz, 5, 2)}, Y: sign},
	}}, Else: numLit(0)}
	hours := &Bin{Op: OpAdd, X: &Bin{Op: OpMul, X: &Cast{X: days, Typ: e.d.TypeName(TBigInt)}, Y: numLit(24)}, Y: e.intAt(clock, 1, 2)}
	minutes := &Bin{Op: OpSub, X: &Bin{Op: OpAdd, X: &Bin{Op: OpMul, X: hours, Y: numLit(60)}, Y: orZero(e.intAt(clock, 4, 2))}, Y: offset}
	instant := &Bin{Op: OpAdd, X: &Bin{Op: OpMul, X: minutes, Y: numLit(60)}, Y: orZero(e.intAt(clock, 7, 2))}
	// Valid as validDateTime, reading the time, offset and clock bound
	// above (a valid time is exactly the text after the T).
	valid := e.validDateThen(s, func(Expr) Expr { return e.zonedClock(t, z, clock) })
	return tparts{value: s, valid: e.d.BoolValue(valid, true), prec: prec, text: text, frac: e.fraction(clock), instant: instant}
}

// tpartsOf binds the parts of x on c and returns them as columns; a
// literal's parts are constants.
func (e *emitter) tpartsOf(c chain, x Expr, isTime bool) tparts {
	if s, ok := x.(*Str); ok {
		return literalParts(s.V, isTime)
	}
	switch x.(type) {
	case *Col, *Var:
	default:
		x = c.one(x)
	}
	p := e.partsExprs(c, x, isTime)
	items := []Item{{X: p.valid, Alias: "valid"}, {X: p.prec, Alias: "prec"}, {X: p.text, Alias: "text"}, {X: p.frac, Alias: "frac"}}
	if !isTime {
		items = append(items, Item{X: p.instant, Alias: "instant"})
	}
	alias := c.bind(items...)
	col := func(n string) Expr { return &Col{Table: alias, Name: n} }
	out := tparts{value: x, valid: col("valid"), prec: col("prec"), text: col("text"), frac: col("frac")}
	if !isTime {
		out.instant = col("instant")
	}
	return out
}

// temporalCmp is x op y (op =, <, <=, > or >=) on the texts of two dates,
// dateTimes or times (isTime: two times), as the runtime answers it: a
// predicate that is unknown when the runtime's answer is empty.
func (e *emitter) temporalCmp(op string, x, y Expr, isTime bool) Expr {
	if isNullExpr(x) || isNullExpr(y) {
		return &Bin{Op: OpEq, X: &Null{}, Y: numLit(1)}
	}
	// A literal that does not parse: text equality, and no order.
	for _, v := range []Expr{x, y} {
		if s, ok := v.(*Str); ok && !literalParts(s.V, isTime).parsed() {
			if op != OpEq {
				return &Bin{Op: OpEq, X: &Null{}, Y: numLit(1)}
			}
			return e.predOn(x, func(x Expr) Expr { return e.predOn(y, func(y Expr) Expr { return e.d.StringEq(x, y) }) })
		}
	}
	q := &Select{}
	c := chain{e, q}
	a, b := e.tpartsOf(c, x, isTime), e.tpartsOf(c, y, isTime)
	lo := c.one(&Case{Whens: []When{{Cond: &Bin{Op: OpLt, X: a.prec, Y: b.prec}, Then: a.prec}}, Else: b.prec})
	// holds is the answer when x is before (-1), after (1) or at the same
	// time (0) as y.
	holds := func(order int) Expr {
		var ok bool
		switch op {
		case OpEq:
			ok = order == 0
		case OpLt:
			ok = order < 0
		case OpLe:
			ok = order <= 0
		case OpGt:
			ok = order > 0
		case OpGe:
			ok = order >= 0
		}
		if ok {
			return numLit(1)
		}
		return numLit(0)
	}
	// Text that does not parse equals only the same text (a literal here
	// parses).
	var invalid []Expr
	for _, p := range []tparts{a, b} {
		if !p.parsed() {
			invalid = append(invalid, &Bin{Op: OpEq, X: p.valid, Y: numLit(0)})
		}
	}
	var whens []When
	if len(invalid) > 0 {
		var unparsed Expr = &Null{}
		if op == OpEq {
			unparsed = e.d.BoolValue(e.d.StringEq(a.value, b.value), false)
		}
		whens = append(whens, When{Cond: or(invalid...), Then: unparsed})
	}
	for _, o := range e.temporalOrder(a, b, lo, isTime) {
		whens = append(whens, When{Cond: o.cond, Then: holds(o.order)})
	}
	// Equal at the common precision: known only when it is both's.
	whens = append(whens, When{Cond: &Bin{Op: OpEq, X: a.prec, Y: b.prec}, Then: holds(0)})
	q.Items = []Item{{X: &Case{Whens: whens}}}
	return e.bitPred(&Sub{Q: q})
}

// ordered is "a is before (order -1) or after (1) b" at the common
// precision lo, for two values that parse.
type ordered struct {
	cond  Expr
	order int
}

// temporalOrder lists the conditions under which a is before or after b at
// precision lo, in the order they are tested: the components up to lo,
// then the fraction at seconds. When none holds, a and b are equal at lo.
func (e *emitter) temporalOrder(a, b tparts, lo Expr, isTime bool) []ordered {
	// The length of the text at lo.
	width := &Case{Operand: lo, Whens: []When{
		{Cond: numLit(1), Then: numLit(4)},
		{Cond: numLit(2), Then: numLit(7)},
	}, Else: numLit(10)}
	if isTime {
		width = &Case{Operand: lo, Whens: []When{
			{Cond: numLit(4), Then: numLit(2)},
			{Cond: numLit(5), Then: numLit(5)},
		}, Else: numLit(8)}
	}
	ta, tb := e.d.Fn(FnLeft, a.text, width), e.d.Fn(FnLeft, b.text, width)
	atSeconds := &Bin{Op: OpEq, X: lo, Y: numLit(6)}
	fraction := []ordered{
		{and(atSeconds, &Bin{Op: OpLt, X: a.frac, Y: b.frac}), -1},
		{and(atSeconds, &Bin{Op: OpGt, X: a.frac, Y: b.frac}), 1},
	}
	if isTime {
		return append([]ordered{
			{e.d.StringCmp(OpLt, ta, tb), -1},
			{e.d.StringCmp(OpGt, ta, tb), 1},
		}, fraction...)
	}
	// Up to the day, the dates as written (a dateTime against a date is not
	// converted to UTC); with a time on both sides, the UTC instants.
	date := &Bin{Op: OpLe, X: lo, Y: numLit(3)}
	clock := &Bin{Op: OpGt, X: lo, Y: numLit(3)}
	ka, kb := e.instantAt(a.instant, lo), e.instantAt(b.instant, lo)
	return append([]ordered{
		{and(date, e.d.StringCmp(OpLt, ta, tb)), -1},
		{and(date, e.d.StringCmp(OpGt, ta, tb)), 1},
		{and(clock, &Bin{Op: OpLt, X: ka, Y: kb}), -1},
		{and(clock, &Bin{Op: OpGt, X: ka, Y: kb}), 1},
	}, fraction...)
}

// instantAt is an instant truncated to precision p (4 hours, 5 minutes, 6
// seconds): UTC hours and minutes start at multiples of 3600 and 60 seconds
// of the epoch.
func (e *emitter) instantAt(instant, p Expr) Expr {
	unit := &Case{Operand: p, Whens: []When{
		{Cond: numLit(4), Then: numLit(3600)},
		{Cond: numLit(5), Then: numLit(60)},
	}, Else: numLit(1)}
	return &Bin{Op: OpDiv, X: &Cast{X: instant, Typ: e.d.TypeName(TBigInt)}, Y: unit}
}

// asInt marks a column as an integer for integer division.
func (e *emitter) asInt(x Expr) Expr { return &Cast{X: x, Typ: e.d.TypeName(TInt)} }

func isNullExpr(x Expr) bool {
	_, ok := x.(*Null)
	return ok
}

// temporalParts wraps the numbered items (value, position) with the parts
// of each value (tparts), for de-duplication.
func (e *emitter) temporalParts(items *Select, isTime bool) *Select {
	base := e.alias("k")
	out := &Select{From: []*From{{Src: &Derived{Q: items}, Alias: base}}}
	s := &Col{Table: base, Name: "value"}
	p := e.partsExprs(chain{e, out}, s, isTime)
	out.Items = []Item{
		{X: s, Alias: "value"},
		{X: &Col{Table: base, Name: "position"}, Alias: "position"},
		{X: p.valid, Alias: "valid"},
		{X: p.prec, Alias: "prec"},
		{X: p.text, Alias: "text"},
		{X: p.frac, Alias: "frac"},
	}
	if !isTime {
		out.Items = append(out.Items, Item{X: p.instant, Alias: "instant"})
	}
	return out
}

// sameTemporal is "the items of aliases a and b are certainly equal", from
// their temporalParts columns: both parse and have the same precision and
// the same components at it, or neither parses and the texts are equal.
func (e *emitter) sameTemporal(a, b string, isTime bool) Expr {
	col := func(t, n string) Expr { return &Col{Table: t, Name: n} }
	eqCol := func(n string) Expr { return &Bin{Op: OpEq, X: col(a, n), Y: col(b, n)} }
	one := numLit(1)
	var same Expr
	if isTime {
		same = and(eqCol("prec"), e.d.StringEq(col(a, "text"), col(b, "text")), eqCol("frac"))
	} else {
		three, p := numLit(3), col(a, "prec")
		same = and(eqCol("prec"), or(
			and(&Bin{Op: OpLe, X: p, Y: three}, e.d.StringEq(col(a, "text"), col(b, "text"))),
			and(&Bin{Op: OpGt, X: p, Y: three},
				&Bin{Op: OpEq, X: e.instantAt(col(a, "instant"), p), Y: e.instantAt(col(b, "instant"), p)}, eqCol("frac")),
		))
	}
	bothValid := and(&Bin{Op: OpEq, X: col(a, "valid"), Y: one}, &Bin{Op: OpEq, X: col(b, "valid"), Y: one})
	return &Bin{Op: OpEq, Y: one, X: &Case{Whens: []When{
		{Cond: bothValid, Then: e.d.BoolValue(same, true)},
	}, Else: e.d.BoolValue(e.d.StringEq(col(a, "value"), col(b, "value")), true)}}
}

// clockPrec numbers a valid clock's precision: 4 hour, 5 minute, 6 second.
func (e *emitter) clockPrec(c Expr) Expr {
	return &Case{Operand: e.length(c), Whens: []When{
		{Cond: numLit(2), Then: numLit(4)},
		{Cond: numLit(5), Then: numLit(5)},
	}, Else: numLit(6)}
}

// fraction is a valid clock's fraction of a second as a number (0 without
// one), to 9 places, as the runtime keeps nanoseconds.
func (e *emitter) fraction(c Expr) Expr {
	f := e.d.Fn(FnSubstring, c, numLit(10), numLit(9))
	return &Case{Whens: []When{{
		Cond: &Bin{Op: OpGt, X: e.length(c), Y: numLit(9)},
		Then: e.d.ToNumber(e.d.Fn(FnConcat, &Str{V: "0."}, f), false),
	}}, Else: numLit(0)}
}

// literalParts are the parts of a literal, computed here as partsExprs
// computes them in SQL (and as the runtime parses: runtime/eval
// parseDateTime, parseTime).
func literalParts(s string, isTime bool) tparts {
	p := tparts{value: &Str{V: s}, valid: numLit(0), prec: numLit(0), text: &Str{V: ""}, frac: numLit(0), instant: numLit(0)}
	var (
		prec, h, mi, sec, n int
		text, frac          string
		ok                  bool
		days, off           int
	)
	if isTime {
		c := strings.TrimPrefix(s, "T")
		if n, prec, h, mi, sec, frac, ok = clockLit(c); !ok || n != len(c) {
			return p
		}
		text = c[:min(len(c), 8)]
	} else {
		if prec, text, days, h, mi, sec, frac, off, ok = dateTimeLit(s); !ok {
			return p
		}
	}
	p.valid, p.prec, p.text = numLit(1), numLit(prec), &Str{V: text}
	if frac != "" {
		p.frac = &Num{V: "0." + frac[:min(len(frac), 9)]}
	}
	if !isTime && prec > 3 {
		p.instant = &Num{V: strconv.FormatInt(((int64(days)*24+int64(h))*60+int64(mi)-int64(off))*60+int64(sec), 10)}
	}
	return p
}

// digitsAt reads n ASCII digits of s at i.
func digitsAt(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// clockLit parses hh[:mm[:ss[.f+]]] at the start of s: the bytes read, the
// precision (4, 5, 6), the components and the fraction's digits.
func clockLit(s string) (n, prec, h, mi, sec int, frac string, ok bool) {
	if h, ok = digitsAt(s, 0, 2); !ok || h > 23 {
		return 0, 0, 0, 0, 0, "", false
	}
	prec, n = 4, 2
	if n < len(s) && s[n] == ':' {
		if mi, ok = digitsAt(s, n+1, 2); !ok || mi > 59 {
			return 0, 0, 0, 0, 0, "", false
		}
		prec, n = 5, n+3
		if n < len(s) && s[n] == ':' {
			if sec, ok = digitsAt(s, n+1, 2); !ok || sec > 59 {
				return 0, 0, 0, 0, 0, "", false
			}
			prec, n = 6, n+3
			if n < len(s) && s[n] == '.' {
				j := n + 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				if j == n+1 {
					return 0, 0, 0, 0, 0, "", false
				}
				frac, n = s[n+1:j], j
			}
		}
	}
	return n, prec, h, mi, sec, frac, true
}

// dateTimeLit parses YYYY[-MM[-DD]][T] or YYYY-MM-DDThh[:mm[:ss[.f+]]][Z|±hh:mm]:
// the precision, the date as written, its day number (as partsExprs
// computes it), the clock, and the offset in minutes.
func dateTimeLit(s string) (prec int, text string, days, h, mi, sec int, frac string, off int, ok bool) {
	fail := func() (int, string, int, int, int, int, string, int, bool) { return 0, "", 0, 0, 0, 0, "", 0, false }
	y, ok := digitsAt(s, 0, 4)
	if !ok {
		return fail()
	}
	mo, d, i := 1, 1, 4
	prec = 1
	if i < len(s) && s[i] == '-' {
		if mo, ok = digitsAt(s, i+1, 2); !ok || mo < 1 || mo > 12 {
			return fail()
		}
		prec, i = 2, i+3
		if i < len(s) && s[i] == '-' {
			if d, ok = digitsAt(s, i+1, 2); !ok || d < 1 || d > types.DaysIn(y, mo) {
				return fail()
			}
			prec, i = 3, i+3
		}
	}
	text = s[:i]
	janFeb := 0
	if mo <= 2 {
		janFeb = 1
	}
	yy, mm := y+400-janFeb, mo+12*janFeb-3
	days = 365*yy + yy/4 - yy/100 + yy/400 + (153*mm+2)/5 + d
	if i == len(s) {
		return prec, text, days, 0, 0, 0, "", 0, true
	}
	if s[i] != 'T' {
		return fail()
	}
	i++
	if i == len(s) {
		return prec, text, days, 0, 0, 0, "", 0, true
	}
	if prec != 3 {
		return fail()
	}
	n, cp, h, mi, sec, frac, ok := clockLit(s[i:])
	if !ok {
		return fail()
	}
	i += n
	if i < len(s) {
		switch s[i] {
		case 'Z':
			i++
		case '+', '-':
			oh, ok1 := digitsAt(s, i+1, 2)
			om, ok2 := digitsAt(s, i+4, 2)
			if !ok1 || !ok2 || s[i+3] != ':' || oh > 14 || om > 59 {
				return fail()
			}
			off = oh*60 + om
			if s[i] == '-' {
				off = -off
			}
			i += 6
		default:
			return fail()
		}
	}
	if i != len(s) {
		return fail()
	}
	return cp, text, days, h, mi, sec, frac, off, true
}
