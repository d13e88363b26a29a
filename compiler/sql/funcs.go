package sql

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// Unsupported lists the declared functions no SQL target expresses, with the
// reason the FQL3101 diagnostic gives; every other function of
// compiler/funcs has a translation below (a test checks that the two lists
// cover the table). The SQL targets share one translation, so a function
// one engine lacks is rejected on all of them.
var Unsupported = map[string]string{
	"matches":        regexWhy,
	"replaceMatches": regexWhy,
	"split":          "keeping the parts in order needs STRING_SPLIT's ordinal argument, which Azure Synapse does not have",
	"children":       childrenWhy,
	"descendants":    childrenWhy,
	"toQuantity": "it needs Quantity values parsed from text (5 'mg', 3 days), built as JSON objects, " +
		"and UCUM unit conversion for toQuantity(unit), none of which the SQL emitter has",
	"convertsToQuantity": "it needs the Quantity text grammar (5 'mg', 3 days) and, for a Quantity, " +
		"a test that its value is a JSON number, neither of which the SQL emitter has",
}

const (
	regexWhy    = "it needs regular expressions, which SQL Server before 2025 and Azure Synapse do not have"
	childrenWhy = "it yields child elements of every type, and SQL would need each element's FHIR type at run time"
)

func (e *emitter) call(x *plan.Call, sc *scope) res {
	name := x.Func.Name
	if _, no := Unsupported[name]; no {
		return e.unsupportedFunc(x)
	}
	boolRes := func(p Expr) res { return one(val{x: p, sh: shPred, t: types.Boolean}) }
	recvColl := func() *coll { return e.coll(x.X, sc) }
	arg := func(i int) plan.Expr {
		if i < len(x.Args) {
			return x.Args[i]
		}
		return nil
	}
	switch name {
	case "empty":
		return boolRes(&Not{X: e.exists(recvColl())})
	case "exists":
		c := recvColl()
		if a := arg(0); a != nil {
			c = e.filter(c, a, sc)
		}
		return boolRes(e.exists(c))
	case "where":
		r := e.compile(x.X, sc)
		if r.many == nil {
			c := e.filter(e.lift(e.asValue(r.one)), arg(0), sc)
			c.atMostOne = true
			return res{many: c}
		}
		return res{many: e.filter(r.many, arg(0), sc)}
	case "select":
		c, lsc := e.lambda(recvColl(), arg(0), sc)
		return res{many: e.flatMap(c, func(v val) res { return e.compile(arg(0), lsc.withItem(v, lsc.index)) })}
	case "all", "allTrue", "anyTrue", "allFalse", "anyFalse":
		return boolRes(e.quantifier(name, recvColl(), arg(0), sc))
	case "ofType":
		return e.ofType(x, sc)
	case "first", "last", "single":
		r := e.compile(x.X, sc)
		if r.many == nil {
			return r
		}
		if name == "single" {
			return one(e.single(r.many, x.X, sc))
		}
		return one(e.first(r.many, name == "last"))
	case "tail", "skip", "take":
		c, pos := e.seal(recvColl())
		var cond Expr
		switch name {
		case "tail":
			cond = &Bin{Op: OpGe, X: pos, Y: &Num{V: "1"}}
		case "skip":
			cond = &Bin{Op: OpGe, X: pos, Y: e.number(e.scalar(arg(0), sc), true)}
		default:
			cond = &Bin{Op: OpLt, X: pos, Y: e.number(e.scalar(arg(0), sc), true)}
		}
		c.where = append(c.where, cond)
		return res{many: c}
	case "count":
		r := e.compile(x.X, sc)
		if r.many == nil {
			v := e.asValue(r.one)
			return one(val{x: &Case{Whens: []When{{Cond: &IsNull{X: v.x, Not: true}, Then: &Num{V: "1"}}}, Else: &Num{V: "0"}}, sh: shNum, t: types.Integer})
		}
		c := e.fin(r.many)
		return one(val{x: &Sub{Q: c.query(Item{X: e.d.Fn(FnCount, &Star{})})}, sh: shNum, t: types.Integer})
	case "not":
		return boolRes(&Not{X: e.pred(x.X, sc)})
	case "iif":
		isc := sc
		if _, isFocus := x.X.(*plan.Focus); !isFocus {
			isc = sc.withFocus(e.asValue(e.scalar(x.X, sc)))
		}
		p := e.pred(arg(0), isc)
		a := e.asValue(e.scalar(arg(1), sc))
		b := emptyVal(a.t)
		if arg(2) != nil {
			b = e.asValue(e.scalar(arg(2), sc))
		}
		out := a
		if _, isNull := a.x.(*Null); isNull {
			out = b
		}
		out.x = &Case{Whens: []When{{Cond: p, Then: a.x}}, Else: b.x}
		out.isStr = nil
		return one(out)
	case "combine", "union", "distinct", "isDistinct":
		reject := func(why string) { e.report(errUnsupportedFunc(e.v.File, x.Span(), name, e.d.Name(), why)) }
		switch name {
		case "distinct":
			c, ok := e.dedup(recvColl(), x.Span(), reject)
			if !ok {
				return one(emptyVal(x.Type().Type))
			}
			return res{many: c}
		case "isDistinct":
			p, ok := e.isDistinct(recvColl(), x.Span(), reject)
			if !ok {
				return one(emptyVal(types.Boolean))
			}
			return boolRes(p)
		}
		return e.combine(x, x.X, arg(0), name == "union", sc, reject)
	case "toDate", "toDateTime", "toTime", "toInteger", "toDecimal", "toBoolean":
		v := e.scalar(x.X, sc)
		if r, ok := e.convertCall(x, v, strings.TrimPrefix(name, "to"), false); ok {
			return r
		}
		return e.typeBlind(name, v)
	case "convertsToString", "convertsToInteger", "convertsToDecimal", "convertsToBoolean",
		"convertsToDate", "convertsToDateTime", "convertsToTime":
		r, _ := e.convertCall(x, e.scalar(x.X, sc), strings.TrimPrefix(name, "convertsTo"), true)
		return r
	}
	switch name {
	case "toString":
		v := e.scalar(x.X, sc)
		if classOf(v) == cComplex {
			return one(emptyVal(types.String))
		}
		return one(val{x: e.text(v), sh: shStr, t: types.String})
	case "join":
		return one(e.join(x, sc))
	case "startsWith", "endsWith", "contains":
		s := e.text(e.scalar(x.X, sc))
		p := e.text(e.scalar(arg(0), sc))
		return boolRes(e.predOn(s, func(s Expr) Expr {
			switch name {
			case "startsWith":
				return e.d.StringEq(e.d.Fn(FnLeft, s, e.length(p)), p)
			case "endsWith":
				return e.d.StringEq(e.d.Fn(FnRight, s, e.length(p)), p)
			}
			return &Bin{Op: OpOr,
				X: &Bin{Op: OpEq, X: e.length(p), Y: &Num{V: "0"}},
				Y: &Bin{Op: OpGt, X: e.d.Fn(FnIndexOf, p, s), Y: &Num{V: "0"}}}
		}))
	case "indexOf":
		s := e.text(e.scalar(x.X, sc))
		p := e.text(e.scalar(arg(0), sc))
		// empty input (NULL) stays empty even for an empty substring
		return one(val{x: &Case{Whens: []When{
			{Cond: &IsNull{X: s}, Then: &Null{}},
			{Cond: &Bin{Op: OpEq, X: e.d.Fn(FnLength, p), Y: &Num{V: "0"}}, Then: &Num{V: "0"}}},
			Else: &Bin{Op: OpSub, X: e.d.Fn(FnIndexOf, p, s), Y: &Num{V: "1"}}}, sh: shNum, t: types.Integer})
	case "substring":
		start := e.number(e.scalar(arg(0), sc), true)
		var count Expr
		if arg(1) != nil {
			count = e.number(e.scalar(arg(1), sc), true)
		}
		out := e.let(e.text(e.scalar(x.X, sc)), func(s Expr) Expr {
			length := count
			if length == nil {
				length = e.d.Fn(FnLength, s)
			}
			return &Case{Whens: []When{{
				Cond: and(&Bin{Op: OpGe, X: start, Y: &Num{V: "0"}}, &Bin{Op: OpLt, X: start, Y: e.d.Fn(FnLength, s)}),
				Then: e.d.Fn(FnSubstring, s, &Bin{Op: OpAdd, X: start, Y: &Num{V: "1"}}, length),
			}}}
		})
		return one(val{x: out, sh: shStr, t: types.String})
	case "upper", "lower", "trim":
		fn := map[string]Fn{"upper": FnUpper, "lower": FnLower, "trim": FnTrim}[name]
		return one(val{x: e.d.Fn(fn, e.text(e.scalar(x.X, sc))), sh: shStr, t: types.String})
	case "replace":
		// An empty pattern surrounds every character with the
		// substitution ('abc'.replace('', '-') is '-a-b-c-'), which SQL's
		// REPLACE does not do: a literal '' is a compile error, and a
		// pattern that turns out empty fails the query.
		const why = "replace() with an empty pattern (it surrounds every character with the substitution)"
		if lit, ok := arg(0).(*plan.Lit); ok && lit.Kind == plan.String && lit.Value == "" {
			return e.unsupported(arg(0), why)
		}
		s := e.text(e.scalar(x.X, sc))
		pat := e.text(e.scalar(arg(0), sc))
		out := e.let(pat, func(pat Expr) Expr {
			return &Case{Whens: []When{{
				Cond: &Bin{Op: OpEq, X: e.d.Fn(FnLength, pat), Y: &Num{V: "0"}},
				Then: e.d.Fail(&Str{V: "fhirql: " + why + " is not supported by the " + e.d.Name() + " target: " + e.sourceText(x)}, e.d.TypeName(TTextMax)),
			}}, Else: e.d.Fn(FnReplace, s, pat, e.text(e.scalar(arg(1), sc)))}
		})
		return one(val{x: out, sh: shStr, t: types.String})
	case "length":
		return one(val{x: e.d.Fn(FnLength, e.text(e.scalar(x.X, sc))), sh: shNum, t: types.Integer})
	case "abs":
		v := e.scalar(x.X, sc)
		return one(val{x: e.d.Fn(FnAbs, e.number(v, isInteger(v))), sh: shNum, t: v.t})
	case "round":
		digits := Expr(&Num{V: "0"})
		if arg(0) != nil {
			digits = e.number(e.scalar(arg(0), sc), true)
		}
		return one(val{x: e.d.Fn(FnRound, e.number(e.scalar(x.X, sc), false), digits), sh: shNum, t: types.Decimal})
	case "now":
		return one(val{x: e.d.Fn(FnNowText), sh: shText, t: types.DateTime})
	case "today":
		return one(val{x: e.d.Fn(FnTodayText), sh: shText, t: types.Date})
	case "lowBoundary", "highBoundary":
		if arg(0) != nil {
			return e.unsupported(arg(0), "a precision argument to "+name+"()")
		}
		return e.navigate(x.X, sc, func(v val) res { return e.boundary(x, v, name == "highBoundary") })
	case "extension":
		url := e.text(e.scalar(arg(0), sc))
		return e.navigate(x.X, sc, func(v val) res {
			ext := e.field(v, &plan.Field{Base: plan.Base{T: types.Many("Extension")}, Key: "extension", Array: true})
			if ext.many == nil {
				return ext
			}
			c := ext.many
			c.where = append(c.where, e.d.StringEq(e.read(c.item.x, []string{"url"}, true), url))
			return ext
		})
	case "getResourceKey":
		v := e.scalar(x.X, sc)
		base, path, ok := e.objectBase(v)
		if !ok {
			return one(emptyVal(types.String))
		}
		return one(val{x: e.read(base, appendPath(path, "id"), false), sh: shText, t: "id", styp: e.d.TypeName(TText)})
	case "getReferenceKey":
		typ := ""
		if a, ok := arg(0).(*plan.TypeArg); ok {
			typ = a.Name
		}
		return e.navigate(x.X, sc, func(v val) res {
			base, path, ok := e.objectBase(v)
			if !ok {
				return one(emptyVal(types.String))
			}
			ref := e.read(base, appendPath(path, "reference"), true)
			return one(val{x: e.referenceKey(ref, typ), sh: shStr, t: types.String, styp: e.d.TypeName(TTextMax)})
		})
	case "hasValue":
		v := e.mat(e.scalar(x.X, sc))
		if v.sh == shJSON {
			return boolRes(&Bin{Op: OpEq, X: &Num{V: "1"}, Y: &Num{V: "0"}})
		}
		return boolRes(&IsNull{X: v.x, Not: true})
	}
	return e.unsupportedFunc(x)
}

