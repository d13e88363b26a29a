//go:build !cgo

package duckdbengine

import (
	"context"
	"errors"

	"github.com/fhirql/fhirql/compiler/sql"

	"github.com/fhirql/fhirql/verify"
)

// Available is false: DuckDB is linked through cgo.
const Available = false

// ErrNoCgo explains why there is no DuckDB engine in this build.
var ErrNoCgo = errors.New("this fhirql was built without cgo, so it has no embedded DuckDB: rebuild it with CGO_ENABLED=1 (and a C toolchain), or use --engine sqlserver")

// New fails: see ErrNoCgo.
func New(Options) (verify.Engine, error) { return nil, ErrNoCgo }

// Load is a table to create before a query runs (see the cgo build).
type Load struct {
	Name    string
	File    string
	Columns []sql.ColumnInfo
}

// Result is a query's rows.
type Result struct {
	Columns []string
	Rows    [][]any
}

// RunQuery fails: see ErrNoCgo.
func RunQuery(ctx context.Context, o Options, setup []string, loads []Load, query, parquet string) (*Result, error) {
	return nil, ErrNoCgo
}
