// Package lower turns checked views into plans: the last step of the front
// end, after which no backend needs the AST, the checker or the catalog.
//
// Everything the checker resolved is written into the plan: constants become
// literals, the implicit focus becomes an explicit plan.Focus, a leading
// resource-type name becomes plan.Root, each path step becomes a plan.Field
// with its JSON key and whether the JSON holds an array there, a choice
// element read through ofType(T) becomes the one field with its typed key
// (valueQuantity), and every column gets its index in output order and its
// type. Lowering assumes the checker reported no errors; a node it left
// unresolved becomes an FQL3001 diagnostic instead of a guess.
package lower

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Lower lowers every view of a checked namespace, in the order of c.Views.
// A view that cannot be lowered is left out and its diagnostics returned.
func Lower(c *check.Checked) ([]*plan.View, diag.List) {
	var out []*plan.View
	var diags diag.List
	for _, v := range c.Views {
		pv, dl := LowerView(c, v)
		diags = append(diags, dl...)
		if pv != nil && !dl.HasErrors() {
			out = append(out, pv)
		}
	}
	return out, diags
}

// LowerView lowers one checked view, so that the language server or a
// single-view command need not lower a whole namespace.
func LowerView(c *check.Checked, v *check.View) (*plan.View, diag.List) {
	l := &lowerer{c: c, cols: map[*ast.Column]*plan.Column{}, bounds: map[plan.Expr]int{}}
	if v.File != nil {
		l.file = v.File.Source
	}
	a := v.AST
	pv := &plan.View{
		Name:        viewName(v),
		Resource:    a.Resource,
		Description: a.Doc,
		File:        l.file,
		Span:        a.Sp,
	}
	for _, w := range a.Where {
		if w != nil && w.Path != nil {
			pv.Where = append(pv.Where, l.expr(w.Path))
		}
	}
	if len(a.Select) == 1 && a.Select[0] != nil && a.Select[0].Kind == ast.Plain {
		pv.Root = l.sel(a.Select[0])
	} else {
		pv.Root = &plan.Select{Kind: plan.Plain, Span: a.Sp}
		for _, s := range a.Select {
			if s != nil {
				pv.Root.Selects = append(pv.Root.Selects, l.sel(s))
			}
		}
	}
	for _, cc := range v.Columns {
		if pc := l.cols[cc.AST]; pc != nil {
			pv.Columns = append(pv.Columns, pc)
		}
	}
	for _, e := range a.Expects {
		if e != nil {
			pv.Expects = append(pv.Expects, l.expect(e, pv))
		}
	}
	return pv, l.diags
}

var expectKinds = map[ast.ExpectKind]plan.ExpectKind{
	ast.ExpectRule:       plan.ExpectRule,
	ast.ExpectUnique:     plan.ExpectUnique,
	ast.ExpectNotNull:    plan.ExpectNotNull,
	ast.ExpectReferences: plan.ExpectReferences,
}

// expect lowers an expectation; the checker made sure its columns exist.
func (l *lowerer) expect(e *ast.Expect, v *plan.View) *plan.Expect {
	pe := &plan.Expect{Name: e.Name, Kind: expectKinds[e.Kind], Warning: e.Warning, Max: e.Max, Percent: e.Percent,
		CEL: e.CEL, CELSpan: e.CELSpan, RefView: e.RefView, RefColumn: e.RefColumn, Text: e.Text, Span: e.Sp}
	for _, name := range e.Columns {
		for _, c := range v.Columns {
			if c.Name == name {
				pe.Columns = append(pe.Columns, c)
				break
			}
		}
	}
	return pe
}

type lowerer struct {
	c     *check.Checked
	file  *source.File
	cols  map[*ast.Column]*plan.Column
	diags diag.List
	// bounds are the text bounds of the fields lowered so far (size.go).
	bounds map[plan.Expr]int
}

func (l *lowerer) fail(sp source.Span, what string) plan.Expr {
	l.diags = append(l.diags, unresolved(l.file, sp, what))
	return &plan.Lit{Base: plan.Base{Sp: sp}, Kind: plan.Empty}
}

