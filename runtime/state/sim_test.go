package state

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state/statetest"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

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
	views := statetest.LoadViews(t)
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

// goReader reads a state's files with Go's encoding/csv and
// encoding/json, checking the headers.
func goReader(t *testing.T, format string) statetest.Reader {
	return statetest.Reader{
		Touched: func(path string) [][2]string {
			t.Helper()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
			if err != nil || len(recs) == 0 || strings.Join(recs[0], ",") != KeyColumn+",generation" {
				t.Fatalf("touched list %s: %v %v", path, recs, err)
			}
			var out [][2]string
			for _, r := range recs[1:] {
				out = append(out, [2]string{r[0], r[1]})
			}
			return out
		},
		Segment: func(path string) [][3]string {
			t.Helper()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var rows [][3]string
			if format == "csv" {
				recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
				if err != nil {
					t.Fatalf("%s is not CSV: %v", path, err)
				}
				if len(recs) == 0 || strings.Join(recs[0], ",") != "key,val,"+KeyColumn {
					t.Fatalf("%s: header %v", path, recs)
				}
				for _, r := range recs[1:] {
					rows = append(rows, [3]string{r[0], r[1], r[2]})
				}
				return rows
			}
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if l == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				rows = append(rows, [3]string{fmt.Sprint(m["key"]), fmt.Sprint(m["val"]), fmt.Sprint(m[KeyColumn])})
			}
			return rows
		},
	}
}

// readTable reads the live rows of a view's table in the state under
// stateDir as "Type/id|val" rows, by the layout of docs/versions.md and
// independently of the package's code (statetest.LiveRows, with Go's
// readers), and returns the number of segment files read.
func readTable(t *testing.T, stateDir, view, format, typ string) ([]string, int) {
	t.Helper()
	return statetest.LiveRows(t, stateDir, view, typ, format, goReader(t, format))
}

