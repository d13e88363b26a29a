package sql

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// A FHIRPath expression compiles to one of two forms:
//
//   - a scalar (val): one SQL expression, NULL standing for the empty
//     collection, used whenever the plan says the expression yields at most
//     one value;
//   - a collection (coll): the pieces of a correlated query — a FROM chain of
//     JSON array expansions (CROSS APPLY), filters, the per-row item and the
//     ordinals that give FHIRPath's order — which consumers close with
//     EXISTS, TOP (1) ... ORDER BY, STRING_AGG ... WITHIN GROUP, COUNT, or
//     a derived table for forEach.
//
// Whether a step expands an array is decided by plan.Field.Array (from the
// catalog), never by the element's name.

// shape says how a value is represented in SQL.
type shape int

const (
	shJSON shape = iota // JSON text of an object (or array)
	shText              // text of a JSON primitive: unescaped string, number lexeme, true/false
	shAny               // text of a JSON value of unknown kind (choice members); isStr tells strings
	shPred              // a predicate (T-SQL has no boolean values)
	shBit               // a boolean as the integer 1/0
	shNum               // a computed number
	shStr               // a computed string (literal, join, concatenation)
)

// val is a scalar. A JSON navigation is kept lazy (base + path) so that
// consecutive object steps become one path ('$."period"."start"') and the
// choice of accessor (JSON_VALUE, JSON_QUERY, OPENJSON WITH) is made once, at
// the end.
type val struct {
	x     Expr     // the materialized expression; nil while lazy
	base  Expr     // lazy: the JSON document
	path  []string // lazy: the keys below base
	prim  bool     // lazy: the path ends at a primitive
	long  bool     // lazy: the primitive may exceed the cheap accessor's limit
	sh    shape
	t     types.Type // FHIR type ("HumanName", "code") or System type
	isStr Expr       // shAny: predicate "the value is a JSON string"
	styp  string     // natural SQL type when known
	// picked marks a scalar subquery that selects one row of a collection
	// (first(), last(), a subscript), into which further steps can be
	// pushed: name.first().family reads family inside the subquery.
	picked bool
	// scalars marks a shAny item of a concatenation whose operands were
	// strings, numbers and booleans only: isStr tells strings, and other
	// items are JSON number or boolean text, so items can be compared.
	scalars bool
}

func (v val) lazy() bool { return v.x == nil && v.base != nil }

// coll is a collection: SELECT item FROM from WHERE where ORDER BY ord.
type coll struct {
	from  []*From
	where []Expr
	item  val
	ord   []Expr
	// atMostOne marks collections that cannot hold two items (a subscript,
	// a choice element), which need no several-values check.
	atMostOne bool
}

func (c *coll) clone() *coll {
	n := *c
	n.from = append([]*From(nil), c.from...)
	n.where = append([]Expr(nil), c.where...)
	n.ord = append([]Expr(nil), c.ord...)
	return &n
}

func (c *coll) add(src Source, alias string) {
	join := CrossApply
	if len(c.from) == 0 {
		join = JoinNone
	}
	c.from = append(c.from, &From{Join: join, Src: src, Alias: alias})
}

func (c *coll) query(items ...Item) *Select {
	return &Select{Items: items, From: c.from, Where: c.where}
}

// res is a compiled expression: a scalar, or a collection when many != nil.
type res struct {
	one  val
	many *coll
}

func one(v val) res { return res{one: v} }

func emptyVal(t types.Type) val { return val{x: &Null{}, sh: shText, t: t} }

func (e *emitter) unsupported(x plan.Expr, what string) res {
	e.report(errUnsupportedExpr(e.v.File, x.Span(), what, e.d.Name()))
	return one(emptyVal(x.Type().Type))
}

// mat materializes a lazy navigation with the accessor its type needs.
func (e *emitter) mat(v val) val {
	if v.x != nil {
		return v
	}
	if v.base == nil {
		v.x = &Null{}
		return v
	}
	if v.prim {
		v.x = e.read(v.base, v.path, v.long)
		v.sh = shText
		v.styp = e.d.TypeName(TText)
		if v.long {
			v.styp = e.d.TypeName(TTextMax)
		}
	} else {
		v.x = e.query(v.base, v.path)
		v.sh = shJSON
		v.styp = e.d.TypeName(TTextMax)
	}
	v.base, v.path = nil, nil
	return v
}

// asValue materializes v and turns a predicate into a 1/0 value, so it can
// be selected, aggregated or stored.
func (e *emitter) asValue(v val) val {
	v = e.mat(v)
	if v.sh == shPred {
		v.x = e.boolValue(v.x)
		v.sh = shBit
		v.styp = e.d.TypeName(TInt)
	}
	return v
}

// boolValue turns a predicate into 1/0/NULL.
func (e *emitter) boolValue(p Expr) Expr {
	if v, ok := e.bitOf(p); ok {
		return v
	}
	return e.d.BoolValue(p, twoValued(p))
}

// bitPred is the predicate v = 1 on a value v that is 1, 0 or NULL, whose
// value boolValue then takes as v instead of testing the predicate twice.
func (e *emitter) bitPred(v Expr) Expr {
	p := &Bin{Op: OpEq, X: v, Y: &Num{V: "1"}}
	if e.bits == nil {
		e.bits = map[*Bin]Expr{}
	}
	e.bits[p] = v
	return p
}