// typeBlind is toInteger(), toDecimal() or toBoolean() of a value whose
// type is not known statically (an unresolved choice element): the text
// converted as a number, or compared with the boolean words.
func (e *emitter) typeBlind(name string, v val) res {
	switch name {
	case "toInteger":
		return one(val{x: e.number(v, true), sh: shNum, t: types.Integer})
	case "toDecimal":
		return one(val{x: e.number(v, false), sh: shNum, t: types.Decimal})
	}
	if isBoolean(v) {
		return one(v)
	}
	low := e.d.Fn(FnLower, e.text(v))
	list := func(ss ...string) []Expr {
		var out []Expr
		for _, s := range ss {
			out = append(out, &Str{V: s})
		}
		return out
	}
	return one(val{x: &Case{Whens: []When{
		{Cond: &In{X: low, List: list("true", "t", "yes", "y", "1", "1.0")}, Then: &Num{V: "1"}},
		{Cond: &In{X: low, List: list("false", "f", "no", "n", "0", "0.0")}, Then: &Num{V: "0"}},
	}}, sh: shBit, t: types.Boolean})
}

func (e *emitter) unsupportedFunc(x *plan.Call) res {
	e.report(errUnsupportedFunc(e.v.File, x.Span(), x.Func.Name, e.d.Name(), Unsupported[x.Func.Name]))
	return one(emptyVal(x.Type().Type))
}

