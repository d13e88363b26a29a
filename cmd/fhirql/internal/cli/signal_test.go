//go:build unix

package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fhirqlBinary returns the test binary under the name "fhirql", which
// testscript.Main (TestMain) runs as the real command: a subprocess that
// can receive signals.
func fhirqlBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fhirql")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestSignals: SIGINT and SIGTERM during `fhirql run --out` remove the
// temporary output files, leave no output, print "interrupted" and exit
// 130 and 143. The run reads stdin from a pipe that stays open, so it is
// surely running (its temporary file exists) when the signal arrives.
func TestSignals(t *testing.T) {
	bin := fhirqlBinary(t)
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			view := filepath.Join(dir, "v.fview")
			must(t, os.WriteFile(view, []byte("view v of Patient {\n  id = getResourceKey()\n}\n"), 0o644))
			out := filepath.Join(dir, "out")
			cmd := exec.Command(bin, "run", view, "--input", "-", "--out", out)
			stdin, err := cmd.StdinPipe()
			must(t, err)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			must(t, cmd.Start())
			defer cmd.Process.Kill()
			_, err = stdin.Write([]byte(`{"resourceType":"Patient","id":"p1"}` + "\n"))
			must(t, err)
			deadline := time.Now().Add(20 * time.Second)
			for len(tempFiles(t, out)) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no temporary file appeared in %s; stderr: %s", out, stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			must(t, cmd.Process.Signal(c.sig))
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code {
				t.Fatalf("exit: %v, want status %d; stderr: %s", err, c.code, stderr.String())
			}
			if got := stderr.String(); got != "fhirql run: interrupted\n" {
				t.Errorf("stderr = %q, want only \"fhirql run: interrupted\"", got)
			}
			if left := tempFiles(t, out); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if _, err := os.Stat(filepath.Join(out, "v.csv")); err == nil {
				t.Errorf("an interrupted run wrote v.csv")
			}
		})
	}
}

// TestKilledRunLeftovers: a run killed with SIGKILL cannot clean up; the
// next run into the same directory removes its temporary file.
func TestKilledRunLeftovers(t *testing.T) {
	bin := fhirqlBinary(t)
	dir := t.TempDir()
	view := filepath.Join(dir, "v.fview")
	must(t, os.WriteFile(view, []byte("view v of Patient {\n  id = getResourceKey()\n}\n"), 0o644))
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", view, "--input", "-", "--out", out)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	must(t, cmd.Start())
	_, err = stdin.Write([]byte(`{"resourceType":"Patient","id":"p1"}` + "\n"))
	must(t, err)
	deadline := time.Now().Add(20 * time.Second)
	for len(tempFiles(t, out)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no temporary file appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(t, cmd.Process.Kill())
	cmd.Wait()
	if len(tempFiles(t, out)) == 0 {
		t.Fatal("SIGKILL left no temporary file; the test proves nothing")
	}
	data := filepath.Join(dir, "p.ndjson")
	must(t, os.WriteFile(data, []byte(`{"resourceType":"Patient","id":"p2"}`+"\n"), 0o644))
	var o, e bytes.Buffer
	if code := Main([]string{"run", view, "--input", data, "--out", out, "--quiet"}, strings.NewReader(""), &o, &e); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, e.String())
	}
	if left := tempFiles(t, out); len(left) > 0 {
		t.Errorf("the killed run's temporary files are still there: %v", left)
	}
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestVerifySignal: SIGTERM ends `fhirql verify` as it ends run: it says
// "interrupted" and exits 143, also while the runtime waits on an input
// that sends nothing more (a FIFO whose writer stays open; the command
// then exits after its grace period).
func TestVerifySignal(t *testing.T) {
	bin := fhirqlBinary(t)
	dir := t.TempDir()
	view := filepath.Join(dir, "v.fview")
	must(t, os.WriteFile(view, []byte("view v of Patient {\n  id = getResourceKey()\n}\n"), 0o644))
	fifo := filepath.Join(dir, "in.ndjson")
	must(t, syscall.Mkfifo(fifo, 0o600))
	cmd := exec.Command(bin, "verify", view, "--input", fifo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	defer cmd.Process.Kill()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // blocks until verify opens it
	must(t, err)
	defer w.Close()
	_, err = w.Write([]byte(`{"resourceType":"Patient","id":"p1"}` + "\n"))
	must(t, err)
	time.Sleep(300 * time.Millisecond)
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("verify did not exit after SIGTERM; stderr: %s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("exit: %v, want status 143; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "fhirql verify: interrupted") {
		t.Errorf("stderr = %q, want \"fhirql verify: interrupted\"", stderr.String())
	}
}
