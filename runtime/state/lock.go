package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockName is the lock file of a state directory. On unix it stays after
// a run: what is held is a lock on the file, not the file.
const lockName = ".lock"

// Lock is a state directory's exclusive lock. Two applies to one
// directory at once would both read generation N and both write
// generation N+1 (overlapping cron jobs do this): the lock makes the
// second fail at once, the state untouched, rather than wait behind or
// race the first.
type Lock struct {
	dir string // absolute
	f   *os.File
}

// LockDir takes the lock of the state in dir (created when absent), for a
// caller that applies several exports in a row and wants no other run
// between them (Config.Lock). It fails at once when another process, or
// another Lock of this one, holds it.
func LockDir(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the state directory: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	f, err := lockFile(filepath.Join(dir, lockName))
	if err != nil {
		return nil, lockError(dir, err)
	}
	// The holder's process id, for the message of a run that finds the
	// lock taken.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{dir: abs, f: f}, nil
}

// Unlock releases the lock; the lock file stays (removing it would let a
// third run lock a new file while a second still holds the old one).
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	l.f = nil
	return err
}

// lockError says who holds the lock and what to do.
func lockError(dir string, err error) error {
	if err != errLocked {
		return fmt.Errorf("state %s: cannot take its lock %s: %v", dir, filepath.Join(dir, lockName), err)
	}
	who := "another fhirql run"
	if data, rerr := os.ReadFile(filepath.Join(dir, lockName)); rerr == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil && pid > 0 {
			who = fmt.Sprintf("another fhirql run (pid %d)", pid)
		}
	}
	return fmt.Errorf("%s is applying to state %s: wait for it to finish and run again; %s", who, dir, staleLockAdvice(filepath.Join(dir, lockName)))
}
