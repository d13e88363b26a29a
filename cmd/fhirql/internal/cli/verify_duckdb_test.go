//go:build cgo

package cli

import (
	"strings"
	"testing"
)

// TestVerifyDuckDBExamples: the example views on the Synapse sample,
// runtime against DuckDB, through the command a user runs.
func TestVerifyDuckDBExamples(t *testing.T) {
	code, out, errs := runFhirql("verify", "../../../../examples", "--input", "../../../../examples/data")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "7 view(s) on runtime and duckdb: 7 identical, 0 different") {
		t.Errorf("output:\n%s", out)
	}
}

// TestVerifyDuckDBShowsSQL: a view the engines disagree on (a declared date
// over a partial date: the SQL targets give NULL, the runtime the text)
// fails with both rows and, with --show-sql, the DuckDB SQL.
func TestVerifyDuckDBShowsSQL(t *testing.T) {
	dir := t.TempDir()
	view := writeView(t, dir, "b.fview", "view births of Patient {\n  id = getResourceKey()\n  birth = birthDate : date\n}\n")
	data := writeView(t, dir, "p.ndjson", `{"resourceType":"Patient","id":"a","birthDate":"1980-05"}`+"\n")
	code, out, _ := runFhirql("verify", view, "--input", data, "--show-sql")
	if code != ExitErrors {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{`- {"id": "a", "birth": "1980-05"}`, `+ {"id": "a", "birth": null}`, "duckdb SQL:\nSELECT", "read_json_objects("} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
