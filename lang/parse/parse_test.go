package parse_test

import (
	"bytes"
	"os"
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

// TestGolden runs every testdata/*.txtar archive. Each input section
// (`NAME.fview` for a file, `NAME.expr` for one FHIRPath expression per
// line) is followed by its expected output: `NAME.ast` (ast.Dump) when it
// parses cleanly, `NAME.diag` (rendered diagnostics) when it does not. The
// section names for the input `in.fview` are plain `ast` and `diag`.
// `go test -update` rewrites the output sections; review the git diff.
func TestGolden(t *testing.T) {
	for _, path := range golden.Archives(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			runArchive(t, path)
		})
	}
}

func outputName(input, kind string) string {
	base := input[:strings.LastIndexByte(input, '.')]
	if base == "in" {
		return kind
	}
	return base + "." + kind
}

func runArchive(t *testing.T, path string) {
	ar := golden.Read(t, path)
	var want []txtar.File
	for _, f := range ar.Files {
		var got, gotKind string
		switch {
		case strings.HasSuffix(f.Name, ".fview"):
			got, gotKind = runFile(t, f.Name, f.Data)
		case strings.HasSuffix(f.Name, ".expr"):
			got, gotKind = runExprs(t, f.Name, f.Data)
		default:
			continue // an output section; computed below
		}
		// An input that used to parse and now fails (or the reverse)
		// shows as a missing section and a stale one.
		want = append(want, f, golden.File(outputName(f.Name, gotKind), got))
	}
	golden.Check(t, path, ar, want)
}

// runFile parses a .fview section; clean inputs must also survive a format
// round trip, so every golden input doubles as a formatter test.
func runFile(t *testing.T, name string, data []byte) (string, string) {
	f := source.NewFile(name, data)
	tree, ds := parse.ParseFile(f)
	checkSpans(t, f, tree)
	if len(ds) > 0 {
		var b bytes.Buffer
		diag.RenderText(&b, ds)
		return b.String(), "diag"
	}
	checkRoundTrip(t, name, tree)
	return ast.Dump(tree), "ast"
}

// runExprs parses each non-empty line as one expression.
func runExprs(t *testing.T, name string, data []byte) (string, string) {
	var b bytes.Buffer
	kind := "ast"
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString("> " + line + "\n")
		f := source.NewFileString(name, line)
		e, ds := parse.ParseExprAt(f, line, nil)
		checkSpans(t, f, e)
		if len(ds) > 0 {
			kind = "diag"
			diag.RenderText(&b, ds)
			continue
		}
		b.WriteString(ast.Dump(e))
		text := format.Expr(e)
		b.WriteString("= " + text + "\n")
		e2, ds2 := parse.ParseExpr(text)
		if len(ds2) > 0 || ast.DumpNoSpans(e2) != ast.DumpNoSpans(e) {
			t.Errorf("%s: %q formats as %q, which parses differently (%v)", name, line, text, ds2)
		}
	}
	return b.String(), kind
}

// checkSpans asserts every node's spans lie inside the file and nest inside
// their parent's.
func checkSpans(t *testing.T, f *source.File, n ast.Node) {
	t.Helper()
	if err := spanError(f, n); err != "" {
		t.Error(err)
	}
}

func spanError(f *source.File, root ast.Node) string {
	size := source.Pos(len(f.Text))
	msg := ""
	ast.Inspect(root, func(n ast.Node) bool {
		sp := n.Span()
		if sp.Start < 0 || sp.End > size || sp.Start > sp.End {
			msg = "span out of file: " + ast.Dump(n)
			return false
		}
		return true
	})
	return msg
}

// checkRoundTrip formats a tree, parses the text again and compares the
// trees without spans; formatting twice must change nothing.
func checkRoundTrip(t *testing.T, name string, tree *ast.File) {
	t.Helper()
	text := format.File(tree)
	f2 := source.NewFile(name, text)
	tree2, ds := parse.ParseFile(f2)
	if len(ds) > 0 {
		var b bytes.Buffer
		diag.RenderText(&b, ds)
		t.Errorf("%s: formatted text does not parse:\n%s\n%s", name, text, b.String())
		return
	}
	if a, b := ast.DumpNoSpans(tree), ast.DumpNoSpans(tree2); a != b {
		t.Errorf("%s: format changed the tree\nformatted:\n%s\nbefore:\n%s\nafter:\n%s", name, text, a, b)
	}
	if again := format.File(tree2); !bytes.Equal(again, text) {
		t.Errorf("%s: format is not idempotent\nfirst:\n%s\nsecond:\n%s", name, text, again)
	}
}

// TestGrammar pins the grammar: a change to the grammar structs shows up as
// a diff of testdata/grammar.ebnf.
func TestGrammar(t *testing.T) {
	const path = "testdata/grammar.ebnf"
	got := parse.Grammar() + "\n"
	if golden.Updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("grammar changed (run go test -update and review the diff)\n--- want\n%s--- got\n%s", want, got)
	}
}
