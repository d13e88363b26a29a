//go:build cgo

package duckdbengine

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomView reads much of a Patient with the functions users reach for:
// filters, first(), joins, string functions, arithmetic on a choice,
// dates at several precisions, references, distinct, nested forEach,
// forEachOrNull with %rowIndex, and a unionAll.
const randomView = `view random_patients of Patient
where active.exists().not() or active
{
  id          = getResourceKey()
  gender      = gender
  g_up        = gender.upper()
  birth       = birthDate
  before      = birthDate < @1980-06
  fam         = name.where(use = 'official').family.first()
  given_all[] = name.given
  given_join  = name.given.join('|')
  n_names     = name.count()
  has_phone   = telecom.where(system = 'phone').exists()
  phone       = telecom.where(system = 'phone').value.first()
  starts      = name.family.first().startsWith('A')
  part        = name.family.first().substring(1, 3)
  idx         = name.family.first().indexOf('a')
  len         = name.family.first().length()
  rep         = name.family.first().replace('a', 'X')
  births      = multipleBirth.ofType(integer) + 1
  twin        = multipleBirth.ofType(boolean)
  died        = deceased.ofType(dateTime)
  died_late   = deceased.ofType(dateTime) > @2000-01-01T00:00:00Z
  birth_d     = birthDate : date
  birth_sql   = birthDate @tag("ansi/type", "DATE")
  died_dt     = deceased.ofType(dateTime) : dateTime
  died_ts     = deceased.ofType(dateTime) @tag("ansi/type", "TIMESTAMP")
  mb_int      = multipleBirth.ofType(integer) : integer
  mb_dec      = multipleBirth.ofType(integer) : decimal
  org         = managingOrganization.getReferenceKey(Organization)
  gp[]        = generalPractitioner.getReferenceKey()
  langs[]     = communication.language.coding.code.distinct()

  forEachOrNull address {
    ai    = %rowIndex
    city  = city
    lines = line.join(' ')
    forEach line.where($this.length() > 1) {
      l  = $this
      li = %rowIndex
    }
  }
  unionAll {
    forEach telecom.where(system = 'email') {
      contact = value
      kind    = 'email'
    }
    forEach contact {
      contact = name.family
      kind    = 'contact'
    }
  }
}
`

// TestRandomPatients compares the runtime and DuckDB on 400 generated,
// valid Patients (seeded: the same every run) that mix what real data has
// with edge cases: missing and empty elements, JSON nulls in arrays, up to
// 12 items (order beyond ten), quotes, accents, spaces, a 5,000-character
// string, dates of every precision, and every reference form.
func TestRandomPatients(t *testing.T) {
	rows := differential(t, randomView, randomPatients(t, 7)...)
	if len(rows) < 100 {
		t.Fatalf("only %d row keys: the view filters too much to compare much", len(rows))
	}
}

