package state

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state/statetest"
)

// lockCase is a state of one generation and the export to apply next.
type lockCase struct {
	views []*plan.View
	dir   string
	next  *Export
}

func newLockCase(t *testing.T, seed int64) *lockCase {
	t.Helper()
	s := statetest.NewSim(seed, t.TempDir())
	s.Step(t)
	s.Step(t)
	c := &lockCase{views: statetest.LoadViews(t), dir: filepath.Join(t.TempDir(), "state")}
	first, err := LoadExport(s.Exports[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), c.views, c.dir, first, Config{}, runtime.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if c.next, err = LoadExport(s.Exports[1]); err != nil {
		t.Fatal(err)
	}
	return c
}

// apply applies the next export.
func (c *lockCase) apply(cfg Config) error {
	_, err := Apply(context.Background(), c.views, c.dir, c.next, cfg, runtime.Options{Workers: 1})
	return err
}

// refused checks that applying the next export while another holder has
// the state's lock fails at once with an error naming the directory and
// saying want, and leaves the state as it was.
func (c *lockCase) refused(t *testing.T, want ...string) {
	t.Helper()
	before := snapshot(t, c.dir)
	err := c.apply(Config{})
	if err == nil {
		t.Fatal("an apply ran while another held the state's lock")
	}
	t.Log(err)
	for _, w := range append(want, "is applying to state "+c.dir) {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not say %q", err, w)
		}
	}
	if after := snapshot(t, c.dir); !maps.Equal(before, after) {
		t.Fatal("the current generation changed under a refused apply")
	}
	if gens, _ := filepath.Glob(filepath.Join(c.dir, "gen-*")); len(gens) != 1 {
		t.Fatalf("generations %v after a refused apply, want only the current one", gens)
	}
}

// TestLockRefusesSecondApply checks that an apply to a state whose lock is
// held (LockDir, as `fhirql run` holds it across its exports) fails at
// once, naming the directory and the holder's pid, and changes nothing;
// that it succeeds once the lock is released; and that a Config.Lock of
// another directory is refused.
func TestLockRefusesSecondApply(t *testing.T) {
	c := newLockCase(t, 11)
	lk, err := LockDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	holder := fmt.Sprintf("(pid %d)", os.Getpid())
	if _, err := LockDir(c.dir); err == nil || !strings.Contains(err.Error(), holder) {
		t.Fatalf("a second LockDir: %v, want the lock refused, naming its holder %s", err, holder)
	}
	c.refused(t, holder)
	other, err := LockDir(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Unlock()
	if err := c.apply(Config{Lock: other}); err == nil || !strings.Contains(err.Error(), "Config.Lock is not held on this directory") {
		t.Fatalf("an apply with another directory's lock: %v", err)
	}
	// The holder applies under its own lock; then anyone may.
	if err := c.apply(Config{Lock: lk}); err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := c.apply(Config{}); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}
