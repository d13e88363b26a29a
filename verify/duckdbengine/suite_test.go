//go:build cgo

package duckdbengine

import (
	"context"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/verify"
	"github.com/fhirql/fhirql/verify/internal/suite"
)

// TestSuite runs all of the official SQL on FHIR v2 suite on DuckDB: each
// case's view compiled to DuckDB SQL, run over the case's resources as an
// NDJSON file, compared with the suite's expectation and with the runtime's
// rows. There is no skip list: every case must pass.
func TestSuite(t *testing.T) {
	cases, err := suite.Load(suite.Dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ref := &verify.Runtime{}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.Name(), func(t *testing.T) {
			explain := func(v *plan.View) string {
				q, err := Query(v, []string{c.Input})
				if err != nil {
					return err.Error()
				}
				return "DuckDB SQL:\n" + q
			}
			if msg := suite.Run(context.Background(), c, ref, eng, explain); msg != "" {
				t.Error(msg)
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("SQL on FHIR v2 suite on DuckDB: %d/%d passed", passed, len(cases))
}
