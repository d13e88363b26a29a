package write

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestRemoveStale: a killed run's temporary files go at the next run; those
// of a live process and of other targets stay.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string, age time.Duration) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if age > 0 {
			old := time.Now().Add(-age)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	// A pid above any pid_max (2^22 on Linux) belongs to no process.
	dead := touch(".v.csv.tmp-"+strconv.Itoa(1<<30)+"-123", 0)
	live := touch(".v.csv.tmp-"+strconv.Itoa(os.Getppid())+"-456", 0)
	oldLegacy := touch(".v.csv.tmp-789", 2*time.Hour)
	newLegacy := touch(".v.csv.tmp-790", 0)
	other := touch(".w.csv.tmp-"+strconv.Itoa(1<<30)+"-1", 0)

	a, err := CreateAtomic(filepath.Join(dir, "v.csv"))
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("id\n"))
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{dead: false, oldLegacy: false, live: true, newLegacy: true, other: true} {
		_, err := os.Stat(p)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(p), got, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "v.csv")); err != nil || string(b) != "id\n" {
		t.Errorf("v.csv = %q, %v", b, err)
	}
}
