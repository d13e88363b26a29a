//go:build cgo

package cli

import (
	"context"

	"github.com/fhirql/fhirql/verify"
	"github.com/fhirql/fhirql/verify/duckdbengine"
)

// DuckDB links through cgo, so it is an engine only in cgo builds.
func init() {
	verifyEngines["duckdb"] = func(ctx context.Context, dsn string) (verify.Engine, error) {
		return duckdbengine.New(duckdbengine.Options{})
	}
}
