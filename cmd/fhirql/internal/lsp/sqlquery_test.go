package lsp

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLQuery: a .sql file beside views gets the query's diagnostics,
// completion of view and column names, and hover with the column's type and
// FHIRPath; it is not read as a view file.
func TestSQLQuery(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	path := filepath.Join(dir, "q.sql")
	text := "SELECT p.gendr, COUNT(*) AS n\nFROM patient_demographics AS p\nGROUP BY p.gender\n"
	uri := c.open(path, text)
	diags := c.waitDiags(uri, 1)
	if len(diags) != 1 || diags[0].Code != "FQL5003" || diags[0].Range.Start.Line != 0 || diags[0].Range.Start.Character != 7 ||
		!strings.Contains(diags[0].Message, `did you mean "gender"?`) {
		t.Fatalf("diagnostics: %+v", diags)
	}
	fixed := strings.Replace(text, "gendr", "gender", 1)
	c.change(uri, 2, fixed)
	if d := c.waitDiags(uri, 2); len(d) != 0 {
		t.Fatalf("after the fix: %+v", d)
	}
	// a view file of the directory is unaffected by the .sql file
	other := c.open(filepath.Join(dir, "encounters.fview"), "")
	if d := c.waitDiags(other, 1); len(d) != 0 {
		t.Fatalf("encounters.fview: %+v", d)
	}

	complete := func(text, marker string, delta int) []string {
		t.Helper()
		c.change(uri, 3, text)
		var list CompletionList
		c.mustCall("textDocument/completion", CompletionParams{TextDocumentPositionParams: tdp(uri, posOf(t, text, marker, delta))}, &list)
		return sortedLabels(list.Items)
	}
	got := complete("SELECT p.bi FROM patient_demographics AS p", "p.bi", 4)
	if strings.Join(got, ",") != "birth_date" {
		t.Errorf("after p.bi: %v", got)
	}
	got = complete("SELECT * FROM enc", "enc", 3)
	if strings.Join(got, ",") != "encounters" {
		t.Errorf("after FROM: %v", got)
	}
	got = complete("SELECT cla FROM encounters", "cla", 3)
	if strings.Join(got, ",") != "class_code" {
		t.Errorf("columns of the query's views: %v", got)
	}

	c.change(uri, 4, fixed)
	var h *Hover
	c.mustCall("textDocument/hover", tdp(uri, posOf(t, fixed, "p.gender", 3)), &h)
	if h == nil || !strings.Contains(h.Contents.Value, "gender = gender") || !strings.Contains(h.Contents.Value, "**string** in queries") {
		t.Fatalf("hover on p.gender: %+v", h)
	}
	c.mustCall("textDocument/hover", tdp(uri, posOf(t, fixed, "patient_demographics", 2)), &h)
	if h == nil || !strings.Contains(h.Contents.Value, "view patient_demographics of Patient") {
		t.Fatalf("hover on the view: %+v", h)
	}
}
