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

// TestVerifyDuckDBShowsSQL: a view the engines disagree on (a decimal
// beyond a double's precision: DuckDB reads JSON numbers as doubles)
// fails with both rows and, with --show-sql, the DuckDB SQL.
func TestVerifyDuckDBShowsSQL(t *testing.T) {
	dir := t.TempDir()
	view := writeView(t, dir, "b.fview", "view big of Observation {\n  id = getResourceKey()\n  value = value.ofType(Quantity).value\n}\n")
	data := writeView(t, dir, "o.ndjson", `{"resourceType":"Observation","id":"a","status":"final","code":{"text":"x"},"valueQuantity":{"value":12345678901234567890.123}}`+"\n")
	code, out, _ := runFhirql("verify", view, "--input", data, "--show-sql")
	if code != ExitErrors {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{`- {"id": "a", "value": 12345678901234567890.123}`, `+ {"id": "a", "value": 12345678901234567000}`, "duckdb SQL:\nSELECT", "read_csv("} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