// TestIncrementalState is the proof of the incremental state: after each
// export is applied, the tables under DIR/current equal the server's
// current state, and only the new export is read (the earlier export
// folders are removed before the next step).
func TestIncrementalState(t *testing.T) {
	views := statetest.LoadViews(t)
	for seed := int64(1); seed <= 6; seed++ {
		format := []string{"csv", "ndjson"}[seed%2]
		t.Run(fmt.Sprint("seed", seed, format), func(t *testing.T) {
			s := statetest.NewSim(seed+100, t.TempDir())
			dir := filepath.Join(t.TempDir(), "state")
			applies, compactions := 0, 0
			for step := 0; step < 12; step++ {
				s.Step(t)
				e, err := LoadExport(s.Exports[step])
				if err != nil {
					t.Fatal(err)
				}
				var baseBefore os.FileInfo
				if step > 0 {
					baseBefore = baseSegment(t, dir, format)
				}
				// A low threshold: both an apply that leaves the base alone
				// and one that compacts happen in every sequence.
				st, err := Apply(context.Background(), views, dir, e, Config{Format: format, CompactAt: 0.3}, runtime.Options{Workers: 2, ChunkBytes: 512})
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if st.Compacted {
					compactions++
				} else if step > 0 {
					applies++
					// The base segment is the previous generation's file,
					// linked, not copied.
					if !os.SameFile(baseBefore, baseSegment(t, dir, format)) {
						t.Fatalf("step %d: the apply rewrote the base segment", step)
					}
				}
				// Only the new export may be read by the next step.
				if err := os.RemoveAll(s.Exports[step]); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range views {
					rows, segs := readTable(t, dir, v.Name, format, v.Resource)
					if st.Compacted && segs != 1 {
						t.Fatalf("step %d: %d segments of %s after a compaction, want one", step, segs, v.Name)
					}
					got = append(got, rows...)
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
			t.Logf("%d applies left the base alone, %d compacted", applies, compactions)
			if applies == 0 || compactions == 0 {
				t.Fatalf("%d applies without compaction and %d with: the sequence must run both", applies, compactions)
			}
		})
	}
}

// baseSegment stats the base segment of the state's sim_patient table.
func baseSegment(t *testing.T, dir, format string) os.FileInfo {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(dir, "current", "sim_patient", "part-*."+format))
	if len(ms) == 0 {
		t.Fatalf("no segments in %s", dir)
	}
	sort.Strings(ms)
	fi, err := os.Stat(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// snapshot reads every file of the state's current generation.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	gen, err := filepath.EvalSymlinks(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err = filepath.WalkDir(gen, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(filepath.Dir(gen), p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIncrementalCrash checks that an apply or a compaction that fails
// before its switch leaves the previous generation current and byte for
// byte unchanged (the new generation shares its files as hard links, so
// this also checks that nothing shared is written to), and that the next
// apply removes the unfinished generation and succeeds.
func TestIncrementalCrash(t *testing.T) {
	views := statetest.LoadViews(t)
	s := statetest.NewSim(7, t.TempDir())
	dir := filepath.Join(t.TempDir(), "state")
	apply := func(i int, compact bool) error {
		var e *Export
		if i >= 0 {
			var err error
			if e, err = LoadExport(s.Exports[i]); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Apply(context.Background(), views, dir, e, Config{Format: "csv", Compact: compact}, runtime.Options{Workers: 1})
		return err
	}
	check := func() {
		t.Helper()
		p, _ := readTable(t, dir, "sim_patient", "csv", "Patient")
		o, _ := readTable(t, dir, "sim_observation", "csv", "Observation")
		got := append(p, o...)
		sort.Strings(got)
		if want := s.Expected(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("after export %d:\ngot  %v\nwant %v", len(s.Exports), got, want)
		}
	}
	crash := errors.New("power cut")
	crashed := func(name string, f func() error) {
		t.Helper()
		before := snapshot(t, dir)
		beforeSwitch = func() error { return crash }
		err := f()
		beforeSwitch = nil
		if !errors.Is(err, crash) {
			t.Fatalf("%s: %v, want the injected failure", name, err)
		}
		if after := snapshot(t, dir); !maps.Equal(before, after) {
			t.Fatalf("%s: the current generation changed after a failed apply", name)
		}
	}
	s.Step(t)
	if err := apply(0, false); err != nil {
		t.Fatal(err)
	}
	s.Step(t)
	crashed("apply", func() error { return apply(1, false) })
	crashed("apply and compaction", func() error { return apply(1, true) })
	// A crash that left the unfinished generation behind (a kill, not an
	// error) is cleaned up by the next apply.
	if err := os.MkdirAll(filepath.Join(dir, "gen-000002", "sim_patient"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := apply(1, false); err != nil {
		t.Fatal(err)
	}
	check()
	s.Step(t)
	if err := apply(2, false); err != nil {
		t.Fatal(err)
	}
	check()
	crashed("compaction alone", func() error { return apply(-1, true) })
	check()
	if err := apply(-1, true); err != nil {
		t.Fatal(err)
	}
	check()
	if ms, _ := filepath.Glob(filepath.Join(dir, "current", "touched-*")); len(ms) != 0 {
		t.Fatalf("touched lists %v after a compaction", ms)
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
	views := statetest.LoadViews(t)
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
		if _, err := Apply(context.Background(), views, stateDir, ex, Config{Format: "csv", CompactAt: -1}, runtime.Options{Workers: 1}); err != nil {
			t.Fatalf("apply %s: %v", e, err)
		}
	}
	rows, _ := readTable(t, stateDir, "sim_patient", "csv", "Patient")
	sort.Strings(rows)
	if want := "Patient/a|v2\nPatient/|anon"; strings.Join(rows, "\n") != want {
		t.Fatalf("state rows %q, want %q", rows, want)
	}
	// After a compaction the table is one file again.
	if _, err := Apply(context.Background(), views, stateDir, nil, Config{Compact: true}, runtime.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(stateDir, "current", "sim_patient", "part-000003.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "key,val,_resource_key\r\n,anon,Patient/\r\na,v2,Patient/a\r\n"; string(data) != want {
		t.Fatalf("compacted table %q, want %q", data, want)
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
