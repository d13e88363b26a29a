package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func frame(msgs ...map[string]any) string {
	var b strings.Builder
	for _, m := range msgs {
		body, _ := json.Marshal(m)
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	return b.String()
}

func TestLSPCommand(t *testing.T) {
	in := frame(
		map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}},
		map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}},
		map[string]any{"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
		map[string]any{"jsonrpc": "2.0", "method": "exit"},
	)
	var out, errb bytes.Buffer
	if code := Main([]string{"lsp", "--stdio"}, strings.NewReader(in), &out, &errb); code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"hoverProvider":true`) || !strings.Contains(out.String(), `"id":2,"result":null`) {
		t.Errorf("output:\n%s", out.String())
	}
	// The input ends without shutdown: exit status 1, as the LSP spec asks.
	if code := Main([]string{"lsp"}, strings.NewReader(""), &out, &errb); code != ExitErrors {
		t.Errorf("exit without shutdown: %d", code)
	}
	if code := Main([]string{"lsp", "extra"}, strings.NewReader(""), &out, &errb); code != ExitUsage {
		t.Errorf("stray argument: %d", code)
	}
}
