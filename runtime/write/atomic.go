package write

import (
	"context"

	"github.com/fhirql/fhirql/storage"
)

// Atomic is an output file that appears under its final name only when
// Commit succeeds: rows go to a temporary file in the same directory,
// which Commit renames over the target and Abort removes. A run that
// fails therefore leaves a previous good file untouched and no temporary
// files behind. It is the local store's writer (storage.LocalStore), which
// `fhirql run --out` uses too: one implementation, one naming of
// temporary files (storage/stale.go).
type Atomic = storage.Writer

// CreateAtomic starts writing path on the local file system (its directory
// is created if missing). It first removes the temporary files of path
// that an earlier process left behind when it was killed
// (storage.RemoveStale).
func CreateAtomic(path string) (Atomic, error) {
	return storage.LocalStore{}.Create(context.Background(), path)
}
