package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	frontend "github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/runtime/ndjson"
	"github.com/fhirql/fhirql/runtime/value"
)

// TestDirectAgrees checks that the direct column paths give the same rows
// and errors as the general closures, on the example data and on mutated
// copies of it (objects wrapped in arrays, nulls, empty arrays, scalars
// in place of objects), for the example and benchmark views.
func TestDirectAgrees(t *testing.T) {
	var paths []string
	for _, g := range []string{"../../examples/*.fview", "../../bench/views/*.json"} {
		m, _ := filepath.Glob(g)
		paths = append(paths, m...)
	}
	res := frontend.Load(paths, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags)
	}
	files, _ := filepath.Glob("../../examples/data/*.ndjson")
	var docs []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 64<<20)
		n := 0
		for sc.Scan() && n < 300 {
			if len(strings.TrimSpace(sc.Text())) == 0 {
				continue
			}
			docs = append(docs, sc.Text())
			var v any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			for seed := 1; seed <= 6; seed++ {
				b, _ := json.Marshal(mutate(v, seed, 0))
				docs = append(docs, string(b))
			}
			n++
		}
		fh.Close()
	}
	docs = append(docs,
		`{"resourceType":"Condition","id":"a","clinicalStatus":{"coding":[null,{"code":"x"}]},"code":{"coding":[null,[{"system":"s"}],{"code":"c"}]}}`,
		`{"resourceType":"Condition","id":"b","clinicalStatus":{"coding":[[{"code":"x"}],{"code":"y"}]},"code":{"coding":{"code":"c"}}}`,
		`{"resourceType":"Condition","id":"c","clinicalStatus":[{"coding":[{"code":"x"}]},{"coding":[{"code":"y"}]}],"code":{"coding":[{"code":1},{"code":true},{"code":{"a":1}},{"code":[1]},{"code":[1,2]},{"code":null}]}}`,
		`{"resourceType":"Condition","id":"d","clinicalStatus":{"coding":[]},"onsetDateTime":null,"code":{"coding":[{"code":[]}]}}`,
		`{"resourceType":"Condition","id":"e","clinicalStatus":{"coding":"x"},"onsetDateTime":["2020"],"code":{"coding":[{"system":{"x":1}}]}}`,
		`{"resourceType":"Condition","id":"f","clinicalStatus":"x","onsetDateTime":[],"code":"x"}`,
		`{"resourceType":"Encounter","id":"g","subject":[{"reference":"Patient/1"}],"class":{"code":["a","b"]},"period":{"start":null,"end":["x"]}}`,
		`{"resourceType":"Patient","id":"h","gender":["a"],"birthDate":{"x":1}}`,
		`{"resourceType":"Condition","id":5,"subject":{"reference":"#x"}}`,
		`{"resourceType":"Condition","id":["a"],"subject":{"reference":5}}`,
		`{"resourceType":"Condition","subject":[{"reference":"Patient/1"},{"reference":"Patient/2"}]}`,
		`{"resourceType":"Condition","id":"i","subject":{"reference":"Encounter/1"}}`,
		`{"resourceType":"Condition","id":"j","subject":{"reference":"http://x/fhir/Patient/7/_history/2"}}`,
		`{"resourceType":"Condition","id":"k","subject":"Patient/1"}`,
		`{"resourceType":"Condition","id":"l","clinicalStatus":{"coding":["x",true,{"code":"y"}]},"code":{"coding":[5,[{"code":"n"}],null,{"code":"c"}]}}`,
		`{"resourceType":"Condition","id":"m","clinicalStatus":{"coding":["x"]},"code":{"coding":[{"code":{"a":1}},{"code":"c"}]}}`,
	)
	s := ndjson.NewScanner()
	for _, v := range res.Views() {
		withDirect, err := Compile(v)
		if err != nil {
			t.Fatal(err)
		}
		noDirect = true
		general, err := Compile(v)
		noDirect = false
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, d := range docs {
			doc, err := s.ScanObject([]byte(d), ndjson.AllFields())
			if err != nil {
				t.Fatal(err)
			}
			a, b := rowsOf(withDirect, doc), rowsOf(general, doc)
			if a != b {
				t.Fatalf("view %s on %s:\ndirect  %s\ngeneral %s", v.Name, d, a, b)
			}
			checked++
		}
		s.Reset()
		_ = checked
	}
}

func rowsOf(p *Program, doc any) string {
	var b strings.Builder
	err := p.EvalShared(doc.(*value.Value), func(r Row) error {
		for _, c := range r {
			if c == nil {
				b.WriteString("NULL|")
			} else {
				fmt.Fprintf(&b, "%d:%s:%d:%d|", c.Kind, c.Str, len(c.Arr), len(c.Obj))
			}
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		b.WriteString("error: " + err.Error())
	}
	return b.String()
}

// mutate changes v deterministically according to seed.
func mutate(v any, seed, depth int) any {
	h := seed*31 + depth*7
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		i := 0
		for _, k := range keys {
			val := x[k]
			i++
			if k == "resourceType" {
				out[k] = val
				continue
			}
			switch (h + i*13 + len(k)) % 9 {
			case 0:
				out[k] = []any{mutate(val, seed, depth+1)}
			case 1:
				out[k] = nil
			case 2:
				out[k] = []any{nil, mutate(val, seed, depth+1)}
			case 3:
				out[k] = []any{}
			case 4:
				out[k] = "x"
			default:
				out[k] = mutate(val, seed, depth+1)
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x)+1)
		if (h+len(x))%2 == 0 {
			out = append(out, nil)
		}
		for _, e := range x {
			out = append(out, mutate(e, seed, depth+1))
		}
		return out
	}
	return v
}
