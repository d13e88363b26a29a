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

// TestVerifyDuckDBBadLines: bad input lines stop the runtime (the
// comparison fails and says --max-errors); with --max-errors the runtime
// skips them and verify checks that DuckDB's rejects view lists as many
// lines of each file.
func TestVerifyDuckDBBadLines(t *testing.T) {
	dir := t.TempDir()
	view := writeView(t, dir, "p.fview", "view pats of Patient {\n  id = id\n  gender = gender\n}\n")
	data := writeView(t, dir, "p.ndjson", "\xef\xbb\xbf"+`{"resourceType":"Patient","id":"a","gender":"male"}`+"\n"+
		`{"resourceType":"Patient","id":"b"`+"\n"+
		"{\"resourceType\":\"Patient\",\"id\":\"c\xff\"}\n"+
		`{"resourceType":"Patient","id":"d","x":NaN}`+"\n"+
		`{"resourceType":"Patient","id":"e"}`+"\n")
	code, out, _ := runFhirql("verify", view, "--input", data)
	if code != ExitErrors || !strings.Contains(out, "p.ndjson:2: not valid JSON") || !strings.Contains(out, "--max-errors") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = runFhirql("verify", view, "--input", data, "--max-errors", "3")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"view pats: runtime: 2 rows, duckdb: 2 rows, identical",
		"input: 3 line(s) unreadable on both sides, the same number in each file: " + data + " 3",
		"1 view(s) on runtime and duckdb: 1 identical, 0 different\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := runFhirql("verify", view, "--input", data, "--max-errors", "-1"); code != ExitUsage {
		t.Errorf("--max-errors -1: exit %d\n%s", code, errs)
	}
}
