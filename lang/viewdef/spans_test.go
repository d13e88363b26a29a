package viewdef

import (
	"reflect"
	"testing"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// checkSpans requires every span of the tree and of the diagnostics to lie
// inside the file with Start <= End, every node of a view inside the view's
// span, and every node of a FHIRPath expression inside the expression's.
func checkSpans(t testing.TB, f *source.File, file *ast.File, diags diag.List) {
	t.Helper()
	n := source.Pos(len(f.Text))
	valid := func(what string, s source.Span) {
		if s.Start < 0 || s.End < s.Start || s.End > n {
			t.Errorf("%s span %v outside the file [0,%d]", what, s, n)
		}
	}
	within := func(what string, s, outer source.Span) {
		if s.Start < outer.Start || s.End > outer.End {
			t.Errorf("%s span %v outside its parent %v", what, s, outer)
		}
	}
	for _, d := range diags {
		if d.File != nil && d.File != f {
			t.Errorf("diagnostic %q names another file %q", d.Message, d.File.Name)
		}
		valid("diagnostic "+string(d.Code), d.Span)
		for _, e := range d.Edits {
			valid("edit", e.Span)
		}
		for _, no := range d.Notes {
			valid("note", no.Span)
		}
	}
	exprWithin := func(e ast.Expr) {
		if e == nil {
			return
		}
		root := e.Span()
		ast.Inspect(e, func(x ast.Node) bool {
			within(reflect.TypeOf(x).String(), x.Span(), root)
			return true
		})
	}
	ast.Inspect(file, func(x ast.Node) bool {
		// every Span-typed field, not only Sp
		v := reflect.ValueOf(x).Elem()
		for i := range v.NumField() {
			if s, ok := v.Field(i).Interface().(source.Span); ok {
				valid(reflect.TypeOf(x).String()+"."+v.Type().Field(i).Name, s)
			}
		}
		switch x := x.(type) {
		case *ast.View:
			ast.Inspect(x, func(c ast.Node) bool {
				within(reflect.TypeOf(c).String(), c.Span(), x.Sp)
				return true
			})
		case *ast.Where:
			exprWithin(x.Path)
		case *ast.Column:
			exprWithin(x.Path)
		case *ast.Select:
			exprWithin(x.Iter)
			for _, e := range x.Repeat {
				exprWithin(e)
			}
		}
		return true
	})
}