var selectKinds = map[ast.SelectKind]plan.SelectKind{
	ast.Plain:         plan.Plain,
	ast.ForEach:       plan.ForEach,
	ast.ForEachOrNull: plan.ForEachOrNull,
	ast.Repeat:        plan.Repeat,
}

func (l *lowerer) sel(s *ast.Select) *plan.Select {
	ps := &plan.Select{Kind: selectKinds[s.Kind], Span: s.Sp}
	if s.Iter != nil && (s.Kind == ast.ForEach || s.Kind == ast.ForEachOrNull) {
		ps.Iter = l.expr(s.Iter)
	}
	for _, e := range s.Repeat {
		if e != nil {
			ps.Repeat = append(ps.Repeat, l.expr(e))
		}
	}
	for _, col := range s.Columns {
		if col != nil {
			ps.Columns = append(ps.Columns, l.column(col))
		}
	}
	for _, n := range s.Selects {
		if n != nil {
			ps.Selects = append(ps.Selects, l.sel(n))
		}
	}
	for _, n := range s.UnionAll {
		if n != nil {
			ps.UnionAll = append(ps.UnionAll, l.sel(n))
		}
	}
	return ps
}

func (l *lowerer) column(col *ast.Column) *plan.Column {
	pc := &plan.Column{
		Name:        col.Name,
		Collection:  col.Collection,
		Declared:    col.Type,
		Description: col.Doc,
		Span:        col.Sp,
	}
	if cc := l.c.ColumnOf(col); cc != nil {
		pc.Index = cc.Index
		pc.Type = cc.Type
		pc.MaybeMany = cc.MaybeMany
	}
	if col.Path != nil {
		pc.Expr = l.expr(col.Path)
		pc.MaxLen = l.textBound(pc.Expr)
	} else {
		pc.Expr = l.fail(col.Sp, "a column without a path")
	}
	for _, t := range col.Tags {
		if t != nil {
			pc.Tags = append(pc.Tags, plan.Tag{Name: t.Name, Value: t.Value})
		}
	}
	if _, seen := l.cols[col]; !seen {
		l.cols[col] = pc
	}
	return pc
}

func (l *lowerer) base(e ast.Expr) plan.Base {
	return plan.Base{T: l.c.TypeOf(e), Sp: e.Span()}
}

// focus is the implicit focus a leading identifier or receiver-less call
// starts from, made explicit.
func (l *lowerer) focus(e ast.Expr) plan.Expr {
	sp := e.Span()
	return &plan.Focus{Base: plan.Base{T: l.c.FocusOf(e), Sp: source.Span{Start: sp.Start, End: sp.Start}}}
}

var litKinds = map[ast.LitKind]plan.LitKind{
	ast.Empty: plan.Empty, ast.Bool: plan.Bool, ast.String: plan.String,
	ast.Integer: plan.Integer, ast.Long: plan.Long, ast.Decimal: plan.Decimal,
	ast.Date: plan.Date, ast.DateTime: plan.DateTime, ast.Time: plan.Time,
	ast.Quantity: plan.Quantity,
}

// wellKnown are FHIRPath's predefined code-system variables.
var wellKnown = map[string]string{
	"ucum":  "http://unitsofmeasure.org",
	"sct":   "http://snomed.info/sct",
	"loinc": "http://loinc.org",
}

func (l *lowerer) expr(e ast.Expr) plan.Expr {
	switch e := e.(type) {
	case *ast.Literal:
		return &plan.Lit{Base: l.base(e), Kind: litKinds[e.Kind], Value: e.Value, Unit: e.Unit}
	case *ast.Paren:
		return l.expr(e.X)
	case *ast.This:
		return &plan.Focus{Base: l.base(e)}
	case *ast.Special:
		if e.Name == "index" {
			return &plan.IndexVar{Base: l.base(e)}
		}
		return &plan.TotalVar{Base: l.base(e)}
	case *ast.Var:
		return l.variable(e)
	case *ast.Ident:
		if l.c.IsRoot(e) {
			return &plan.Root{Base: l.base(e)}
		}
		return l.field(e, l.focus(e))
	case *ast.Member:
		return l.field(e, l.expr(e.X))
	case *ast.Call:
		return l.call(e)
	case *ast.Index:
		return &plan.Subscript{Base: l.base(e), X: l.expr(e.X), Index: l.expr(e.Index)}
	case *ast.Unary:
		return &plan.Unary{Base: l.base(e), Op: e.Op, X: l.expr(e.X)}
	case *ast.Binary:
		return &plan.Binary{Base: l.base(e), Op: e.Op, X: l.expr(e.X), Y: l.expr(e.Y)}
	case *ast.TypeOp:
		return l.typeOp(e)
	case nil:
		return l.fail(source.Span{}, "a missing expression")
	}
	return l.fail(e.Span(), "an invalid expression")
}

