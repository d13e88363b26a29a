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

// lockedApply applies export 1 of s to the state in dir while another
// holder has its lock, and checks that it fails at once with the error
// naming the directory and holder (want), leaving the state as it was.
func lockedApply(t *testing.T, views []*plan.View, s *statetest.Sim, dir string, want ...string) {
	t.Helper()
	before := snapshot(t, dir)
	e, err := LoadExport(s.Exports[1])
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(context.Background(), views, dir, e, Config{}, runtime.Options{Workers: 1})
	if err == nil {
		t.Fatal("an apply ran while another held the state's lock")
	}
	t.Log(err)
	for _, w := range append(want, "is applying to state "+dir) {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not say %q", err, w)
		}
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("the current generation changed under a refused apply")
	}
	if gens, _ := filepath.Glob(filepath.Join(dir, "gen-*")); len(gens) != 1 {
		t.Fatalf("generations %v after a refused apply, want only the current one", gens)
	}
}

// TestLockRefusesSecondApply checks that an apply to a state whose lock is
// held (LockDir, as `fhirql run` holds it across its exports) fails at
// once, naming the directory and the holder's pid, and changes nothing;
// that it succeeds once the lock is released; and that a Config.Lock of
// another directory is refused.
func TestLockRefusesSecondApply(t *testing.T) {
	views := loadSimViews(t)
	s := statetest.NewSim(11, t.TempDir())
	dir := filepath.Join(t.TempDir(), "state")
	s.Step(t)
	s.Step(t)
	e0, err := LoadExport(s.Exports[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), views, dir, e0, Config{}, runtime.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	lk, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Fatalf("a second LockDir: %v, want the lock refused to the holder's pid", err)
	}
	lockedApply(t, views, s, dir, fmt.Sprintf("(pid %d)", os.Getpid()))
	other, err := LockDir(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Unlock()
	e1, err := LoadExport(s.Exports[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), views, dir, e1, Config{Lock: other}, runtime.Options{Workers: 1}); err == nil || !strings.Contains(err.Error(), "Config.Lock is not held on this directory") {
		t.Fatalf("an apply with another directory's lock: %v", err)
	}
	// The holder applies under its own lock; then anyone may.
	if _, err := Apply(context.Background(), views, dir, e1, Config{Lock: lk}, runtime.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), views, dir, e1, Config{}, runtime.Options{Workers: 1}); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}
