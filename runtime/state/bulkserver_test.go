package state

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state/statetest"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

// bulkExport runs one export on a SMART Bulk Data server and downloads it
// into dir (manifest.json next to its files, as LoadExport reads it).
func bulkExport(t *testing.T, base, query, dir string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/$export?"+query, nil)
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Prefer", "respond-async")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Content-Location")
	if resp.StatusCode != 202 || loc == "" {
		t.Fatalf("kick-off %s: %s", query, resp.Status)
	}
	var manifest []byte
	for i := 0; ; i++ {
		r, err := http.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == 200 {
			manifest = body
			break
		}
		if r.StatusCode != 202 || i > 60 {
			t.Fatalf("status %s: %s", loc, r.Status)
		}
		time.Sleep(time.Second)
	}
	var m struct {
		Output, Deleted []struct{ URL string }
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o755)
	for _, f := range append(m.Output, m.Deleted...) {
		r, err := http.Get(f.URL)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(f.URL)
		out, err := os.Create(filepath.Join(dir, path.Base(u.Path)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(out, r.Body)
		r.Body.Close()
		out.Close()
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBulkDataServer runs the rule on real exports of the SMART Bulk Data
// reference server (/work/shared/tools/bulkserver; start.sh prints its
// BASE_URL): a full export of Condition, then a `_since` export whose
// simulation deletes about 20 % of its resources. The current state is the
// full export less the ids deleted, with the `_since` versions; the
// incremental state agrees. The server's resources carry no
// meta.lastUpdated, so this also exercises the transactionTime fallback.
func TestBulkDataServer(t *testing.T) {
	base := os.Getenv("FHIRQL_BULKSERVER")
	if base == "" {
		t.Skip("set FHIRQL_BULKSERVER to a SMART Bulk Data reference server's BASE_URL (e.g. http://127.0.0.1:9443/fhir from /work/shared/tools/bulkserver/start.sh) to run this integration test")
	}
	dir := t.TempDir()
	full, since := filepath.Join(dir, "full"), filepath.Join(dir, "since")
	bulkExport(t, base, "_type=Condition", full)
	// The deletion simulation is a path segment before /fhir.
	sim := base64.RawURLEncoding.EncodeToString([]byte(`{"del":20}`))
	simBase := strings.TrimSuffix(base, "/fhir") + "/" + sim + "/fhir"
	bulkExport(t, simBase, "_type=Condition&_since=2010-01-01T00:00:00Z", since)

	// The brute-force answer from the files themselves.
	ids := func(d string, deleted bool) map[string]bool {
		out := map[string]bool{}
		files, _ := filepath.Glob(filepath.Join(d, "*.ndjson"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				var r struct {
					ID    string
					Entry []struct{ Request struct{ URL string } }
				}
				json.Unmarshal([]byte(l), &r)
				if strings.Contains(f, "deleted") != deleted {
					continue
				}
				if deleted {
					for _, e := range r.Entry {
						out[strings.TrimPrefix(e.Request.URL, "Condition/")] = true
					}
				} else if r.ID != "" {
					out[r.ID] = true
				}
			}
		}
		return out
	}
	want := ids(full, false)
	dels := ids(since, true)
	kept := ids(since, false)
	if len(dels) == 0 {
		t.Fatal("the _since export deleted nothing: the simulation switch did not apply")
	}
	for id := range dels {
		if !kept[id] {
			delete(want, id)
		}
	}
	for id := range kept {
		want[id] = true
	}

	views := statetest.CompileViews(t, `view c of Condition { id = getResourceKey() }`)
	var exports []*Export
	for _, d := range []string{since, full} { // any order: the manifests' times decide
		e, err := LoadExport(d)
		if err != nil {
			t.Fatal(err)
		}
		exports = append(exports, e)
	}
	got := map[string]bool{}
	_, _, err := Run(context.Background(), views, exports, runtime.Options{Rows: func(_ int, _ write.Source, row []*value.Value) error {
		got[row[0].Str] = true
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d current Conditions, want %d (%d in the full export, %d deleted)", len(got), len(want), len(ids(full, false)), len(dels))
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("Condition/%s missing", id)
		}
	}
	stateDir := filepath.Join(dir, "state")
	for _, e := range []*Export{exports[1], exports[0]} {
		if _, err := Apply(context.Background(), views, stateDir, e, Config{Format: "csv"}, runtime.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// Compacted, the table is one file of live rows.
	if _, err := Apply(context.Background(), views, stateDir, nil, Config{Compact: true}, runtime.Options{}); err != nil {
		t.Fatal(err)
	}
	table := readTableLines(t, filepath.Join(stateDir, "current", "c", "part-000003.csv"))
	if len(table) != len(want) {
		t.Fatalf("the state holds %d rows, want %d", len(table), len(want))
	}
	t.Logf("full export %d Conditions, _since export %d versions and %d deletions: %d current", len(ids(full, false)), len(kept), len(dels), len(want))
}

func readTableLines(t *testing.T, p string) []string {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[1:]
}