func (l *lowerer) variable(e *ast.Var) plan.Expr {
	if k := l.c.ConstOf(e); k != nil {
		return l.constant(e, k)
	}
	switch e.Name {
	case "rowIndex":
		return &plan.RowIndex{Base: l.base(e)}
	case "resource", "rootResource", "context":
		return &plan.Root{Base: l.base(e)}
	}
	if url, ok := wellKnown[e.Name]; ok {
		return &plan.Lit{Base: l.base(e), Kind: plan.String, Value: url}
	}
	return l.fail(e.Sp, "%"+e.Name)
}

// constant inlines a constant's value, with the literal kind its declared
// type calls for: a valueCode is a string, a valuePositiveInt an integer, a
// valueInstant a dateTime.
func (l *lowerer) constant(e *ast.Var, k *ast.Const) plan.Expr {
	if k.Value == nil {
		return l.fail(e.Sp, "constant %"+k.Name+" without a value")
	}
	kind := litKinds[k.Value.Kind]
	if k.Type != "" {
		switch types.Primitive(k.Type) {
		case types.Boolean:
			kind = plan.Bool
		case types.String:
			kind = plan.String
		case types.Integer:
			kind = plan.Integer
		case types.Long:
			kind = plan.Long
		case types.Decimal:
			kind = plan.Decimal
		case types.Date:
			kind = plan.Date
		case types.DateTime:
			kind = plan.DateTime
		case types.Time:
			kind = plan.Time
		}
	}
	return &plan.Lit{Base: l.base(e), Kind: kind, Value: k.Value.Value, Unit: k.Value.Unit}
}

// primitive reports whether values of a type are JSON scalars.
func primitive(t string) bool {
	return types.IsPrimitiveName(t) || strings.HasPrefix(t, "System.")
}

// field lowers a path step to its element, on the lowered receiver x.
func (l *lowerer) field(e ast.Expr, x plan.Expr) plan.Expr {
	el := l.c.ElementOf(e)
	if el == nil {
		// A step to an element the type lacks (accepted, with a warning, in
		// ViewDefinition JSON), or any step after one, is always empty.
		if l.c.AlwaysEmpty(e) || isEmpty(x) {
			return &plan.Lit{Base: plan.Base{Sp: e.Span()}, Kind: plan.Empty}
		}
		return l.fail(e.Span(), "a path step")
	}
	if el.Choice {
		ch := &plan.Choice{Base: l.base(e), X: x, Name: el.Name}
		for _, t := range el.Types {
			ch.Keys = append(ch.Keys, plan.ChoiceKey{Key: el.ChoiceKey(t), Type: types.Type(t), Array: el.Many(), Primitive: primitive(t)})
		}
		l.bounds[ch] = choiceBound(el)
		return ch
	}
	f := &plan.Field{Base: l.base(e), X: x, Key: el.Name, Array: el.Many(), Primitive: len(el.Types) > 0 && primitive(el.Types[0])}
	l.bounds[f] = l.elementBound(el)
	return f
}

// isEmpty reports whether x is known to yield nothing: the empty literal,
// or a focus the checker could not type (the items of an always-empty
// iteration, which never exist).
func isEmpty(x plan.Expr) bool {
	switch x := x.(type) {
	case *plan.Lit:
		return x.Kind == plan.Empty
	case *plan.Focus:
		return x.T.Type == types.Unknown
	}
	return false
}

