package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// checkText parses and checks one .fview text, failing on parse errors.
func checkText(t *testing.T, text string) (*check.Checked, *ast.File, diag.List) {
	t.Helper()
	src := source.NewFileString("in.fview", text)
	f, dl := parse.ParseFile(src)
	if dl.HasErrors() {
		t.Fatalf("parse: %v", dl.Err())
	}
	c, dl := check.Check([]*ast.File{f}, r4.Catalog())
	return c, f, dl
}

// find returns the first expression node whose source text is text and whose
// dynamic type matches T.
func find[T ast.Expr](t *testing.T, f *ast.File, text string) T {
	t.Helper()
	var found T
	var ok bool
	ast.Inspect(f, func(n ast.Node) bool {
		if ok {
			return false
		}
		if e, is := n.(T); is {
			sp := e.Span()
			if f.Source.Text[sp.Start:sp.End] == text {
				found, ok = e, true
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("no %T with text %q", found, text)
	}
	return found
}

// TestSideTables pins the answers the language server relies on for hover
// and completion: the side tables, reached through the accessors, for
// sub-expressions that the golden listing (whole expressions only) cannot show.
func TestSideTables(t *testing.T) {
	c, f, dl := checkText(t, `
const use = 'official'
view v of Patient {
  a = name.where(use = %use).given.first()
  b = Patient.name.first().family
  c = deceased.ofType(boolean)
  d = link.other.getReferenceKey(Patient).first()
}`)
	if dl.HasErrors() {
		t.Fatalf("unexpected errors: %v", dl.Err())
	}
	// The lambda's leading identifier is typed against one HumanName.
	use := find[*ast.Ident](t, f, "use")
	if got := c.FocusOf(use); got != types.One("HumanName") {
		t.Errorf("FocusOf(use) = %v, want HumanName", got)
	}
	if el := c.ElementOf(use); el == nil || el.Path != "HumanName.use" {
		t.Errorf("ElementOf(use) = %v, want HumanName.use", el)
	}
	if got := c.TypeOf(use); got != types.One("code") {
		t.Errorf("TypeOf(use) = %v, want code", got)
	}
	where := find[*ast.Call](t, f, "name.where(use = %use)")
	if fn := c.FuncOf(where); fn == nil || fn.Name != "where" {
		t.Errorf("FuncOf(where) = %v", fn)
	}
	if got := c.TypeOf(where); got != types.Many("HumanName") {
		t.Errorf("TypeOf(name.where(...)) = %v, want HumanName[*]", got)
	}
	v := find[*ast.Var](t, f, "%use")
	if k := c.ConstOf(v); k == nil || k.Name != "use" {
		t.Errorf("ConstOf(%%use) = %v", k)
	}
	root := find[*ast.Ident](t, f, "Patient")
	if !c.IsRoot(root) {
		t.Error("IsRoot(Patient) = false")
	}
	oft := find[*ast.Call](t, f, "deceased.ofType(boolean)")
	if flt := c.FilterOf(oft); flt.Mode != check.FilterChoice || flt.Type != "boolean" || flt.Element == nil || flt.Element.Name != "deceased" {
		t.Errorf("FilterOf(ofType) = %+v", flt)
	}
	arg := find[*ast.Ident](t, f, "boolean")
	if ref, ok := c.TypeArgOf(arg); !ok || ref.Type != "boolean" {
		t.Errorf("TypeArgOf(boolean) = %+v, %v", ref, ok)
	}
	cv := c.ViewOf(f.Views[0])
	if cv == nil || len(cv.Columns) != 4 || cv.Resource == nil || cv.Resource.Name != "Patient" {
		t.Fatalf("ViewOf = %+v", cv)
	}
	if col := c.ColumnOf(f.Views[0].Select[0].Columns[3]); col == nil || col.Index != 3 || col.Type != types.String {
		t.Errorf("ColumnOf(d) = %+v", col)
	}
	if k := f.Consts[0]; c.ConstType(k) != types.One(types.String) {
		t.Errorf("ConstType(use) = %v", c.ConstType(k))
	}
}

// TestHandBuilt covers what no parser produces but other front ends (or a
// partial parse for the language server) might: missing resource, a
// constant without a value, nil parts. The checker must report, not panic.
func TestHandBuilt(t *testing.T) {
	src := source.NewFileString("hand.fview", "view v of Patient { id = id }")
	f := &ast.File{
		Source: src,
		Consts: []*ast.Const{{Name: "k", Type: "string"}, nil},
		Views: []*ast.View{
			{Name: "no_resource", Select: []*ast.Select{{Columns: []*ast.Column{{Name: "id", Path: &ast.Ident{Name: "id"}}}}}},
			{Name: "nils", Resource: "Patient", Where: []*ast.Where{nil, {}},
				Select: []*ast.Select{nil, {Kind: ast.ForEach}, {Kind: ast.Repeat, Repeat: []ast.Expr{nil}},
					{Columns: []*ast.Column{nil, {Name: "x"}, {Name: "y", Path: &ast.Member{X: nil, Name: "a"}},
						{Name: "z", Path: &ast.Call{Name: "where", Args: []ast.Expr{nil}}},
						{Name: "w", Path: &ast.Binary{Op: "+"}}}},
					{UnionAll: []*ast.Select{nil}}}},
			nil,
		},
	}
	c, dl := check.Check([]*ast.File{f, nil}, r4.Catalog())
	_ = c.Dump()
	want := []diag.Code{check.CodeMissingResource, check.CodeConstantNoValue}
	for _, code := range want {
		if !hasCode(dl, code, diag.Error) {
			t.Errorf("want %s, got %v", code, dl)
		}
	}
	if c == nil || len(c.Views) != 2 {
		t.Fatalf("views = %v", c)
	}
}

// allCodes lists every diagnostic code of the package; TestCodesCovered
// makes sure each one is produced by some golden file or unit test.
var allCodes = []diag.Code{
	check.CodeUnknownResource, check.CodeMissingResource, check.CodeUnknownElement,
	check.CodeUnknownFunction, check.CodeArgCount, check.CodeArgType,
	check.CodeOfTypeNotChoice, check.CodeChoiceType, check.CodeUnknownType,
	check.CodeNotBoolean, check.CodeMaybeMany, check.CodeUnionColumns,
	check.CodeUnionTypes, check.CodeDuplicateColumn, check.CodeUndefinedConstant,
	check.CodeConstantType, check.CodeCodeNotInValueSet, check.CodeUnknownColumnType,
	check.CodeNoColumns, check.CodeDuplicateConstant, check.CodeAbstractResource,
	check.CodeChoiceNoType, check.CodeMisplacedVariable, check.CodeDuplicateView,
	check.CodeConstantNoValue, check.CodeOperandType, check.CodeFilterNoop,
}

// handBuiltOnly are codes only TestHandBuilt can reach, because both front
// ends reject the input first.
var handBuiltOnly = map[diag.Code]bool{check.CodeMissingResource: true, check.CodeConstantNoValue: true}

func TestCodesCovered(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	var all strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	for _, code := range allCodes {
		if !handBuiltOnly[code] && !strings.Contains(all.String(), "["+string(code)+"]") {
			t.Errorf("no golden file shows %s", code)
		}
	}
}
