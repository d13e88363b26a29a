package storage

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A temporary file is named .<base>.tmp-<pid>-<random>: the process id
// tells a later run whether its writer is still alive.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// legacyAge is how old a temporary file without a process id (written by
// fhirql before temporary names carried one) must be to count as stale.
const legacyAge = time.Hour

// RemoveStale deletes the temporary files of dir/base left by a process
// that no longer runs (killed with SIGKILL, or by a power cut): a run
// that is interrupted normally removes its own. A temporary file of a
// process that is still running (another fhirql writing the same
// directory) is left alone. Errors are ignored: a stale file is litter,
// not a reason to fail.
func RemoveStale(dir, base string) {
	prefix := tempPrefix(base)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		m := filepath.Join(dir, e.Name())
		rest := strings.TrimPrefix(e.Name(), prefix)
		pidText, _, hasPid := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidText); hasPid && err == nil {
			if pid == os.Getpid() || processAlive(pid) {
				continue
			}
		} else if st, err := os.Stat(m); err != nil || time.Since(st.ModTime()) < legacyAge {
			continue
		}
		os.Remove(m)
	}
}

// TempPattern is the os.CreateTemp pattern of a temporary file for base:
// .<base>.tmp-<pid>-<random>, which RemoveStale recognises.
func TempPattern(base string) string { return tempPrefix(base) + strconv.Itoa(os.Getpid()) + "-*" }