// choiceField lowers `value.ofType(T)` / `value as T`: the receiver is the
// choice step, and the result is the one typed key on the step's receiver.
func (l *lowerer) choiceField(e ast.Expr, recv ast.Expr, el *catalog.Element, typ string) plan.Expr {
	var base plan.Expr
	switch r := unparen(recv).(type) {
	case *ast.Ident:
		base = l.focus(r)
	case *ast.Member:
		base = l.expr(r.X)
	default:
		return l.fail(e.Span(), "a choice type filter")
	}
	f := &plan.Field{Base: l.base(e), X: base, Key: el.ChoiceKey(typ), Array: el.Many(), Primitive: primitive(typ)}
	l.bounds[f] = typeBound(typ, el.Binding)
	return f
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.Paren)
		if !ok {
			return e
		}
		e = p.X
	}
}

func (l *lowerer) call(e *ast.Call) plan.Expr {
	f := l.c.FuncOf(e)
	if f == nil {
		return l.fail(nameOr(e.NameSpan, e.Sp), "function "+e.Name)
	}
	switch flt := l.c.FilterOf(e); flt.Mode {
	case check.FilterChoice:
		return l.choiceField(e, e.X, flt.Element, flt.Type)
	case check.FilterIdentity:
		if e.X == nil {
			return l.focus(e)
		}
		return l.expr(e.X)
	}
	var x plan.Expr
	if e.X != nil {
		x = l.expr(e.X)
	} else {
		x = l.focus(e)
	}
	pc := &plan.Call{Base: l.base(e), X: x, Func: f}
	for i, a := range e.Args {
		if a == nil {
			continue
		}
		if i < len(f.Args) && f.Args[i] == funcs.TypeSpec {
			pc.Args = append(pc.Args, l.typeArg(a))
			continue
		}
		pc.Args = append(pc.Args, l.expr(a))
	}
	return pc
}

func nameOr(name, node source.Span) source.Span {
	if name.IsZero() {
		return node
	}
	return name
}

// typeArg lowers a type name argument, naming System types with their
// namespace and FHIR types without.
func (l *lowerer) typeArg(a ast.Expr) plan.Expr {
	ref, ok := l.c.TypeArgOf(a)
	if !ok {
		return l.fail(a.Span(), "a type argument")
	}
	ta := &plan.TypeArg{Base: plan.Base{T: types.One(ref.Type), Sp: a.Span()}, Name: string(ref.Type)}
	if ref.Type.IsSystem() {
		ta.Namespace, ta.Name = "System", strings.TrimPrefix(string(ref.Type), "System.")
	}
	return ta
}

func (l *lowerer) typeOp(e *ast.TypeOp) plan.Expr {
	flt := l.c.FilterOf(e)
	switch {
	case e.Op == "as" && flt.Mode == check.FilterChoice:
		return l.choiceField(e, e.X, flt.Element, flt.Type)
	case e.Op == "as" && flt.Mode == check.FilterIdentity:
		return l.expr(e.X)
	case e.Op == "is" && flt.Mode == check.FilterChoice:
		// value is Quantity: the one typed key is present.
		fld := l.choiceField(e, e.X, flt.Element, flt.Type)
		if f, ok := fld.(*plan.Field); ok {
			f.T = types.Info{Type: types.Type(flt.Type), Many: l.c.TypeOf(e.X).Many}
		}
		return &plan.Call{Base: l.base(e), X: fld, Func: funcs.Lookup("exists")}
	}
	ns, name := e.Type.Namespace, e.Type.Name
	return &plan.TypeOp{Base: l.base(e), Op: e.Op, X: l.expr(e.X), Namespace: ns, Name: name}
}

// viewName is the view's name, or for a ViewDefinition without "name" the
// base name of its file (with the view's position appended when the file holds
// several), so that every backend names its output the same way.
func viewName(v *check.View) string {
	if v.AST.Name != "" || v.File == nil || v.File.Source == nil {
		return v.AST.Name
	}
	base := filepath.Base(filepath.ToSlash(v.File.Source.Name))
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if len(v.File.Views) > 1 {
		for i, fv := range v.File.Views {
			if fv == v.Written {
				return fmt.Sprintf("%s_%d", base, i+1)
			}
		}
	}
	return base
}
