package check_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the output sections of golden files")

// parseAll parses the input sections of an archive (every *.fview and
// *.json file, in archive order) as one namespace.
func parseAll(t testing.TB, ar *txtar.Archive) ([]*ast.File, diag.List) {
	var files []*ast.File
	var diags diag.List
	for _, f := range ar.Files {
		var af *ast.File
		var dl diag.List
		src := source.NewFile(f.Name, f.Data)
		switch {
		case strings.HasSuffix(f.Name, ".fview"):
			af, dl = parse.ParseFile(src)
		case strings.HasSuffix(f.Name, ".json"):
			af, dl = viewdef.Read(src)
		default:
			continue
		}
		diags = append(diags, dl...)
		if af != nil {
			files = append(files, af)
		}
	}
	return files, diags
}

// TestGolden checks testdata/*.txtar: the input files, then the rendered
// diagnostics (`diag`) and the typed listing of every expression (`types`).
// Run with -update to rewrite the output sections; review the diff.
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	cat := r4.Catalog()
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files, diags := parseAll(t, ar)
			var typesOut string
			if !diags.HasErrors() {
				c, dl := check.Check(files, cat)
				diags = append(diags, dl...)
				typesOut = c.Dump()
			}
			var b bytes.Buffer
			diag.RenderText(&b, diags)
			for _, d := range diags {
				for _, e := range d.Edits {
					p := e.File.Position(e.Span.Start)
					q := e.File.Position(e.Span.End)
					b.WriteString("edit " + e.File.Name + ":" + itoa(p.Line) + ":" + itoa(p.Col) + "-" + itoa(q.Line) + ":" + itoa(q.Col) + " " + e.Title + ": " + quote(e.NewText) + "\n")
				}
			}
			want := map[string]string{"diag": b.String(), "types": typesOut}
			compareSections(t, path, ar, want)
		})
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func quote(s string) string { return "`" + s + "`" }

// compareSections compares (or with -update rewrites) the named output
// sections of an archive.
func compareSections(t *testing.T, path string, ar *txtar.Archive, got map[string]string) {
	t.Helper()
	changed := false
	for _, name := range []string{"diag", "types"} {
		g := got[name]
		found := false
		for i := range ar.Files {
			if ar.Files[i].Name != name {
				continue
			}
			found = true
			if string(ar.Files[i].Data) != g {
				if *update {
					ar.Files[i].Data = []byte(g)
					changed = true
				} else {
					t.Errorf("%s: section %q differs\n--- got ---\n%s--- want ---\n%s", path, name, g, ar.Files[i].Data)
				}
			}
		}
		if !found {
			if *update {
				ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(g)})
				changed = true
			} else {
				t.Errorf("%s: missing section %q; run with -update\n%s", path, name, g)
			}
		}
	}
	if changed {
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
