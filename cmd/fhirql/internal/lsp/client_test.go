package lsp

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fhirql/fhirql/lang/source"
)

// testClient drives a server in-process over io.Pipe exactly as an editor
// does: framed JSON-RPC in both directions.
type testClient struct {
	t      testing.TB
	in     *io.PipeWriter
	out    *io.PipeReader
	nextID int
	done   chan error

	mu      sync.Mutex
	log     strings.Builder // the server's log
	pending map[string]chan *message
	diags   map[string][]PublishDiagnosticsParams // every publish, by URI
}

func startClient(t testing.TB, opts Options) *testClient {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &testClient{
		t: t, in: inW, out: outR, done: make(chan error, 1),
		pending: map[string]chan *message{},
		diags:   map[string][]PublishDiagnosticsParams{},
	}
	if opts.Log == nil {
		opts.Log = testLogWriter{c}
	}
	go func() {
		err := Serve(inR, outW, opts)
		outW.Close()
		c.done <- err
	}()
	go c.readLoop()
	t.Cleanup(func() {
		c.mu.Lock()
		log := c.log.String()
		c.mu.Unlock()
		if strings.Contains(log, "internal error") && !strings.Contains(log, "boom") {
			t.Errorf("the server recovered from a panic:\n%s", log)
		}
		inW.Close()
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			t.Errorf("server did not stop after its input closed")
		}
	})
	return c
}

type testLogWriter struct{ c *testClient }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	w.c.log.Write(p)
	w.c.mu.Unlock()
	return len(p), nil
}

func (c *testClient) readLoop() {
	r := newReader(c.out)
	for {
		body, err := r.read()
		if err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(body, &m); err != nil {
			c.t.Errorf("server sent invalid JSON: %v: %s", err, body)
			continue
		}
		if m.Method == "textDocument/publishDiagnostics" {
			var p PublishDiagnosticsParams
			if err := json.Unmarshal(m.Params, &p); err != nil {
				c.t.Errorf("bad publishDiagnostics: %v", err)
				continue
			}
			c.mu.Lock()
			c.diags[p.URI] = append(c.diags[p.URI], p)
			c.mu.Unlock()
			continue
		}
		if m.Method != "" {
			continue
		}
		c.mu.Lock()
		ch := c.pending[string(m.ID)]
		delete(c.pending, string(m.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- &m
		}
	}
}

func (c *testClient) send(v any) {
	c.t.Helper()
	w := &writer{w: c.in}
	if err := w.write(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// call sends a request and waits for its response, decoding the result into
// out (when non-nil). It returns the error object of an error response.
func (c *testClient) call(method string, params any, out any) *rpcError {
	c.t.Helper()
	c.nextID++
	id := fmt.Sprint(c.nextID)
	ch := make(chan *message, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	c.send(map[string]any{"jsonrpc": "2.0", "id": c.nextID, "method": method, "params": params})
	select {
	case m := <-ch:
		if m.Error != nil {
			return m.Error
		}
		if out != nil {
			if err := json.Unmarshal(m.Result, out); err != nil {
				c.t.Fatalf("%s: decoding result %s: %v", method, m.Result, err)
			}
		}
		return nil
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no response", method)
		return nil
	}
}

// mustCall is call for requests that must succeed.
func (c *testClient) mustCall(method string, params any, out any) {
	c.t.Helper()
	if err := c.call(method, params, out); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
}

func (c *testClient) notify(method string, params any) {
	c.t.Helper()
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

func (c *testClient) initialize(root string) map[string]any {
	c.t.Helper()
	var res map[string]any
	c.mustCall("initialize", map[string]any{"processId": nil, "rootUri": pathToURI(root), "capabilities": map[string]any{}}, &res)
	c.notify("initialized", map[string]any{})
	return res
}

// open opens a file with the given text (read from disk when text is "")
// and returns its URI.
func (c *testClient) open(path, text string) string {
	c.t.Helper()
	if text == "" {
		b, err := os.ReadFile(path)
		if err != nil {
			c.t.Fatal(err)
		}
		text = string(b)
	}
	uri := pathToURI(path)
	lang := "fview"
	if strings.HasSuffix(path, ".json") {
		lang = "json"
	}
	c.notify("textDocument/didOpen", map[string]any{"textDocument": TextDocumentItem{URI: uri, LanguageID: lang, Version: 1, Text: text}})
	return uri
}

func (c *testClient) change(uri string, version int, text string) {
	c.t.Helper()
	c.notify("textDocument/didChange", DidChangeTextDocumentParams{
		TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: version},
		ContentChanges: []TextDocumentContentChangeEvent{{Text: text}},
	})
}

// waitDiags waits for diagnostics of uri at version (or later) and returns
// the latest published.
func (c *testClient) waitDiags(uri string, version int) []Diagnostic {
	c.t.Helper()
	p := c.waitPublish(uri, 0, func(p PublishDiagnosticsParams) bool { return p.Version != nil && *p.Version >= version })
	c.mu.Lock()
	defer c.mu.Unlock()
	all := c.diags[uri]
	if last := all[len(all)-1]; last.Version != nil && *last.Version >= version {
		return last.Diagnostics
	}
	return p.Diagnostics
}

// published is the number of publishes received so far for uri.
func (c *testClient) published(uri string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.diags[uri])
}

// waitPublish waits for a publish for uri, from the from-th on, that
// satisfies ok.
func (c *testClient) waitPublish(uri string, from int, ok func(PublishDiagnosticsParams) bool) PublishDiagnosticsParams {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		all := c.diags[uri]
		for i := from; i < len(all); i++ {
			if ok(all[i]) {
				p := all[i]
				c.mu.Unlock()
				return p
			}
		}
		c.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	c.t.Fatalf("no matching diagnostics for %s", uri)
	return PublishDiagnosticsParams{}
}

// pos converts a marker in text to an LSP position: the offset of the
// first occurrence of marker plus delta.
func posOf(t testing.TB, text, marker string, delta int) Position {
	t.Helper()
	i := strings.Index(text, marker)
	if i < 0 {
		t.Fatalf("marker %q not in text", marker)
	}
	f := source.NewFileString("x", text)
	return position(f, source.Pos(i+delta))
}

func tdp(uri string, p Position) TextDocumentPositionParams {
	return TextDocumentPositionParams{TextDocument: TextDocumentIdentifier{URI: uri}, Position: p}
}

// copyExamples copies the example views into a fresh directory, so tests
// can add broken files beside them.
func copyExamples(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "..", "..", "examples")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".fview") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// applyEdits applies LSP text edits to text.
func applyEdits(t testing.TB, text string, edits []TextEdit) string {
	t.Helper()
	f := source.NewFileString("x", text)
	type e struct {
		s, end int
		text   string
	}
	var es []e
	for _, ed := range edits {
		es = append(es, e{int(offset(f, ed.Range.Start)), int(offset(f, ed.Range.End)), ed.NewText})
	}
	// Apply from the end so earlier offsets stay valid.
	for i := 0; i < len(es); i++ {
		for j := i + 1; j < len(es); j++ {
			if es[j].s > es[i].s {
				es[i], es[j] = es[j], es[i]
			}
		}
	}
	for _, x := range es {
		text = text[:x.s] + x.text + text[x.end:]
	}
	return text
}

// sortedLabels lists the labels in the order a client shows them.
func sortedLabels(items []CompletionItem) []string {
	cp := append([]CompletionItem(nil), items...)
	sort.SliceStable(cp, func(i, j int) bool { return cp[i].SortText < cp[j].SortText })
	out := make([]string, len(cp))
	for i, it := range cp {
		out[i] = it.Label
	}
	return out
}
