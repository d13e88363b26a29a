package parse_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// FuzzParse feeds arbitrary text to both entry points. Invariants: no
// panic (a recovered one shows as FQL1999); every span inside the text;
// and for text that parses cleanly, format → parse gives the same tree and
// formatting is a fixed point. Seeds are all testdata inputs of this
// package and of lang/format.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	more, _ := filepath.Glob("../format/testdata/*.txtar") // comments in every position
	paths = append(paths, more...)
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range ar.Files {
			switch {
			case strings.HasSuffix(s.Name, ".fview"):
				f.Add(string(s.Data))
			case strings.HasSuffix(s.Name, ".expr"):
				// One expression per line; also as the path of a column.
				for _, line := range strings.Split(string(s.Data), "\n") {
					f.Add(line)
					f.Add("view v of P {\n  c = " + line + "\n}\n")
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		file := source.NewFileString("fuzz.fview", text)
		tree, ds := parse.ParseFile(file)
		checkFuzz(t, file, tree, ds)
		if !ds.HasErrors() {
			out := format.File(tree)
			tree2, ds2 := parse.ParseFile(source.NewFile("fuzz.fview", out))
			if ds2.HasErrors() {
				t.Fatalf("formatted text does not parse:\n%s\n%s", out, render(ds2))
			}
			if a, b := ast.DumpNoSpans(tree), ast.DumpNoSpans(tree2); a != b {
				t.Fatalf("format changed the tree:\n%s\nbefore:\n%s\nafter:\n%s", out, a, b)
			}
			if again := format.File(tree2); !bytes.Equal(again, out) {
				t.Fatalf("format is not idempotent:\n%s\n---\n%s", out, again)
			}
		}

		e, eds := parse.ParseExprAt(file, text, nil)
		checkFuzz(t, file, e, eds)
		if !eds.HasErrors() {
			out := format.Expr(e)
			e2, eds2 := parse.ParseExpr(out)
			if eds2.HasErrors() {
				t.Fatalf("formatted expression %q does not parse:\n%s", out, render(eds2))
			}
			if a, b := ast.DumpNoSpans(e), ast.DumpNoSpans(e2); a != b {
				t.Fatalf("format changed the expression %q:\nbefore:\n%s\nafter:\n%s", out, a, b)
			}
		}
	})
}

func render(ds diag.List) string {
	var b bytes.Buffer
	diag.RenderText(&b, ds)
	return b.String()
}

func checkFuzz(t *testing.T, f *source.File, n ast.Node, ds diag.List) {
	t.Helper()
	size := source.Pos(len(f.Text))
	for _, d := range ds {
		if d.Code == parse.CodeInternal {
			t.Fatalf("internal error: %s", d.Message)
		}
		if d.Span.Start < 0 || d.Span.End > size || d.Span.Start > d.Span.End {
			t.Fatalf("diagnostic span %v outside the text: %s", d.Span, d.Message)
		}
	}
	if n == nil {
		t.Fatal("nil tree")
	}
	if err := spanError(f, n); err != "" {
		t.Fatal(err)
	}
}
