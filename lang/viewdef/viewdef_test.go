package viewdef

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

func TestStringOffsets(t *testing.T) {
	for _, tc := range []struct {
		raw  string // a JSON string token
		text string // decoded
		offs []int  // raw offset of each decoded byte, then the closing quote
	}{
		{`"ab"`, "ab", []int{1, 2, 3}},
		{`"a\"b"`, `a"b`, []int{1, 2, 4, 5}},
		{`"\\x"`, `\x`, []int{1, 3, 4}},
		{`"\u00e9!"`, "é!", []int{1, 1, 7, 8}},
		{`"é!"`, "é!", []int{1, 2, 3, 4}},
		{`"\ud83d\ude00"`, "😀", []int{1, 1, 1, 1, 13}},
		{`"\ud800x"`, "\uFFFDx", []int{1, 1, 1, 7, 8}},
		{"\"\xffa\"", "\uFFFDa", []int{1, 1, 1, 2, 3}},
	} {
		v, err := parseJSON(tc.raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err.msg)
		}
		if v.text != tc.text {
			t.Errorf("%s: decoded %q, want %q", tc.raw, v.text, tc.text)
		}
		if got := stringOffsets(tc.raw, v); !cmp.Equal(got, tc.offs) {
			t.Errorf("%s: offsets %v, want %v", tc.raw, got, tc.offs)
		}
	}
}

func TestInvalidJSONPositions(t *testing.T) {
	for _, tc := range []struct {
		in        string
		line, col int
		msg       string
	}{
		{"{\n  \"a\": 1,\n}", 3, 1, "comma before '}'"},
		{"{\"a\" 1}", 1, 6, "expected ':'"},
		{"[1 2]", 1, 4, "expected ',' or ']'"},
		{"{\"a\": \"x\\q\"}", 1, 9, `invalid escape "\q"`},
		{"{\"a\": 01}", 1, 7, "leading zeros"},
		{"{\"a\": 'x'}", 1, 7, "double quotes"},
		{"// c\n{}", 1, 1, "comments"},
		{"{} []", 1, 4, "after the end"},
		{"{\"a\": tru}", 1, 7, "did you mean true"},
		{"{\"a\": \"x", 1, 7, "not closed"},
	} {
		f := source.NewFileString("in.json", tc.in)
		_, diags := Read(f)
		if len(diags) != 1 || diags[0].Code != CodeInvalidJSON {
			t.Errorf("%q: diagnostics %v, want one %s", tc.in, diags, CodeInvalidJSON)
			continue
		}
		p := f.Position(diags[0].Span.Start)
		if p.Line != tc.line || p.Col != tc.col || !strings.Contains(diags[0].Message, tc.msg) {
			t.Errorf("%q: %d:%d %q, want %d:%d containing %q", tc.in, p.Line, p.Col, diags[0].Message, tc.line, tc.col, tc.msg)
		}
	}
}

// TestQuickFix: a misspelt key gets an edit replacing the whole key token.
func TestQuickFix(t *testing.T) {
	in := `{"resource": "Patient", "select": [{"colum": []}]}`
	f := source.NewFileString("in.json", in)
	_, diags := Read(f)
	if len(diags) != 1 || diags[0].Code != CodeUnknownProperty || len(diags[0].Edits) != 1 {
		t.Fatalf("got %v", diags)
	}
	e := diags[0].Edits[0]
	if got := in[e.Span.Start:e.Span.End]; got != `"colum"` || e.NewText != `"column"` {
		t.Errorf("edit replaces %s with %s", got, e.NewText)
	}
}

// TestAttrsVerbatim: properties fhirql does not interpret survive as compact
// JSON with their escapes and number lexemes, in input order.
func TestAttrsVerbatim(t *testing.T) {
	in := `{"b": [ 1.50 , 1E+2 ], "resource": "Patient", "a": "\u00e9\n", "select": [{"column": [{"name": "id", "path": "id"}]}]}`
	file, diags := Read(source.NewFileString("in.json", in))
	if len(diags) != 2 { // two unknown top-level properties: warnings
		t.Fatalf("diagnostics: %v", diags)
	}
	var got [][2]string
	for _, a := range file.Views[0].Attrs {
		got = append(got, [2]string{a.Key, a.JSON})
	}
	want := [][2]string{{"b", `[1.50,1E+2]`}, {"a", `"\u00e9\n"`}}
	if !cmp.Equal(got, want) {
		t.Errorf("attrs %v, want %v", got, want)
	}
}

func lit(kind ast.LitKind, v string) *ast.Literal { return &ast.Literal{Kind: kind, Value: v} }

