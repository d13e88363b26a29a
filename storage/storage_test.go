package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in                                 string
		kind                               Kind
		account, container, path, endpoint string
		sas                                string
	}{
		{in: "data/x.ndjson", kind: Local, path: "data/x.ndjson"},
		{in: "/abs/dir", kind: Local, path: "/abs/dir"},
		{in: "https://acct.blob.core.windows.net/lake/fhir/2026/", kind: Blob, account: "acct", container: "lake", path: "fhir/2026/", endpoint: "https://acct.blob.core.windows.net"},
		{in: "https://acct.blob.core.windows.net/lake/fhir/*.ndjson?sv=2024&sig=abc", kind: Blob, account: "acct", container: "lake", path: "fhir/*.ndjson", endpoint: "https://acct.blob.core.windows.net", sas: "sv=2024&sig=abc"},
		// ADLS Gen2: the filesystem is the container, read through the Blob API.
		{in: "abfss://lake@acct.dfs.core.windows.net/fhir/Patient.ndjson", kind: Blob, account: "acct", container: "lake", path: "fhir/Patient.ndjson", endpoint: "https://acct.blob.core.windows.net"},
		{in: "https://acct.dfs.core.windows.net/lake/fhir", kind: Blob, account: "acct", container: "lake", path: "fhir", endpoint: "https://acct.blob.core.windows.net"},
		{in: "abfss://lake@acct.dfs.core.chinacloudapi.cn/x", kind: Blob, account: "acct", container: "lake", path: "x", endpoint: "https://acct.blob.core.chinacloudapi.cn"},
		{in: "wasbs://lake@acct.blob.core.windows.net/x", kind: Blob, account: "acct", container: "lake", path: "x", endpoint: "https://acct.blob.core.windows.net"},
		// Path-style, as Azurite serves.
		{in: "http://127.0.0.1:10000/devstoreaccount1/lake/fhir/", kind: Blob, account: "devstoreaccount1", container: "lake", path: "fhir/", endpoint: "http://127.0.0.1:10000/devstoreaccount1"},
		{in: "abfss://lake@devstoreaccount1.dfs.core.windows.net", kind: Blob, account: "devstoreaccount1", container: "lake", path: "", endpoint: "https://devstoreaccount1.blob.core.windows.net"},
	}
	for _, c := range cases {
		l, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if l.Kind != c.kind || l.Account != c.account || l.Container != c.container || l.Path != c.path || l.Endpoint != c.endpoint || l.SAS != c.sas {
			t.Errorf("Parse(%q) = %+v", c.in, l)
		}
	}
	for in, want := range map[string]string{
		"abfss://acct.dfs.core.windows.net/x":     "the container is missing",
		"https://acct.blob.core.windows.net/":     "name the container",
		"https://example.com/lake/x":              "is not an Azure storage location",
		"http://127.0.0.1:10000/devstoreaccount1": "ACCOUNT/CONTAINER/path",
		"abfss://c@example.com/x":                 "the host must be",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want it to say %q", in, err, want)
		}
	}
}

func TestLocationHidesSAS(t *testing.T) {
	l, _ := Parse("https://acct.blob.core.windows.net/lake/x.ndjson?sv=1&sig=SECRET")
	if s := l.String(); strings.Contains(s, "SECRET") || s != "https://acct.blob.core.windows.net/lake/x.ndjson" {
		t.Errorf("String() = %q", s)
	}
}

func TestLocalAtomic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "sub", "out.csv")
	var st LocalStore
	w, err := st.Create(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "a,b\n")
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the target exists before Commit: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	// A second write that is aborted leaves the first whole.
	w, _ = st.Create(ctx, target)
	io.WriteString(w, "half")
	w.Abort()
	b, _ := os.ReadFile(target)
	if string(b) != "a,b\n" {
		t.Errorf("after Abort the file holds %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(target))
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	if _, err := st.Stat(ctx, filepath.Join(dir, "nope")); !errors.Is(err, ErrNotExist) {
		t.Errorf("Stat of a missing file: %v", err)
	}
}

// memStore is a Store in memory for Expand's rules.
type memStore map[string]string

func (m memStore) Open(_ context.Context, n string) (io.ReadCloser, error) {
	s, ok := m[n]
	if !ok {
		return nil, ErrNotExist
	}
	return io.NopCloser(strings.NewReader(s)), nil
}
func (m memStore) Stat(_ context.Context, n string) (Object, error) {
	s, ok := m[n]
	if !ok {
		return Object{}, ErrNotExist
	}
	return Object{Name: n, Size: int64(len(s))}, nil
}
func (m memStore) List(_ context.Context, p string) ([]Object, error) {
	var out []Object
	for n, s := range m {
		if strings.HasPrefix(n, p) {
			out = append(out, Object{Name: n, Size: int64(len(s))})
		}
	}
	return out, nil
}
func (m memStore) Create(context.Context, string) (Writer, error) {
	return nil, errors.New("read-only")
}
func (m memStore) Location(n string) string { return "mem:" + n }

func TestExpand(t *testing.T) {
	st := memStore{
		"fhir/2026-01/Patient.000.ndjson":                "x",
		"fhir/2026-01/Observation.000.ndjson":            "x",
		"fhir/2026-01/manifest.json":                     "{}",
		"fhir/2026-02/Patient.000.ndjson.gz":             "x",
		"fhir/2026-02/error/OperationOutcome.000.ndjson": "x",
		"other/Patient.ndjson":                           "x",
	}
	keep := func(n string) bool { return strings.HasSuffix(n, ".ndjson") || strings.HasSuffix(n, ".ndjson.gz") }
	names := func(objs []Object) string {
		var s []string
		for _, o := range objs {
			s = append(s, o.Name)
		}
		return strings.Join(s, " ")
	}
	ctx := context.Background()
	for in, want := range map[string]string{
		"fhir/2026-01":               "fhir/2026-01/Observation.000.ndjson fhir/2026-01/Patient.000.ndjson",
		"fhir/2026-01/":              "fhir/2026-01/Observation.000.ndjson fhir/2026-01/Patient.000.ndjson",
		"fhir/*/Patient*":            "fhir/2026-01/Patient.000.ndjson fhir/2026-02/Patient.000.ndjson.gz",
		"fhir/2026-0?":               "fhir/2026-01/Observation.000.ndjson fhir/2026-01/Patient.000.ndjson fhir/2026-02/Patient.000.ndjson.gz fhir/2026-02/error/OperationOutcome.000.ndjson",
		"fhir/2026-01/manifest.json": "fhir/2026-01/manifest.json", // a blob named is read whatever its name
		"other/Patient.ndjson":       "other/Patient.ndjson",
	} {
		objs, err := Expand(ctx, st, in, keep)
		if err != nil {
			t.Errorf("Expand(%q): %v", in, err)
			continue
		}
		// memStore lists in map order: Expand sorts.
		if got := names(objs); got != want {
			t.Errorf("Expand(%q) = %s\nwant %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"nothing/": "holds no *.ndjson",
		"fhir/x*":  "matches nothing",
		"fhir/[":   "malformed",
	} {
		if _, err := Expand(ctx, st, in, keep); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Expand(%q) error = %v, want %q", in, err, want)
		}
	}
}