// randomPatients generates 400 valid Patients from seed.
func randomPatients(t *testing.T, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 11))
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	long := strings.Repeat("long text ", 500)
	str := func() any {
		return pick("Ab", "abc", "Ärzte", "O'Brien", `a"b`, "  spaced  out ", "", "Zoë", "a", "bb", "AaA", long, "x,y", "tab\there")
	}
	var resources []string
	for i := 0; i < 400; i++ {
		p := map[string]any{"resourceType": "Patient", "id": fmt.Sprintf("p%d", i)}
		set := func(k string, v any) {
			if v != nil {
				p[k] = v
			}
		}
		set("active", pick(nil, true, false))
		set("gender", pick(nil, "male", "female", "other", "unknown"))
		set("birthDate", pick(nil, "1970", "1980-06", "1980-05-31", "1980-06-01", "1999-12-31", "2000-02-29"))
		var names []any
		for n := rng.IntN(4); n > 0; n-- {
			name := map[string]any{}
			if u := pick(nil, "official", "usual", "maiden"); u != nil {
				name["use"] = u
			}
			if rng.IntN(5) > 0 {
				name["family"] = str()
			}
			var given []any
			for g := rng.IntN(13); g > 0; g-- {
				if rng.IntN(10) == 0 {
					given = append(given, nil)
				} else {
					given = append(given, str())
				}
			}
			if given != nil {
				name["given"] = given
			}
			names = append(names, name)
		}
		if names != nil {
			p["name"] = names
		}
		var telecom []any
		for n := rng.IntN(4); n > 0; n-- {
			telecom = append(telecom, map[string]any{"system": pick("phone", "email", "fax"), "value": str()})
		}
		if telecom != nil {
			p["telecom"] = telecom
		}
		switch rng.IntN(3) {
		case 0:
			// mostly small; sometimes beyond FHIR's 32-bit integer (1e400
			// and 30 digits are in TestTypedNumbers: FHIRPath comparisons
			// of such invalid data differ between the engines)
			p["multipleBirthInteger"] = pick(0, 1, 2, 3, 2, 1, json.RawMessage("2147483647"), json.RawMessage("2147483648"), json.RawMessage("-7"))
		case 1:
			p["multipleBirthBoolean"] = rng.IntN(2) == 0
		}
		switch rng.IntN(3) {
		case 0:
			p["deceasedDateTime"] = pick("2001", "1999-12", "2000-01-01", "2000-01-01T00:00:00Z", "2000-01-01T01:00:00+02:00",
				"2000-01-01T00:00:00.5Z", "2015-03-04T10:11:12-05:00")
		case 1:
			p["deceasedBoolean"] = rng.IntN(2) == 0
		}
		if rng.IntN(2) == 0 {
			p["managingOrganization"] = map[string]any{"reference": pick("Organization/o1", "Patient/x",
				"Organization/o1/_history/2", "http://example.org/fhir/Organization/o9", "#c1", "urn:uuid:1")}
		}
		var gps []any
		for n := rng.IntN(3); n > 0; n-- {
			gps = append(gps, map[string]any{"reference": pick("Practitioner/d1", "Organization/o2", "PractitionerRole/r1/_history/1")})
		}
		if gps != nil {
			p["generalPractitioner"] = gps
		}
		var comm []any
		for n := rng.IntN(3); n > 0; n-- {
			comm = append(comm, map[string]any{"language": map[string]any{"coding": []any{
				map[string]any{"system": "urn:ietf:bcp:47", "code": pick("en", "fr", "en", "de")}}}})
		}
		if comm != nil {
			p["communication"] = comm
		}
		var addrs []any
		for n := rng.IntN(13); n > 0; n-- {
			a := map[string]any{}
			if rng.IntN(4) > 0 {
				a["city"] = str()
			}
			var lines []any
			for l := rng.IntN(4); l > 0; l-- {
				lines = append(lines, str())
			}
			if lines != nil {
				a["line"] = lines
			}
			addrs = append(addrs, a)
		}
		if addrs != nil {
			p["address"] = addrs
		}
		var contacts []any
		for n := rng.IntN(3); n > 0; n-- {
			contacts = append(contacts, map[string]any{"name": map[string]any{"family": str()}})
		}
		if contacts != nil {
			p["contact"] = contacts
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		resources = append(resources, string(b))
	}
	return resources
}

// TestRandomPatientsMore runs the less common functions over other
// generated Patients: select(), all(), where() with $index, iif(),
// tail/skip/take/last, string tests and arithmetic on counts.
func TestRandomPatientsMore(t *testing.T) {
	view := `view random_more of Patient {
  id        = getResourceKey()
  fams[]    = name.select(family)
  all_off   = name.all(use = 'official')
  second    = name.given.where($index = 1).first()
  rest[]    = name.given.tail()
  skipped[] = name.given.skip(2)
  taken[]   = name.given.take(2)
  last      = name.given.last()
  single    = name.count() = 1
  kind      = iif(gender = 'female', 'F', iif(gender = 'male', 'M', 'U'))
  ends      = name.family.first().endsWith('n')
  has_a     = name.family.first().contains('a')
  trimmed   = name.family.first().trim()
  half      = name.given.count() / 2
  whole     = name.given.count() div 2
  rem       = name.given.count() mod 3
  emails    = telecom.where(system = 'email').count()
  no_phone  = telecom.where(system = 'phone').empty()
  in_list   = gender in ('female' | 'other')
  born_90s  = birthDate >= @1990 and birthDate < @2000
}
`
	rows := differential(t, view, randomPatients(t, 21)...)
	if len(rows) != 400 {
		t.Fatalf("%d rows, want 400", len(rows))
	}
}

