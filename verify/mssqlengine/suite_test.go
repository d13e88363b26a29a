package mssqlengine

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/verify"
	"github.com/fhirql/fhirql/verify/internal/suite"
)

// dsnVar names the SQL Server the server tests use.
const dsnVar = "FHIRQL_TEST_MSSQL_DSN"

func engine(t *testing.T) *Engine {
	t.Helper()
	dsn := os.Getenv(dsnVar)
	if dsn == "" {
		t.Skipf("%s is not set: to run the SQL on FHIR suite on SQL Server, start one (docs/verify.md: "+
			"docker run -e ACCEPT_EULA=Y -e MSSQL_SA_PASSWORD=... -p 1433:1433 mcr.microsoft.com/mssql/server:2022-latest) and run "+
			"%s='sqlserver://sa:PASSWORD@localhost:1433?database=master' go test ./verify/mssqlengine", dsnVar, dsnVar)
	}
	e, err := New(context.Background(), Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("closing: %v", err)
		}
	})
	return e
}

// TestSuite runs every case of the SQL on FHIR v2 suite as `--target
// sqlserver` T-SQL on the server in FHIRQL_TEST_MSSQL_DSN: the case's
// resources bulk-loaded into the source table, rows compared with the
// suite's expectation and with the runtime's. No skip list.
func TestSuite(t *testing.T) {
	eng := engine(t)
	cases, err := suite.Load(suite.Dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ref := &verify.Runtime{}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.Name(), func(t *testing.T) {
			explain := func(v *plan.View) string {
				helpers, q, _, err := eng.Compile(v)
				if err != nil {
					return err.Error()
				}
				return "T-SQL:\n" + strings.Join(append(helpers, q), "\nGO\n")
			}
			if msg := suite.Run(context.Background(), c, ref, eng, explain); msg != "" {
				t.Error(msg)
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("SQL on FHIR v2 suite on SQL Server: %d/%d passed", passed, len(cases))
}

// TestExamples verifies every example view on examples/data, runtime
// against SQL Server.
func TestExamples(t *testing.T) {
	eng := engine(t)
	res := compiler.Load([]string{"../../examples"}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	ref := &verify.Runtime{}
	for _, v := range res.Views() {
		t.Run(v.Name, func(t *testing.T) {
			r := verify.Verify(context.Background(), ref, eng, v, []string{"../../examples/data"})
			var b strings.Builder
			r.Write(&b, ref.Name(), eng.Name(), 0)
			if !r.OK() || r.ReferenceErr != nil {
				t.Fatal(b.String())
			}
			t.Log(strings.TrimSpace(b.String()))
		})
	}
}
