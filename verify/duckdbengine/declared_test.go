package duckdbengine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/verify"
)

// TestDeclaredTemporal: a column declared date, dateTime or time holds a
// value only when the text has exactly that precision (runtime/write
// declared.go), on the runtime as in SQL, where TRY_CAST gives NULL.
func TestDeclaredTemporal(t *testing.T) {
	dir := t.TempDir()
	view := `view births of Patient {
  id       = getResourceKey()
  birth    = birthDate : date
  as_text  = birthDate
  died     = deceased.ofType(dateTime) : dateTime
  died_day = deceased.ofType(dateTime) : date
}
`
	data := strings.Join([]string{
		`{"resourceType":"Patient","id":"full","birthDate":"1980-05-17","deceasedDateTime":"2020-01-02T03:04:05Z"}`,
		`{"resourceType":"Patient","id":"month","birthDate":"1980-05","deceasedDateTime":"2020-01-02"}`,
		`{"resourceType":"Patient","id":"year","birthDate":"1980","deceasedDateTime":"2020"}`,
		`{"resourceType":"Patient","id":"bad","birthDate":"1980-02-30","deceasedDateTime":"2020-01-02T25:00:00Z"}`,
		`{"resourceType":"Patient","id":"none"}`,
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "births.fview"), []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "Patient.ndjson")
	if err := os.WriteFile(input, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	res := compiler.Load([]string{filepath.Join(dir, "births.fview")}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ref := &verify.Runtime{}
	r := verify.Verify(context.Background(), ref, eng, res.Views()[0], []string{input})
	var b strings.Builder
	r.Write(&b, ref.Name(), eng.Name(), 0)
	if !r.OK() || r.ReferenceErr != nil || len(r.Reference.Rows) != 5 {
		t.Fatalf("engines disagree or wrong rows:\n%s", b.String())
	}
	got := map[string]string{}
	for _, row := range r.Reference.Rows {
		got[cell(row[0])] = strings.Join([]string{cell(row[1]), cell(row[2]), cell(row[3]), cell(row[4])}, " ")
	}
	want := map[string]string{
		"full":  "1980-05-17 1980-05-17 2020-01-02T03:04:05Z null",
		"month": "null 1980-05 null 2020-01-02",
		"year":  "null 1980 null null",
		"bad":   "null 1980-02-30 null null",
		"none":  "null null null null",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("runtime row %s = %s, want %s", id, got[id], w)
		}
	}
}