// TestRandomPatientsOps runs operators and boolean logic with empty
// operands over generated Patients: and/or/xor/implies/not with missing
// values, comparisons of strings and numbers, string concatenation with
// & and +, exists() with criteria, boolean columns from choice types.
func TestRandomPatientsOps(t *testing.T) {
	view := `view random_ops of Patient {
  id        = getResourceKey()
  a_and     = active and multipleBirth.ofType(boolean)
  a_or      = active or multipleBirth.ofType(boolean)
  a_xor     = active xor multipleBirth.ofType(boolean)
  a_imp     = active implies multipleBirth.ofType(boolean)
  a_not     = active.not()
  g_eq      = gender = 'female'
  g_ne      = gender != 'female'
  g_lt      = gender < 'm'
  fam_cat   = name.family.first() & '/' & gender
  fam_plus  = name.family.first() + '/' + gender
  n_gt      = name.given.count() > 3
  mb_cmp    = multipleBirth.ofType(integer) >= 2
  mb_neg    = -multipleBirth.ofType(integer)
  ex_crit   = name.exists(given.count() > 2)
  off_fam   = name.where(use = 'official' and family.exists()).family.first()
  any_cont  = telecom.exists(system = 'email' or value.startsWith('A'))
  emp_and   = {} and true
  emp_or    = {} or true
  str_len   = (name.family.first() & name.given.first()).length()
  up_low    = name.family.first().upper() = name.family.first().lower()
  idx_of    = name.family.first().indexOf('')
  sub_0     = name.family.first().substring(0)
  sub_neg   = name.family.first().substring(-1, 2)
  repl_e    = name.family.first().replace('a', '')
}
`
	rows := differential(t, view, randomPatients(t, 33)...)
	if len(rows) != 400 {
		t.Fatalf("%d rows, want 400", len(rows))
	}
}

// TestRandomPatientsNested nests iterations: forEach in forEachOrNull in
// forEach, %rowIndex at each level, unionAll of forEachOrNull branches,
// and columns that read the resource (%resource) from inside.
func TestRandomPatientsNested(t *testing.T) {
	view := `view random_nested of Patient {
  id = getResourceKey()
  forEach name {
    ni  = %rowIndex
    use = use
    forEachOrNull given.where($this.length() > 1) {
      gi    = %rowIndex
      g     = $this
      same  = $this = %resource.name.family.first()
    }
  }
  unionAll {
    forEachOrNull telecom {
      ti   = %rowIndex
      what = system
    }
    forEachOrNull address.where(city.exists()) {
      ti   = %rowIndex
      what = city
    }
  }
}
`
	if rows := differential(t, view, randomPatients(t, 45)...); len(rows) < 100 {
		t.Fatalf("only %d row keys", len(rows))
	}
}

