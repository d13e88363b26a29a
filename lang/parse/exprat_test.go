package parse_test

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// jsonString decodes the JSON string literal starting at raw[start] (the
// opening quote) for the few escapes the test uses, and returns the text
// with a map from text offsets to file offsets, as lang/viewdef does.
func jsonString(raw string, start int) (string, func(int) source.Pos) {
	var text strings.Builder
	var offs []int
	i := start + 1
	for raw[i] != '"' {
		if strings.HasPrefix(raw[i:], `\u00`) {
			var b byte
			for _, c := range raw[i+4 : i+6] {
				b = b*16 + byte(strings.IndexRune("0123456789abcdef", c))
			}
			offs = append(offs, i)
			text.WriteByte(b)
			i += 6
			continue
		}
		offs = append(offs, i)
		text.WriteByte(raw[i])
		i++
	}
	offs = append(offs, i) // the closing quote: where the text ends
	return text.String(), func(k int) source.Pos { return source.Pos(offs[k]) }
}

// TestParseExprAt checks that spans and diagnostics of an expression
// embedded in a JSON string point into the JSON file, escapes included.
func TestParseExprAt(t *testing.T) {
	raw := `{"path": "\u0061.bb + c"}`
	f := source.NewFileString("v.json", raw)
	text, pos := jsonString(raw, strings.Index(raw, `"\u`))
	if text != "a.bb + c" {
		t.Fatalf("decoded %q", text)
	}
	e, ds := parse.ParseExprAt(f, text, pos)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	b, ok := e.(*ast.Binary)
	if !ok {
		t.Fatalf("got %s", ast.Dump(e))
	}
	if got := raw[b.OpSpan.Start:b.OpSpan.End]; got != "+" {
		t.Errorf("OpSpan covers %q", got)
	}
	m := b.X.(*ast.Member)
	if got := raw[m.NameSpan.Start:m.NameSpan.End]; got != "bb" {
		t.Errorf("NameSpan covers %q", got)
	}
	if got := raw[b.Sp.Start:b.Sp.End]; got != `\u0061.bb + c` {
		t.Errorf("Sp covers %q", got)
	}

	raw = `{"path": "\u0061 +"}`
	f = source.NewFileString("v.json", raw)
	text, pos = jsonString(raw, strings.Index(raw, `"\u`))
	e, ds = parse.ParseExprAt(f, text, pos)
	if len(ds) != 1 || ds[0].File != f {
		t.Fatalf("want one diagnostic in v.json, got %v", ds)
	}
	if got := ds[0].Span.Start; int(got) != strings.LastIndex(raw, `"`) {
		t.Errorf("error at %d, want the closing quote at %d: %v", got, strings.LastIndex(raw, `"`), ds[0])
	}
	if bad, ok := e.(*ast.Bad); !ok || raw[bad.Sp.Start:bad.Sp.End] != `\u0061 +` {
		t.Errorf("want Bad over the text, got %s", ast.Dump(e))
	}
}

// TestParseExprEmpty: an empty path is an error, not a panic or a nil tree.
func TestParseExprEmpty(t *testing.T) {
	for _, text := range []string{"", "   ", "// just a comment"} {
		e, ds := parse.ParseExpr(text)
		if e == nil || len(ds) != 1 || ds[0].Code != parse.CodeExpectedExpr {
			t.Errorf("%q: got %v, %v", text, e, ds)
		}
	}
}
