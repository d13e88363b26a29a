package format_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/internal/golden"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// TestGolden formats the `in.fview` section of each testdata archive and
// compares with `out.fview`; an `in.expr` section holds one expression per
// line, formatted into `out.expr`. Every output must be a fixed point:
// formatting it again changes nothing, and it parses to the same tree.
func TestGolden(t *testing.T) {
	for _, path := range golden.Archives(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar := golden.Read(t, path)
			var want []txtar.File
			for _, f := range ar.Files {
				var got string
				switch f.Name {
				case "in.fview":
					got = formatFile(t, f.Data)
				case "in.expr":
					got = formatExprs(t, f.Data)
				default:
					continue
				}
				want = append(want, f, golden.File("out"+filepath.Ext(f.Name), got))
			}
			golden.Check(t, path, ar, want)
		})
	}
}

func mustParse(t *testing.T, name string, data []byte) *ast.File {
	t.Helper()
	tree, ds := parse.ParseFile(source.NewFile(name, data))
	if len(ds) > 0 {
		var b bytes.Buffer
		diag.RenderText(&b, ds)
		t.Fatalf("%s does not parse:\n%s\n%s", name, data, b.String())
	}
	return tree
}

func formatFile(t *testing.T, data []byte) string {
	t.Helper()
	tree := mustParse(t, "in.fview", data)
	text := format.File(tree)
	tree2 := mustParse(t, "out.fview", text)
	if a, b := ast.DumpNoSpans(tree), ast.DumpNoSpans(tree2); a != b {
		t.Errorf("formatting changed the tree:\n%s\nbefore:\n%s\nafter:\n%s", text, a, b)
	}
	if again := format.File(tree2); !bytes.Equal(again, text) {
		t.Errorf("not idempotent:\nfirst:\n%s\nsecond:\n%s", text, again)
	}
	return string(text)
}

func formatExprs(t *testing.T, data []byte) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		e, ds := parse.ParseExpr(line)
		if len(ds) > 0 {
			t.Errorf("%q: %v", line, ds)
			continue
		}
		text := format.Expr(e)
		if e2, _ := parse.ParseExpr(text); ast.DumpNoSpans(e2) != ast.DumpNoSpans(e) {
			t.Errorf("%q formats as %q, which parses differently", line, text)
		}
		if again, _ := parse.ParseExpr(text); format.Expr(again) != text {
			t.Errorf("%q: not idempotent", line)
		}
		b.WriteString(text + "\n")
	}
	return b.String()
}

func id(n string) *ast.Ident { return &ast.Ident{Name: n} }

func bin(op string, x, y ast.Expr) *ast.Binary { return &ast.Binary{Op: op, X: x, Y: y} }

// TestExprHandBuilt covers trees no parser produces (ViewDefinition JSON
// goes through the parser, but tools may build trees): Expr must add the
// parentheses the tree's shape needs, and quote names that would not read
// back as the same name.
func TestExprHandBuilt(t *testing.T) {
	tests := []struct {
		e    ast.Expr
		want string
	}{
		{bin("*", bin("+", id("a"), id("b")), id("c")), "(a + b) * c"},
		{bin("-", id("a"), bin("-", id("b"), id("c"))), "a - (b - c)"},
		{bin("-", bin("-", id("a"), id("b")), id("c")), "a - b - c"},
		{bin("and", bin("or", id("a"), id("b")), id("c")), "(a or b) and c"},
		{bin("or", id("a"), bin("and", id("b"), id("c"))), "a or b and c"},
		{&ast.Member{X: bin("+", id("a"), id("b")), Name: "c"}, "(a + b).c"},
		{&ast.Call{X: &ast.TypeOp{Op: "as", X: id("v"), Type: ast.TypeName{Name: "Quantity"}}, Name: "exists"}, "(v as Quantity).exists()"},
		{&ast.Index{X: &ast.Unary{Op: "-", X: id("a")}, Index: &ast.Literal{Kind: ast.Integer, Value: "0"}}, "(-a)[0]"},
		{&ast.Unary{Op: "-", X: bin("+", id("a"), id("b"))}, "-(a + b)"},
		{&ast.TypeOp{Op: "is", X: bin("or", id("a"), id("b")), Type: ast.TypeName{Namespace: "FHIR", Name: "boolean"}}, "(a or b) is FHIR.boolean"},
		{bin("+", id("x"), &ast.TypeOp{Op: "as", X: id("a"), Type: ast.TypeName{Name: "T"}}), "x + (a as T)"},
		{id("true"), "`true`"},
		{id("and"), "`and`"},
		{id("given name"), "`given name`"},
		{&ast.Member{X: id("a"), Name: "div"}, "a.div"},
		{&ast.Var{Name: "my-set"}, "%`my-set`"},
		{&ast.Literal{Kind: ast.String, Value: "it's\n\"ok\"\\\x01"}, `'it\'s\n"ok"\\\u0001'`},
		{&ast.Literal{Kind: ast.Quantity, Value: "5", Unit: "mm[Hg]", UnitQuoted: true}, "5 'mm[Hg]'"},
		{&ast.Literal{Kind: ast.Quantity, Value: "4", Unit: "days"}, "4 days"},
		{&ast.Member{X: &ast.Literal{Kind: ast.Integer, Value: "-5"}, Name: "abs"}, "(-5).abs"},
		{&ast.Literal{Kind: ast.Time, Value: "10:00"}, "@T10:00"},
		{&ast.Literal{Kind: ast.Long, Value: "7"}, "7L"},
		{&ast.Call{Name: "f", Args: []ast.Expr{id("a"), &ast.This{}, &ast.Special{Name: "index"}}}, "f(a, $this, $index)"},
		{bin("unknownop", id("a"), id("b")), "a unknownop b"},
		{nil, "{}"},
	}
	for _, tt := range tests {
		if got := format.Expr(tt.e); got != tt.want {
			t.Errorf("Expr = %s, want %s", got, tt.want)
		}
	}
}

