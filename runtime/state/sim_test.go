package state

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

// The simulated FHIR server of the proof: seeded creates, updates,
// deletes and re-creations; after each step a `_since` export of what
// changed. The server's own current state is the brute-force answer every
// engine must give.

type simRes struct {
	typ, id string
	ver     int
	lu      time.Time
	alive   bool
}

type simEvent struct {
	key string
	ver int
	lu  time.Time
	del bool
}

type sim struct {
	rng     *rand.Rand
	clock   time.Time
	res     map[string]*simRes
	keys    []string
	exports []string // export folders, in time order
	dir     string
}

func newSim(seed int64, dir string) *sim {
	s := &sim{rng: rand.New(rand.NewSource(seed)), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), res: map[string]*simRes{}, dir: dir}
	// Patient and Observation share ids: the type is part of the key.
	for i := 0; i < 40; i++ {
		s.keys = append(s.keys, fmt.Sprintf("Patient/p%d", i))
	}
	for i := 0; i < 25; i++ {
		s.keys = append(s.keys, fmt.Sprintf("Observation/p%d", i))
	}
	for _, k := range s.keys {
		t, id, _ := strings.Cut(k, "/")
		s.res[k] = &simRes{typ: t, id: id}
	}
	return s
}

func (s *sim) line(r *simRes, ver int, lu time.Time, noMeta bool) string {
	meta := fmt.Sprintf(`{"versionId":"%d","lastUpdated":"%s"}`, ver, lu.Format(time.RFC3339Nano))
	if noMeta {
		meta = fmt.Sprintf(`{"versionId":"%d"}`, ver)
	}
	if r.typ == "Patient" {
		return fmt.Sprintf(`{"resourceType":"Patient","id":"%s","meta":%s,"name":[{"family":"v%d"}],"gender":"other"}`, r.id, meta, ver)
	}
	return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","meta":%s,"status":"final","code":{"text":"v%d"}}`, r.id, meta, ver)
}

