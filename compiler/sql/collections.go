package sql

import (
	"strconv"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/source"
)

// Combining collections: combine() and union() / | concatenate two
// collections (the argument is evaluated against the same focus as the
// call); union, distinct() and isDistinct() compare items with FHIRPath
// equality and keep the first of equal items.
//
// A concatenation is one correlated derived table: a UNION ALL of one
// SELECT per operand, each numbering its items (part, position), so the
// FHIRPath order is ORDER BY part, position. De-duplication keeps an item
// when no earlier item equals it (NOT EXISTS over a second copy of the
// numbered items), with the runtime's equality, which SQL's DISTINCT,
// GROUP BY and PARTITION BY do not give (T-SQL collations ignore case and
// trailing spaces; 1 and 1.0 must be one item; dateTimes compare as
// instants, and never equal at different precisions): strings, numbers and
// booleans through eq(), as the = operator; dates, dateTimes and times
// through sameTemporal. Only items of a primitive type are compared:
// FHIRPath compares objects member by member, which their JSON text does
// not.

// combine compiles x.combine(y), x.union(y) and x | y. A chain of unions
// is one concatenation de-duplicated once: (a | b) | c keeps the first of
// equal items of a, b, c as a | b | c does, and de-duplicating each level
// would copy the levels below it (exponential SQL).
func (e *emitter) combine(at plan.Expr, xs, ys plan.Expr, dedup bool, sc *scope, reject func(why string)) res {
	ops := []plan.Expr{xs, ys}
	if dedup {
		ops = unionOperands(ys, unionOperands(xs, nil))
	}
	var cs []*coll
	for _, o := range ops {
		cs = append(cs, e.fin(e.coll(o, sc)))
	}
	c := e.concat(cs, at.Type().Type)
	if !dedup {
		return res{many: c}
	}
	d, ok := e.dedup(c, at.Span(), reject)
	if !ok {
		return one(emptyVal(at.Type().Type))
	}
	return res{many: d}
}

// unionOperands appends the operands of a chain of unions (| and union()),
// left to right; all are evaluated on the same focus.
func unionOperands(x plan.Expr, out []plan.Expr) []plan.Expr {
	switch x := x.(type) {
	case *plan.Binary:
		if x.Op == "|" {
			return unionOperands(x.Y, unionOperands(x.X, out))
		}
	case *plan.Call:
		if x.Func != nil && x.Func.Name == "union" && len(x.Args) == 1 {
			return unionOperands(x.Args[0], unionOperands(x.X, out))
		}
	}
	return append(out, x)
}

// staticEmpty reports whether a collection is the empty literal {}.
func staticEmpty(c *coll) bool {
	_, null := c.item.x.(*Null)
	return null && len(c.from) == 0
}

// catItem is one operand's item as stored in the concatenation.
type catItem struct {
	x     Expr
	isStr Expr // shAny only: 1 when the item is a string, else 0
}

// concat is the items of each collection in turn, each in its own order.
func (e *emitter) concat(all []*coll, static types.Type) *coll {
	var cs []*coll
	for _, c := range all {
		if !staticEmpty(c) {
			cs = append(cs, c)
		}
	}
	switch len(cs) {
	case 0:
		return all[0]
	case 1:
		return cs[0]
	}
	vs := make([]val, len(cs))
	for i, c := range cs {
		vs[i] = c.item
	}
	items, proto := e.unify(vs, static)
	alias := e.alias("m")
	var qs []Query
	for i, c := range cs {
		sel := c.query(Item{X: items[i].x, Alias: "value"})
		if proto.sh == shAny {
			sel.Items = append(sel.Items, Item{X: items[i].isStr, Alias: "is_string"})
		}
		pos := Expr(&Num{V: "0"})
		if len(c.from) > 0 {
			pos = e.rowNumber(c.ord)
		}
		sel.Items = append(sel.Items, Item{X: &Num{V: strconv.Itoa(i)}, Alias: "part"}, Item{X: pos, Alias: "position"})
		qs = append(qs, sel)
	}
	item := proto
	item.x = &Col{Table: alias, Name: "value"}
	item.isStr = nil
	if proto.sh == shAny {
		item.isStr = &Bin{Op: OpEq, X: &Col{Table: alias, Name: "is_string"}, Y: &Num{V: "1"}}
	}
	out := &coll{
		from: []*From{{Src: &Derived{Q: &UnionAll{Queries: qs}}, Alias: alias}},
		item: item,
		ord:  []Expr{&Col{Table: alias, Name: "part"}, &Col{Table: alias, Name: "position"}},
	}
	if item.sh == shJSON {
		if h := e.hoist(item.x); h != nil {
			out.from = append(out.from, h)
		}
	}
	return out
}

