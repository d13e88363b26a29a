package write

import (
	"bufio"
	"fmt"
	"github.com/fhirql/fhirql/storage"
	"io"
	"os"
	"path/filepath"
)

// Atomic is an output file that appears under its final name only when
// Commit succeeds: rows go to a temporary file in the same directory,
// which Commit renames over the target and Abort removes. A run that
// fails therefore leaves a previous good file untouched and no
// temporary files behind.
type Atomic struct {
	*bufio.Writer
	f      *os.File
	target string
	done   bool
}

// CreateAtomic starts writing path. It first removes the temporary files
// of path that an earlier process left behind when it was killed (see
// RemoveStale).
func CreateAtomic(path string) (*Atomic, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	storage.RemoveStale(dir, base)
	f, err := os.CreateTemp(dir, storage.TempPattern(base))
	if err != nil {
		return nil, fmt.Errorf("cannot create an output file in %s: %v", dir, err)
	}
	// CreateTemp makes the file private; the result is an ordinary file.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("cannot create an output file in %s: %v", dir, err)
	}
	return &Atomic{Writer: bufio.NewWriterSize(f, 1<<20), f: f, target: path}, nil
}

// Raw returns the file itself, for writers that already write in large
// blocks (buffering them again would only copy). Do not mix it with the
// buffered Writer.
func (a *Atomic) Raw() io.Writer { return a.f }

// Name returns the final path.
func (a *Atomic) Name() string { return a.target }

// Commit flushes, syncs and renames the file to its final name.
func (a *Atomic) Commit() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.target)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("cannot write %s: %v", a.target, err)
	}
	return nil
}

// Abort discards the file; the target is left as it was. Abort after
// Commit does nothing.
func (a *Atomic) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// RemoveStale deletes the temporary files of dir/base left by a process
// that no longer runs; see storage.RemoveStale, which names them.
func RemoveStale(dir, base string) { storage.RemoveStale(dir, base) }
