//go:build cgo

package duckdbengine

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oddPatients is randomPatients with values of the wrong shape or JSON
// kind for their FHIR element, each in about one Patient of eight
// (docs/input.md): a number id, an array gender, one name object where
// FHIR has a list, "true" or "false" as a string active, a number birthDate, a telecom object,
// a string multipleBirthInteger, a number family.
func oddPatients(t *testing.T, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 13))
	var out []string
	for i, r := range randomPatients(t, seed) {
		var p map[string]any
		if err := json.Unmarshal([]byte(r), &p); err != nil {
			t.Fatal(err)
		}
		odd := func(k string, f func(v any) any) {
			if v, ok := p[k]; ok && rng.IntN(8) == 0 {
				p[k] = f(v)
			}
		}
		odd("id", func(any) any { return 10000 + i })
		odd("gender", func(v any) any { return []any{v} })
		odd("name", func(v any) any { return v.([]any)[0] })
		odd("active", func(v any) any { return map[bool]string{true: "true", false: "false"}[v.(bool)] })
		odd("birthDate", func(v any) any { return 19700101 })
		odd("telecom", func(v any) any { return v.([]any)[0] })
		odd("multipleBirthInteger", func(v any) any { return "3" })
		if names, ok := p["name"].([]any); ok && len(names) > 0 && rng.IntN(8) == 0 {
			names[0].(map[string]any)["family"] = 42.5
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestRandomOddPatients: the runtime and DuckDB agree on values of the
// wrong shape or kind, through the view of TestRandomPatients and one
// that reads each odd element directly.
func TestRandomOddPatients(t *testing.T) {
	resources := oddPatients(t, 7)
	if n := strings.Count(strings.Join(resources, "\n"), `"gender":[`); n < 10 {
		t.Fatalf("only %d array genders: the generator does not exercise the rule", n)
	}
	differential(t, randomView, resources...)
	rows := differential(t, `view odd_kinds of Patient {
  key    = id
  id_len = id.length()
  gender = gender
  g_male = gender = 'male'
  active = active
  birth  = birthDate
  fam    = name.family.first()
  n      = name.count()
  phone  = telecom.value.first()
  births = multipleBirth.ofType(integer)
}`, resources...)
	// a number id is read as its text, on both sides
	numeric := 0
	for k := range rows {
		if strings.HasPrefix(k, "10") {
			numeric++
		}
	}
	if numeric == 0 {
		t.Errorf("no number id read as text: %d rows", len(rows))
	}
}

// TestOddShapesInOneFile: each odd value alone, with what every engine
// reads (docs/input.md).
func TestOddShapesInOneFile(t *testing.T) {
	input := filepath.Join(t.TempDir(), "odd.ndjson")
	data := strings.Join([]string{
		`{"resourceType":"Patient","id":12345,"gender":["male"],"name":{"family":"Solo"}}`,
		`{"resourceType":"Patient","id":"b","gender":"male","active":"true","birthDate":19700101,"name":[{"family":"Arr"}]}`,
		`{"resourceType":"Patient","id":"c","gender":{"x":1},"active":true,"telecom":{"value":"1"},"name":[{"family":["Two","Fams"]}]}`,
		// strings that start like an array or object: DuckDB's typed
		// reader reads such text again on the JSON path (typed.go)
		`{"resourceType":"Patient","id":"d","gender":"[male]","active":false,"birthDate":"{1970}","name":[{"family":"{Br"}]}`,
	}, "\n") + "\n"
	if err := os.WriteFile(input, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got := differentialOn(t, `view odd of Patient {
  id     = id
  gender = gender
  active = active
  birth  = birthDate
  fam    = name.family.first()
  phone  = telecom.value.first()
}`, input)
	wantRows(t, got, map[string]string{
		"12345": "null | null | null | null | null",
		"b":     "male | true | 19700101 | Arr | null",
		"c":     "null | true | null | null | null",
		"d":     "[male] | false | {1970} | {Br | null",
	})
}
