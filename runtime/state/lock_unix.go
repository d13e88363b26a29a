//go:build unix

package state

import (
	"errors"
	"os"
	"syscall"
)

// errLocked reports a lock held by another open file.
var errLocked = errors.New("locked")

// lockFile opens path and takes an exclusive flock on it without waiting.
// The system releases a flock when its holder exits, however it ends, so
// a crashed run never leaves a lock behind. flock belongs to the open
// file, so a second lockFile in the same process conflicts too.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}

// unlockFile releases the lock (closing the file would too).
func unlockFile(f *os.File) error {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return f.Close()
}

func staleLockAdvice(path string) string {
	return "the lock is released when that process ends, even by a crash, so " + path + " never needs removing"
}
