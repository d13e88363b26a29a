//go:build !unix

package state

import (
	"errors"
	"os"
)

// errLocked reports a lock file that exists.
var errLocked = errors.New("locked")

// lockFile creates path, failing when it exists: without flock the file's
// existence is the lock. A run that crashes leaves it behind, and the
// error then says to remove it.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, errLocked
	}
	return f, err
}

// unlockFile removes the lock file.
func unlockFile(f *os.File) error {
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func staleLockAdvice(path string) string {
	return "if no fhirql is running (a run that crashed leaves the lock behind on this system), remove " + path
}
