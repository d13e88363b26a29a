package check_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/rogpeppe/go-internal/txtar"
)

// FuzzCheck feeds arbitrary .fview text through the parser, the checker
// and lowering. Neither may panic, and every
// diagnostic, note and edit must lie within its file, because the CLI and
// the language server slice source text with those spans.
func FuzzCheck(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	lp, _ := filepath.Glob("../lower/testdata/*.txtar")
	for _, p := range append(paths, lp...) {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			continue
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".fview") {
				f.Add(string(file.Data))
			}
		}
	}
	f.Add(benchView(5))
	cat := r4.Catalog()
	f.Fuzz(func(t *testing.T, text string) {
		src := source.NewFileString("in.fview", text)
		af, diags := parse.ParseFile(src)
		if af == nil {
			return
		}
		c, dl := check.Check([]*ast.File{af}, cat)
		diags = append(diags, dl...)
		_ = c.Dump()
		// Lowering expects a clean check, but must not panic on any.
		_, ldl := lower.Lower(c)
		if !dl.HasErrors() {
			diags = append(diags, ldl...)
		}
		for _, d := range diags {
			if d.File == nil {
				t.Fatalf("diagnostic without a file: %s", d.Error())
			}
			inFile(t, d, d.File, d.Span, "span")
			for _, n := range d.Notes {
				nf := n.File
				if nf == nil {
					nf = d.File
				}
				inFile(t, d, nf, n.Span, "note span")
			}
			for _, e := range d.Edits {
				ef := e.File
				if ef == nil {
					ef = d.File
				}
				inFile(t, d, ef, e.Span, "edit span")
			}
		}
	})
}

func inFile(t *testing.T, d *diag.Diagnostic, f *source.File, sp source.Span, what string) {
	t.Helper()
	if sp.Start < 0 || sp.Start > sp.End || int(sp.End) > len(f.Text) {
		t.Fatalf("%s %v outside file of %d bytes: %s", what, sp, len(f.Text), d.Error())
	}
}

// benchView is a view of n columns over a mix of the constructs real views
// use: navigation, filters, choice types, functions, constants, nesting.
func benchView(n int) string {
	paths := []string{
		"id",
		"name.where(use = 'official').first().family",
		"name.first().given.join(' ')",
		"gender",
		"birthDate",
		"deceased.ofType(boolean)",
		"telecom.where(system = 'phone').value.first()",
		"address.first().line.first()",
		"managingOrganization.getReferenceKey(Organization)",
		"extension('http://example.org/race').value.ofType(Coding).code.first()",
		"identifier.where(system = %sys).value.first()",
		"maritalStatus.coding.first().code",
		"active.exists() and active",
		"contact.first().name.family",
		"multipleBirth.ofType(integer) + 1",
	}
	var b strings.Builder
	b.WriteString("const sys = 'http://example.org/mrn'\n\nview bench of Patient\nwhere active.exists()\n{\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  c%d = %s\n", i, paths[i%len(paths)])
	}
	b.WriteString("}\n")
	return b.String()
}

// BenchmarkCheck measures parse + check of a 50-column view, the unit of
// work the language server repeats on every keystroke.
func BenchmarkCheck(b *testing.B) {
	text := benchView(50)
	cat := r4.Catalog()
	src := source.NewFileString("bench.fview", text)
	if _, dl := check.Check(mustParse(b, src), cat); dl.HasErrors() {
		b.Fatalf("bench view has errors: %v", dl.Err())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		src := source.NewFileString("bench.fview", text)
		af, _ := parse.ParseFile(src)
		check.Check([]*ast.File{af}, cat)
	}
}

// BenchmarkCheckOnly is BenchmarkCheck without parsing, to tell the two apart.
func BenchmarkCheckOnly(b *testing.B) {
	cat := r4.Catalog()
	files := mustParse(b, source.NewFileString("bench.fview", benchView(50)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		check.Check(files, cat)
	}
}

func mustParse(b *testing.B, src *source.File) []*ast.File {
	af, dl := parse.ParseFile(src)
	if dl.HasErrors() {
		b.Fatalf("bench view does not parse: %v", dl.Err())
	}
	return []*ast.File{af}
}
