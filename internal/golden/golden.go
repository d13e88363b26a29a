// Package golden keeps the expected output of each compiler stage in txtar
// archives next to its input (testdata/*.txtar): a test computes what the
// archive should hold and Check compares, or with -update rewrites it.
// One implementation, so that every stage's goldens behave alike: a
// difference, a missing section and a stale section (one the test no longer
// produces) all fail the same way and are all fixed by -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden sections of testdata/*.txtar (then review the diff)")

// Updating reports whether the test runs with -update.
func Updating() bool { return *update }

// Archives returns testdata/*.txtar, failing the test when there is none
// (a glob that matches nothing must not pass silently).
func Archives(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata/*.txtar: %v", err)
	}
	return paths
}

// Read parses the archive at path.
func Read(t testing.TB, path string) *txtar.Archive {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ar
}

// File is one section of an archive.
func File(name, data string) txtar.File { return txtar.File{Name: name, Data: []byte(data)} }

// Check compares the archive at path (read as ar) with want: every section
// the archive should hold, inputs and computed outputs, in order. Without
// -update each difference fails the test with both texts; with -update the
// archive is rewritten as ar's comment followed by want.
func Check(t testing.TB, path string, ar *txtar.Archive, want []txtar.File) {
	t.Helper()
	for i := range want {
		if d := want[i].Data; len(d) > 0 && d[len(d)-1] != '\n' {
			want[i].Data = append(d[:len(d):len(d)], '\n')
		}
	}
	have := map[string][]byte{}
	for _, f := range ar.Files {
		have[f.Name] = f.Data
	}
	produced := map[string]bool{}
	changed := false
	for _, f := range want {
		produced[f.Name] = true
		old, ok := have[f.Name]
		switch {
		case !ok:
			changed = true
			if !*update {
				t.Errorf("%s: section %q is missing (run go test -update and review the diff); the test produced:\n%s", path, f.Name, f.Data)
			}
		case !bytes.Equal(old, f.Data):
			changed = true
			if !*update {
				t.Errorf("%s: section %q differs (run go test -update and review the diff)\n--- want\n%s--- got\n%s", path, f.Name, old, f.Data)
			}
		}
	}
	for _, f := range ar.Files {
		if !produced[f.Name] {
			changed = true
			if !*update {
				t.Errorf("%s: section %q is not produced by the test any more (run go test -update to drop it):\n%s", path, f.Name, f.Data)
			}
		}
	}
	if *update && changed {
		out := &txtar.Archive{Comment: ar.Comment, Files: want}
		if err := os.WriteFile(path, txtar.Format(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
