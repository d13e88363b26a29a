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
	"github.com/fhirql/fhirql/verify"
)

// oddLines is a file of every kind of line docs/input.md has a rule for,
// with the rule's outcome: read (a resource) or not (a bad line).
var oddLines = []struct {
	line string
	read bool
}{
	{"\xef\xbb\xbf" + `{"resourceType":"Patient","id":"bom","gender":"female"}`, true},     // a BOM at the start of the file
	{`{"resourceType":"Patient","id":"trunc"`, false},                                      // truncated
	{"{\"resourceType\":\"Patient\",\"id\":\"utf\xff8\"}", false},                          // invalid UTF-8
	{"{\"resourceType\":\"Patient\",\"id\":\"skip\",\"text\":{\"div\":\"\xc3(\"}}", false}, // invalid UTF-8 in an unread value
	{`{"resourceType":"Patient","id":"lone\ud800"}`, false},                                // lone surrogate escape
	{`{"resourceType":"Patient","id":"pair\ud83c\udf89","gender":"male"}`, true},           // a pair is a character
	{"{\"resourceType\":\"Patient\",\"id\":\"fffd\xef\xbf\xbd\"}", true},                   // U+FFFD written out is text
	{`["Patient"]`, false},                     // not an object
	{`{"id":"no-type"}`, false},                // no resourceType
	{`{"resourceType":7,"id":"seven"}`, false}, // resourceType not a string
	{``, true},      // blank: neither read nor bad
	{"   \t", true}, // blank
	{"\xef\xbb\xbf" + `{"resourceType":"Patient","id":"bom2"}`, false}, // a BOM inside the file
	{`{"resourceType":"Patient","id":"crlf"}` + "\r", true},            // CRLF line end
	{`{"resourceType":"Patient","id":"comma",}`, false},                // trailing comma
	{`{"resourceType":"Patient","id":"nan","x":NaN}`, false},           // not JSON numbers
	{`{"resourceType":"Patient","id":"last"}`, true},
}

// TestOddLines: the runtime (skipping bad lines under --max-errors) and the
// DuckDB SQL read the same lines of a file full of odd ones, give the same
// rows, and DuckDB's rejects view lists exactly the lines the runtime
// skipped (docs/input.md).
func TestOddLines(t *testing.T) {
	dir := t.TempDir()
	var text []string
	bad := int64(0)
	for _, l := range oddLines {
		text = append(text, l.line)
		if !l.read {
			bad++
		}
	}
	input := filepath.Join(dir, "odd.ndjson")
	if err := os.WriteFile(input, []byte(strings.Join(text, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	// A second file: rejects are counted per file.
	second := filepath.Join(dir, "second.ndjson")
	if err := os.WriteFile(second, []byte("\xef\xbb\xbf"+`{"resourceType":"Patient","id":"s1"}`+"\n"+`{"resourceType":"Patient",`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fview := filepath.Join(dir, "v.fview")
	os.WriteFile(fview, []byte("view odd of Patient {\n  id = id\n  gender = gender\n}\n"), 0o644)
	res := compiler.Load([]string{fview}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	inputs := []string{input, second}

	// Without --max-errors the runtime stops at the first bad line.
	r := verify.Verify(context.Background(), &verify.Runtime{}, eng, res.Views()[0], inputs)
	if r.ReferenceErr == nil || !strings.Contains(r.ReferenceErr.Error(), "odd.ndjson:2: not valid JSON") {
		t.Fatalf("runtime without --max-errors: %v", r.ReferenceErr)
	}

	ref := &verify.Runtime{MaxErrors: 100}
	r = verify.Verify(context.Background(), ref, eng, res.Views()[0], inputs)
	var b strings.Builder
	r.Write(&b, ref.Name(), eng.Name(), 0)
	if !r.OK() || r.ReferenceErr != nil {
		t.Fatalf("engines disagree:\n%s", b.String())
	}
	ids := map[string]bool{}
	for _, row := range r.Reference.Rows {
		ids[cell(row[0])] = true
	}
	for _, want := range []string{"bom", "pair🎉", "fffd\uFFFD", "crlf", "last", "s1"} {
		if !ids[want] {
			t.Errorf("row %q missing: %v", want, ids)
		}
	}
	if len(ids) != 6 {
		t.Errorf("rows %v, want 6", ids)
	}

	rejects, err := eng.(verify.Rejecter).Rejects(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	lines := verify.CompareLines(ref.BadLines, rejects)
	b.Reset()
	lines.Write(&b, "runtime", "duckdb", rejects, 0)
	if !lines.Equal() || lines.Runtime[input] != bad || lines.Runtime[second] != 1 {
		t.Fatalf("unreadable lines (want %d in odd.ndjson, 1 in second.ndjson):\n%s\nrejects: %q", bad, b.String(), rejects)
	}
	want := "input: 11 line(s) unreadable on both sides, the same number in each file: " + input + " 10, " + second + " 1\n"
	if b.String() != want {
		t.Errorf("report:\n%s\nwant\n%s", b.String(), want)
	}
	reasons := map[string]int{}
	for _, r := range rejects {
		reasons[r.Reason]++
	}
	if reasons["not valid UTF-8"] != 2 || reasons["not a JSON object"] != 1 || reasons["no resourceType"] != 2 {
		t.Errorf("reasons: %v", reasons)
	}
}
