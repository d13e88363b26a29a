package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/fhirql/fhirql/runtime/write"
)

func sortStrings(s []string) { sort.Strings(s) }

// outFile is one file of a command's output directory.
type outFile struct {
	name string // a base name from outname.Files: never a path
	data []byte
}

// writeAll writes files into dir all or nothing, as `fhirql run --out` does:
// every file is first written to a temporary file beside its target, and
// only when all are written are they renamed into place; on any error the
// temporary files are removed and the targets are left as they were.
func writeAll(dir string, files []outFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output directory: %v", err)
	}
	// A target that cannot be replaced would fail the renames halfway:
	// find it before anything is written.
	for _, f := range files {
		if st, err := os.Lstat(filepath.Join(dir, f.name)); err == nil && st.IsDir() {
			return fmt.Errorf("cannot write %s: a directory of that name is in the way; nothing was written", filepath.Join(dir, f.name))
		}
	}
	var pending []write.Atomic
	abort := func() {
		for _, a := range pending {
			a.Abort()
		}
	}
	for _, f := range files {
		if filepath.Base(f.name) != f.name {
			abort()
			return fmt.Errorf("internal error: output file name %q is a path", f.name)
		}
		a, err := write.CreateAtomic(filepath.Join(dir, f.name))
		if err != nil {
			abort()
			return err
		}
		pending = append(pending, a)
		if _, err := a.Write(f.data); err != nil {
			abort()
			return fmt.Errorf("cannot write %s: %v", a.Name(), err)
		}
	}
	for i, a := range pending {
		if err := a.Commit(); err != nil {
			for _, b := range pending[i+1:] {
				b.Abort()
			}
			return err
		}
	}
	return nil
}

// differing lists the files of dir that exist and hold something other
// than what files would write there: generated views never overwrite a
// user's edits without --force (scaffold, import).
func differing(dir string, files []outFile) []string {
	var out []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if old, err := os.ReadFile(p); err == nil && !bytes.Equal(old, f.data) {
			out = append(out, p)
		}
	}
	return out
}