// step changes the server and writes the export of the changes. The
// first step is a full export.
func (s *sim) step(t *testing.T) {
	n := len(s.exports)
	var events []simEvent
	count := 1 + s.rng.Intn(30)
	if n == 0 {
		count = 60
	}
	for i := 0; i < count; i++ {
		k := s.keys[s.rng.Intn(len(s.keys))]
		r := s.res[k]
		s.clock = s.clock.Add(time.Duration(1+s.rng.Intn(1000)) * time.Millisecond)
		if r.alive && s.rng.Intn(10) < 3 {
			r.alive = false
			events = append(events, simEvent{key: k, lu: s.clock, del: true})
			continue
		}
		r.alive = true
		r.ver++
		r.lu = s.clock
		events = append(events, simEvent{key: k, ver: r.ver, lu: s.clock})
	}
	s.clock = s.clock.Add(time.Second)
	tx := s.clock
	noMeta := n > 0 && s.rng.Intn(5) == 0 // a server that writes no times
	// Output: the current version of each changed, present resource, and
	// sometimes earlier versions of the window too (several versions in
	// one export).
	byType := map[string][]string{}
	changed := map[string]bool{}
	for _, e := range events {
		changed[e.key] = true
	}
	for _, e := range events {
		r := s.res[e.key]
		if e.del || !r.alive {
			continue
		}
		if e.ver == r.ver || (!noMeta && s.rng.Intn(3) == 0) {
			byType[r.typ] = append(byType[r.typ], s.line(r, e.ver, e.lu, noMeta))
		}
	}
	var deleted []string
	seenDel := map[string]bool{}
	for _, e := range events {
		if e.del && !seenDel[e.key] {
			seenDel[e.key] = true
			entry := fmt.Sprintf(`{"request":{"method":"DELETE","url":"%s"}}`, e.key)
			if !noMeta {
				// The latest deletion of the window carries its time.
				last := e.lu
				for _, f := range events {
					if f.del && f.key == e.key {
						last = f.lu
					}
				}
				entry = fmt.Sprintf(`{"request":{"method":"DELETE","url":"%s"},"response":{"status":"204","lastModified":"%s"}}`, e.key, last.Format(time.RFC3339Nano))
			}
			deleted = append(deleted, entry)
		}
	}
	dir := filepath.Join(s.dir, fmt.Sprintf("export-%02d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	type file struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	}
	var m struct {
		TransactionTime string `json:"transactionTime"`
		Request         string `json:"request"`
		Output          []file `json:"output"`
		Deleted         []file `json:"deleted"`
	}
	m.TransactionTime = tx.Format(time.RFC3339Nano)
	m.Request = "http://server/$export"
	m.Output = []file{}
	for typ, ls := range byType {
		s.rng.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		// Split into up to two files.
		cut := s.rng.Intn(len(ls) + 1)
		for i, part := range [][]string{ls[:cut], ls[cut:]} {
			if len(part) == 0 {
				continue
			}
			name := fmt.Sprintf("%s-%d.ndjson", typ, i)
			writeTestFile(t, filepath.Join(dir, name), strings.Join(part, "\n")+"\n")
			m.Output = append(m.Output, file{typ, "http://server/files/" + name})
		}
	}
	s.rng.Shuffle(len(m.Output), func(i, j int) { m.Output[i], m.Output[j] = m.Output[j], m.Output[i] })
	if len(deleted) > 0 {
		var b []string
		for len(deleted) > 0 {
			k := 1 + s.rng.Intn(len(deleted))
			b = append(b, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(deleted[:k], ",")+`]}`)
			deleted = deleted[k:]
		}
		writeTestFile(t, filepath.Join(dir, "deleted", "del.ndjson"), strings.Join(b, "\n")+"\n")
		m.Deleted = []file{{"Bundle", "deleted/del.ndjson"}}
	}
	data, _ := json.Marshal(m)
	writeTestFile(t, filepath.Join(dir, "manifest.json"), string(data))
	s.exports = append(s.exports, dir)
}

// expected is the server's current state as the test view's rows.
func (s *sim) expected() []string {
	var out []string
	for _, k := range s.keys {
		if r := s.res[k]; r.alive {
			out = append(out, fmt.Sprintf("%s|v%d", k, r.ver))
		}
	}
	sort.Strings(out)
	return out
}

func writeTestFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const simViews = `view sim_patient of Patient {
  key = getResourceKey()
  val = name.first().family
}
view sim_observation of Observation {
  key = getResourceKey()
  val = code.text
}
`

func loadSimViews(t testing.TB) []*plan.View {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sim.fview")
	writeTestFile(t, p, simViews)
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
			if key := typ + "/" + row[0].Str; row[2].Str != key {
				return fmt.Errorf("key column %q, want %q", row[2].Str, key)
			}
			out = append(out, fmt.Sprintf("%s/%s|%s", typ, row[0].Str, row[1].Str))
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
			s := newSim(seed, t.TempDir())
			for step := 0; step < 12; step++ {
				s.step(t)
				paths := append([]string(nil), s.exports...)
				s.rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
				got := runCurrent(t, views, paths)
				want := s.expected()
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
			s := newSim(seed+100, t.TempDir())
			dir := filepath.Join(t.TempDir(), "state")
			for step := 0; step < 12; step++ {
				s.step(t)
				e, err := LoadExport(s.exports[step])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Apply(context.Background(), views, dir, e, format, runtime.Options{Workers: 2, ChunkBytes: 512}); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				// Only the new export may be read by the next step.
				if err := os.RemoveAll(s.exports[step]); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range views {
					got = append(got, readTable(t, filepath.Join(dir, "current", v.Name+"."+format), format, v.Resource)...)
				}
				sort.Strings(got)
				want := s.expected()
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
	s := newSim(7, t.TempDir())
	dir := filepath.Join(t.TempDir(), "state")
	s.step(t)
	s.step(t)
	apply := func(i int) error {
		e, err := LoadExport(s.exports[i])
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
	if strings.Join(got, "\n") != strings.Join(s.expected(), "\n") {
		t.Fatalf("after the retry:\ngot  %v\nwant %v", got, s.expected())
	}
}