// TestEncountersWide reads the real Synthea encounters of examples/data
// through periods (comparisons, boundaries, conversions), codings,
// references and participants.
func TestEncountersWide(t *testing.T) {
	view := `view encounters_wide of Encounter
where period.start.exists() and (class.code = 'AMB' or class.code != 'AMB')
{
  id          = getResourceKey()
  pat         = subject.getReferenceKey(Patient)
  cls         = class.code
  start       = period.start
  end         = period.end
  ordered     = period.start <= period.end
  same_day    = period.start.toDate() = period.end.toDate()
  after_2000  = period.start > @2000-01-01T00:00:00Z
  in_2010s    = period.start >= @2010 and period.start < @2020
  low         = period.start.lowBoundary()
  types[]     = type.coding.code
  type_disp   = type.coding.display.first()
  snomed      = type.coding.where(system = 'http://snomed.info/sct').exists()
  n_part      = participant.count()
  practs[]    = participant.individual.getReferenceKey(Practitioner)
  provider    = serviceProvider.getReferenceKey()
  reason      = reasonCode.coding.code.first()
  status_ok   = status in ('finished' | 'in-progress')
  hosp        = hospitalization.dischargeDisposition.coding.code.first()
  loc[]       = location.location.display
}
`
	if rows := differentialOn(t, view, dataDir); len(rows) < 1000 {
		t.Fatalf("only %d row keys", len(rows))
	}
}

// TestConditionsAndMedicationsWide reads the Synthea conditions and
// medication requests of examples/data through choice types, dates,
// codings, references and nested dosage arrays.
func TestConditionsAndMedicationsWide(t *testing.T) {
	cond := `view conditions_wide of Condition {
  id        = getResourceKey()
  pat       = subject.getReferenceKey(Patient)
  enc       = encounter.getReferenceKey(Encounter)
  clinical  = clinicalStatus.coding.code.first()
  verified  = verificationStatus.coding.where(code = 'confirmed').exists()
  onset     = onset.ofType(dateTime)
  abated    = abatement.ofType(dateTime)
  resolved  = abatement.exists()
  lasted    = onset.ofType(dateTime) < abatement.ofType(dateTime)
  recorded  = recordedDate.toDate()
  cats[]    = category.coding.code
  code      = code.coding.first().code
  disp_len  = code.coding.first().display.length()
  disorder  = code.coding.display.first().contains('(disorder)')
  text_up   = code.text.upper()
}
`
	if rows := differentialOn(t, cond, dataDir); len(rows) < 500 {
		t.Fatalf("conditions: only %d row keys", len(rows))
	}
	med := `view medications_wide of MedicationRequest {
  id        = getResourceKey()
  status    = status
  intent    = intent
  med       = medication.ofType(CodeableConcept).coding.code.first()
  med_text  = medication.ofType(CodeableConcept).text
  pat       = subject.getReferenceKey(Patient)
  requester = requester.getReferenceKey()
  authored  = authoredOn
  in_2015   = authoredOn >= @2015-01-01T00:00:00Z
  reasons[] = reasonReference.getReferenceKey()
  n_dosage  = dosageInstruction.count()
  forEachOrNull dosageInstruction {
    di       = %rowIndex
    seq      = sequence
    as_need  = asNeeded.ofType(boolean)
    freq     = timing.repeat.frequency
    period   = timing.repeat.period
    dose     = doseAndRate.dose.ofType(Quantity).value.first()
  }
}
`
	if rows := differentialOn(t, med, dataDir); len(rows) < 1000 {
		t.Fatalf("medications: only %d row keys", len(rows))
	}
}

// TestForEachOrNullBlankRow: on an empty collection forEachOrNull gives one
// blank row, as the specification's processing algorithm says (select step
// 3): every column of its subtree is null — literals, exists() and count()
// included, nested selects and unionAll branches too — and a %rowIndex
// column is 0; the body is not evaluated. A collection with items whose
// nested forEach gives none of them a row gives no row at all.
func TestForEachOrNullBlankRow(t *testing.T) {
	data := []string{
		`{"resourceType":"Patient","id":"none"}`,
		`{"resourceType":"Patient","id":"noline","address":[{"city":"X"}]}`,
		`{"resourceType":"Patient","id":"lines","address":[{"city":"Y","line":["a","b"]}]}`,
	}
	got := differential(t, `view blank_row of Patient {
  id = getResourceKey()
  forEachOrNull address {
    has = city.exists()
    k   = 'x'
    n   = line.count()
    ri  = %rowIndex
  }
}
`, data...)
	wantRows(t, got, map[string]string{
		"none":   "null | null | null | 0",
		"noline": "true | x | 0 | 0",
		"lines":  "true | x | 2 | 0",
	})
	got = differential(t, `view nested of Patient {
  id = getResourceKey()
  forEachOrNull address {
    city = city
    forEach line {
      l = $this
      li = %rowIndex
    }
  }
}
`, data...)
	wantRows(t, got, map[string]string{
		"none":  "null | null | 0",
		"lines": "Y | b | 1",
	})
	// The example: a unionAll of literals under an empty
	// forEachOrNull is one row with letter = null, not one per branch.
	got = differential(t, `view union_blank of Patient {
  id = getResourceKey()
  forEachOrNull address.where(id = 'never-match') {
    unionAll {
      select { letter = 'a' }
      select { letter = 'b' }
    }
  }
}
`, data...)
	wantRows(t, got, map[string]string{"none": "null", "noline": "null", "lines": "null"})
}