// TestFileFromJSON prints a tree shaped like the ViewDefinition reader's
// output: no usable source text, several top-level selects, descriptions.
func TestFileFromJSON(t *testing.T) {
	f := &ast.File{
		Source: source.NewFileString("v.json", `{"resourceType": "ViewDefinition"}`),
		Views: []*ast.View{{
			Name:     "obs",
			Resource: "Observation",
			Doc:      "Observations.\nSecond line.",
			Attrs:    []*ast.Attr{{Key: "status", JSON: `"active"`}, {Key: "resourceType", JSON: `"ViewDefinition"`}},
			Consts:   []*ast.Const{{Name: "sys", Type: "uri", Value: &ast.Literal{Kind: ast.String, Value: "http://loinc.org"}}, {Name: "n", Value: &ast.Literal{Kind: ast.Integer, Value: "-3"}}},
			Where:    []*ast.Where{{Doc: "final only", Path: bin("=", id("status"), &ast.Literal{Kind: ast.String, Value: "final"})}},
			Select: []*ast.Select{
				{Kind: ast.Plain, Columns: []*ast.Column{{Name: "id", Path: &ast.Call{Name: "getResourceKey"}, Doc: "key"}}},
				{Kind: ast.ForEach, Iter: id("component"), Columns: []*ast.Column{
					{Name: "code", Path: &ast.Member{X: id("code"), Name: "text"}, Type: "string", Tags: []*ast.Tag{{Name: "ansi/type", Value: "VARCHAR(<64>)"}}},
					{Name: "v", Path: id("value"), HasCollection: true},
					{Name: "all", Path: id("value"), Collection: true, HasCollection: true},
				}},
				{Kind: ast.Plain, UnionAll: []*ast.Select{
					{Kind: ast.Repeat, Repeat: []ast.Expr{id("item"), &ast.Member{X: id("answer"), Name: "item"}}, Columns: []*ast.Column{{Name: "link_id", Path: id("linkId")}}},
				}},
			},
		}},
	}
	want := "view obs of Observation\n" +
		"  @status \"active\"\n" +
		"  @resourceType \"ViewDefinition\"\n" +
		"/// final only\n" +
		"where status = 'final'\n" +
		"{\n" +
		"  const sys : uri = 'http://loinc.org'\n" +
		"  const n = -3\n" +
		"  select {\n" +
		"    /// key\n" +
		"    id = getResourceKey()\n" +
		"  }\n" +
		"  forEach component {\n" +
		"    code  = code.text : string @tag(\"ansi/type\", \"VARCHAR(<64>)\")\n" +
		"    v     = value @collection(false)\n" +
		"    all[] = value\n" +
		"  }\n" +
		"  select {\n" +
		"    unionAll {\n" +
		"      repeat item, answer.item {\n" +
		"        link_id = linkId\n" +
		"      }\n" +
		"    }\n" +
		"  }\n" +
		"}\n"
	want = "/// Observations.\n/// Second line.\n" + want
	got := string(format.File(f))
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	tree := mustParse(t, "out.fview", []byte(got))
	v := tree.Views[0]
	if v.Doc != f.Views[0].Doc || len(v.Consts) != 2 || v.Consts[1].Value.Value != "-3" || len(v.Attrs) != 2 {
		t.Errorf("re-parsed view lost data:\n%s", ast.Dump(tree))
	}
	col := v.Select[0].Selects[1].Columns[1]
	if col.Collection || !col.HasCollection {
		t.Errorf("explicit collection=false lost: %+v", col)
	}
}