func (sc *scope) withItem(v val, index Expr) *scope {
	n := sc.withFocus(v)
	n.index = index
	return n
}

// lambda prepares a collection for a per-item argument: $this is the item
// and $index its position, which needs the items numbered first.
func (e *emitter) lambda(c *coll, arg plan.Expr, sc *scope) (*coll, *scope) {
	c = e.fin(c)
	var idx Expr
	if usesIndexVar(arg) {
		c, idx = e.seal(c)
	}
	return c, sc.withItem(c.item, idx)
}

func usesIndexVar(x plan.Expr) bool {
	found := false
	plan.Walk(x, func(n plan.Expr) bool {
		if _, ok := n.(*plan.IndexVar); ok {
			found = true
		}
		return !found
	})
	return found
}

// filter keeps the items for which the criteria is true.
func (e *emitter) filter(c *coll, crit plan.Expr, sc *scope) *coll {
	c, lsc := e.lambda(c, crit, sc)
	n := c.clone()
	n.where = append(n.where, e.pred(crit, lsc))
	return n
}

func (e *emitter) quantifier(name string, c *coll, crit plan.Expr, sc *scope) Expr {
	c, lsc := e.lambda(c, crit, sc)
	n := c.clone()
	var cond Expr
	zero, onev := &Num{V: "0"}, &Num{V: "1"}
	switch name {
	case "all": // no item where the criteria is not true
		cond = e.notTrue(e.pred(crit, lsc))
	case "allTrue":
		cond = &Bin{Op: OpEq, X: e.d.Fn(FnIfNull, e.bit(c.item), zero), Y: zero}
	case "allFalse":
		cond = &Bin{Op: OpEq, X: e.d.Fn(FnIfNull, e.bit(c.item), onev), Y: onev}
	case "anyTrue":
		n.where = append(n.where, &Bin{Op: OpEq, X: e.bit(c.item), Y: onev})
		return e.exists(n)
	default: // anyFalse
		n.where = append(n.where, &Bin{Op: OpEq, X: e.bit(c.item), Y: zero})
		return e.exists(n)
	}
	n.where = append(n.where, cond)
	return &Not{X: e.exists(n)}
}