// unify converts the operands' items to one SQL representation, so the
// UNION ALL has one column type: objects stay JSON text; items of one
// primitive class keep it (text, numbers, or 1/0 booleans); anything else
// becomes JSON-ish text with a string flag (shAny), as choice elements are.
func (e *emitter) unify(vs []val, static types.Type) ([]catItem, val) {
	out := make([]catItem, len(vs))
	for i := range vs {
		vs[i] = e.asValue(vs[i])
	}
	t := vs[0].t
	same := true
	for _, v := range vs[1:] {
		if v.t != t {
			same = false
		}
	}
	if !same {
		t = static
	}
	textMax := e.d.TypeName(TTextMax)
	allJSON, allShStr := true, true
	cl := classOf(vs[0])
	oneClass := true
	for _, v := range vs {
		if v.sh != shJSON {
			allJSON = false
		}
		if v.sh != shStr {
			allShStr = false
		}
		if v.sh == shAny || classOf(v) != cl {
			oneClass = false
		}
	}
	switch {
	case allJSON:
		for i, v := range vs {
			out[i] = catItem{x: v.x}
		}
		if t == "" {
			t = types.Any
		}
		return out, val{sh: shJSON, t: t, styp: textMax}
	case oneClass && (cl == cString || cl == cDate || cl == cDateTime || cl == cTime):
		for i, v := range vs {
			out[i] = catItem{x: &Cast{X: e.text(v), Typ: textMax}}
		}
		sh := shText
		if allShStr {
			sh = shStr
		}
		return out, val{sh: sh, t: classType(t, cl), styp: textMax}
	case oneClass && cl == cBool:
		for i, v := range vs {
			out[i] = catItem{x: e.bit(v)}
		}
		return out, val{sh: shBit, t: types.Boolean, styp: e.d.TypeName(TInt)}
	case oneClass && cl == cNum:
		integer, computed := true, false
		for _, v := range vs {
			if !isInteger(v) {
				integer = false
			}
			if _, lit := v.x.(*Num); v.sh == shNum && !lit {
				computed = true
			}
		}
		nt := types.Type(types.Decimal)
		if integer {
			nt = types.Integer
		}
		if !computed {
			// JSON number text and literals: keep the lexemes (the
			// runtime keeps them; join() and toString() show them).
			for i, v := range vs {
				x := v.x
				if n, lit := v.x.(*Num); lit && v.sh == shNum {
					x = &Str{V: n.V}
				}
				out[i] = catItem{x: &Cast{X: x, Typ: textMax}}
			}
			return out, val{sh: shText, t: classType(t, cNum, nt), styp: textMax}
		}
		typ := e.d.TypeName(TDecimal)
		if integer {
			typ = e.d.TypeName(TBigInt)
		}
		for i, v := range vs {
			out[i] = catItem{x: &Cast{X: e.number(v, integer), Typ: typ}}
		}
		return out, val{sh: shNum, t: nt}
	}
	// Mixed: JSON text for objects, numbers and booleans, plain text for
	// strings, and a flag that tells them apart.
	one, zero := &Num{V: "1"}, &Num{V: "0"}
	scalars := true
	for _, v := range vs {
		switch cl := classOf(v); {
		case v.sh == shAny:
			scalars = scalars && v.scalars
		case cl == cString, cl == cNum, cl == cBool:
			scalars = scalars && v.sh != shJSON
		default:
			scalars = false
		}
	}
	for i, v := range vs {
		var x, isStr Expr
		switch v.sh {
		case shJSON:
			x, isStr = v.x, zero
		case shAny:
			x = v.x
			if v.isStr != nil {
				isStr = e.d.BoolValue(v.isStr, false)
			} else {
				isStr = &Case{Whens: []When{{Cond: &Bin{Op: OpEq, X: e.d.Fn(FnIsJSON, v.x), Y: one}, Then: zero}}, Else: one}
			}
		case shBit:
			x, isStr = e.text(v), zero
		case shNum:
			if n, lit := v.x.(*Num); lit {
				x = &Str{V: n.V}
			} else {
				x = e.text(v)
			}
			isStr = zero
		default:
			x, isStr = v.x, one
			if c := classOf(v); c == cNum || c == cBool {
				isStr = zero
			}
		}
		out[i] = catItem{x: &Cast{X: x, Typ: textMax}, isStr: isStr}
	}
	if t == "" {
		t = types.Any
	}
	return out, val{sh: shAny, t: t, styp: textMax, scalars: scalars}
}

// classType is t when it is of class cl, else the System type of the class
// (fallback overrides it for numbers).
func classType(t types.Type, cl class, fallback ...types.Type) types.Type {
	if classOf(val{sh: shText, t: t}) == cl {
		return t
	}
	if len(fallback) > 0 {
		return fallback[0]
	}
	switch cl {
	case cDate:
		return types.Date
	case cDateTime:
		return types.DateTime
	case cTime:
		return types.Time
	case cBool:
		return types.Boolean
	case cNum:
		return types.Decimal
	}
	return types.String
}

