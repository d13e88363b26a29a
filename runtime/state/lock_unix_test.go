//go:build unix

package state

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state/statetest"
)

// TestLockHolderProcess is not a test of its own: run by
// TestLockOtherProcess as a second process, it holds the lock of the
// state named by FHIRQL_TEST_LOCK_DIR until it is killed.
func TestLockHolderProcess(t *testing.T) {
	dir := os.Getenv("FHIRQL_TEST_LOCK_DIR")
	if dir == "" {
		t.Skip("the helper process of TestLockOtherProcess")
	}
	if _, err := LockDir(dir); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin) // until killed
	os.Exit(0)
}

// TestLockOtherProcess checks the lock between processes, as two
// overlapping `fhirql run --state` would be: while another process holds
// it, an apply fails naming that process's pid and changes nothing; once
// that process is killed (no clean-up), the next apply succeeds: a lock
// is never left behind.
func TestLockOtherProcess(t *testing.T) {
	views := loadSimViews(t)
	s := statetest.NewSim(12, t.TempDir())
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	cmd.Env = append(os.Environ(), "FHIRQL_TEST_LOCK_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper process did not take the lock: %q %v", line, err)
	}
	lockedApply(t, views, s, dir, fmt.Sprintf("(pid %d)", cmd.Process.Pid), "never needs removing")
	cmd.Process.Kill()
	cmd.Wait()
	e1, err := LoadExport(s.Exports[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), views, dir, e1, Config{}, runtime.Options{Workers: 1}); err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
}
