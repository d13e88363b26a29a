package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/runtime/state"
)

// TestRunStateLocked checks `fhirql run --state DIR` while another run
// holds DIR's lock (docs/versions.md, Atomic): it fails at once with the
// error that names the directory and says what to do, and writes nothing;
// once the lock is free, the same command succeeds.
func TestRunStateLocked(t *testing.T) {
	dir := t.TempDir()
	v := writeView(t, dir, "p.fview", patientView)
	e1 := filepath.Join(dir, "e1")
	must(t, os.MkdirAll(e1, 0o755))
	must(t, os.WriteFile(filepath.Join(e1, "manifest.json"), []byte(`{"transactionTime":"2026-01-01T00:00:00Z","output":[{"type":"Patient","url":"Patient.ndjson"}],"deleted":[]}`), 0o644))
	must(t, os.WriteFile(filepath.Join(e1, "Patient.ndjson"), []byte(`{"resourceType":"Patient","id":"a","gender":"female"}`+"\n"), 0o644))
	st := filepath.Join(dir, "st")
	lk, err := state.LockDir(st)
	must(t, err)
	code, _, stderr := runFhirql("run", v, "--export", e1, "--state", st)
	if code != ExitErrors || !strings.Contains(stderr, "fhirql run: another fhirql run (pid ") || !strings.Contains(stderr, "is applying to state "+st+": wait for it to finish") {
		t.Fatalf("exit %d, stderr %q: want the lock's error", code, stderr)
	}
	if ms, _ := filepath.Glob(filepath.Join(st, "*")); len(ms) != 1 || filepath.Base(ms[0]) != ".lock" {
		t.Fatalf("a refused run wrote %v (only the holder's .lock is there)", ms)
	}
	must(t, lk.Unlock())
	if code, _, stderr := runFhirql("run", v, "--export", e1, "--state", st); code != ExitOK {
		t.Fatalf("exit %d after the lock was released: %s", code, stderr)
	}
}