// randomObsView reads Observations through choice types, quantities,
// codings, components and the functions applied to them.
const randomObsView = `view random_observations of Observation
where status != 'entered-in-error'
{
  id         = getResourceKey()
  status     = status
  loinc      = code.coding.where(system = 'http://loinc.org').code.first()
  codes[]    = code.coding.code
  n_codes    = code.coding.count()
  text       = code.text
  qty        = value.ofType(Quantity).value
  unit       = value.ofType(Quantity).unit
  qty_big    = value.ofType(Quantity).value > 100
  qty_calc   = value.ofType(Quantity).value * 2 + 1
  str        = value.ofType(string)
  str_low    = value.ofType(string).lower()
  flag       = value.ofType(boolean)
  int        = value.ofType(integer)
  eff        = effective.ofType(dateTime)
  eff_2020   = effective.ofType(dateTime) >= @2020
  subj       = subject.getReferenceKey(Patient)
  has_comp   = component.exists()
  all_num    = component.all(value.ofType(Quantity).exists())
  cats[]     = category.coding.code.distinct()
  any_lab    = category.coding.where(code = 'laboratory').exists()
  iif_text   = iif(value.ofType(Quantity).exists(), 'quantity', 'other')

  forEachOrNull component {
    ci     = %rowIndex
    c_code = code.coding.code.first()
    c_val  = value.ofType(Quantity).value
    c_unit = value.ofType(Quantity).unit
  }
}
`

