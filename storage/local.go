package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LocalStore is the local file system; names are file paths, relative to
// the working directory or absolute.
type LocalStore struct{}

func joinLocal(dir, name string) string { return filepath.Join(dir, name) }

// Open opens a file.
func (LocalStore) Open(_ context.Context, name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return f, err
}

// Stat returns a regular file's size.
func (LocalStore) Stat(_ context.Context, name string) (Object, error) {
	st, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if err != nil {
		return Object{}, err
	}
	if st.IsDir() {
		return Object{}, fmt.Errorf("%s is a directory: %w", name, ErrNotExist)
	}
	return Object{Name: name, Size: st.Size()}, nil
}

// List walks the directory part of prefix and returns the regular files
// whose paths begin with prefix.
func (LocalStore) List(_ context.Context, prefix string) ([]Object, error) {
	dir := prefix
	if !strings.HasSuffix(prefix, string(filepath.Separator)) && !strings.HasSuffix(prefix, "/") {
		dir = filepath.Dir(prefix)
	}
	if dir == "" {
		dir = "."
	}
	var out []Object
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !strings.HasPrefix(p, filepath.Clean(prefix)) && !strings.HasPrefix(p, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			out = append(out, Object{Name: p, Size: info.Size()})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// Location returns the path.
func (LocalStore) Location(name string) string { return name }

// Create writes to a temporary file in the target's directory (created
// if missing), which Commit syncs and renames over the target and Abort
// removes: a failed write leaves a previous file untouched and no
// temporary file behind.
func (LocalStore) Create(_ context.Context, name string) (Writer, error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the directory %s: %v", dir, err)
	}
	// Temporary files of a killed run go first; the names carry the
	// process id so that another live writer's file stays (stale.go).
	RemoveStale(dir, base)
	f, err := os.CreateTemp(dir, TempPattern(base))
	if err != nil {
		return nil, fmt.Errorf("cannot create an output file in %s: %v", dir, err)
	}
	// CreateTemp makes the file private; the result is an ordinary file.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("cannot create an output file in %s: %v", dir, err)
	}
	return &localWriter{Writer: bufio.NewWriterSize(f, 1<<20), f: f, target: name}, nil
}

type localWriter struct {
	*bufio.Writer
	f      *os.File
	target string
	done   bool
}

func (w *localWriter) Name() string { return w.target }

func (w *localWriter) Commit() error {
	if w.done {
		return nil
	}
	w.done = true
	err := w.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), w.target)
	}
	if err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("cannot write %s: %v", w.target, err)
	}
	return nil
}

func (w *localWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}
