package runtime_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/storage"
)

// memLake is a storage.Store in memory, standing in for a blob
// container: the runtime must read and write it only through the
// interface (the Azure implementation is tested against Azurite).
type memLake struct {
	mu      sync.Mutex
	objs    map[string][]byte
	opened  []string
	pending int // writers not yet committed or aborted
}

func (m *memLake) Open(_ context.Context, n string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[n]
	if !ok {
		return nil, storage.ErrNotExist
	}
	m.opened = append(m.opened, n)
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memLake) Stat(_ context.Context, n string) (storage.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[n]
	if !ok {
		return storage.Object{}, storage.ErrNotExist
	}
	return storage.Object{Name: n, Size: int64(len(b))}, nil
}

func (m *memLake) List(_ context.Context, p string) ([]storage.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.Object
	for n, b := range m.objs {
		if strings.HasPrefix(n, p) {
			out = append(out, storage.Object{Name: n, Size: int64(len(b))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *memLake) Create(_ context.Context, n string) (storage.Writer, error) {
	m.mu.Lock()
	m.pending++
	m.mu.Unlock()
	return &memWriter{m: m, name: n}, nil
}

func (m *memLake) Location(n string) string { return "https://acct.blob.core.windows.net/lake/" + n }

type memWriter struct {
	bytes.Buffer
	m    *memLake
	name string
	done bool
}

func (w *memWriter) Name() string { return w.m.Location(w.name) }
func (w *memWriter) Commit() error {
	if !w.done {
		w.done = true
		w.m.mu.Lock()
		w.m.objs[w.name] = w.Bytes()
		w.m.pending--
		w.m.mu.Unlock()
	}
	return nil
}
func (w *memWriter) Abort() {
	if !w.done {
		w.done = true
		w.m.mu.Lock()
		w.m.pending--
		w.m.mu.Unlock()
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}

// TestLakeInputsAndOutputs: Azure locations are listed, streamed and
// written through the Opener, in the order given among local inputs;
// outputs appear only on success.
func TestLakeInputsAndOutputs(t *testing.T) {
	lake := &memLake{objs: map[string][]byte{
		"fhir/2026/output/Patient.000.ndjson":    []byte(lines(patient(1), patient(2))),
		"fhir/2026/output/Patient.001.ndjson.gz": gz(lines(patient(3))),
		"fhir/2026/manifest.json":                []byte("{}"),
		"fhir/2027/output/Patient.000.ndjson":    []byte(lines(patient(4))),
	}}
	var openedLocs []string
	open := func(_ context.Context, loc storage.Location) (storage.Store, error) {
		openedLocs = append(openedLocs, loc.Container)
		return lake, nil
	}
	dir := t.TempDir()
	local := writeFile(t, dir, "local.ndjson", lines(patient(0)))
	views := loadViews(t, patientView)
	sum, err := runtime.Run(context.Background(), views, runtime.Options{
		Inputs:  []string{local, "abfss://lake@acct.dfs.core.windows.net/fhir/2026/output", "https://acct.blob.core.windows.net/lake/fhir/*/output/Patient.000.ndjson"},
		Format:  "csv",
		OutDir:  "https://acct.blob.core.windows.net/lake/views",
		Storage: open,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := string(lake.objs["views/patients.csv"])
	var ids []string
	for _, l := range strings.Split(out, "\r\n")[1:] {
		if id, _, ok := strings.Cut(l, ","); ok {
			ids = append(ids, id)
		}
	}
	// Input order: the local file, the folder in name order, then the
	// pattern's matches less the one already read.
	if strings.Join(ids, " ") != "p0 p1 p2 p3 p4" {
		t.Errorf("rows in order %v\n%s", ids, out)
	}
	if sum.Inputs != 4 || sum.Views[0].Path != "https://acct.blob.core.windows.net/lake/views/patients.csv" {
		t.Errorf("summary %+v", sum)
	}
	if len(openedLocs) != 3 || openedLocs[0] != "lake" {
		t.Errorf("stores opened %v", openedLocs)
	}

	// A failing run commits nothing to the lake.
	writeFile(t, dir, "bad.ndjson", "not json\n")
	before := len(lake.objs)
	_, err = runtime.Run(context.Background(), views, runtime.Options{
		Inputs: []string{"https://acct.blob.core.windows.net/lake/fhir/2027/output", filepath.Join(dir, "bad.ndjson")},
		Format: "csv", OutDir: "https://acct.blob.core.windows.net/lake/views2", Storage: open,
	})
	if err == nil || len(lake.objs) != before || lake.pending != 0 {
		t.Errorf("a failed run: err %v, objects %d -> %d, writers pending %d", err, before, len(lake.objs), lake.pending)
	}

	// Without an Opener an Azure location is refused with the reason.
	_, err = runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{"https://acct.blob.core.windows.net/lake/x"}})
	if err == nil || !strings.Contains(err.Error(), "Azure locations are not available here") {
		t.Errorf("no Opener: %v", err)
	}
	// A folder with no NDJSON says so.
	_, err = runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{"https://acct.blob.core.windows.net/lake/nothing/"}, Storage: open})
	if err == nil || !strings.Contains(err.Error(), "holds no *.ndjson") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "views")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a lake output created a local directory")
	}
}