// bitOf is the 1/0/NULL value of a predicate made by bitPred, or of its
// negation.
func (e *emitter) bitOf(p Expr) (Expr, bool) {
	switch p := p.(type) {
	case *Bin:
		v, ok := e.bits[p]
		return v, ok
	case *Not:
		if v, ok := e.bitOf(p.X); ok {
			return &Case{Operand: v, Whens: []When{{Cond: &Num{V: "1"}, Then: &Num{V: "0"}}, {Cond: &Num{V: "0"}, Then: &Num{V: "1"}}}}, true
		}
	}
	return nil, false
}

// twoValued reports whether a predicate can never be unknown.
func twoValued(p Expr) bool {
	switch p := p.(type) {
	case *Exists:
		return true
	case *IsNull:
		return true
	case *Not:
		return twoValued(p.X)
	case *Bin:
		return (p.Op == OpAnd || p.Op == OpOr) && twoValued(p.X) && twoValued(p.Y)
	}
	return false
}

// notTrue is "p is false or unknown".
func (e *emitter) notTrue(p Expr) Expr {
	if twoValued(p) {
		return &Not{X: p}
	}
	return &Bin{Op: OpEq, X: e.d.Fn(FnIfNull, e.boolValue(p), &Num{V: "0"}), Y: &Num{V: "0"}}
}

func neverNull(x Expr) bool {
	switch x.(type) {
	case *Str, *Num:
		return true
	}
	return false
}

// fin closes a collection's lazy item: the path is materialized and rows
// where it is absent are dropped (FHIRPath collections hold no nulls).
func (e *emitter) fin(c *coll) *coll {
	if !c.item.lazy() && c.item.sh != shPred {
		return c
	}
	n := c.clone()
	wasLazy := c.item.lazy()
	n.item = e.asValue(c.item)
	if wasLazy {
		n.where = append(n.where, &IsNull{X: n.item.x, Not: true})
	}
	return n
}

// lift turns a scalar into a collection of zero or one item.
func (e *emitter) lift(v val) *coll {
	if v.sh == shPred {
		v = e.asValue(v)
	}
	c := &coll{item: v, atMostOne: true}
	// The resource itself is never empty once the resourceType filter holds.
	if !v.lazy() && !neverNull(v.x) && v.x != e.rootDoc {
		c.where = []Expr{&IsNull{X: v.x, Not: true}}
	}
	return c
}

// bindItem gives an item that contains a subquery a column of its own
// (CROSS APPLY (SELECT item AS [v])), because T-SQL cannot aggregate an
// expression containing a subquery (error 130): MAX, STRING_AGG.
func (e *emitter) bindItem(c *coll) *coll {
	c = e.fin(c)
	if simple(c.item.x) && !hasSub(c.item.x) {
		return c
	}
	alias := e.alias("b")
	n := c.clone()
	n.add(&Derived{Q: &Select{Items: []Item{{X: c.item.x, Alias: "v"}}}}, alias)
	n.item.x = &Col{Table: alias, Name: "v"}
	return n
}

func hasSub(x Expr) bool {
	found := false
	walkExpr(x, func(n Expr) {
		switch n.(type) {
		case *Sub, *Exists:
			found = true
		}
	})
	return found
}

// flatMap applies a step to every item of a collection and flattens: the
// step's own array expansions join the chain as further CROSS APPLYs, and
// their ordinals extend the order (outer item first).
func (e *emitter) flatMap(c *coll, step func(val) res) *coll {
	r := step(c.item)
	out := c.clone()
	out.atMostOne = false
	if r.many == nil {
		v := r.one
		if v.sh == shPred {
			v = e.asValue(v)
		}
		if !v.lazy() && hasSub(v.x) {
			// Give a computed item a column, so the filter below and
			// the consumers do not repeat its subquery.
			alias := e.alias("b")
			out.add(&Derived{Q: &Select{Items: []Item{{X: v.x, Alias: "v"}}}}, alias)
			v.x = &Col{Table: alias, Name: "v"}
		}
		out.item = v
		if !v.lazy() && !neverNull(v.x) {
			out.where = append(out.where, &IsNull{X: v.x, Not: true})
		}
		out.atMostOne = c.atMostOne
		return out
	}
	in := r.many
	for i, f := range in.from {
		join := f.Join
		if i == 0 {
			join = CrossApply
			if len(out.from) == 0 {
				join = JoinNone
			}
		}
		out.from = append(out.from, &From{Join: join, Src: f.Src, Alias: f.Alias})
	}
	out.where = append(out.where, in.where...)
	out.ord = append(out.ord, in.ord...)
	out.item = in.item
	out.atMostOne = c.atMostOne && in.atMostOne
	return out
}

// compile translates one plan expression.
func (e *emitter) compile(x plan.Expr, sc *scope) res {
	if v, ok := e.shared[x]; ok {
		return one(v)
	}
	switch x := x.(type) {
	case nil:
		return one(emptyVal(""))
	case *plan.Lit:
		return e.lit(x)
	case *plan.Focus:
		return one(sc.focus)
	case *plan.Root:
		return one(sc.root)
	case *plan.RowIndex:
		return one(val{x: sc.rowIndex, sh: shNum, t: types.Integer, styp: e.d.TypeName(TInt)})
	case *plan.IndexVar:
		if sc.index == nil {
			return e.unsupported(x, "$index outside where(), select(), exists() and all()")
		}
		return one(val{x: sc.index, sh: shNum, t: types.Integer, styp: e.d.TypeName(TInt)})
	case *plan.TotalVar:
		return e.unsupported(x, "$total")
	case *plan.Field:
		return e.navigate(x.X, sc, func(v val) res { return e.field(v, x) })
	case *plan.Choice:
		return e.navigate(x.X, sc, func(v val) res { return e.choice(v, x) })
	case *plan.Call:
		return e.call(x, sc)
	case *plan.Unary:
		v := e.scalar(x.X, sc)
		if x.Op == "-" {
			return one(val{x: &Neg{X: e.number(v, isInteger(v))}, sh: shNum, t: v.t})
		}
		return one(v)
	case *plan.Binary:
		return e.binary(x, sc)
	case *plan.TypeOp:
		return e.typeOp(x, sc)
	case *plan.Subscript:
		return e.subscript(x, sc)
	case *plan.TypeArg:
		return e.unsupported(x, "a type name used as a value")
	}
	return e.unsupported(x, fmt.Sprintf("the expression %s", plan.ExprString(x)))
}