// ofType on a choice element that lowering did not resolve, or on a value
// whose type is known statically.
func (e *emitter) ofType(x *plan.Call, sc *scope) res {
	ta, _ := x.Args[0].(*plan.TypeArg)
	if ta == nil {
		return e.unsupported(x, "ofType() without a type name")
	}
	if ch, ok := x.X.(*plan.Choice); ok {
		for _, k := range ch.Keys {
			if typeMatches(k.Type, ta.Name) {
				f := &plan.Field{Base: plan.Base{T: types.Info{Type: k.Type, Many: k.Array}, Sp: x.Sp}, X: ch.X, Key: k.Key, Array: k.Array, Primitive: k.Primitive}
				return e.compile(f, sc)
			}
		}
		return one(emptyVal(types.Type(ta.Name)))
	}
	r := e.compile(x.X, sc)
	t := r.one.t
	if r.many != nil {
		t = r.many.item.t
	}
	if typeMatches(t, ta.Name) {
		return r
	}
	return one(emptyVal(types.Type(ta.Name)))
}

// join concatenates string items in order; the empty collection gives ”.
func (e *emitter) join(x *plan.Call, sc *scope) val {
	sep := Expr(&Str{V: ""})
	if len(x.Args) > 0 && x.Args[0] != nil {
		sep = e.text(e.scalar(x.Args[0], sc))
	}
	r := e.compile(x.X, sc)
	// An empty input joins to empty (NULL), not '': STRING_AGG over no
	// rows is NULL, as FHIRPath wants.
	if r.many == nil {
		return val{x: e.text(r.one), sh: shStr, t: types.String}
	}
	c := e.bindItem(r.many)
	var os []Order
	for _, o := range c.ord {
		os = append(os, Order{X: o})
	}
	agg := e.d.StringAgg(&Cast{X: e.text(c.item), Typ: e.d.TypeName(TTextMax)}, sep, os)
	return val{x: &Sub{Q: c.query(Item{X: agg})}, sh: shStr, t: types.String, styp: e.d.TypeName(TTextMax)}
}

