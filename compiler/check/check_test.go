package check_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/internal/golden"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
	"github.com/rogpeppe/go-internal/txtar"
)

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
	cat := r4.Catalog()
	for _, path := range golden.Archives(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar := golden.Read(t, path)
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
			var want []txtar.File
			for _, f := range ar.Files {
				if f.Name != "diag" && f.Name != "types" {
					want = append(want, f)
				}
			}
			golden.Check(t, path, ar, append(want, golden.File("diag", b.String()), golden.File("types", typesOut)))
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