// navigate applies a step to the compiled receiver, item by item when it is
// a collection.
func (e *emitter) navigate(recv plan.Expr, sc *scope, step func(val) res) res {
	r := e.compile(recv, sc)
	if r.many == nil {
		return step(r.one)
	}
	return res{many: e.flatMap(r.many, step)}
}

// scalar compiles x to at most one value; a collection that turns out to
// hold several values fails the query with a message naming the context.
func (e *emitter) scalar(x plan.Expr, sc *scope) val {
	r := e.compile(x, sc)
	if r.many == nil {
		return r.one
	}
	return e.single(r.many, x, sc)
}

// coll compiles x to a collection.
func (e *emitter) coll(x plan.Expr, sc *scope) *coll {
	r := e.compile(x, sc)
	if r.many != nil {
		return r.many
	}
	return e.lift(r.one)
}

// pred compiles x to a predicate (FHIRPath empty = SQL UNKNOWN).
func (e *emitter) pred(x plan.Expr, sc *scope) Expr {
	return e.toPred(e.scalar(x, sc))
}

func (e *emitter) toPred(v val) Expr {
	v = e.mat(v)
	switch v.sh {
	case shPred:
		return v.x
	case shBit:
		return &Bin{Op: OpEq, X: v.x, Y: &Num{V: "1"}}
	case shText, shAny:
		if isBoolean(v) {
			return &Bin{Op: OpEq, X: v.x, Y: &Str{V: "true"}}
		}
	}
	// A value that is not a boolean is true when present (FHIRPath's
	// singleton evaluation) and unknown, not false, when empty: {} and
	// true is empty.
	if _, null := v.x.(*Null); null {
		return &Bin{Op: OpEq, X: &Null{}, Y: &Num{V: "1"}}
	}
	return &Bin{Op: OpEq, X: &Case{Whens: []When{{Cond: &IsNull{X: v.x, Not: true}, Then: &Num{V: "1"}}}}, Y: &Num{V: "1"}}
}

// bit turns a boolean value into 1/0/NULL.
func (e *emitter) bit(v val) Expr {
	v = e.mat(v)
	switch v.sh {
	case shBit:
		return v.x
	case shPred:
		return e.boolValue(v.x)
	case shText, shAny:
		return &Case{Operand: v.x, Whens: []When{{Cond: &Str{V: "true"}, Then: &Num{V: "1"}}, {Cond: &Str{V: "false"}, Then: &Num{V: "0"}}}}
	}
	return &Case{Whens: []When{{Cond: &IsNull{X: v.x, Not: true}, Then: &Num{V: "1"}}}}
}

// number reads v as a number; JSON number text goes through the dialect's
// safe conversion (never a lexical comparison, never an overflow error).
func (e *emitter) number(v val, integer bool) Expr {
	v = e.asValue(v)
	switch v.sh {
	case shNum, shBit:
		return v.x
	}
	return inside(v.x, func(x Expr) Expr { return e.d.ToNumber(x, integer) })
}

// let evaluates x once for an expression f that names it several times:
// simple expressions are repeated as they are, a scalar subquery takes f
// inside it, anything else is bound in a one-row derived table.
func (e *emitter) let(x Expr, f func(Expr) Expr) Expr {
	switch x.(type) {
	case *Col, *Str, *Num, *Null, *Var, *ASCII:
		return f(x)
	case *Sub:
		return inside(x, f)
	}
	return e.bindWhole(x, f)
}

