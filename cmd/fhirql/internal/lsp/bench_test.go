package lsp

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/source"
)

// bigFile builds a file of about n lines from the examples' views, renamed so
// that they do not clash, plus the constants they use.
func bigFile(tb testing.TB, n int) string {
	tb.Helper()
	src := filepath.Join("..", "..", "..", "..", "examples")
	var views []string
	for _, name := range []string{"patient_demographics.fview", "observations.fview", "condition_codings.fview", "encounters.fview", "patient_addresses.fview", "questionnaire_answers.fview"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			tb.Fatal(err)
		}
		views = append(views, string(b))
	}
	var b strings.Builder
	b.WriteString("const loinc = 'http://loinc.org'\nconst snomed = 'http://snomed.info/sct'\n\n")
	for i := 0; strings.Count(b.String(), "\n") < n; i++ {
		v := views[i%len(views)]
		v = strings.ReplaceAll(v, " of ", fmt.Sprintf("_%d of ", i))
		b.WriteString(v)
		b.WriteString("\n")
	}
	return b.String()
}

// benchServer is a server with one open document, answering into io.Discard.
func benchServer(b *testing.B, text string) (*Server, string) {
	b.Helper()
	dir := b.TempDir()
	s := newServer(io.Discard, Options{Debounce: -1})
	s.initialized = true
	uri := pathToURI(filepath.Join(dir, "big.fview"))
	s.handle(mustJSON(b, map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{
		"textDocument": TextDocumentItem{URI: uri, LanguageID: "fview", Version: 1, Text: text},
	}}))
	return s, uri
}

func mustJSON(tb testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDiagnosticsAfterEdit measures one keystroke in a 200-line file:
// decoding the change, parsing, checking and planning the namespace, and
// encoding the published diagnostics.
func BenchmarkDiagnosticsAfterEdit(b *testing.B) {
	text := bigFile(b, 200)
	s, uri := benchServer(b, text)
	if n := strings.Count(text, "\n"); n < 200 {
		b.Fatalf("only %d lines", n)
	}
	// Two versions that differ by one character in a string literal.
	alt := strings.Replace(text, "'official'", "'officiaL'", 1)
	bodies := [2][]byte{}
	for i, t := range []string{alt, text} {
		bodies[i] = mustJSON(b, map[string]any{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: i + 2},
			ContentChanges: []TextDocumentContentChangeEvent{{Text: t}},
		}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.handle(bodies[i%2])
	}
	b.StopTimer()
	if a := s.analyze(s.namespaceFor(s.docs[uri].dir)); len(a.diags[s.docs[uri].name].Errors()) > 0 {
		b.Fatalf("the benchmark file has errors: %v", a.diags[s.docs[uri].name])
	}
}

// BenchmarkCompletion measures completion right after `name.` in a 200-line
// file, the text as the user has it: the line is incomplete.
func BenchmarkCompletion(b *testing.B) {
	text := bigFile(b, 200)
	// a new line before the first all_given column (layout-independent)
	i := strings.Index(text, "all_given[]")
	if i < 0 {
		b.Fatal("no all_given column in the examples")
	}
	i = strings.LastIndexByte(text[:i], '\n') + 1
	text = text[:i] + "  x = name.\n" + text[i:]
	s, uri := benchServer(b, text)
	f := source.NewFileString("x", text)
	pos := position(f, source.Pos(strings.Index(text, "x = name.")+len("x = name.")))
	body := mustJSON(b, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "textDocument/completion", "params": tdp(uri, pos)})
	// Check once that the answer is the right one.
	d, a, pf, _ := s.fileOf(uri)
	cl := s.complete(a, pf, source.NewFileString(d.name, d.text), int(offset(pf.src, pos)))
	if !hasLabel(cl.Items, "family") {
		b.Fatalf("completion: %v", head10(sortedLabels(cl.Items)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.handle(body)
	}
}

// BenchmarkHover measures a hover on a path step in a 200-line file.
func BenchmarkHover(b *testing.B) {
	text := bigFile(b, 200)
	s, uri := benchServer(b, text)
	f := source.NewFileString("x", text)
	pos := position(f, source.Pos(strings.Index(text, "name.where")+1))
	body := mustJSON(b, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": tdp(uri, pos)})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.handle(body)
	}
}
