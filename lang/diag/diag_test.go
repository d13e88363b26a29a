package diag

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/source"
)

func TestSuggest(t *testing.T) {
	elems := []string{"birthDate", "gender", "name", "address", "active", "deceased", "telecom"}
	cases := []struct {
		got, want string
		ok        bool
	}{
		{"birthdate", "birthDate", true}, // case only
		{"gendr", "gender", true},        // one deletion
		{"nmae", "name", true},           // transposition
		{"adress", "address", true},      // missing letter
		{"telcom", "telecom", true},
		{"xyz", "", false},  // nothing close
		{"name", "", false}, // exact match is no suggestion
		{"activ", "active", true},
	}
	for _, c := range cases {
		got, ok := Suggest(c.got, elems)
		if got != c.want || ok != c.ok {
			t.Errorf("Suggest(%q) = %q, %v; want %q, %v", c.got, got, ok, c.want, c.ok)
		}
	}
	// Two equally good candidates: no suggestion rather than a coin toss.
	if got, ok := Suggest("cat", []string{"bat", "hat"}); ok {
		t.Errorf("ambiguous Suggest returned %q", got)
	}
}

func TestSortedDedup(t *testing.T) {
	f := source.NewFileString("a.fview", "line one\nline two\n")
	d1 := New(Error, "FQL2003", f, source.Span{Start: 9, End: 13}, "second")
	d2 := New(Warning, "FQL2011", f, source.Span{Start: 0, End: 4}, "first")
	dup := New(Error, "FQL2003", f, source.Span{Start: 9, End: 13}, "second")
	got := List{d1, d2, dup}.Sorted()
	if len(got) != 2 || got[0] != d2 || got[1] != d1 {
		t.Fatalf("Sorted = %v", got)
	}
	if !got.HasErrors() || len(got.Errors()) != 1 {
		t.Fatal("HasErrors/Errors disagree with the list")
	}
}

func TestRenderText(t *testing.T) {
	f := source.NewFileString("v.fview", "view v of Patient {\n  b = birthdate\n}\n")
	d := New(Error, "FQL2003", f, source.Span{Start: 26, End: 35}, "unknown element %q on Patient", "birthdate").
		WithNote(source.Span{}, "did you mean %q?", "birthDate").
		WithEdit(`change to "birthDate"`, source.Span{Start: 26, End: 35}, "birthDate")
	var b bytes.Buffer
	RenderText(&b, List{d})
	want := "v.fview:2:7: error[FQL2003]: unknown element \"birthdate\" on Patient\n" +
		"    b = birthdate\n" +
		"        ^~~~~~~~~\n" +
		"  note: did you mean \"birthDate\"?\n"
	if b.String() != want {
		t.Errorf("RenderText:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := RenderJSON(&b, List{d}); err != nil {
		t.Fatal(err)
	}
	var js []JSONDiagnostic
	if err := json.Unmarshal(b.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].Line != 2 || js[0].Col != 7 || js[0].EndCol != 16 || js[0].Code != "FQL2003" ||
		len(js[0].Edits) != 1 || js[0].Edits[0].NewText != "birthDate" {
		t.Errorf("RenderJSON = %+v", js)
	}
}

func TestRenderCap(t *testing.T) {
	f := source.NewFileString("v.fview", "x\n")
	var l List
	for i := 0; i < MaxShown+5; i++ {
		l = append(l, New(Error, "FQL1001", f, source.Span{Start: 0, End: 1}, "error %03d", i))
	}
	var b bytes.Buffer
	RenderText(&b, l)
	if !bytes.Contains(b.Bytes(), []byte("5 more diagnostics not shown")) {
		t.Errorf("no truncation line in:\n%s", b.String())
	}
}

// TestRenderLongLine: a 600 KB one-line file prints a short window around
// the span, cut with ellipses, the caret under the span's first character.
func TestRenderLongLine(t *testing.T) {
	pre := strings.Repeat(`{"a":1},`, 40000)
	line := pre + `"bad"` + strings.Repeat(`,{"b":2}`, 40000)
	f := source.NewFileString("big.json", line+"\n")
	start := source.Pos(len(pre))
	var b strings.Builder
	RenderText(&b, List{New(Error, "FQL0000", f, source.Span{Start: start, End: start + 5}, "bad")})
	out := b.String()
	if len(out) > 600 {
		t.Fatalf("rendered %d bytes for one diagnostic:\n%.400s", len(out), out)
	}
	lines := strings.Split(out, "\n")
	text, caret := lines[1], lines[2]
	if !strings.HasPrefix(text, "  …") || !strings.HasSuffix(text, "…") {
		t.Errorf("the cut line has no ellipses: %q", text)
	}
	col := strings.Index(caret, "^")
	if got := string([]rune(text)[col : col+5]); got != `"bad"` {
		t.Errorf("caret under %q, want under \"bad\":\n%s\n%s", got, text, caret)
	}
	if !strings.HasSuffix(caret, "^~~~~") {
		t.Errorf("caret does not span the 5 bytes: %q", caret)
	}
	// A short line is shown whole.
	b.Reset()
	g := source.NewFileString("s.fview", "view v of Patient { x = y }\n")
	RenderText(&b, List{New(Error, "FQL0000", g, source.Span{Start: 24, End: 25}, "bad")})
	if !strings.Contains(b.String(), "\n  view v of Patient { x = y }\n                          ^\n") {
		t.Errorf("short line:\n%s", b.String())
	}
}
