//go:build !cgo

package cli

import (
	"context"
	"errors"

	"github.com/fhirql/fhirql/verify"
)

// Without cgo there is no DuckDB; --engine duckdb says so and how to fix it.
func init() {
	verifyEngines["duckdb"] = func(ctx context.Context, dsn string) (verify.Engine, error) {
		return nil, errors.New("this fhirql binary was built without cgo, so it has no embedded DuckDB: rebuild it with CGO_ENABLED=1 (and a C compiler), or use --engine sqlserver --dsn ...")
	}
}
