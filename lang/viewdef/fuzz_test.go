package viewdef

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/fhirql/fhirql/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/fhirql/fhirql/lang/source"
)

// addSeeds gives a fuzz target the suite's views and the golden inputs.
func addSeeds(f *testing.F) {
	for _, c := range loadSuite(f) {
		f.Add(c.raw)
	}
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, p := range files {
		for _, sec := range golden.Read(f, p).Files {
			if sec.Name == "in.json" {
				f.Add(sec.Data)
			}
		}
	}
	for _, s := range []string{``, `{`, `[]`, `"\ud800"`, `{"a":1}{`, "\xef\xbb\xbf{}", `[{"resource":"P","select":[{"forEach":"\u0027"}]}]`} {
		f.Add([]byte(s))
	}
}

// FuzzRead: Read never panics, every span stays inside the file, and a view
// read without errors writes, reads back without errors and writes the same
// bytes again.
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := source.NewFile("fuzz.json", data)
		file, diags := Read(src)
		checkSpans(t, src, file, diags)
		if diags.HasErrors() {
			return
		}
		for _, v := range file.Views {
			out, err := Write(v)
			if err != nil {
				t.Fatalf("Write of an error-free view: %v", err)
			}
			f2, d2 := Read(source.NewFile("out.json", out))
			if d2.HasErrors() || len(f2.Views) != 1 {
				t.Fatalf("written view does not read back:\n%s\n%s", out, render(d2))
			}
			out2, err := Write(f2.Views[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, out2) {
				t.Fatalf("Write is not stable:\n%s\n---\n%s", out, out2)
			}
		}
	})
}

// FuzzJSON checks the position-keeping JSON reader against encoding/json:
// both accept the same documents and decode them to the same values, and
// compactJSON keeps the value.
func FuzzJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := string(data)
		if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			return // a BOM is our extension
		}
		v, jerr := parseJSON(src)
		if ok := json.Valid(data); ok != (jerr == nil) {
			t.Fatalf("parseJSON error %v, encoding/json valid %v", jerr, ok)
		}
		if jerr != nil {
			if jerr.off < 0 || jerr.off > len(src) {
				t.Fatalf("error offset %d outside [0,%d]", jerr.off, len(src))
			}
			return
		}
		want := decodeJSON(t, data)
		if d := cmp.Diff(want, toAny(v)); d != "" {
			t.Fatalf("decoded differently (-encoding/json +ours):\n%s", d)
		}
		if d := cmp.Diff(want, decodeJSON(t, []byte(compactJSON(src, v)))); d != "" {
			t.Fatalf("compactJSON changed the value:\n%s", d)
		}
		checkOffsets(t, src, v)
	})
}

// toAny converts a jval to what encoding/json with UseNumber decodes
// (duplicate keys: the last wins, as in encoding/json).
func toAny(v *jval) any {
	switch v.kind {
	case jNull:
		return nil
	case jBool:
		return v.text == "true"
	case jNumber:
		return json.Number(v.text)
	case jString:
		return v.text
	case jArray:
		out := []any{}
		for _, e := range v.elems {
			out = append(out, toAny(e))
		}
		return out
	default:
		out := map[string]any{}
		for _, m := range v.members {
			out[m.key.text] = toAny(m.val)
		}
		return out
	}
}

// checkOffsets requires stringOffsets of every string to be increasing, to
// stay inside the token, and to end at the closing quote.
func checkOffsets(t *testing.T, src string, v *jval) {
	var walk func(v *jval)
	walk = func(v *jval) {
		switch v.kind {
		case jString:
			offs := stringOffsets(src, v)
			if len(offs) != len(v.text)+1 {
				t.Fatalf("%d offsets for %d bytes", len(offs), len(v.text))
			}
			for i, o := range offs {
				if o <= v.start || o >= v.end || (i > 0 && o < offs[i-1]) {
					t.Fatalf("offset %d = %d outside (%d,%d) or decreasing", i, o, v.start, v.end)
				}
			}
			if offs[len(offs)-1] != v.end-1 {
				t.Fatalf("last offset %d, closing quote at %d", offs[len(offs)-1], v.end-1)
			}
		case jArray:
			for _, e := range v.elems {
				walk(e)
			}
		case jObject:
			for _, m := range v.members {
				walk(m.key)
				walk(m.val)
			}
		}
	}
	walk(v)
}
