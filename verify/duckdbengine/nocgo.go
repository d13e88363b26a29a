//go:build !cgo

package duckdbengine

import (
	"errors"

	"github.com/fhirql/fhirql/verify"
)

// Available is false: DuckDB is linked through cgo.
const Available = false

// ErrNoCgo explains why there is no DuckDB engine in this build.
var ErrNoCgo = errors.New("this fhirql was built without cgo, so it has no embedded DuckDB: rebuild it with CGO_ENABLED=1 (and a C toolchain), or use --engine sqlserver")

// New fails: see ErrNoCgo.
func New(Options) (verify.Engine, error) { return nil, ErrNoCgo }
