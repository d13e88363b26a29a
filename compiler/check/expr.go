package check

import (
	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// maxDepth bounds recursion so that a pathological tree cannot exhaust the
// stack; deeper expressions are left untyped (the parser bounds them too).
const maxDepth = 1000

// expr types e in scope sc and records the result.
func (ch *checker) expr(e ast.Expr, sc *scope) types.Info {
	return ch.exprDepth(e, sc, 0)
}

func (ch *checker) exprDepth(e ast.Expr, sc *scope, depth int) types.Info {
	if e == nil || depth > maxDepth {
		return types.Info{}
	}
	t := ch.typeExpr(e, sc, depth+1)
	ch.c.types[e] = t
	return t
}

func (ch *checker) typeExpr(e ast.Expr, sc *scope, depth int) types.Info {
	r := sc.v.r
	switch e := e.(type) {
	case *ast.Literal:
		if e == nil {
			return types.Info{}
		}
		return types.One(literalType(e.Kind))
	case *ast.Paren:
		if e == nil {
			return types.Info{}
		}
		return ch.exprDepth(e.X, sc, depth)
	case *ast.This:
		if e == nil {
			return types.Info{}
		}
		ch.c.focus[e] = sc.focus
		return sc.focus
	case *ast.Special:
		if e == nil {
			return types.Info{}
		}
		if e.Name == "index" && sc.lambda {
			return types.One(types.Integer)
		}
		r.misplacedVariable(e.Sp, e.Name)
		return types.Info{}
	case *ast.Var:
		if e == nil {
			return types.Info{}
		}
		return ch.variable(e, sc)
	case *ast.Ident:
		if e == nil {
			return types.Info{}
		}
		ch.c.focus[e] = sc.focus
		if sc.v.resource != nil && e.Name == sc.v.resource.Name {
			ch.c.roots[e] = true
			return types.One(sc.v.resType)
		}
		return ch.step(e, nil, sc.focus, e.Name, e.Sp, sc)
	case *ast.Member:
		if e == nil {
			return types.Info{}
		}
		x := ch.exprDepth(e.X, sc, depth)
		return ch.step(e, e.X, x, e.Name, nameSpan(e.NameSpan, e.Sp), sc)
	case *ast.Call:
		if e == nil {
			return types.Info{}
		}
		return ch.call(e, sc, depth)
	case *ast.Index:
		if e == nil {
			return types.Info{}
		}
		x := ch.exprDepth(e.X, sc, depth)
		i := ch.exprDepth(e.Index, sc, depth)
		if s := systemOf(i.Type); s != types.Unknown && s != types.Any && s != types.Integer {
			r.indexType(e.Index.Span(), i)
		}
		if x.Type == types.Unknown {
			return types.Info{}
		}
		return types.One(x.Type)
	case *ast.Unary:
		if e == nil {
			return types.Info{}
		}
		x := ch.exprDepth(e.X, sc, depth)
		switch systemOf(x.Type) {
		case types.Unknown, types.Any:
			return types.Info{Type: x.Type}
		case types.Integer, types.Long, types.Decimal, types.Quantity:
			return types.One(x.Type)
		}
		r.unaryOperand(e.Sp, e.Op, x)
		return types.Info{}
	case *ast.Binary:
		if e == nil {
			return types.Info{}
		}
		return ch.binary(e, sc, depth)
	case *ast.TypeOp:
		if e == nil {
			return types.Info{}
		}
		x := ch.exprDepth(e.X, sc, depth)
		ref, ok := ch.resolveType(r, e.Type.Namespace, e.Type.Name, nameSpan(e.Type.Sp, e.Sp))
		if e.Op == "is" {
			if ok {
				ch.typeFilter(r, e, e.X, x, ref, nameSpan(e.Type.Sp, e.Sp), "is")
			}
			return types.One(types.Boolean)
		}
		if !ok {
			return types.Info{}
		}
		return ch.typeFilter(r, e, e.X, x, ref, nameSpan(e.Type.Sp, e.Sp), "as")
	case *ast.Bad:
		return types.Info{}
	}
	return types.Info{}
}

// variable resolves %name: a constant in scope first, then the variables
// FHIRPath and SQL on FHIR define.
func (ch *checker) variable(e *ast.Var, sc *scope) types.Info {
	if k, ok := sc.v.consts[e.Name]; ok {
		ch.c.consts[e] = k
		return ch.c.cinfo[k]
	}
	switch e.Name {
	case "rowIndex":
		return types.One(types.Integer)
	case "resource", "rootResource", "context":
		return types.One(sc.v.resType)
	case "ucum", "sct", "loinc":
		return types.One(types.String)
	}
	sc.v.r.undefinedConstant(e.Sp, e.Name, sc.v.names)
	return types.Info{}
}

// step types navigation to the element name of a receiver of type recv.
// node is the Ident or Member; recvNode the receiver expression (nil for
// the implicit focus).
func (ch *checker) step(node ast.Expr, recvNode ast.Expr, recv types.Info, name string, sp source.Span, sc *scope) types.Info {
	r := sc.v.r
	switch {
	case recv.Type == types.Unknown:
		return types.Info{}
	case recv.Type == types.Any:
		// An unresolved choice element: say which form to pick.
		var el *catalog.Element
		if recvNode != nil {
			el = ch.c.elems[unparen(recvNode)]
		}
		if el == nil || !el.Choice {
			r.anyNoElements(sp, name)
			return types.Info{}
		}
		var has []string
		for _, t := range el.Types {
			if ct := ch.cat.Type(t); ct != nil && ct.Element(name) != nil {
				has = append(has, t)
			}
		}
		only := ""
		if len(has) == 1 {
			only = has[0]
		}
		if len(has) > 0 || !r.json {
			r.choiceNoType(sp, el.Name, name, el.Types, only)
		} else {
			r.unknownElement(sp, el.Name+"[x]", name, nil, "", "")
			ch.c.empty[node] = true
		}
		return types.Info{}
	case recv.Type.IsSystem():
		r.noElements(sp, recv.Type, name)
		return types.Info{}
	}
	t := ch.cat.Type(string(recv.Type))
	if t == nil {
		return types.Info{}
	}
	var el *catalog.Element
	if !(t.Kind == catalog.Primitive && name == "value") {
		// FHIRPath reads a primitive's value as the item itself; its
		// StructureDefinition's "value" element is not navigable.
		el = t.Element(name)
	}
	if el == nil || name != el.Name {
		var candidates []string
		for _, c := range t.Elements {
			if !(t.Kind == catalog.Primitive && c.Name == "value") {
				candidates = append(candidates, c.Name)
			}
		}
		if recvNode == nil && sc.v.resource != nil && recv.Type == sc.v.resType {
			candidates = append(candidates, sc.v.resource.Name)
		}
		ce, ct := t.ChoiceElement(name)
		base := ""
		if ce != nil {
			base = ce.Name
		}
		r.unknownElement(sp, displayType(t), name, candidates, base, ct)
		if r.json {
			ch.c.empty[node] = true
		}
		return types.Info{}
	}
	ch.c.elems[node] = el
	delete(ch.c.empty, node) // a trial on another type (see repeat) may have set it
	return types.Info{Type: elementType(el), Many: recv.Many || el.Many()}
}

func displayType(t *catalog.Type) string { return t.Name }

// elementType is the type of one value of an element; Any for a choice
// element until ofType picks a form.
func elementType(el *catalog.Element) types.Type {
	if el.Choice || len(el.Types) == 0 {
		return types.Any
	}
	return types.Type(el.Types[0])
}

func unparen(e ast.Expr) ast.Expr {
	for i := 0; i < maxDepth; i++ {
		p, ok := e.(*ast.Paren)
		if !ok || p == nil {
			return e
		}
		e = p.X
	}
	return e
}

// argString lists the functions whose Value arguments are checked, and the
// System type each argument must have.
var argTypes = map[string][]types.Type{
	"join":           {types.String},
	"startsWith":     {types.String},
	"endsWith":       {types.String},
	"contains":       {types.String},
	"indexOf":        {types.String},
	"matches":        {types.String},
	"split":          {types.String},
	"replace":        {types.String, types.String},
	"replaceMatches": {types.String, types.String},
	"substring":      {types.Integer, types.Integer},
	"skip":           {types.Integer},
	"take":           {types.Integer},
	"round":          {types.Integer},
	"lowBoundary":    {types.Integer},
	"highBoundary":   {types.Integer},
	"extension":      {types.String},
	"toQuantity":     {types.String},
}

// criteria lists the functions whose lambda argument is a Boolean criterion.
var criteria = map[string]bool{"where": true, "exists": true, "all": true, "iif": true}

func (ch *checker) call(e *ast.Call, sc *scope, depth int) types.Info {
	r := sc.v.r
	var recv types.Info
	if e.X != nil {
		recv = ch.exprDepth(e.X, sc, depth)
	} else {
		recv = sc.focus
		ch.c.focus[e] = sc.focus
	}
	nsp := nameSpan(e.NameSpan, e.Sp)
	f := funcs.Lookup(e.Name)
	if f == nil {
		r.unknownFunction(nsp, e.Name, funcs.Names())
		return types.Info{}
	}
	ch.c.funcs[e] = f
	if n := len(e.Args); n < f.MinArgs || n > f.MaxArgs() {
		r.argCount(nsp, e.Name, n, f.MinArgs, f.MaxArgs(), f.Signature)
	}
	args := make([]types.Info, f.MaxArgs())
	var typeArg *TypeRef
	var typeArgSp source.Span
	for i, a := range e.Args {
		if i >= f.MaxArgs() || a == nil {
			break
		}
		switch f.Args[i] {
		case funcs.Value:
			args[i] = ch.exprDepth(a, sc, depth)
			if want := argTypes[e.Name]; i < len(want) {
				if got := systemOf(args[i].Type); got != types.Unknown && got != types.Any && got != want[i] {
					r.argType(a.Span(), e.Name, i, article(want[i]), args[i])
				}
			}
		case funcs.Lambda:
			item := types.One(recv.Type)
			args[i] = ch.exprDepth(a, &scope{v: sc.v, focus: item, lambda: true}, depth)
			if criteria[e.Name] && !isBoolish(args[i]) {
				r.notBoolean(a.Span(), "the criteria of "+e.Name+"()", args[i])
			}
		case funcs.TypeSpec:
			ns, name, ok := typeName(a)
			if !ok {
				r.notTypeName(a.Span(), e.Name+"()")
				continue
			}
			ref, ok := ch.resolveType(r, ns, name, a.Span())
			if !ok {
				continue
			}
			ch.c.typeArg[a] = ref
			ch.c.types[a] = types.One(ref.Type)
			typeArg, typeArgSp = &ref, a.Span()
		}
	}

	switch f.Result {
	case funcs.SameMany:
		if e.Name == "children" || e.Name == "descendants" {
			return types.Many(types.Any)
		}
		return types.Info{Type: recv.Type, Many: recv.Many}
	case funcs.SameOne, funcs.BoundaryOne:
		return types.One(recv.Type)
	case funcs.BoolOne:
		return types.One(types.Boolean)
	case funcs.IntOne:
		return types.One(types.Integer)
	case funcs.StringOne:
		return types.One(types.String)
	case funcs.KeyEach:
		if typeArg != nil && !ch.cat.IsResource(string(typeArg.Type)) {
			r.notResourceType(typeArgSp, e.Name+"()", typeArg.Name)
		}
		return types.Info{Type: types.String, Many: recv.Many}
	case funcs.StringMany:
		return types.Many(types.String)
	case funcs.DecimalOne:
		return types.One(types.Decimal)
	case funcs.DateOne:
		return types.One(types.Date)
	case funcs.DateTimeOne:
		return types.One(types.DateTime)
	case funcs.TimeOne:
		return types.One(types.Time)
	case funcs.QuantityOne:
		return types.One(types.Quantity)
	case funcs.OfType:
		if typeArg == nil {
			return types.Info{}
		}
		return ch.typeFilter(r, e, e.X, recv, *typeArg, typeArgSp, "ofType")
	case funcs.LambdaMany:
		if args[0].Type == types.Unknown {
			return types.Info{}
		}
		return types.Info{Type: args[0].Type, Many: recv.Many || args[0].Many}
	case funcs.Iif:
		t := args[1]
		if len(args) > 2 && len(e.Args) > 2 {
			t = union(t, args[2])
			t.Many = args[1].Many || args[2].Many
		}
		return t
	case funcs.ExtensionMany:
		return types.Many("Extension")
	case funcs.UnionMany:
		u := union(recv, args[0])
		u.Many = true
		return u
	}
	return types.Info{}
}

func article(t types.Type) string {
	switch t {
	case types.Integer:
		return "an Integer"
	}
	return "a " + string(t[len("System."):])
}

// typeName reads a type specifier written as an expression argument:
// Quantity, FHIR.Quantity or System.String.
func typeName(e ast.Expr) (ns, name string, ok bool) {
	switch e := e.(type) {
	case *ast.Ident:
		if e != nil {
			return "", e.Name, true
		}
	case *ast.Member:
		if e != nil {
			if x, isIdent := e.X.(*ast.Ident); isIdent && x != nil && (x.Name == "FHIR" || x.Name == "System") {
				return x.Name, e.Name, true
			}
		}
	}
	return "", "", false
}

var systemNames = map[string]bool{
	"Any": true, "Boolean": true, "String": true, "Integer": true, "Long": true,
	"Decimal": true, "Date": true, "DateTime": true, "Time": true, "Quantity": true,
}

// resolveType resolves a type specifier: FHIR names first (as FHIRPath
// does for unqualified names), then System names.
func (ch *checker) resolveType(r *reporter, ns, name string, sp source.Span) (TypeRef, bool) {
	ref := TypeRef{Namespace: ns, Name: name}
	if ns != "System" {
		if t := ch.cat.Type(name); t != nil && t.Kind != catalog.Backbone {
			ref.Type = types.Type(t.Name)
			return ref, true
		}
	}
	if ns != "FHIR" && systemNames[name] {
		ref.Type = types.Type("System." + name)
		return ref, true
	}
	var candidates []string
	if ns != "System" {
		candidates = append(ch.allTypeNames(), ch.allResourceNames()...)
	}
	if ns != "FHIR" {
		for n := range systemNames {
			if ns == "System" || ch.cat.Type(n) == nil {
				candidates = append(candidates, n)
			}
		}
	}
	r.unknownType(sp, name, candidates)
	return ref, false
}

// typeFilter types ofType(T), `as T` and `is T` on a receiver, recording how
// the filter resolves: picking a choice form, narrowing a Resource, or a
// filter every item passes.
func (ch *checker) typeFilter(r *reporter, node ast.Expr, recvNode ast.Expr, recv types.Info, ref TypeRef, sp source.Span, fn string) types.Info {
	want := string(ref.Type)
	res := types.Info{Type: ref.Type, Many: recv.Many}
	if recv.Type == types.Unknown {
		return res
	}
	// Only a navigation step can be a choice element still to resolve; a
	// filter that already picked a form also maps to the element.
	var el *catalog.Element
	switch n := unparen(recvNode).(type) {
	case *ast.Ident, *ast.Member:
		el = ch.c.elems[n]
	}
	if el != nil && el.Choice {
		for _, t := range el.Types {
			if t == want {
				ch.c.filters[node] = Filter{Mode: FilterChoice, Element: el, Type: t}
				ch.c.elems[node] = el
				return res
			}
		}
		r.choiceType(sp, el.Name, ref.Name, el.Types)
		return types.Info{}
	}
	if ch.derives(recv.Type, ref.Type) {
		ch.c.filters[node] = Filter{Mode: FilterIdentity, Type: string(recv.Type)}
		if el != nil && fn != "is" {
			var remove source.Span
			if recvNode != nil {
				remove = source.Span{Start: recvNode.Span().End, End: node.Span().End}
			}
			r.filterNoop(sp, fn, el.Path, ref.Name, string(recv.Type), remove)
		}
		return recv
	}
	if rt := ch.cat.Type(string(recv.Type)); rt != nil && rt.Kind == catalog.Resource {
		if !ch.cat.IsResource(want) {
			r.notResourceType(sp, fn, ref.Name)
			return types.Info{}
		}
	}
	if recv.Type == types.Any || ch.derives(ref.Type, recv.Type) {
		ch.c.filters[node] = Filter{Mode: FilterNarrow, Type: want}
		return res
	}
	what := string(recv.Type)
	if el != nil {
		what = el.Path
	}
	r.ofTypeNotChoice(sp, what, string(recv.Type), ref.Name)
	return types.Info{}
}

// derives reports whether every value of type a is also of type b.
func (ch *checker) derives(a, b types.Type) bool {
	switch {
	case a == b || b == types.Any:
		return true
	case a.IsSystem():
		return false
	case b.IsSystem():
		return types.IsPrimitiveName(string(a)) && types.Primitive(string(a)) == b
	}
	return ch.cat.Derives(string(a), string(b))
}

// union is the type of a collection holding values of both types.
func union(x, y types.Info) types.Info {
	switch {
	case x.Type == types.Unknown || y.Type == types.Unknown:
		return types.Info{Many: x.Many || y.Many}
	case x.Type == y.Type:
		return types.Info{Type: x.Type, Many: x.Many || y.Many}
	}
	sx, sy := systemOf(x.Type), systemOf(y.Type)
	switch {
	case sx == sy:
		return types.Info{Type: sx, Many: x.Many || y.Many}
	case numeric(sx) && numeric(sy):
		return types.Info{Type: types.Decimal, Many: x.Many || y.Many}
	}
	return types.Info{Type: types.Any, Many: x.Many || y.Many}
}

func numeric(t types.Type) bool {
	return t == types.Integer || t == types.Long || t == types.Decimal
}

func temporal(t types.Type) bool {
	return t == types.Date || t == types.DateTime || t == types.Time
}

// comparable reports whether two System types can be ordered against each other.
func comparable(x, y types.Type) bool {
	switch {
	case x == y:
		return true
	case numeric(x) && numeric(y):
		return true
	case (x == types.Date || x == types.DateTime) && (y == types.Date || y == types.DateTime):
		return true
	}
	return false
}

func (ch *checker) binary(e *ast.Binary, sc *scope, depth int) types.Info {
	r := sc.v.r
	x := ch.exprDepth(e.X, sc, depth)
	y := ch.exprDepth(e.Y, sc, depth)
	sx, sy := systemOf(x.Type), systemOf(y.Type)
	known := sx != types.Unknown && sy != types.Unknown && sx != types.Any && sy != types.Any
	sp := nameSpan(e.OpSpan, e.Sp)
	switch e.Op {
	case "=", "!=":
		ch.checkCode(r, e.X, e.Y)
		ch.checkCode(r, e.Y, e.X)
		return types.One(types.Boolean)
	case "in":
		ch.checkCode(r, e.X, e.Y)
		return types.One(types.Boolean)
	case "contains":
		ch.checkCode(r, e.Y, e.X)
		return types.One(types.Boolean)
	case "~", "!~", "and", "or", "xor", "implies":
		return types.One(types.Boolean)
	case "<", "<=", ">", ">=":
		if known && !comparable(sx, sy) {
			r.operandType(sp, e.Op, x, y)
		}
		return types.One(types.Boolean)
	case "&":
		return types.One(types.String)
	case "|":
		u := union(x, y)
		u.Many = true
		return u
	case "+", "-", "*", "/", "div", "mod":
		if !known {
			return types.Info{}
		}
		t, ok := arith(e.Op, sx, sy)
		if !ok {
			r.operandType(sp, e.Op, x, y)
			return types.Info{}
		}
		return types.One(t)
	}
	return types.Info{}
}

// arith is FHIRPath's result type of an arithmetic operator on two System types.
func arith(op string, x, y types.Type) (types.Type, bool) {
	switch {
	case op == "+" && x == types.String && y == types.String:
		return types.String, true
	case numeric(x) && numeric(y):
		switch {
		case op == "/":
			return types.Decimal, true
		case (op == "div" || op == "mod") && x != types.Decimal && y != types.Decimal:
			if x == types.Long || y == types.Long {
				return types.Long, true
			}
			return types.Integer, true
		case x == types.Decimal || y == types.Decimal:
			return types.Decimal, true
		case x == types.Long || y == types.Long:
			return types.Long, true
		}
		return types.Integer, true
	case temporal(x) && y == types.Quantity && (op == "+" || op == "-"):
		return x, true
	case x == types.Quantity && (y == types.Quantity || numeric(y)) && op != "div" && op != "mod":
		return types.Quantity, true
	case numeric(x) && y == types.Quantity && op == "*":
		return types.Quantity, true
	}
	return types.Unknown, false
}

// checkCode warns when a string literal (or a union of them) compared with
// a code element is not in the element's required, enumerable value set:
// such a comparison is never true, and is almost always a typo.
func (ch *checker) checkCode(r *reporter, elemNode, litNode ast.Expr) {
	el := ch.c.elems[unparen(elemNode)]
	if el == nil || el.Choice || len(el.Types) != 1 || el.Types[0] != "code" {
		return
	}
	b := el.Binding
	if b == nil || b.Strength != "required" || !b.Enumerable() {
		return
	}
	var lits []*ast.Literal
	collectStrings(litNode, &lits, 0)
	for _, l := range lits {
		if !b.Has(l.Value) {
			r.codeNotInValueSet(l.Sp, l.Value, el.Path, b.ValueSet, b.Codes)
		}
	}
}

func collectStrings(e ast.Expr, out *[]*ast.Literal, depth int) {
	if depth > 64 {
		return
	}
	switch e := unparen(e).(type) {
	case *ast.Literal:
		if e != nil && e.Kind == ast.String {
			*out = append(*out, e)
		}
	case *ast.Binary:
		if e != nil && e.Op == "|" {
			collectStrings(e.X, out, depth+1)
			collectStrings(e.Y, out, depth+1)
		}
	}
}