// TestWriteShared: a .fview view that uses file-level constants exports them
// (only those it uses, not those it shadows), typed by annotation or by
// literal kind.
func TestWriteShared(t *testing.T) {
	shared := []*ast.Const{
		{Name: "loinc", Value: lit(ast.String, "http://loinc.org")},
		{Name: "limit", Value: lit(ast.Decimal, "1.50")},
		{Name: "unused", Value: lit(ast.Integer, "1")},
		{Name: "kind", Type: "code", Value: lit(ast.String, "vital-signs")},
		{Name: "when", Value: lit(ast.DateTime, "2020-01-02T10:00:00Z")},
	}
	v := &ast.View{
		Name:     "obs",
		Resource: "Observation",
		Consts:   []*ast.Const{{Name: "limit", Value: lit(ast.Integer, "3")}},
		Where:    []*ast.Where{{Path: &ast.Var{Name: "kind"}}},
		Select: []*ast.Select{{Columns: []*ast.Column{
			{Name: "a", Path: &ast.Var{Name: "loinc"}},
			{Name: "b", Path: &ast.Var{Name: "limit"}},
			{Name: "c", Path: &ast.Var{Name: "when"}, Collection: true},
		}}},
	}
	out, err := WriteFile(&ast.File{Consts: shared[:3], Views: []*ast.View{v}}, shared[3:])
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJSON(t, out[0]).(map[string]any)["constant"]
	want := decodeJSON(t, []byte(`[
		{"name": "loinc", "valueString": "http://loinc.org"},
		{"name": "kind", "valueCode": "vital-signs"},
		{"name": "when", "valueDateTime": "2020-01-02T10:00:00Z"},
		{"name": "limit", "valueInteger": 3}]`))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("constants (-want +got):\n%s\n%s", d, out[0])
	}
	// Without the shared constants the view is written as is.
	alone, err := Write(v)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(decodeJSON(t, alone).(map[string]any)["constant"].([]any)); n != 1 {
		t.Errorf("Write without shared constants wrote %d constants", n)
	}
}

func TestWriteErrors(t *testing.T) {
	sel := []*ast.Select{{Columns: []*ast.Column{{Name: "id", Path: &ast.Ident{Name: "id"}}}}}
	for name, tc := range map[string]struct {
		v   *ast.View
		msg string
	}{
		"no resource":    {&ast.View{Name: "v", Select: sel}, "no resource"},
		"no select":      {&ast.View{Name: "v", Resource: "Patient"}, "no select"},
		"quantity const": {&ast.View{Resource: "Patient", Select: sel, Consts: []*ast.Const{{Name: "q", Value: &ast.Literal{Kind: ast.Quantity, Value: "1", Unit: "mg"}}}}, "quantity"},
		"unknown type":   {&ast.View{Resource: "Patient", Select: sel, Consts: []*ast.Const{{Name: "q", Type: "Quantity", Value: lit(ast.String, "x")}}}, `type "Quantity"`},
		"bad number":     {&ast.View{Resource: "Patient", Select: sel, Consts: []*ast.Const{{Name: "n", Type: "integer", Value: lit(ast.String, "x")}}}, "not a number"},
		"unparsed expr":  {&ast.View{Resource: "Patient", Select: []*ast.Select{{Columns: []*ast.Column{{Name: "id", Path: &ast.Bad{}}}}}}, "did not parse"},
		"missing expr":   {&ast.View{Resource: "Patient", Select: []*ast.Select{{Kind: ast.ForEach, Columns: sel[0].Columns}}}, "forEach has no FHIRPath"},
		"empty repeat":   {&ast.View{Resource: "Patient", Select: []*ast.Select{{Kind: ast.Repeat, Columns: sel[0].Columns}}}, "no paths"},
		"invalid attr":   {&ast.View{Resource: "Patient", Select: sel, Attrs: []*ast.Attr{{Key: "x", JSON: "{"}}}, "invalid JSON"},
	} {
		_, err := Write(tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.msg)
		}
	}
}

func TestQuoteJSON(t *testing.T) {
	for in, want := range map[string]string{
		"a<b & c>d":     `"a<b & c>d"`,
		"q\"\\\n\t\x01": `"q\"\\\n\t\u0001"`,
		"é\u2028":       `"é\u2028"`,
		"\xff":          `"\ufffd"`,
	} {
		if got := quoteJSON(in); got != want {
			t.Errorf("quoteJSON(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestFHIRPathQuickFixInJSON: a parser quick fix inside a path string is
// escaped for JSON and replaces exactly the raw text it means.
func TestFHIRPathQuickFixInJSON(t *testing.T) {
	in := `{"resource": "Patient", "select": [{"column": [{"name": "a", "path": "name.where(use = \"o\\k\")"}]}]}`
	f := source.NewFileString("in.json", in)
	_, diags := Read(f)
	if len(diags) == 0 {
		t.Fatal("no diagnostics")
	}
	var edits []string
	for _, d := range diags {
		for _, e := range d.Edits {
			edits = append(edits, in[e.Span.Start:e.Span.End]+" => "+e.NewText)
		}
	}
	if len(edits) == 0 {
		t.Fatalf("no quick fix in %v", diags)
	}
	// Applying every edit must leave valid JSON.
	for _, d := range diags {
		for _, e := range d.Edits {
			fixed := in[:e.Span.Start] + e.NewText + in[e.Span.End:]
			if _, err := parseJSON(fixed); err != nil {
				t.Errorf("edit %q breaks the JSON: %s\n%s", e.Title, err.msg, fixed)
			}
		}
	}
	if want := []string{`\"o\\k\" => 'o\\k'`}; !cmp.Equal(edits, want) {
		t.Errorf("edits %q, want %q", edits, want)
	}
}