// comparable reports whether items of v's representation can be compared
// with FHIRPath equality in SQL, and why not.
func comparableItems(v val) (string, bool) {
	if v.sh == shAny {
		if v.scalars {
			return "", true
		}
		return "values whose type is not known statically (an element without ofType(), or objects, dates or times mixed with other types)", false
	}
	switch classOf(v) {
	case cString, cNum, cBool, cDate, cDateTime, cTime:
		return "", true
	case cComplex:
		return "values of complex type " + quoteMsg(string(v.t)) + " (FHIRPath compares objects member by member, which their JSON text cannot)", false
	}
	return "values whose type is not known statically", false
}

// numbered is a collection's items with their 0-based position, as a query
// that can be instantiated under several aliases; dates, dateTimes and
// times also carry the parts their equality compares (temporalParts).
type numbered struct {
	q        *Select
	item     val
	temporal bool
}

func (e *emitter) numbered(c *coll) numbered {
	sel := c.query(Item{X: c.item.x, Alias: "value"})
	sel.Items = append(sel.Items, Item{X: e.rowNumber(c.ord), Alias: "position"})
	if c.item.scalars {
		sel.Items = append(sel.Items, Item{X: e.d.BoolValue(c.item.isStr, true), Alias: "is_string"})
	}
	n := numbered{q: sel, item: c.item}
	switch cl := classOf(c.item); cl {
	case cDate, cDateTime, cTime:
		n.q, n.temporal = e.temporalParts(sel, cl == cTime), true
	}
	return n
}

// at is the numbered items under an alias: the FROM item, the item and its
// position.
func (n numbered) at(alias string) (*From, val, Expr) {
	v := n.item
	v.x = &Col{Table: alias, Name: "value"}
	v.isStr = nil
	if v.scalars {
		v.isStr = &Bin{Op: OpEq, X: &Col{Table: alias, Name: "is_string"}, Y: &Num{V: "1"}}
	}
	v.picked = false
	return &From{Src: &Derived{Q: n.q}, Alias: alias}, v, &Col{Table: alias, Name: "position"}
}

// earlierEqual is the condition "an earlier item equals this one" for the
// item of alias at position pos of the numbered items.
func (e *emitter) earlierEqual(n numbered, alias string, v val, pos Expr, sp source.Span) Expr {
	qa := e.alias("q")
	src, w, wpos := n.at(qa)
	var eq Expr
	switch {
	case n.temporal:
		eq = e.sameTemporal(qa, alias, classOf(v) == cTime)
	case v.scalars:
		// Strings equal strings by text; numbers equal numbers by value
		// and booleans booleans by text; a string never equals a number
		// or a boolean, nor a number a boolean.
		isStr := func(t string, k string) Expr {
			return &Bin{Op: OpEq, X: &Col{Table: t, Name: "is_string"}, Y: &Num{V: k}}
		}
		texts := e.d.StringEq(w.x, v.x)
		eq = or(
			and(isStr(qa, "1"), isStr(alias, "1"), texts),
			and(isStr(qa, "0"), isStr(alias, "0"), or(&Bin{Op: OpEq, X: e.d.ToNumber(w.x, false), Y: e.d.ToNumber(v.x, false)}, texts)),
		)
	default:
		eq = e.eq(&plan.Binary{Base: plan.Base{Sp: sp}, Op: "="}, w, v)
	}
	return &Exists{Q: &Select{
		Items: []Item{{X: &Num{V: "1"}}},
		From:  []*From{src},
		Where: []Expr{&Bin{Op: OpLt, X: wpos, Y: pos}, eq},
	}}
}

// dedup keeps the first of every run of equal items, in order.
func (e *emitter) dedup(c *coll, sp source.Span, reject func(why string)) (*coll, bool) {
	c = e.fin(c)
	if c.atMostOne || staticEmpty(c) {
		return c, true
	}
	if why, ok := comparableItems(c.item); !ok {
		reject(why)
		return nil, false
	}
	n := e.numbered(c)
	alias := e.alias("d")
	src, v, pos := n.at(alias)
	return &coll{
		from:  []*From{src},
		where: []Expr{&Not{X: e.earlierEqual(n, alias, v, pos, sp)}},
		item:  v,
		ord:   []Expr{pos},
	}, true
}

// isDistinct is true when no item equals an earlier one (and for the empty
// collection).
func (e *emitter) isDistinct(c *coll, sp source.Span, reject func(why string)) (Expr, bool) {
	c = e.fin(c)
	if c.atMostOne || staticEmpty(c) {
		return &Bin{Op: OpEq, X: &Num{V: "1"}, Y: &Num{V: "1"}}, true
	}
	if why, ok := comparableItems(c.item); !ok {
		reject(why)
		return nil, false
	}
	n := e.numbered(c)
	alias := e.alias("d")
	src, v, pos := n.at(alias)
	dup := &Select{Items: []Item{{X: &Num{V: "1"}}}, From: []*From{src}, Where: []Expr{e.earlierEqual(n, alias, v, pos, sp)}}
	return &Exists{Not: true, Q: dup}, true
}
