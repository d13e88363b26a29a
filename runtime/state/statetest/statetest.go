// Package statetest simulates a FHIR server exporting again and again,
// for the proofs of docs/versions.md: seeded creates, updates, deletes
// and re-creations; after each step a Bulk Data `_since` export (manifest,
// output files split and listed in shuffled order, deletion Bundles, some
// exports without times, several versions of one resource in one export).
// The server's own current state is the brute-force answer every engine
// (the runtime's full run and incremental state, DuckDB's SQL) must give.
// The proofs share the views they run (LoadViews) and the rule by which
// a reader finds a state's live rows (LiveRows), written apart from
// runtime/state's code, which each proof checks with its own file reader.
package statetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

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

// Sim is the simulated server and the exports it wrote.
type Sim struct {
	Rng     *rand.Rand // the seeded source; tests shuffle with it too
	clock   time.Time
	res     map[string]*simRes
	keys    []string
	Exports []string // export folders, in time order
	dir     string
}

// NewSim starts a server whose exports go to folders export-NN in dir.
func NewSim(seed int64, dir string) *Sim {
	s := &Sim{Rng: rand.New(rand.NewSource(seed)), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), res: map[string]*simRes{}, dir: dir}
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

func (s *Sim) line(r *simRes, ver int, lu time.Time, noMeta bool) string {
	meta := fmt.Sprintf(`{"versionId":"%d","lastUpdated":"%s"}`, ver, lu.Format(time.RFC3339Nano))
	if noMeta {
		meta = fmt.Sprintf(`{"versionId":"%d"}`, ver)
	}
	if r.typ == "Patient" {
		return fmt.Sprintf(`{"resourceType":"Patient","id":"%s","meta":%s,"name":[{"family":"v%d"}],"gender":"other"}`, r.id, meta, ver)
	}
	return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","meta":%s,"status":"final","code":{"text":"v%d"}}`, r.id, meta, ver)
}

// Step changes the server and writes the export of the changes. The
// first step is a full export.
func (s *Sim) Step(t testing.TB) {
	n := len(s.Exports)
	var events []simEvent
	count := 1 + s.Rng.Intn(30)
	if n == 0 {
		count = 60
	}
	for i := 0; i < count; i++ {
		k := s.keys[s.Rng.Intn(len(s.keys))]
		r := s.res[k]
		s.clock = s.clock.Add(time.Duration(1+s.Rng.Intn(1000)) * time.Millisecond)
		if r.alive && s.Rng.Intn(10) < 3 {
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
	noMeta := n > 0 && s.Rng.Intn(5) == 0 // a server that writes no times
	// Output: the current version of each changed, present resource, and
	// sometimes earlier versions of the window too (several versions in
	// one export).
	byType := map[string][]string{}
	for _, e := range events {
		r := s.res[e.key]
		if e.del || !r.alive {
			continue
		}
		if e.ver == r.ver || (!noMeta && s.Rng.Intn(3) == 0) {
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
	// In a fixed order: the seed alone decides the sequence, so that a
	// failing seed fails again.
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		ls := byType[typ]
		s.Rng.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		// Split into up to two files.
		cut := s.Rng.Intn(len(ls) + 1)
		for i, part := range [][]string{ls[:cut], ls[cut:]} {
			if len(part) == 0 {
				continue
			}
			name := fmt.Sprintf("%s-%d.ndjson", typ, i)
			writeFile(t, filepath.Join(dir, name), strings.Join(part, "\n")+"\n")
			m.Output = append(m.Output, file{typ, "http://server/files/" + name})
		}
	}
	s.Rng.Shuffle(len(m.Output), func(i, j int) { m.Output[i], m.Output[j] = m.Output[j], m.Output[i] })
	if len(deleted) > 0 {
		var b []string
		for len(deleted) > 0 {
			k := 1 + s.Rng.Intn(len(deleted))
			b = append(b, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(deleted[:k], ",")+`]}`)
			deleted = deleted[k:]
		}
		writeFile(t, filepath.Join(dir, "deleted", "del.ndjson"), strings.Join(b, "\n")+"\n")
		m.Deleted = []file{{"Bundle", "deleted/del.ndjson"}}
	}
	data, _ := json.Marshal(m)
	writeFile(t, filepath.Join(dir, "manifest.json"), string(data))
	s.Exports = append(s.Exports, dir)
}

// Expected is the server's current state as "Type/id|v<version>" rows,
// sorted: what the views of Views give over it.
func (s *Sim) Expected() []string {
	var out []string
	for _, k := range s.keys {
		if r := s.res[k]; r.alive {
			out = append(out, fmt.Sprintf("%s|v%d", k, r.ver))
		}
	}
	sort.Strings(out)
	return out
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

// Views are the views the proofs run: the key and the version marker of
// each Patient and Observation.
const Views = `view sim_patient of Patient {
  key = getResourceKey()
  val = name.first().family
}
view sim_observation of Observation {
  key = getResourceKey()
  val = code.text
}
`
