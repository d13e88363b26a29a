package eval_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/runtime/eval"
	"github.com/fhirql/fhirql/runtime/eval/evaltest"
)

// fuzzViews read many shapes: every kind of select, choice elements,
// dates, numbers and quantities, string functions, boundaries, references
// and tree navigation, so that odd JSON meets every operator.
const fuzzViews = `
view fz_patient of Patient
where (birthDate < @2100 or birthDate.empty()) and (gender = 'x').not().exists()
{
  id        = getResourceKey()
  key[]     = link.other.getReferenceKey(Patient)
  n         = name.count()
  bd_low    = birthDate.lowBoundary()
  bd_high   = birthDate.highBoundary()
  adult     = birthDate <= today() - 18 years
  dec[]     = deceased.ofType(dateTime) | deceased.ofType(boolean).toString()
  up        = gender.upper().substring(1, 2)
  m         = gender.matches('^[a-z]+$')
  births[]  = (multipleBirth.ofType(integer) + 1) | (multipleBirth.ofType(integer) / 0) | (multipleBirth.ofType(integer) div 2)
  kids[]    = children().count() | descendants().count()
  ext[]     = extension('u').value.ofType(string) | birthDate.extension('u').url
  forEachOrNull name {
    ni     = %rowIndex
    given  = given.join(',')
    fam    = family.replace('a', 'b') & '-' & family.length().toString()
    off    = iif(use = 'official', true, false)
    forEach given.where($this.startsWith('A') or $index > 0) {
      g = $this.lower()
    }
  }
  unionAll {
    select { tel = telecom.value.first()  }
    forEach address { tel = city }
  }
}

view fz_obs of Observation
where status.exists() implies status != 'bogus'
{
  id     = getResourceKey()
  q[]    = value.ofType(Quantity).value.highBoundary(2) | value.ofType(Quantity).toString()
  cmp    = (value.ofType(Quantity).value > 5) xor (value.ofType(Quantity).value ~ 1.0)
  eff[]  = effective.ofType(dateTime) + 1 day | effective.ofType(dateTime).lowBoundary(8)
  subj   = subject.getReferenceKey()
  v[]    = value.ofType(string).split(' ') | value.ofType(integer).toDecimal().round(1).toString()
  forEach component {
    cv   = value.ofType(Quantity).value.abs()
    cc[] = code.coding.where(system = 'http://loinc.org').code.distinct()
  }
}

view fz_qr of QuestionnaireResponse {
  id = getResourceKey()
  repeat item, answer.item {
    link  = linkId
    idx   = %rowIndex
    ans[] = answer.value.ofType(string) | answer.value.ofType(decimal).toString()
  }
}
`

func FuzzEval(f *testing.F) {
	ns, diags := compiler.CompileFiles("fuzz", []*source.File{source.NewFileString("fuzz.fview", fuzzViews)}, r4.Catalog())
	if diags.HasErrors() {
		for _, d := range diags.Errors() {
			f.Error(d)
		}
		f.FailNow()
	}
	var progs []*eval.Program
	for _, v := range ns.Views {
		p, err := eval.Compile(v)
		if err != nil {
			f.Fatalf("%s: %v", v.Name, err)
		}
		progs = append(progs, p)
	}
	for _, name := range []string{"testdata/patient.ndjson", "testdata/encounter.ndjson"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			f.Add(line)
		}
	}
	for _, s := range []string{
		`{"resourceType":"Patient","birthDate":"2020-02","name":[{"given":["Al","Bo"],"use":"official","family":"a"}],"multipleBirthInteger":3}`,
		`{"resourceType":"Patient","birthDate":2020,"name":{"given":"x"},"gender":["a","b"],"deceasedBoolean":"yes"}`,
		`{"resourceType":"Patient","_birthDate":{"extension":[{"url":"u"}]},"birthDate":"1999","extension":[{"url":"u","valueString":"s"}]}`,
		`{"resourceType":"Patient","link":[{"other":{"reference":"Patient/1/_history/2"}},{"other":{"reference":"#x"}}],"multipleBirthInteger":9223372036854775807}`,
		`{"resourceType":"Observation","status":"final","valueQuantity":{"value":1e400,"code":"g"},"effectiveDateTime":"2020-13-45T99:00"}`,
		`{"resourceType":"Observation","valueQuantity":{"value":-0.000,"unit":"mg"},"component":[{"valueQuantity":{"value":"7"}},null,{"code":{"coding":[{"system":"http://loinc.org","code":"1"},{"system":"http://loinc.org","code":"1"}]}}]}`,
		`{"resourceType":"Observation","valueString":"a b  c","valueInteger":1.5,"effectiveDateTime":"2020-01-01T10:00:00.123456+14:00"}`,
		`{"resourceType":"QuestionnaireResponse","item":[{"linkId":"1","item":[{"linkId":"2"}],"answer":[{"valueString":"x","item":[{"linkId":"3"}]},{"valueDecimal":1.50}]}]}`,
		`{"resourceType":"QuestionnaireResponse","item":"notanarray"}`,
		`[1,2,3]`, `null`, `"x"`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := evaltest.Decode(data)
		if err != nil {
			return
		}
		for _, p := range progs {
			err := p.Eval(res, func(r eval.Row) error {
				if len(r) != len(p.View().Columns) {
					t.Fatalf("%s: row of %d cells, want %d", p.View().Name, len(r), len(p.View().Columns))
				}
				return nil
			})
			var ee *eval.Error
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("%s: error %T %v is not *eval.Error", p.View().Name, err, err)
			}
		}
	})
}
