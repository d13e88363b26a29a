package ast_test

import (
	"testing"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

func sp(a, b int) source.Span { return source.Span{Start: source.Pos(a), End: source.Pos(b)} }

// TestDump pins the dump format other packages' goldens depend on, for a
// hand-built tree with missing parts (nil and typed-nil children print as
// <nil> instead of crashing the debug printer).
func TestDump(t *testing.T) {
	var nilIdent *ast.Ident
	f := &ast.File{
		Source: source.NewFileString("x.fview", ""),
		Consts: []*ast.Const{{Sp: sp(0, 10), Name: "c", NameSpan: sp(6, 7), Type: "code", TypeSpan: sp(8, 9), Value: &ast.Literal{Sp: sp(9, 10), Kind: ast.String, Value: "v"}}, {Name: "none"}},
		Views: []*ast.View{{
			Sp: sp(11, 90), Name: "v", Resource: "Patient", Doc: "d",
			Attrs: []*ast.Attr{{Sp: sp(20, 30), Key: "status", JSON: `"active"`}},
			Where: []*ast.Where{{Path: nil}},
			Select: []*ast.Select{{Kind: ast.ForEachOrNull, Iter: nilIdent, Columns: []*ast.Column{{
				Name: "q", Collection: true, HasCollection: true, Type: "Quantity",
				Path: &ast.Binary{Op: "+", X: &ast.Literal{Kind: ast.Quantity, Value: "5", Unit: "mg", UnitQuoted: true}, Y: &ast.TypeOp{Op: "as", X: &ast.Var{Name: "x"}, Type: ast.TypeName{Namespace: "FHIR", Name: "Quantity"}}},
				Tags: []*ast.Tag{{Name: "k", Value: "v"}},
			}}, UnionAll: []*ast.Select{}}},
		}},
	}
	want := `File "x.fview"
  Const "c" type="code" @0-10 name@6-7 type@8-9
    Literal string "v" @9-10
  Const "none" @0-0 name@0-0
    <nil>
  View "v" of "Patient" @11-90 name@0-0 resource@0-0
    Doc "d"
    Attr "status" "active" @20-30
    Where @0-0
      <nil>
    Select forEachOrNull @0-0 keyword@0-0
      Iter
        <nil>
      Column "q" collection explicit-collection type="Quantity" @0-0 name@0-0 type@0-0
        Binary "+" @0-0 op@0-0
          Literal quantity "5" unit="mg" @0-0
          TypeOp "as" "FHIR.Quantity" @0-0 type@0-0
            Var "x" @0-0
        Tag "k" = "v" @0-0
      UnionAll
`
	if got := ast.Dump(f); got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
	noSpans := ast.DumpNoSpans(f)
	if want := "File\n  Const \"c\" type=\"code\"\n"; noSpans[:len(want)] != want {
		t.Errorf("DumpNoSpans starts %q", noSpans[:len(want)])
	}
	if got := ast.Dump(nil); got != "<nil>\n" {
		t.Errorf("Dump(nil) = %q", got)
	}
}