// bindWhole is let without looking into a scalar subquery: anything but a
// simple expression is bound in a one-row derived table.
func (e *emitter) bindWhole(x Expr, f func(Expr) Expr) Expr {
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

// predOn builds a predicate that names s several times, evaluating s once
// when it is not a simple expression.
func (e *emitter) predOn(s Expr, f func(Expr) Expr) Expr {
	switch s.(type) {
	case *Col, *Str, *Num, *Null, *Var, *ASCII:
		return f(s)
	}
	return &Bin{Op: OpEq, X: e.let(s, func(s Expr) Expr { return e.boolValue(f(s)) }), Y: &Num{V: "1"}}
}

// inside applies a conversion to a scalar subquery's single item instead of
// around the subquery, so a conversion that names its input twice does not
// copy the subquery. Equivalent because f(NULL) is NULL for every f used.
func inside(x Expr, f func(Expr) Expr) Expr {
	sub, ok := x.(*Sub)
	if !ok {
		return f(x)
	}
	s, ok := sub.Q.(*Select)
	if !ok || len(s.Items) != 1 {
		return f(x)
	}
	n := *s
	n.Items = []Item{{X: f(s.Items[0].X), Alias: s.Items[0].Alias}}
	return &Sub{Q: &n}
}

// text reads v as a string.
func (e *emitter) text(v val) Expr {
	v = e.asValue(v)
	switch v.sh {
	case shNum:
		return &Cast{X: v.x, Typ: e.d.TypeName(TText)}
	case shBit:
		return &Case{Operand: v.x, Whens: []When{{Cond: &Num{V: "1"}, Then: &Str{V: "true"}}, {Cond: &Num{V: "0"}, Then: &Str{V: "false"}}}}
	}
	return v.x
}

func (e *emitter) lit(x *plan.Lit) res {
	t := x.Type().Type
	switch x.Kind {
	case plan.Empty:
		return one(emptyVal(t))
	case plan.Bool:
		n := "0"
		if x.Value == "true" {
			n = "1"
		}
		return one(val{x: &Num{V: n}, sh: shBit, t: types.Boolean})
	case plan.String:
		return one(val{x: &Str{V: x.Value}, sh: shStr, t: types.String})
	case plan.Integer, plan.Long, plan.Decimal:
		if !ValidNumber(x.Value) {
			return e.unsupported(x, fmt.Sprintf("the number %q", x.Value))
		}
		st := types.Decimal
		if x.Kind == plan.Integer {
			st = types.Integer
		} else if x.Kind == plan.Long {
			st = types.Long
		}
		return one(val{x: &Num{V: x.Value}, sh: shNum, t: st})
	case plan.Date:
		return one(val{x: &Str{V: x.Value}, sh: shText, t: types.Date})
	case plan.DateTime:
		return one(val{x: &Str{V: x.Value}, sh: shText, t: types.DateTime})
	case plan.Time:
		return one(val{x: &Str{V: x.Value}, sh: shText, t: types.Time})
	}
	return e.unsupported(x, "a quantity literal")
}

// objectBase returns the JSON document and path of an object value, or
// ok=false when v cannot have children (a primitive).
func (e *emitter) objectBase(v val) (base Expr, path []string, ok bool) {
	if v.lazy() {
		if v.prim {
			return nil, nil, false
		}
		return v.base, v.path, true
	}
	switch v.sh {
	case shJSON:
		if _, isNull := v.x.(*Null); isNull {
			return nil, nil, false
		}
		return v.x, nil, true
	case shAny:
		// A choice member may be a primitive: never hand non-JSON text to
		// a JSON function (T-SQL raises an error on it).
		return &Case{Whens: []When{{Cond: &Bin{Op: OpEq, X: e.d.Fn(FnIsJSON, v.x), Y: &Num{V: "1"}}, Then: v.x}}}, nil, true
	}
	return nil, nil, false
}

func appendPath(path []string, key string) []string {
	out := make([]string, 0, len(path)+1)
	out = append(out, path...)
	return append(out, key)
}

// field navigates to one child element.
func (e *emitter) field(v val, f *plan.Field) res {
	t := f.Type().Type
	if v.picked && !f.Array && (v.sh == shJSON || v.sh == shAny) {
		var out val
		x := inside(v.x, func(item Expr) Expr {
			inner := v
			inner.x, inner.picked = item, false
			r := e.field(inner, f)
			out = e.mat(r.one)
			return out.x
		})
		out.x, out.picked = x, true
		return one(out)
	}
	var pre []*From
	base, path, ok := e.objectBase(v)
	if v.picked && f.Array && v.sh == shJSON && e.propReaders() {
		// An array of a picked object (name.first().given): the pick reads
		// the array's text through the object's property reader, and a
		// column of its own holds it, so the pick runs once rather than in
		// both the array test and the expansion.
		arr := inside(v.x, func(item Expr) Expr { return e.query(item, []string{f.Key}) })
		b := e.alias("b")
		pre = []*From{{Src: &Derived{Q: &Select{Items: []Item{{X: arr, Alias: "v"}}}}, Alias: b}}
		base, path, ok = &Col{Table: b, Name: "v"}, nil, true
	}
	if !ok {
		return one(emptyVal(t))
	}
	full := appendPath(path, f.Key)
	if f.Array {
		alias := e.alias("j")
		var src Source
		var cols EachCols
		if pre != nil {
			src, cols = e.d.JSONEach(base, nil, alias)
		} else {
			src, cols = e.each(base, full, alias)
		}
		sh := shJSON
		if f.Primitive {
			sh = shText
		}
		from := []*From{{Src: src, Alias: alias}}
		if pre != nil {
			from = append(pre, &From{Join: CrossApply, Src: src, Alias: alias})
		}
		x := cols.Value
		if !f.Primitive {
			x = cols.Obj
			if h := e.hoist(x); h != nil {
				from = append(from, h)
			}
		}
		// An element whose JSON kind does not fit its FHIR type (a string
		// in a list of HumanName, an object or array in a list of string,
		// null) is absent: not counted, no row, not numbered (docs/input.md).
		present := cols.IsObj
		if f.Primitive {
			present = cols.IsScalar
		}
		return res{many: &coll{
			from:  from,
			where: []Expr{present},
			item:  val{x: x, sh: sh, t: t, isStr: cols.IsStr, styp: e.d.TypeName(TTextMax)},
			ord:   []Expr{cols.Ord},
		}}
	}
	sh := shJSON
	if f.Primitive {
		sh = shText
	}
	return one(val{base: base, path: full, prim: f.Primitive, long: maybeLong(t), sh: sh, t: t})
}

// choice reads an unqualified choice element (value[x]): whichever of its
// typed keys is present.
func (e *emitter) choice(v val, ch *plan.Choice) res {
	if len(ch.Keys) == 1 {
		k := ch.Keys[0]
		return e.field(v, &plan.Field{Base: plan.Base{T: types.Info{Type: k.Type, Many: k.Array}, Sp: ch.Sp}, Key: k.Key, Array: k.Array, Primitive: k.Primitive})
	}
	base, path, ok := e.objectBase(v)
	if !ok {
		return one(emptyVal(ch.Type().Type))
	}
	obj := base
	if len(path) > 0 {
		obj = e.query(base, path)
	}
	alias := e.alias("c")
	src, cols := e.d.JSONMembers(obj, alias)
	var keys []Expr
	for _, k := range ch.Keys {
		keys = append(keys, &Str{V: k.Key})
	}
	c := &coll{
		from:      []*From{{Src: src, Alias: alias}},
		where:     []Expr{&In{X: cols.Key, List: keys}, cols.NotNull},
		item:      val{x: cols.Value, sh: shAny, t: ch.Type().Type, isStr: cols.IsStr, styp: e.d.TypeName(TTextMax)},
		atMostOne: true,
	}
	return res{many: c}
}

// single reduces a collection to one value; several values fail the query
// with a message naming where it happened (the spec's SHALL for
// non-collection columns). The failure is a conversion error whose text
// carries the message, because T-SQL has no RAISERROR inside a query.
func (e *emitter) single(c *coll, x plan.Expr, sc *scope) val {
	c = e.fin(c)
	if c.atMostOne || len(c.from) == 0 {
		return e.first(c, false)
	}
	c = e.bindItem(c)
	count := e.d.Fn(FnCount, &Star{})
	msg := e.d.Fn(FnConcat,
		&Str{V: "fhirql: " + sc.what + " has "},
		count,
		&Str{V: " values where at most one is allowed: " + e.sourceText(x)})
	typ := e.d.TypeName(TTextMax)
	switch c.item.sh {
	case shBit:
		typ = e.d.TypeName(TInt)
	case shNum:
		typ = e.d.TypeName(TDecimal)
	}
	agg := &Case{
		Whens: []When{{Cond: &Bin{Op: OpGt, X: count, Y: &Num{V: "1"}}, Then: e.d.Fail(msg, typ)}},
		Else:  e.d.Fn(FnMax, c.item.x),
	}
	v := c.item
	v.x = &Sub{Q: c.query(Item{X: agg})}
	v.isStr = nil
	return v
}

// first is the first (or, with desc, the last) item in FHIRPath order.
func (e *emitter) first(c *coll, desc bool) val {
	c = e.fin(c)
	v := c.item
	v.isStr = nil
	if len(c.from) == 0 {
		var conds []Expr
		for _, w := range c.where {
			if isn, ok := w.(*IsNull); ok && isn.Not && isn.X == v.x {
				continue
			}
			conds = append(conds, w)
		}
		if len(conds) > 0 {
			v.x = &Case{Whens: []When{{Cond: and(conds...), Then: v.x}}}
		}
		return v
	}
	q := c.query(Item{X: v.x})
	if !c.atMostOne || len(c.ord) > 0 {
		q.Top = &Num{V: "1"}
		for _, o := range c.ord {
			q.OrderBy = append(q.OrderBy, Order{X: o, Desc: desc})
		}
	}
	v.x = &Sub{Q: q}
	v.picked = true
	return v
}

// exists is true when the collection has an item.
func (e *emitter) exists(c *coll) Expr {
	c = e.fin(c)
	if len(c.from) == 0 {
		if len(c.where) == 0 {
			return &Bin{Op: OpEq, X: &Num{V: "1"}, Y: &Num{V: "1"}}
		}
		return and(c.where...)
	}
	return &Exists{Q: c.query(Item{X: &Num{V: "1"}})}
}

// seal wraps a collection in a derived table that numbers its items
// (0-based, in FHIRPath order), for positional functions.
func (e *emitter) seal(c *coll) (*coll, Expr) {
	c = e.fin(c)
	alias := e.alias("d")
	sel := c.query(Item{X: c.item.x, Alias: "value"})
	item := c.item
	item.x = &Col{Table: alias, Name: "value"}
	item.isStr = nil
	if c.item.isStr != nil && c.item.sh == shAny {
		sel.Items = append(sel.Items, Item{X: e.boolValue(c.item.isStr), Alias: "is_string"})
		item.isStr = &Bin{Op: OpEq, X: &Col{Table: alias, Name: "is_string"}, Y: &Num{V: "1"}}
	}
	sel.Items = append(sel.Items, Item{X: e.rowNumber(c.ord), Alias: "position"})
	pos := &Col{Table: alias, Name: "position"}
	from := []*From{{Src: &Derived{Q: sel}, Alias: alias}}
	if item.sh == shJSON {
		if h := e.hoist(item.x); h != nil {
			from = append(from, h)
		}
	}
	return &coll{from: from, item: item, ord: []Expr{pos}}, pos
}

// sourceText is an expression as the view wrote it, for runtime messages.
func (e *emitter) sourceText(x plan.Expr) string {
	if f := e.v.File; f != nil {
		sp := x.Span()
		if sp.End > sp.Start && int(sp.End) <= len(f.Text) {
			return f.Text[sp.Start:sp.End]
		}
	}
	return plan.ExprString(x)
}

func (e *emitter) subscript(x *plan.Subscript, sc *scope) res {
	c := e.coll(x.X, sc)
	idx := e.number(e.scalar(x.Index, sc), true)
	sealed, pos := e.seal(c)
	sealed.where = append(sealed.where, &Bin{Op: OpEq, X: pos, Y: idx})
	sealed.atMostOne = true
	return res{many: sealed}
}

func and(xs ...Expr) Expr {
	if len(xs) == 0 {
		return &Bin{Op: OpEq, X: &Num{V: "1"}, Y: &Num{V: "1"}}
	}
	out := xs[0]
	for _, x := range xs[1:] {
		out = &Bin{Op: OpAnd, X: out, Y: x}
	}
	return out
}

func or(xs ...Expr) Expr {
	out := xs[0]
	for _, x := range xs[1:] {
		out = &Bin{Op: OpOr, X: out, Y: x}
	}
	return out
}

// Type classes for comparisons.
type class int

const (
	cUnknown class = iota
	cBool
	cNum
	cString
	cDate
	cDateTime
	cTime
	cComplex
)

func sysType(t types.Type) types.Type { return types.Primitive(string(t)) }

func classOf(v val) class {
	switch v.sh {
	case shPred, shBit:
		return cBool
	case shStr:
		return cString
	case shNum:
		return cNum
	}
	switch sysType(v.t) {
	case types.Boolean:
		return cBool
	case types.Integer, types.Long, types.Decimal:
		return cNum
	case types.String:
		return cString
	case types.Date:
		return cDate
	case types.DateTime:
		return cDateTime
	case types.Time:
		return cTime
	case types.Quantity:
		return cComplex
	case "", types.Any:
		return cUnknown
	}
	if v.sh == shJSON {
		return cComplex
	}
	if !types.IsPrimitiveName(string(v.t)) && !v.t.IsSystem() {
		return cComplex
	}
	return cUnknown
}

func isBoolean(v val) bool { return classOf(v) == cBool }

func isInteger(v val) bool {
	switch sysType(v.t) {
	case types.Integer, types.Long:
		return true
	}
	return false
}

// maybeLong says whether a primitive may exceed 4,000 characters: only
// types with a bounded lexical form are read with the cheap accessor.
func maybeLong(t types.Type) bool {
	switch string(t) {
	case "boolean", "integer", "positiveInt", "unsignedInt", "integer64", "decimal",
		"date", "dateTime", "instant", "time", "id", "oid", "uuid":
		return false
	}
	switch sysType(t) {
	case types.Boolean, types.Integer, types.Long, types.Decimal, types.Date, types.DateTime, types.Time:
		return false
	}
	return true
}

func (e *emitter) binary(b *plan.Binary, sc *scope) res {
	boolRes := func(x Expr) res { return one(val{x: x, sh: shPred, t: types.Boolean}) }
	switch b.Op {
	case "and", "or", "xor", "implies":
		p, q := e.pred(b.X, sc), e.pred(b.Y, sc)
		switch b.Op {
		case "and":
			return boolRes(&Bin{Op: OpAnd, X: p, Y: q})
		case "or":
			return boolRes(&Bin{Op: OpOr, X: p, Y: q})
		case "implies":
			return boolRes(&Bin{Op: OpOr, X: &Not{X: p}, Y: q})
		}
		return boolRes(or(&Bin{Op: OpAnd, X: p, Y: &Not{X: q}}, &Bin{Op: OpAnd, X: &Not{X: p}, Y: q}))
	case "=", "!=":
		return e.equality(b, sc)
	case "<", "<=", ">", ">=":
		x, y := e.scalar(b.X, sc), e.scalar(b.Y, sc)
		p := e.compare(b, b.Op, x, y)
		if p == nil {
			return one(emptyVal(types.Boolean))
		}
		return boolRes(p)
	case "+", "-", "*", "/", "div", "mod":
		return e.arith(b, sc)
	case "|":
		return e.combine(b, b.X, b.Y, true, sc, func(why string) {
			e.report(errUnsupportedOperator(e.v.File, b.Span(), b.Op, why, e.d.Name()))
		})
	case "&":
		x, y := e.scalar(b.X, sc), e.scalar(b.Y, sc)
		return one(val{x: e.d.Fn(FnConcat, e.text(x), e.text(y)), sh: shStr, t: types.String})
	case "in", "contains":
		item, set := b.X, b.Y
		if b.Op == "contains" {
			item, set = b.Y, b.X
		}
		v := e.asValue(e.scalar(item, sc))
		c := e.fin(e.coll(set, sc))
		eq := e.eq(b, c.item, v)
		if eq == nil {
			return one(emptyVal(types.Boolean))
		}
		m := c.clone()
		m.where = append(m.where, eq)
		// An empty item gives empty, not false (FHIRPath in/contains).
		p := &Bin{Op: OpEq, X: &Case{Whens: []When{
			{Cond: &IsNull{X: v.x}, Then: &Null{}},
			{Cond: e.exists(m), Then: &Num{V: "1"}},
		}, Else: &Num{V: "0"}}, Y: &Num{V: "1"}}
		return boolRes(p)
	}
	e.report(errUnsupportedOperator(e.v.File, b.Span(), b.Op, "", e.d.Name()))
	return one(emptyVal(b.Type().Type))
}

// equality is FHIRPath =/!=: a collection compared with one value is equal
// only when it holds exactly that one value; empty gives empty.
func (e *emitter) equality(b *plan.Binary, sc *scope) res {
	rx, ry := e.compile(b.X, sc), e.compile(b.Y, sc)
	if rx.many != nil && ry.many != nil && !(rx.many.atMostOne || ry.many.atMostOne) {
		e.report(errUnsupportedOperator(e.v.File, b.Span(), b.Op, "two collections", e.d.Name()))
		return one(emptyVal(types.Boolean))
	}
	if ry.many != nil && !ry.many.atMostOne {
		rx, ry = ry, rx
	}
	var p Expr
	if rx.many != nil && !rx.many.atMostOne {
		// (SELECT CASE WHEN COUNT(*) = 0 THEN NULL WHEN COUNT(*) > 1 THEN 0
		//         WHEN item = v THEN 1 ELSE 0 END FROM ...) = 1
		c := e.bindItem(rx.many)
		v := e.asValue(ry.one)
		if p := e.temporalCollEq(b, c, v); p != nil {
			if b.Op == "!=" {
				p = &Not{X: p}
			}
			return one(val{x: p, sh: shPred, t: types.Boolean})
		}
		count := e.d.Fn(FnCount, &Star{})
		itemAgg := c.item
		itemAgg.x = e.d.Fn(FnMax, c.item.x)
		itemAgg.isStr = nil
		eq := e.eq(b, itemAgg, v)
		if eq == nil {
			return one(emptyVal(types.Boolean))
		}
		agg := &Case{Whens: []When{
			{Cond: or(&Bin{Op: OpEq, X: count, Y: &Num{V: "0"}}, &IsNull{X: v.x}), Then: &Null{}},
			{Cond: &Bin{Op: OpGt, X: count, Y: &Num{V: "1"}}, Then: &Num{V: "0"}},
			{Cond: eq, Then: &Num{V: "1"}},
		}, Else: &Num{V: "0"}}
		p = &Bin{Op: OpEq, X: &Sub{Q: c.query(Item{X: agg})}, Y: &Num{V: "1"}}
	} else {
		x, y := e.resScalar(rx, b.X, sc), e.resScalar(ry, b.Y, sc)
		p = e.eq(b, x, y)
		if p == nil {
			return one(emptyVal(types.Boolean))
		}
	}
	if b.Op == "!=" {
		p = &Not{X: p}
	}
	return one(val{x: p, sh: shPred, t: types.Boolean})
}

// temporalCollEq is equality for a collection of dates, dateTimes or
// times against one value (nil for other types), whose answer for the only
// item may be unknown (different precisions): the count and the item are
// aggregated in a derived table and compared outside it, so that no
// aggregate sits in the comparison's subqueries.
func (e *emitter) temporalCollEq(b *plan.Binary, c *coll, v val) Expr {
	cx, cy := classOf(c.item), classOf(v)
	for _, cl := range []class{cx, cy} {
		if cl == cBool || cl == cNum || cl == cComplex {
			return nil
		}
	}
	if !isTemporal(cx) && !isTemporal(cy) {
		return nil
	}
	alias := e.alias("a")
	inner := c.query(Item{X: e.d.Fn(FnCount, &Star{}), Alias: "n"}, Item{X: e.d.Fn(FnMax, c.item.x), Alias: "v"})
	item := c.item
	item.x, item.isStr = &Col{Table: alias, Name: "v"}, nil
	eq := e.eq(b, item, v)
	n := &Col{Table: alias, Name: "n"}
	agg := &Case{Whens: []When{
		{Cond: or(&Bin{Op: OpEq, X: n, Y: &Num{V: "0"}}, &IsNull{X: v.x}), Then: &Null{}},
		{Cond: &Bin{Op: OpGt, X: n, Y: &Num{V: "1"}}, Then: &Num{V: "0"}},
	}, Else: e.boolValue(eq)}
	return e.bitPred(&Sub{Q: &Select{Items: []Item{{X: agg}}, From: []*From{{Src: &Derived{Q: inner}, Alias: alias}}}})
}

func (e *emitter) resScalar(r res, x plan.Expr, sc *scope) val {
	if r.many == nil {
		return r.one
	}
	return e.single(r.many, x, sc)
}

// eq is exact FHIRPath equality of two single values, by type class.
func (e *emitter) eq(b *plan.Binary, x, y val) Expr {
	cx, cy := classOf(x), classOf(y)
	cl := cx
	if cl == cUnknown {
		cl = cy
	}
	if cx == cComplex || cy == cComplex {
		e.report(errUnsupportedOperator(e.v.File, b.Span(), b.Op, "values of complex type "+quoteMsg(string(pick(x.t, y.t))), e.d.Name()))
		return nil
	}
	switch {
	case cx == cBool || cy == cBool:
		// A JSON boolean against a literal: compare the token.
		if lit, ok := y.x.(*Num); ok && y.sh == shBit && x.sh != shBit && x.sh != shPred {
			xv := e.mat(x)
			if xv.sh == shText || xv.sh == shAny {
				tok := "false"
				if lit.V == "1" {
					tok = "true"
				}
				return &Bin{Op: OpEq, X: xv.x, Y: &Str{V: tok}}
			}
		}
		return &Bin{Op: OpEq, X: e.bit(x), Y: e.bit(y)}
	case cl == cNum || cx == cNum && cy == cUnknown || cy == cNum:
		integer := isInteger(x) && isInteger(y)
		return &Bin{Op: OpEq, X: e.number(x, integer), Y: e.number(y, integer)}
	case isTemporal(cx) || isTemporal(cy):
		if isTemporal(cx) && isTemporal(cy) && (cx == cTime) != (cy == cTime) {
			// A time never equals a date or a dateTime; empty when
			// either is.
			present := and(&IsNull{X: e.text(x), Not: true}, &IsNull{X: e.text(y), Not: true})
			return &Bin{Op: OpEq, X: &Case{Whens: []When{{Cond: present, Then: numLit(0)}}}, Y: numLit(1)}
		}
		return e.temporalCmp(OpEq, e.text(x), e.text(y), cx == cTime || cy == cTime)
	}
	return e.d.StringEq(e.text(x), e.text(y))
}

func pick(a, b types.Type) types.Type {
	if a != "" {
		return a
	}
	return b
}

// compare is <, <=, >, >= on single values.
func (e *emitter) compare(b *plan.Binary, op string, x, y val) Expr {
	cx, cy := classOf(x), classOf(y)
	switch {
	case cx == cComplex || cy == cComplex || cx == cBool || cy == cBool:
		e.report(errUnsupportedOperator(e.v.File, b.Span(), op, "these operand types", e.d.Name()))
		return nil
	case cx == cNum || cy == cNum:
		integer := isInteger(x) && isInteger(y)
		return &Bin{Op: op, X: e.number(x, integer), Y: e.number(y, integer)}
	case isTemporal(cx) || isTemporal(cy):
		return e.temporalCmp(op, e.text(x), e.text(y), cx == cTime || cy == cTime)
	}
	return e.d.StringCmp(op, e.text(x), e.text(y))
}

func isTemporal(c class) bool { return c == cDate || c == cDateTime || c == cTime }

// length is a string's length, folded for literals whose characters are
// all in the Basic Multilingual Plane: there the engines' units agree
// (T-SQL counts UTF-16 units, DuckDB code points), so only they fold.
func (e *emitter) length(x Expr) Expr {
	if s, ok := x.(*Str); ok {
		if n := len(utf16.Encode([]rune(s.V))); n == utf8.RuneCountInString(s.V) {
			return &Num{V: fmt.Sprint(n)}
		}
	}
	return e.d.Fn(FnLength, x)
}

// divScale is the number of decimal places of a FHIRPath division (the
// runtime's maxDivScale).
const divScale = "8"

func (e *emitter) arith(b *plan.Binary, sc *scope) res {
	x, y := e.scalar(b.X, sc), e.scalar(b.Y, sc)
	cx, cy := classOf(x), classOf(y)
	if b.Op == "+" && (cx == cString || cy == cString) && cx != cNum && cy != cNum {
		return one(val{x: e.d.Fn(FnStrictConcat, e.text(x), e.text(y)), sh: shStr, t: types.String})
	}
	if (cx != cNum && cx != cUnknown) || (cy != cNum && cy != cUnknown) {
		e.report(errUnsupportedOperator(e.v.File, b.Span(), b.Op, "values of type "+quoteMsg(string(pick(x.t, y.t))), e.d.Name()))
		return one(emptyVal(b.Type().Type))
	}
	integer := isInteger(x) && isInteger(y)
	t := types.Decimal
	if integer {
		t = types.Integer
	}
	switch b.Op {
	case "+", "-", "*":
		op := map[string]string{"+": OpAdd, "-": OpSub, "*": OpMul}[b.Op]
		return one(val{x: &Bin{Op: op, X: e.number(x, integer), Y: e.number(y, integer)}, sh: shNum, t: t})
	case "/":
		// FHIRPath / is decimal division even on integers (3 / 2 = 1.5,
		// where SQL's / on two integers truncates); division by zero is empty.
		dec := func(v val) Expr {
			n := e.number(v, false)
			if isInteger(v) {
				n = &Cast{X: n, Typ: e.d.TypeName(TDecimal)}
			}
			return n
		}
		// The quotient keeps divScale places, rounded half away from zero, as
		// the runtime does, so every engine gives the same digits.
		q := &Bin{Op: OpDiv, X: dec(x), Y: e.d.Fn(FnNullIf, dec(y), &Num{V: "0"})}
		return one(val{x: e.d.Fn(FnRound, q, &Num{V: divScale}), sh: shNum, t: types.Decimal})
	case "div":
		q := &Bin{Op: OpDiv, X: e.number(x, integer), Y: e.d.Fn(FnNullIf, e.number(y, integer), &Num{V: "0"})}
		if integer {
			return one(val{x: q, sh: shNum, t: types.Integer})
		}
		return one(val{x: e.d.ToInt(q), sh: shNum, t: types.Integer})
	}
	return one(val{x: &Bin{Op: OpMod, X: e.number(x, integer), Y: e.d.Fn(FnNullIf, e.number(y, integer), &Num{V: "0"})}, sh: shNum, t: t})
}

// typeOp is `x is T` / `x as T`, decided from the static type (choice
// elements were resolved to their typed keys by lowering).
func (e *emitter) typeOp(x *plan.TypeOp, sc *scope) res {
	r := e.compile(x.X, sc)
	var t types.Type
	if r.many != nil {
		t = r.many.item.t
	} else {
		t = r.one.t
	}
	match := typeMatches(t, x.Name)
	if x.Op == "as" {
		if match {
			return r
		}
		return one(emptyVal(types.Type(x.Name)))
	}
	c := r.many
	if c == nil {
		c = e.lift(r.one)
	}
	if match {
		return one(val{x: e.exists(c), sh: shPred, t: types.Boolean})
	}
	return one(val{x: &Case{Whens: []When{{Cond: e.exists(c), Then: &Num{V: "0"}}}}, sh: shBit, t: types.Boolean})
}

func typeMatches(t types.Type, name string) bool {
	s := string(t)
	if s == name {
		return true
	}
	if strings.HasPrefix(s, "System.") && strings.TrimPrefix(s, "System.") == name {
		return true
	}
	return types.IsPrimitiveName(s) && types.Primitive(s) == types.Primitive(name) && strings.EqualFold(s, name)
}
