package duckdbengine

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	cexpect "github.com/fhirql/fhirql/compiler/expect"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/runtime"
	rexpect "github.com/fhirql/fhirql/runtime/expect"
)

// expectViews carry rules of every kind and every SQL spelling of the
// CEL subset: comparisons of strings, numbers and booleans, null tests,
// in, size, startsWith/endsWith/contains, arithmetic, ?:, timestamp(),
// thresholds in rows and percent, unique, not null, references.
const expectViews = `view xpatients of Patient {
  id       = getResourceKey()
  gender   = gender
  born     = birthDate : date
  died     = deceased.ofType(dateTime)
  active   = active
  twins    = multipleBirth.ofType(integer)
  family   = name.family.first()
  expect unique id
  expect not null gender
  expect warning not null family (at most 10%)
  expect gender_known: gender in ['male', 'female', 'other', 'unknown']
  expect no_future_birth: born == null || born <= today
  expect died_after_birth: died == null || born == null || died >= born
  expect instants: died == null || size(died) < 11 || timestamp(died) > timestamp('1900-01-01T00:00:00Z')
  expect active_set (at most 30%): active != null
  expect not_inactive: active != false
  expect twins_small: twins == null || twins * 2 - 1 < 5 && twins % 2 != 7
  expect family_shape: family == null || (size(family) > 1 && !family.startsWith('x') && !family.endsWith('.') && !family.contains('  '))
  expect choice: (gender == 'male' ? born != null : true)
  expect warning family_upper (at most 50%): family == null || family >= 'M'
}

view xconditions of Condition {
  id      = getResourceKey()
  patient = subject.getReferenceKey(Patient)
  expect patient references xpatients.id
  expect unique id, patient
}
`

// expectData writes patients and conditions with known violations.
func expectData(t *testing.T, dir string) string {
	rng := rand.New(rand.NewPCG(14, 14))
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	var lines []string
	add := func(m map[string]any) {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	for i := 0; i < 300; i++ {
		p := map[string]any{"resourceType": "Patient", "id": fmt.Sprintf("p%d", i)}
		if i%37 == 5 {
			p["id"] = "p1" // a duplicate key
		}
		if g := pick("male", "female", "other", "unknown", "MALE", nil, "female"); g != nil {
			p["gender"] = g
		}
		if b := pick("1970", "1980-06", "1990-02-03", "2999-01-01", nil, "1960-01-01"); b != nil {
			p["birthDate"] = b
		}
		if d := pick(nil, nil, "1950-01-01T10:00:00Z", "2020-03-04T05:06:07+02:00", "2021", "1899-12-31T23:00:00-05:00", "1899-12-31T23:00:00+02:00"); d != nil {
			p["deceasedDateTime"] = d
		}
		if a := pick(true, false, nil, true); a != nil {
			p["active"] = a
		}
		if n := pick(nil, 1, 2, 3, 7); n != nil {
			p["multipleBirthInteger"] = n
		}
		if f := pick("Smith", "xavier", "Lee.", "a", "Van  Dyke", "Müller", nil, "Zed"); f != nil {
			p["name"] = []any{map[string]any{"family": f}}
		}
		add(p)
	}
	for i := 0; i < 400; i++ {
		c := map[string]any{"resourceType": "Condition", "id": fmt.Sprintf("c%d", i%390)}
		if ref := pick("Patient/p3", fmt.Sprintf("Patient/p%d", rng.IntN(330)), "Patient/nobody", nil, "urn:uuid:p4"); ref != nil {
			c["subject"] = map[string]any{"reference": ref}
		}
		add(c)
	}
	path := filepath.Join(dir, "data.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExpectationsRuntimeVsDuckDB: for generated data with known
// violations, the rows the runtime counts as failing each rule equal the
// rows of the rule's DuckDB test query (the SQL the deploy script
// creates), and every rule finds the violations planted for it.
func TestExpectationsRuntimeVsDuckDB(t *testing.T) {
	dir := t.TempDir()
	fview := filepath.Join(dir, "x.fview")
	if err := os.WriteFile(fview, []byte(expectViews), 0o644); err != nil {
		t.Fatal(err)
	}
	data := expectData(t, dir)
	res := compiler.Load([]string{fview}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	views := res.Views()
	now := time.Now()
	checker, err := rexpect.New(views, 3, now.Format("2006-01-02"), now.Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{data}, Rows: checker.Row, Now: now}); err != nil {
		t.Fatal(err)
	}
	got := map[string]rexpect.Result{}
	for _, r := range checker.Results() {
		got[r.View+"."+r.Rule] = r
	}

	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	db := eng.(*Engine).db
	target := duckdb.New(duckdb.Options{Files: []string{data}})
	byName := map[string]*plan.View{}
	for _, v := range views {
		byName[v.Name] = v
	}
	for _, v := range views {
		c, diags := sql.Emit(v, target)
		if diags.HasErrors() {
			t.Fatal(diags.Err())
		}
		if _, err := db.Exec(sql.Print(target, []sql.Stmt{&sql.CreateView{Name: target.Object(v), OrAlter: true, Q: c.Query}})); err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	for _, v := range views {
		rules, _ := cexpect.Check(v)
		tests, diags := cexpect.Tests(target, v, rules, func(v *plan.View) sql.Source { return &sql.Table{Name: target.Object(v)} }, byName)
		if len(diags) > 0 {
			t.Fatal(diags.Err())
		}
		for _, ts := range tests {
			q := sql.PrintQuery(target, ts.Query)
			var n int64
			if err := db.QueryRow("SELECT COUNT(*) FROM (" + q + ")").Scan(&n); err != nil {
				t.Fatalf("%s.%s: %v\n%s", v.Name, ts.Expect.Name, err, q)
			}
			r := got[v.Name+"."+ts.Expect.Name]
			if r.Failed != n {
				t.Errorf("%s.%s: runtime counts %d failing rows, DuckDB %d\n%s", v.Name, ts.Expect.Name, r.Failed, n, q)
			}
			checked++
		}
	}
	if checked != len(got) {
		t.Errorf("compared %d rules of %d", checked, len(got))
	}
	// Every rule but the ones written to pass finds its planted violations,
	// and thresholds decide.
	for name, r := range got {
		switch name {
		case "xpatients.twins_small":
			if r.Failed == 0 || r.Passed {
				t.Errorf("%s: 7 twins must fail it: %+v", name, r)
			}
		case "xpatients.active_set":
			if r.Failed == 0 || !r.Passed {
				t.Errorf("%s: some rows fail, within 30%%: %+v", name, r)
			}
		default:
			if r.Failed == 0 {
				t.Errorf("%s: no failing row found: %+v", name, r)
			}
		}
		if r.Failed > 0 && len(r.Examples) == 0 {
			t.Errorf("%s: no example", name)
		}
		if len(r.Examples) > 0 && (r.Examples[0].Line == 0 || !strings.Contains(r.Examples[0].Resource, "/")) {
			t.Errorf("%s: example without a source: %+v", name, r.Examples[0])
		}
	}
	if r := got["xpatients.unique_id"]; r.Failed < 2 || r.Examples[0].Resource != "Patient/p1" {
		t.Errorf("unique id: %+v", r)
	}
}
