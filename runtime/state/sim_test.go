package state

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state/statetest"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

func loadSimViews(t testing.TB) []*plan.View {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sim.fview")
	writeFile(t, p, statetest.Views)
	res := compiler.Load([]string{p}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatalf("views do not compile: %v", res.Diags)
	}
	return res.Views()
}

// runCurrent runs the views over exports with the two-pass runtime and
// returns "Type/id|val" rows, sorted.
func runCurrent(t *testing.T, views []*plan.View, paths []string) []string {
	t.Helper()
	var exports []*Export
	for _, p := range paths {
		e, err := LoadExport(p)
		if err != nil {
			t.Fatal(err)
		}
		exports = append(exports, e)
	}
	var out []string
	_, _, err := Run(context.Background(), views, exports, runtime.Options{Workers: 2, ChunkBytes: 512,
		Rows: func(view int, src write.Source, row []*value.Value) error {
			typ := views[view].Resource
			str := func(v *value.Value) string {
				if v == nil {
					return ""
				}
				return v.Str
			}
			if key := typ + "/" + str(row[0]); str(row[2]) != key {
				return fmt.Errorf("key column %q, want %q", str(row[2]), key)
			}
			out = append(out, fmt.Sprintf("%s/%s|%s", typ, str(row[0]), str(row[1])))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestSimulatedExports is the proof of the runtime's rule: for seeded
// sequences of `_since` exports, the full recompute over every export so
// far, given in a shuffled order, equals the server's current state.
func TestSimulatedExports(t *testing.T) {
	views := loadSimViews(t)
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := statetest.NewSim(seed, t.TempDir())
			for step := 0; step < 12; step++ {
				s.Step(t)
				paths := append([]string(nil), s.Exports...)
				s.Rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
				got := runCurrent(t, views, paths)
				want := s.Expected()
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("step %d (exports %v):\ngot  %v\nwant %v", step, paths, got, want)
				}
			}
		})
	}
}

// readTable reads a state's table as "Type/id|val" rows, checking that
// each row's key column is its resource's key.
func readTable(t *testing.T, path, format, typ string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	if format == "csv" {
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s is not CSV: %v", path, err)
		}
		if len(recs) == 0 || strings.Join(recs[0], ",") != "key,val,"+KeyColumn {
			t.Fatalf("%s: header %v", path, recs)
		}
		rows = recs[1:]
	} else {
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if l == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			rows = append(rows, []string{fmt.Sprint(m["key"]), fmt.Sprint(m["val"]), fmt.Sprint(m[KeyColumn])})
		}
	}
	var out []string
	for _, r := range rows {
		if r[2] != typ+"/"+r[0] {
			t.Fatalf("%s: key column %q for id %q", path, r[2], r[0])
		}
		out = append(out, r[2]+"|"+r[1])
	}
	return out
}

// TestIncrementalState is the proof of the incremental state: after each
// export is applied, the tables under DIR/current equal the server's
// current state, and only the new export is read (the earlier export
// folders are removed before the next step).
func TestIncrementalState(t *testing.T) {
	views := loadSimViews(t)
	for seed := int64(1); seed <= 6; seed++ {
		format := []string{"csv", "ndjson"}[seed%2]
		t.Run(fmt.Sprint("seed", seed, format), func(t *testing.T) {
			s := statetest.NewSim(seed+100, t.TempDir())
			dir := filepath.Join(t.TempDir(), "state")
			for step := 0; step < 12; step++ {
				s.Step(t)
				e, err := LoadExport(s.Exports[step])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Apply(context.Background(), views, dir, e, format, runtime.Options{Workers: 2, ChunkBytes: 512}); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				// Only the new export may be read by the next step.
				if err := os.RemoveAll(s.Exports[step]); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range views {
					got = append(got, readTable(t, filepath.Join(dir, "current", v.Name+"."+format), format, v.Resource)...)
				}
				sort.Strings(got)
				want := s.Expected()
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("step %d:\ngot  %v\nwant %v", step, got, want)
				}
				gens, _ := filepath.Glob(filepath.Join(dir, "gen-*"))
				if len(gens) != 1 {
					t.Fatalf("step %d: generations %v, want only the current one", step, gens)
				}
			}
		})
	}
}