// TestRandomObservations is TestRandomPatients for Observations.
func TestRandomObservations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	coding := func() any {
		return map[string]any{"system": pick("http://loinc.org", "http://snomed.info/sct", "urn:x"), "code": pick("8480-6", "8462-4", "29463-7", "abc", "", "x y"), "display": pick("Systolic", "Diastolic", nil)}
	}
	codings := func() []any {
		var cs []any
		for n := rng.IntN(4); n > 0; n-- {
			cs = append(cs, coding())
		}
		return cs
	}
	qty := func() any {
		q := map[string]any{}
		if rng.IntN(6) > 0 {
			q["value"] = pick(120, 80.5, 0, -1.25, 100, 100.0, 1e3, 101)
		}
		if u := pick(nil, "mm[Hg]", "kg", "%"); u != nil {
			q["unit"] = u
			q["system"] = "http://unitsofmeasure.org"
			q["code"] = u
		}
		return q
	}
	var resources []string
	for i := 0; i < 400; i++ {
		o := map[string]any{"resourceType": "Observation", "id": fmt.Sprintf("o%d", i),
			"status": pick("final", "amended", "entered-in-error", "preliminary")}
		code := map[string]any{}
		if cs := codings(); cs != nil {
			code["coding"] = cs
		}
		if rng.IntN(2) == 0 {
			code["text"] = pick("Blood pressure", "Weight", "", "ÄÖ")
		}
		o["code"] = code
		var cats []any
		for n := rng.IntN(3); n > 0; n-- {
			cats = append(cats, map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": pick("laboratory", "vital-signs", "laboratory")}}})
		}
		if cats != nil {
			o["category"] = cats
		}
		switch rng.IntN(5) {
		case 0:
			o["valueQuantity"] = qty()
		case 1:
			o["valueString"] = pick("Positive", "NEGATIVE", "", "  x  ")
		case 2:
			o["valueBoolean"] = rng.IntN(2) == 0
		case 3:
			o["valueInteger"] = pick(0, 7, -3, 2147483647)
		}
		switch rng.IntN(3) {
		case 0:
			o["effectiveDateTime"] = pick("2019", "2020", "2020-01", "2019-12-31T23:00:00-05:00", "2020-06-01T10:00:00Z", "2021-02-03")
		case 1:
			o["effectivePeriod"] = map[string]any{"start": "2020-01-01"}
		}
		if rng.IntN(4) > 0 {
			o["subject"] = map[string]any{"reference": pick("Patient/p1", "Patient/p2/_history/3", "Group/g1", "urn:uuid:x")}
		}
		var comps []any
		for n := rng.IntN(12); n > 0 && rng.IntN(3) > 0; n-- {
			c := map[string]any{"code": map[string]any{"coding": codings()}}
			if rng.IntN(4) > 0 {
				c["valueQuantity"] = qty()
			} else {
				c["valueString"] = "n/a"
			}
			comps = append(comps, c)
		}
		if comps != nil {
			o["component"] = comps
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		resources = append(resources, string(b))
	}
	rows := differential(t, randomObsView, resources...)
	if len(rows) < 100 {
		t.Fatalf("only %d row keys", len(rows))
	}
	// Numbers and dates through the functions that convert and round.
	more := `view random_obs_more of Observation {
  id        = getResourceKey()
  q_text    = value.ofType(Quantity).value.toString()
  q_round   = value.ofType(Quantity).value.round(1)
  q_abs     = value.ofType(Quantity).value.abs()
  q_int     = value.ofType(Quantity).value.toInteger()
  q_dec     = value.ofType(integer).toDecimal()
  i_text    = value.ofType(integer).toString()
  i_div     = (value.ofType(integer) mod 1000) / 4   // small: DuckDB divides in double precision
  b_text    = value.ofType(boolean).toString()
  s_int     = value.ofType(string).toInteger()
  s_conv    = value.ofType(string).convertsToDecimal()
  e_date    = effective.ofType(dateTime).toDate()
  e_low     = effective.ofType(dateTime).lowBoundary()
  e_high    = effective.ofType(dateTime).highBoundary()
  e_text    = effective.ofType(dateTime).toString()
  n_comp    = component.count() + 1
  sum_gt    = component.value.ofType(Quantity).where(value > 100).count()
  first_q   = component.value.ofType(Quantity).value.first()
  last_u    = component.value.ofType(Quantity).unit.last()
}
`
	if rows := differential(t, more, resources...); len(rows) != 400 {
		t.Fatalf("%d rows, want 400", len(rows))
	}
}

// TestRandomQuestionnaireResponses: repeat over nested items (depth up to
// 4) with answers of several types, %rowIndex in the repeat, and a where.
func TestRandomQuestionnaireResponses(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 2))
	var item func(depth int) map[string]any
	item = func(depth int) map[string]any {
		it := map[string]any{"linkId": fmt.Sprintf("l%d", rng.IntN(20))}
		if rng.IntN(3) == 0 {
			it["text"] = []any{"Q", "Question ä", ""}[rng.IntN(3)]
		}
		var answers []any
		for n := rng.IntN(3); n > 0; n-- {
			a := map[string]any{}
			switch rng.IntN(4) {
			case 0:
				a["valueString"] = []any{"yes", "no", ""}[rng.IntN(3)]
			case 1:
				a["valueInteger"] = rng.IntN(10)
			case 2:
				a["valueBoolean"] = rng.IntN(2) == 0
			case 3:
				a["valueDate"] = []any{"2020", "2020-05-01"}[rng.IntN(2)]
			}
			if depth < 4 && rng.IntN(4) == 0 {
				a["item"] = []any{item(depth + 1)}
			}
			answers = append(answers, a)
		}
		if answers != nil {
			it["answer"] = answers
		}
		if depth < 4 {
			var kids []any
			for n := rng.IntN(3); n > 0; n-- {
				kids = append(kids, item(depth+1))
			}
			if kids != nil {
				it["item"] = kids
			}
		}
		return it
	}
	var resources []string
	for i := 0; i < 200; i++ {
		qr := map[string]any{"resourceType": "QuestionnaireResponse", "id": fmt.Sprintf("q%d", i),
			"status": []any{"completed", "in-progress"}[rng.IntN(2)]}
		var items []any
		for n := rng.IntN(4); n > 0; n-- {
			items = append(items, item(1))
		}
		if items != nil {
			qr["item"] = items
		}
		b, err := json.Marshal(qr)
		if err != nil {
			t.Fatal(err)
		}
		resources = append(resources, string(b))
	}
	view := `view random_qr of QuestionnaireResponse
where status = 'completed'
{
  id = getResourceKey()
  n_top = item.count()
  repeat item, answer.item {
    link    = linkId
    idx     = %rowIndex
    text    = text
    n_ans   = answer.count()
    strs[]  = answer.value.ofType(string)
    ints[]  = answer.value.ofType(integer)
    yes     = answer.value.ofType(boolean).where($this).exists()
    first_d = answer.value.ofType(date).first()
  }
}
`
	if rows := differential(t, view, resources...); len(rows) < 30 {
		t.Fatalf("only %d row keys", len(rows))
	}
	// The same items with iterations inside the repeat.
	nested := `view random_qr_nested of QuestionnaireResponse {
  id = getResourceKey()
  repeat item {
    link = linkId
    idx  = %rowIndex
    forEachOrNull answer {
      ai  = %rowIndex
      val = value.ofType(string) | value.ofType(integer).toString()
    }
    unionAll {
      forEach answer.value.ofType(boolean) {
        kind = 'bool'
      }
      forEachOrNull text {
        kind = 'text'
      }
    }
  }
}
`
	if rows := differential(t, nested, resources...); len(rows) < 30 {
		t.Fatalf("nested: only %d row keys", len(rows))
	}
}