// referenceKey extracts the key (the id) a reference points to, from
// relative ("Patient/1"), absolute ("http://x/fhir/Patient/1") and versioned
// ("Patient/1/_history/2") forms; contained ("#c1") and other forms give
// empty, and so does a type other than typ when typ is given.
func (e *emitter) referenceKey(ref Expr, typ string) Expr {
	a1, a2, a3, a4, a5 := e.alias("k"), e.alias("k"), e.alias("k"), e.alias("k"), e.alias("k")
	col := func(t, n string) Expr { return &Col{Table: t, Name: n} }
	hist := &Str{V: "/_history/"}
	slash := &Str{V: "/"}
	let := func(alias string, items ...Item) *From {
		return &From{Join: CrossApply, Src: &Derived{Q: &Select{Items: items}}, Alias: alias}
	}
	// base: the reference without a version suffix.
	base := &Case{Whens: []When{{
		Cond: &Bin{Op: OpGt, X: e.d.Fn(FnIndexOf, hist, col(a1, "ref")), Y: &Num{V: "0"}},
		Then: e.d.Fn(FnLeft, col(a1, "ref"), &Bin{Op: OpSub, X: e.d.Fn(FnIndexOf, hist, col(a1, "ref")), Y: &Num{V: "1"}}),
	}}, Else: col(a1, "ref")}
	// slash: the position of the last "/" counted from the end.
	slashPos := e.d.Fn(FnIndexOf, slash, e.d.Fn(FnReverse, col(a2, "base")))
	idLen := &Case{Whens: []When{{Cond: &Bin{Op: OpGt, X: col(a3, "slash"), Y: &Num{V: "1"}}, Then: &Bin{Op: OpSub, X: col(a3, "slash"), Y: &Num{V: "1"}}}}, Else: &Num{V: "0"}}
	rest := e.d.Fn(FnLeft, col(a2, "base"), &Bin{Op: OpSub, X: e.d.Fn(FnLength, col(a2, "base")), Y: col(a3, "slash")})
	// type: the segment before the id.
	typeName := e.d.Fn(FnRight, col(a4, "rest"), &Bin{Op: OpSub,
		X: e.d.Fn(FnIndexOf, slash, e.d.Fn(FnReverse, e.d.Fn(FnConcat, slash, col(a4, "rest")))),
		Y: &Num{V: "1"}})
	conds := []Expr{&Bin{Op: OpGt, X: col(a3, "slash"), Y: &Num{V: "1"}}, e.d.IsTypeName(col(a5, "type"))}
	if typ != "" {
		conds = append(conds, e.d.StringEq(col(a5, "type"), &Str{V: typ}))
	}
	first := let(a1, Item{X: ref, Alias: "ref"})
	first.Join = JoinNone
	q := &Select{
		Items: []Item{{X: &Case{Whens: []When{{Cond: and(conds...), Then: col(a4, "id")}}}}},
		From: []*From{
			first,
			let(a2, Item{X: base, Alias: "base"}),
			let(a3, Item{X: slashPos, Alias: "slash"}),
			let(a4, Item{X: e.d.Fn(FnRight, col(a2, "base"), idLen), Alias: "id"}, Item{X: rest, Alias: "rest"}),
			let(a5, Item{X: typeName, Alias: "type"}),
		},
	}
	return &Sub{Q: q}
}

