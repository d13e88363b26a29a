//go:build cgo

package duckdbengine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
)

// TestSizedColumnsNeverCut: a column sized from the catalog (a resource id:
// 64 characters; a code: 256) keeps every value that fits, whole, and a
// value that does not fit fails the query with a message naming the
// column, the view, the size and the resource, instead of being cut (what
// a T-SQL CAST to NVARCHAR(n) would do without a word). DuckDB runs the
// same length check the T-SQL targets print.
func TestSizedColumnsNeverCut(t *testing.T) {
	const view = `view sized of Patient {
  id     = getResourceKey()
  gender = gender
  doctor = generalPractitioner.first().getReferenceKey(Practitioner)
}`
	id64 := strings.Repeat("a", 64)
	got := differential(t, view,
		`{"resourceType":"Patient","id":"`+id64+`","gender":"female","generalPractitioner":[{"reference":"Practitioner/`+id64+`"}]}`,
		`{"resourceType":"Patient","id":"p2","gender":"other-gender-code-not-in-the-value-set"}`,
	)
	wantRows(t, got, map[string]string{
		id64: "female | " + id64,
		"p2": "other-gender-code-not-in-the-value-set | null",
	})

	for _, c := range []struct{ name, line, want string }{
		{"id", `{"resourceType":"Patient","id":"` + strings.Repeat("b", 65) + `"}`,
			`fhirql: column "id" of view "sized" is sized for 64 characters but Patient/` + strings.Repeat("b", 65) + ` has a value of 65`},
		{"reference key", `{"resourceType":"Patient","id":"p3","generalPractitioner":[{"reference":"Practitioner/` + strings.Repeat("c", 70) + `"}]}`,
			`fhirql: column "doctor" of view "sized" is sized for 64 characters but Patient/p3 has a value of 70`},
		{"code", `{"resourceType":"Patient","id":"p4","gender":"` + strings.Repeat("g", 65) + `"}`,
			`fhirql: column "gender" of view "sized" is sized for 64 characters but Patient/p4 has a value of 65`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := runDuckDB(t, view, c.line)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}

// runDuckDB runs one view on DuckDB alone over the given lines.
func runDuckDB(t *testing.T, view string, lines ...string) error {
	t.Helper()
	dir := t.TempDir()
	fview := filepath.Join(dir, "v.fview")
	input := filepath.Join(dir, "data.ndjson")
	if err := os.WriteFile(fview, []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := compiler.Load([]string{fview}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	_, err = eng.Run(context.Background(), res.Views()[0], []string{input})
	return err
}