// TestIncrementalCrash checks that an apply that fails before its switch
// leaves the previous generation current and byte for byte unchanged,
// and that the next apply removes the unfinished generation and succeeds.
func TestIncrementalCrash(t *testing.T) {
	views := loadSimViews(t)
	s := statetest.NewSim(7, t.TempDir())
	dir := filepath.Join(t.TempDir(), "state")
	s.Step(t)
	s.Step(t)
	apply := func(i int) error {
		e, err := LoadExport(s.Exports[i])
		if err != nil {
			t.Fatal(err)
		}
		_, err = Apply(context.Background(), views, dir, e, "csv", runtime.Options{Workers: 1})
		return err
	}
	if err := apply(0); err != nil {
		t.Fatal(err)
	}
	table := filepath.Join(dir, "current", "sim_patient.csv")
	before, _ := os.ReadFile(table)
	crash := errors.New("power cut")
	beforeSwitch = func() error { return crash }
	err := apply(1)
	beforeSwitch = nil
	if !errors.Is(err, crash) {
		t.Fatalf("apply: %v, want the injected failure", err)
	}
	after, err := os.ReadFile(table)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the current table changed after a failed apply (%v)", err)
	}
	// A crash that left the unfinished generation behind (a kill, not an
	// error) is cleaned up by the next apply.
	if err := os.MkdirAll(filepath.Join(dir, "gen-000002"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := apply(1); err != nil {
		t.Fatal(err)
	}
	got := append(readTable(t, table, "csv", "Patient"), readTable(t, filepath.Join(dir, "current", "sim_observation.csv"), "csv", "Observation")...)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(s.Expected(), "\n") {
		t.Fatalf("after the retry:\ngot  %v\nwant %v", got, s.Expected())
	}
}

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResourceWithoutID checks the rule for a resource without an id: it
// is present as it is, in a full run and in a state, where a later apply
// keeps its row (it can be neither updated nor deleted).
func TestResourceWithoutID(t *testing.T) {
	views := loadSimViews(t)
	dir := t.TempDir()
	manifest := `{"transactionTime":"2026-01-0%dT00:00:00Z","output":[{"type":"Patient","url":"Patient.ndjson"}],"deleted":[]}`
	writeFile(t, filepath.Join(dir, "e1", "manifest.json"), fmt.Sprintf(manifest, 1))
	writeFile(t, filepath.Join(dir, "e1", "Patient.ndjson"), `{"resourceType":"Patient","name":[{"family":"anon"}]}`+"\n"+`{"resourceType":"Patient","id":"a","name":[{"family":"v1"}]}`+"\n")
	writeFile(t, filepath.Join(dir, "e2", "manifest.json"), fmt.Sprintf(manifest, 2))
	writeFile(t, filepath.Join(dir, "e2", "Patient.ndjson"), `{"resourceType":"Patient","id":"a","name":[{"family":"v2"}]}`+"\n")
	got := runCurrent(t, views, []string{filepath.Join(dir, "e2"), filepath.Join(dir, "e1")})
	if want := "Patient/a|v2\nPatient/|anon"; strings.Join(got, "\n") != want {
		t.Fatalf("full run: %q, want %q", got, want)
	}
	stateDir := filepath.Join(dir, "state")
	for _, e := range []string{"e1", "e2"} {
		ex, err := LoadExport(filepath.Join(dir, e))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(context.Background(), views, stateDir, ex, "csv", runtime.Options{Workers: 1}); err != nil {
			t.Fatalf("apply %s: %v", e, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(stateDir, "current", "sim_patient.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "key,val,_resource_key\r\n,anon,Patient/\r\na,v2,Patient/a\r\n"; string(data) != want {
		t.Fatalf("state table %q, want %q", data, want)
	}
}

// TestFhirqlExportLayout checks that an export downloaded by `fhirql
// export` (the server's manifest, files renamed output/<type>.<nnn>.ndjson
// and deleted/Bundle.<nnn>.ndjson in manifest order) is read through its
// manifest.
func TestFhirqlExportLayout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "manifest.json"), `{"transactionTime":"2026-01-02T00:00:00Z","output":[
		{"type":"Patient","url":"http://s/x/fhir/bulkfiles/2.Patient.ndjson"},
		{"type":"Patient","url":"http://s/x/fhir/bulkfiles/4.Patient.ndjson"}],
		"deleted":[{"type":"Bundle","url":"http://s/x/fhir/bulkfiles/5.Patient.deleted.ndjson"}]}`)
	writeFile(t, filepath.Join(dir, "output", "Patient.000.ndjson"), `{"resourceType":"Patient","id":"a"}`+"\n")
	writeFile(t, filepath.Join(dir, "output", "Patient.001.ndjson"), `{"resourceType":"Patient","id":"b"}`+"\n")
	writeFile(t, filepath.Join(dir, "deleted", "Bundle.000.ndjson"), `{"resourceType":"Bundle","entry":[]}`+"\n")
	e, err := LoadExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "output", "Patient.000.ndjson"), filepath.Join(dir, "output", "Patient.001.ndjson")}
	if strings.Join(e.Output, ",") != strings.Join(want, ",") || len(e.Deleted) != 1 || e.Deleted[0] != filepath.Join(dir, "deleted", "Bundle.000.ndjson") {
		t.Fatalf("output %v deleted %v", e.Output, e.Deleted)
	}
}
