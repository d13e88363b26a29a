package eval_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/runtime/eval"
	"github.com/fhirql/fhirql/runtime/eval/evaltest"
	"github.com/fhirql/fhirql/runtime/value"
)

// benchViews are realistic views over the Synthea resources in testdata:
// scalar columns with filters and functions, a forEach-heavy one, and a
// reference-key one.
const benchViews = `
view patient_demographics of Patient {
  id           = getResourceKey()
  gender       = gender
  birth_date   = birthDate
  deceased     = deceased.ofType(dateTime)
  family       = name.where(use = 'official').family.first()
  given        = name.where(use = 'official').given.join(' ')
  all_given[]  = name.given
  marital      = maritalStatus.coding.where(system = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus').code.first()
  race         = extension('http://hl7.org/fhir/us/core/StructureDefinition/us-core-race')
                   .extension('text').value.ofType(string).first()
  ssn          = identifier.where(system = 'http://hl7.org/fhir/sid/us-ssn').value.first()
}

view patient_contacts of Patient
where active.empty() or active
{
  id = getResourceKey()
  forEach name {
    name_index = %rowIndex
    family     = family
    given      = given.join(' ')
  }
  forEachOrNull telecom.where(system = 'phone') {
    phone = value
  }
  forEachOrNull address {
    city    = city
    postal  = postalCode
    lat     = extension('http://hl7.org/fhir/StructureDefinition/geolocation').extension('latitude').value.ofType(decimal).first()
  }
}

view encounters of Encounter {
  id           = getResourceKey()
  patient_id   = subject.getReferenceKey(Patient)
  status       = status
  class_code   = class.code
  type_code    = type.coding.where(system = 'http://snomed.info/sct').code.first()
  type_display = type.text.first()
  start        = period.start
  end          = period.end
  recent       = period.start >= @2015-01-01
  reason_code  = reasonCode.coding.code.first()
  provider     = serviceProvider.display
}
`

func loadBenchViews(tb testing.TB) map[string]*eval.Program {
	tb.Helper()
	ns, diags := compiler.CompileFiles("bench", []*source.File{source.NewFileString("bench.fview", benchViews)}, r4.Catalog())
	if diags.HasErrors() {
		tb.Fatalf("bench views: %v", diags.Err())
	}
	out := map[string]*eval.Program{}
	for _, v := range ns.Views {
		p, err := eval.Compile(v)
		if err != nil {
			tb.Fatalf("%s: %v", v.Name, err)
		}
		out[v.Name] = p
	}
	return out
}

func loadLines(tb testing.TB, name string) ([]*value.Value, int) {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*value.Value
	size := 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		v, err := evaltest.Decode(line)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
		size += len(line) + 1
	}
	return out, size
}

// BenchmarkEval measures evaluation alone (the resources are decoded once,
// in full, which is the evaluator's worst case: the pipeline hands it a
// projection). One op evaluates every resource of the file once; the MB/s
// figure is per input byte, to set against the reader's throughput.
func BenchmarkEval(b *testing.B) {
	progs := loadBenchViews(b)
	for _, bc := range []struct{ view, file string }{
		{"patient_demographics", "patient.ndjson"},
		{"patient_contacts", "patient.ndjson"},
		{"encounters", "encounter.ndjson"},
	} {
		for _, projected := range []bool{false, true} {
			name := bc.view
			if projected {
				name += "/projected"
			}
			b.Run(name, func(b *testing.B) {
				p := progs[bc.view]
				res, size := loadLines(b, bc.file)
				if projected {
					keys := viewKeys(p.View())
					for i := range res {
						res[i] = project(res[i], keys)
					}
				}
				rows := 0
				emit := func(eval.Row) error { rows++; return nil }
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					for _, r := range res {
						if err := p.Eval(r, emit); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
			})
		}
	}
}

// viewKeys is every JSON key a view navigates, at any depth.
func viewKeys(v *plan.View) map[string]bool {
	keys := map[string]bool{"resourceType": true, "id": true, "extension": true, "url": true, "reference": true}
	visit := func(x plan.Expr) bool {
		switch x := x.(type) {
		case *plan.Field:
			keys[x.Key] = true
		case *plan.Choice:
			for _, k := range x.Keys {
				keys[k.Key] = true
			}
		}
		return true
	}
	for _, w := range v.Where {
		plan.Walk(w, visit)
	}
	plan.Selects(v.Root, func(s *plan.Select) {
		plan.Walk(s.Iter, visit)
		for _, r := range s.Repeat {
			plan.Walk(r, visit)
		}
		for _, c := range s.Columns {
			plan.Walk(c.Expr, visit)
		}
	})
	return keys
}

// project keeps only the members named in keys, approximating the
// pipeline's projection (which keeps paths, not names).
func project(v *value.Value, keys map[string]bool) *value.Value {
	switch v.Kind {
	case value.Object:
		out := &value.Value{Kind: value.Object}
		for _, m := range v.Obj {
			if keys[m.Key] {
				out.Obj = append(out.Obj, value.Member{Key: m.Key, Val: project(m.Val, keys)})
			}
		}
		return out
	case value.Array:
		out := &value.Value{Kind: value.Array}
		for _, el := range v.Arr {
			out.Arr = append(out.Arr, project(el, keys))
		}
		return out
	}
	return v
}

// TestBenchViews checks that the benchmark views produce what the data
// holds, so that the benchmark measures real work.
func TestBenchViews(t *testing.T) {
	progs := loadBenchViews(t)
	check := func(view, file string, want []string) {
		t.Helper()
		res, _ := loadLines(t, file)
		p := progs[view]
		var got []string
		for _, r := range res {
			err := p.Eval(r, func(row eval.Row) error {
				s := ""
				for i, c := range row {
					if i > 0 {
						s += "|"
					}
					s += evaltest.Encode(c)
				}
				got = append(got, s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows %q, want %d", view, len(got), got, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s row %d:\n got %s\nwant %s", view, i, got[i], want[i])
			}
		}
	}
	check("patient_demographics", "patient.ndjson", []string{
		`"129c6ac7-8d06-89de-ad63-0204a93e76c3"|"female"|"1927-05-21"|"1989-05-09T20:35:22-04:00"|"Medhurst46"|"Sumiko254 Larue605"|["Sumiko254","Larue605","Sumiko254","Larue605"]|"M"|"White"|"999-94-5397"`,
		`"3af3708d-41f1-cd80-f3dd-ec5ac76072bf"|"male"|"1960-04-13"|"1971-10-01T13:44:40-04:00"|"Cole117"|"Devin82 Anibal473"|["Devin82","Anibal473"]|"S"|"White"|"999-26-9282"`,
	})
	for _, view := range []string{"patient_contacts", "encounters"} {
		res, _ := loadLines(t, map[string]string{"patient_contacts": "patient.ndjson", "encounters": "encounter.ndjson"}[view])
		n := 0
		for _, r := range res {
			if err := progs[view].Eval(r, func(eval.Row) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if n == 0 {
			t.Errorf("%s: no rows", view)
		}
	}
}