// TestUnicodeStrings: string functions on characters outside ASCII and
// the Basic Multilingual Plane, and FHIRPath's whitespace (space, tab, LF,
// CR) for trim(). Left out: upper() of ß, which DuckDB maps to ẞ and the
// runtime and T-SQL keep (docs/verify.md).
func TestUnicodeStrings(t *testing.T) {
	var data []string
	for i, f := range []string{"😀ab", "ǅx", "İstanbul", "e\u0301b", "ﬁne", "Σίσυφος", " \u00a0x\u00a0 ", "\u2028a", "\tx\n", " x ", "\r\nx\t ", "\u00a0x", "a😀b😀"} {
		b, _ := json.Marshal(map[string]any{"resourceType": "Patient", "id": fmt.Sprintf("u%d", i), "name": []any{map[string]any{"family": f}}})
		data = append(data, string(b))
	}
	got := differential(t, `view unicode of Patient {
  id   = getResourceKey()
  len  = name.family.first().length()
  up   = name.family.first().upper()
  low  = name.family.first().lower()
  sub  = name.family.first().substring(1, 2)
  idx  = name.family.first().indexOf('b')
  sw   = name.family.first().startsWith('😀')
  ew   = name.family.first().endsWith('b😀')
  has  = name.family.first().contains('😀b')
  trim = name.family.first().trim()
}
`, data...)
	for id, want := range map[string]string{"u0": "3 | 😀AB | 😀ab | ab | 2 | true | false | false | 😀ab", "u8": "3 | \tX\n | \tx\n | x\n | -1 | false | false | false | x"} {
		if got[id] != want {
			t.Errorf("%s: got %q, want %q", id, got[id], want)
		}
	}
}
