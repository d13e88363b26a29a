//go:build unix

package state

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
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
	c := newLockCase(t, 12)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	cmd.Env = append(os.Environ(), "FHIRQL_TEST_LOCK_DIR="+c.dir)
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
	c.refused(t, fmt.Sprintf("(pid %d)", cmd.Process.Pid), "never needs removing")
	cmd.Process.Kill()
	cmd.Wait()
	if err := c.apply(Config{}); err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
}