// boundary is lowBoundary()/highBoundary() for decimals, dates, dateTimes and
// times, from the value's lexical precision.
func (e *emitter) boundary(x *plan.Call, v val, high bool) res {
	cl := classOf(v)
	if cl != cNum && cl != cDate && cl != cDateTime && cl != cTime || v.sh == shNum {
		return e.boundaryOf(x, v, high, e.text(v))
	}
	var r res
	out := e.let(e.text(v), func(s Expr) Expr {
		r = e.boundaryOf(x, v, high, s)
		return r.one.x
	})
	r.one.x = out
	return r
}

func (e *emitter) boundaryOf(x *plan.Call, v val, high bool, s Expr) res {
	cl := classOf(v)
	n := func(k string) Expr { return &Num{V: k} }
	str := func(k string) Expr { return &Str{V: k} }
	cat := func(xs ...Expr) Expr { return e.d.Fn(FnConcat, xs...) }
	length := e.d.Fn(FnLength, s)
	dateBound := func() Expr {
		if high {
			return &Case{Operand: length, Whens: []When{
				{Cond: n("4"), Then: cat(s, str("-12-31"))},
				{Cond: n("7"), Then: e.d.Fn(FnDateText, e.d.Fn(FnEndOfMonth, e.d.Fn(FnParseDate, cat(s, str("-01")))))},
			}, Else: s}
		}
		return &Case{Operand: length, Whens: []When{
			{Cond: n("4"), Then: cat(s, str("-01-01"))},
			{Cond: n("7"), Then: cat(s, str("-01"))},
		}, Else: s}
	}
	switch cl {
	case cNum:
		if v.sh == shNum {
			return one(v)
		}
		dot := e.d.Fn(FnIndexOf, str("."), s)
		digits := &Case{Whens: []When{{Cond: &Bin{Op: OpGt, X: dot, Y: n("0")}, Then: &Bin{Op: OpSub, X: length, Y: dot}}}, Else: n("0")}
		delta := e.d.ToNumber(cat(str("0."), e.d.Fn(FnReplicate, str("0"), digits), str("5")), false)
		op := OpSub
		if high {
			op = OpAdd
		}
		return one(val{x: &Bin{Op: op, X: e.d.ToNumber(s, false), Y: delta}, sh: shNum, t: types.Decimal})
	case cDate:
		return one(val{x: dateBound(), sh: shText, t: v.t, styp: e.d.TypeName(TText)})
	case cDateTime:
		frac, tz, clock := ".000", "+14:00", "T00:00:00.000"
		if high {
			frac, tz, clock = ".999", "-12:00", "T23:59:59.999"
		}
		withTime := &Case{Whens: []When{{
			Cond: &Bin{Op: OpEq, X: e.d.Fn(FnSubstring, s, n("20"), n("1")), Y: str(".")},
			Then: s,
		}}, Else: cat(e.d.Fn(FnLeft, s, n("19")), str(frac), e.d.Fn(FnSubstring, s, n("20"), n("10")))}
		// CONCAT skips NULLs, so an empty input is tested first: without
		// it, nothing's boundary would be ".000".
		out := &Case{Whens: []When{
			{Cond: &IsNull{X: s}, Then: &Null{}},
			{Cond: &Bin{Op: OpLe, X: length, Y: n("10")}, Then: cat(dateBound(), str(clock+tz))},
		}, Else: withTime}
		return one(val{x: out, sh: shText, t: v.t, styp: e.d.TypeName(TText)})
	case cTime:
		pad := map[bool][3]string{false: {":00:00.000", ":00.000", ".000"}, true: {":59:59.999", ":59.999", ".999"}}[high]
		out := &Case{Operand: length, Whens: []When{
			{Cond: n("2"), Then: cat(s, str(pad[0]))},
			{Cond: n("5"), Then: cat(s, str(pad[1]))},
			{Cond: n("8"), Then: cat(s, str(pad[2]))},
		}, Else: s}
		return one(val{x: out, sh: shText, t: v.t, styp: e.d.TypeName(TText)})
	}
	return e.unsupported(x, "lowBoundary()/highBoundary() on a value of type "+quoteMsg(string(v.t)))
}
