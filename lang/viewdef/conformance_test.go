package viewdef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// suiteDir is the vendored SQL on FHIR v2 test suite.
const suiteDir = "../../testdata/sql-on-fhir-v2/tests"

// suiteCase is one test of the suite with its view's raw bytes.
type suiteCase struct {
	file        string // base name, e.g. "validate.json"
	title       string
	expectError bool
	raw         []byte // the "view" value exactly as in the file
	// text is the whole test file with everything but the view blanked to
	// spaces (newlines kept): still one JSON value, and line:col in it are
	// line:col in the real test file.
	text string
}

func (c suiteCase) name() string { return c.file + "/" + c.title }

// loadSuite extracts every test's view with encoding/json's own tokenizer,
// independently of the reader under test.
func loadSuite(t testing.TB) []suiteCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files in %s: %v", suiteDir, err)
	}
	var out []suiteCase
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tests, testsOff := rawMember(t, data, 0, "tests")
		if tests == nil {
			t.Fatalf("%s: no tests", path)
		}
		for _, el := range rawElements(t, data, testsOff, len(tests)) {
			obj := data[el[0]:el[1]]
			var meta struct {
				Title       string          `json:"title"`
				ExpectError json.RawMessage `json:"expectError"`
			}
			if err := json.Unmarshal(obj, &meta); err != nil {
				t.Fatal(err)
			}
			view, viewOff := rawMember(t, data, el[0], "view")
			if view == nil {
				t.Fatalf("%s: test %q has no view", path, meta.Title)
			}
			blank := []byte(string(data))
			for i := range blank {
				if (i < viewOff || i >= viewOff+len(view)) && blank[i] != '\n' {
					blank[i] = ' '
				}
			}
			out = append(out, suiteCase{
				file:        filepath.Base(path),
				title:       meta.Title,
				expectError: len(meta.ExpectError) > 0 && string(meta.ExpectError) != "false",
				raw:         view,
				text:        string(blank),
			})
		}
	}
	return out
}

// rawMember returns the raw value of key in the object starting at data[off],
// and its absolute offset.
func rawMember(t testing.TB, data []byte, off int, key string) ([]byte, int) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data[off:]))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("expected an object at %d: %v %v", off, tok, err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		before := int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		if k == key {
			at := bytes.Index(data[off+before:], raw)
			return raw, off + before + at
		}
	}
	return nil, 0
}

// rawElements returns the [start, end) offsets of each element of the array
// at data[off : off+n].
func rawElements(t testing.TB, data []byte, off, n int) [][2]int {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data[off : off+n]))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		t.Fatalf("expected an array at %d: %v %v", off, tok, err)
	}
	var out [][2]int
	for dec.More() {
		before := int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		at := off + before + bytes.Index(data[off+before:], raw)
		out = append(out, [2]int{at, at + len(raw)})
	}
	return out
}

// want is one expected diagnostic: code and 1-based line:col in the test file.
type want struct {
	code      diag.Code
	line, col int
}

func (w want) String() string { return fmt.Sprintf("%s@%d:%d", w.code, w.line, w.col) }

// expectErrorCases lists every expectError case of the suite. Those with
// diagnostics are structurally invalid and Read must report exactly these
// errors; those marked checker are well-formed JSON whose problem needs name
// or type information, so Read must accept them and the checker rejects them.
var expectErrorCases = []struct {
	file, title string
	want        []want // nil: the checker's job
	reason      string
}{
	{"collection.json", "fail when 'collection' is not true", nil,
		"checker: name.family is a collection but the column says collection: false"},
	{"constant.json", "accessing an undefined constant", nil,
		"checker: %wrong_name is not a declared constant"},
	{"constant.json", "incorrect constant definition", []want{{CodeConstantValue, 307, 11}},
		"the constant has a name but no value[x]; reported at its '{'"},
	{"fn_reference_keys.json", "getReferenceKey on multiple references fails in a single-valued column", nil,
		"checker and run time: generalPractitioner repeats, so several keys may land in one column"},
	{"union.json", "column mismatch", nil,
		"checker: unionAll branches produce different column names"},
	{"union.json", "column order mismatch", nil,
		"checker: unionAll branches produce the columns in different orders"},
	{"validate.json", "empty", []want{{CodeMissingResource, 24, 15}, {CodeMissingSelect, 24, 15}},
		"{} has neither resource nor select; both reported at the '{'"},
	{"validate.json", "missing resource", []want{{CodeMissingResource, 30, 15}},
		"no resource; reported at the view's '{'"},
	{"validate.json", "wrong fhirpath", []want{{fhirpathSyntax, 53, 25}},
		"FHIRPath syntax error at the first @, inside the JSON string"},
	{"validate.json", "wrong type in forEach", []want{{CodeWrongType, 67, 24}},
		"forEach holds the number 1; reported at the 1"},
	{"validate.json", "where with path resolving to not boolean", nil,
		"checker: name.family is a string, a where path must be boolean"},
	{"view_resource.json", "resource not specified", []want{{CodeMissingResource, 78, 15}},
		"no resource; reported at the view's '{'"},
}

// TestSuiteRoundTrip reads every view of the official suite, writes it back
// and requires the same JSON; structurally invalid views must instead give
// the diagnostics listed in expectErrorCases.
func TestSuiteRoundTrip(t *testing.T) {
	cases := loadSuite(t)
	if len(cases) != 148 {
		t.Errorf("suite has %d cases, want 148", len(cases))
	}
	listed := map[string]bool{}
	for _, e := range expectErrorCases {
		listed[e.file+"/"+e.title] = true
	}
	seenErr := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) {
			if c.expectError {
				seenErr[c.name()] = true
				if !listed[c.name()] {
					t.Fatalf("expectError case not listed in expectErrorCases")
				}
			}
			f := source.NewFileString(c.file, c.text)
			file, diags := Read(f)
			checkSpans(t, f, file, diags)
			for _, e := range expectErrorCases {
				if e.file+"/"+e.title == c.name() && e.want != nil {
					checkDiags(t, f, diags, e.want)
					return
				}
			}
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", render(diags))
			}
			if len(file.Views) != 1 {
				t.Fatalf("got %d views, want 1", len(file.Views))
			}
			out, err := Write(file.Views[0])
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(decodeJSON(t, c.raw), decodeJSON(t, out), fhirpathEqual); d != "" {
				t.Errorf("round trip changed the view (-in +out):\n%s\nwritten:\n%s", d, out)
			}
		})
	}
	for _, e := range expectErrorCases {
		if !seenErr[e.file+"/"+e.title] {
			t.Errorf("expectErrorCases lists %s/%s, which is not an expectError case of the suite", e.file, e.title)
		}
	}
}

// checkDiags requires exactly the wanted errors (code and line:col), in
// position order.
func checkDiags(t *testing.T, f *source.File, diags diag.List, wants []want) {
	t.Helper()
	var got []want
	for _, d := range diags.Sorted() {
		p := f.Position(d.Span.Start)
		got = append(got, want{d.Code, p.Line, p.Col})
	}
	if !slices.Equal(got, wants) {
		t.Errorf("diagnostics = %v, want %v\n%s", got, wants, render(diags))
	}
}

func render(l diag.List) string {
	var b strings.Builder
	diag.RenderText(&b, l)
	return b.String()
}

// decodeJSON decodes keeping number lexemes (json.Number), so 1.50 and 1.5 differ.
func decodeJSON(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v in\n%s", err, data)
	}
	return v
}
