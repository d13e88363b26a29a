package lower_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/internal/golden"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
	"github.com/rogpeppe/go-internal/txtar"
)

// TestGolden lowers the input files of each testdata/*.txtar (one
// namespace) and compares plan.Dump of every view with the `plan` section.
// The inputs must check without errors. Run with -update to rewrite.
func TestGolden(t *testing.T) {
	cat := r4.Catalog()
	for _, path := range golden.Archives(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar := golden.Read(t, path)
			var files []*ast.File
			var diags diag.List
			for _, f := range ar.Files {
				src := source.NewFile(f.Name, f.Data)
				var af *ast.File
				var dl diag.List
				switch {
				case strings.HasSuffix(f.Name, ".fview"):
					af, dl = parse.ParseFile(src)
				case strings.HasSuffix(f.Name, ".json"):
					af, dl = viewdef.Read(src)
				default:
					continue
				}
				diags = append(diags, dl...)
				files = append(files, af)
			}
			if diags.HasErrors() {
				t.Fatalf("input does not parse:\n%s", render(diags))
			}
			c, dl := check.Check(files, cat)
			if dl.HasErrors() {
				t.Fatalf("input does not check:\n%s", render(dl))
			}
			views, dl := lower.Lower(c)
			if dl.HasErrors() {
				t.Fatalf("lowering failed:\n%s", render(dl))
			}
			var b strings.Builder
			for _, v := range views {
				b.WriteString(plan.Dump(v))
				checkPlan(t, v)
			}
			var want []txtar.File
			for _, f := range ar.Files {
				if f.Name != "plan" {
					want = append(want, f)
				}
			}
			golden.Check(t, path, ar, append(want, golden.File("plan", b.String())))
		})
	}
}

// checkPlan verifies the invariants plan's documentation promises: column
// indices match View.Columns, no expression is missing, and calls carry
// their declaration.
func checkPlan(t *testing.T, v *plan.View) {
	t.Helper()
	for i, c := range v.Columns {
		if c.Index != i {
			t.Errorf("%s: column %q has index %d at position %d", v.Name, c.Name, c.Index, i)
		}
	}
	plan.Selects(v.Root, func(s *plan.Select) {
		var exprs []plan.Expr
		if s.Iter != nil {
			exprs = append(exprs, s.Iter)
		}
		exprs = append(exprs, s.Repeat...)
		for _, c := range s.Columns {
			if c.Expr == nil {
				t.Errorf("%s: column %q has no expression", v.Name, c.Name)
				continue
			}
			if c.Index < 0 || c.Index >= len(v.Columns) || v.Columns[c.Index].Name != c.Name {
				t.Errorf("%s: column %q has index %d, which names another column", v.Name, c.Name, c.Index)
			}
			exprs = append(exprs, c.Expr)
		}
		for _, e := range exprs {
			plan.Walk(e, func(e plan.Expr) bool {
				if c, ok := e.(*plan.Call); ok && (c.Func == nil || c.X == nil) {
					t.Errorf("%s: call without declaration or receiver: %s", v.Name, plan.ExprString(e))
				}
				return true
			})
		}
	})
}

func render(l diag.List) string {
	var b bytes.Buffer
	diag.RenderText(&b, l)
	return b.String()
}

// TestUnresolved lowers a view the checker rejected: lowering must not
// guess or panic, but report FQL3001 at each unresolved construct.
func TestUnresolved(t *testing.T) {
	src := source.NewFileString("bad.fview", "view v of Patient {\n  a = birthdate\n  b = name.frist()\n  c = %nope\n}\n")
	f, dl := parse.ParseFile(src)
	if dl.HasErrors() {
		t.Fatal(dl.Err())
	}
	c, dl := check.Check([]*ast.File{f}, r4.Catalog())
	if !dl.HasErrors() {
		t.Fatal("want check errors")
	}
	views, dl := lower.Lower(c)
	if len(views) != 0 {
		t.Errorf("got %d plans for a view with errors", len(views))
	}
	n := 0
	for _, d := range dl {
		if d.Code == lower.CodeUnresolved {
			n++
		}
	}
	if n != 3 {
		t.Errorf("want 3 FQL3001 diagnostics, got:\n%s", render(dl))
	}
}
