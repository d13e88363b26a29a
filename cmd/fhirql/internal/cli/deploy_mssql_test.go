package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/deploy"
)

// mssqlDSNVar names the SQL Server the server tests use (as in
// verify/mssqlengine).
const mssqlDSNVar = "FHIRQL_TEST_MSSQL_DSN"

// TestDeploySQLServer runs `fhirql deploy` of every example view with
// --target sqlserver on a real SQL Server, as views and as tables (--select-into),
// twice each (the script must be re-runnable), then reads every object back;
// and checks that a failure names the view and leaves what ran before in
// place. Without FHIRQL_TEST_MSSQL_DSN it is skipped: no SQL Server runs on
// the machines this project is built on (no Docker engine).
func TestDeploySQLServer(t *testing.T) {
	dsn := os.Getenv(mssqlDSNVar)
	if dsn == "" {
		t.Skipf("%s is not set: to run fhirql deploy against SQL Server, start one (docs/verify.md: "+
			"docker run -e ACCEPT_EULA=Y -e MSSQL_SA_PASSWORD=... -p 1433:1433 mcr.microsoft.com/mssql/server:2022-latest) and run "+
			"%s='sqlserver://sa:PASSWORD@localhost:1433?database=master' go test -run TestDeploySQLServer ./cmd/fhirql/internal/cli", mssqlDSNVar, mssqlDSNVar)
	}
	ctx := context.Background()
	conn, err := deploy.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 4)
	rand.Read(b)
	schema := "fhirql_deploy_" + hex.EncodeToString(b)
	raw := "[" + schema + "].[raw]"
	exec := func(q string) {
		t.Helper()
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("EXEC(N'CREATE SCHEMA [" + schema + "]')")
	exec("CREATE TABLE " + raw + " ([doc] NVARCHAR(MAX) NULL)")
	exec(`INSERT INTO ` + raw + ` VALUES (N'{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1970-01-01"}')`)
	// dropObjects drops what deploy created in the schema: views,
	// functions and tables other than the source.
	dropObjects := func() error {
		return conn.Exec(ctx, "DECLARE @s NVARCHAR(MAX) = N''; "+
			"SELECT @s += N'DROP ' + CASE type WHEN 'V' THEN N'VIEW ' WHEN 'U' THEN N'TABLE ' ELSE N'FUNCTION ' END + "+
			"QUOTENAME(SCHEMA_NAME(schema_id)) + N'.' + QUOTENAME(name) + N'; ' "+
			"FROM sys.objects WHERE schema_id = SCHEMA_ID(N'"+schema+"') AND type IN ('V', 'U', 'IF', 'TF', 'FN') AND name <> N'raw' "+
			"ORDER BY CASE type WHEN 'V' THEN 0 WHEN 'U' THEN 1 ELSE 2 END; EXEC(@s)")
	}
	t.Cleanup(func() {
		dropObjects()
		conn.Exec(ctx, "DROP TABLE IF EXISTS "+raw)
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS ["+schema+"]")
	})
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"deploy"}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	for _, selectInto := range []bool{false, true} {
		args := []string{"../../../../examples", "--target", "sqlserver", "--source", raw, "--schema", schema, "--dsn", dsn}
		if selectInto {
			args = append(args, "--select-into")
		}
		for round := 1; round <= 2; round++ {
			code, _, stderr := run(args...)
			if code != ExitOK {
				t.Fatalf("select-into %v, run %d: exit %d\n%s", selectInto, round, code, stderr)
			}
			if !strings.Contains(stderr, `view "patient_demographics"`) || !strings.Contains(stderr, "fhirql deploy: done: ") {
				t.Errorf("progress lacks the views or the summary:\n%s", stderr)
			}
		}
		for _, v := range []string{"patient_demographics", "encounters", "condition_codings", "observation_quantities",
			"blood_pressure", "patient_addresses", "questionnaire_answers"} {
			exec("DECLARE @n INT; SELECT @n = COUNT(*) FROM [" + schema + "].[" + v + "]")
		}
		if err := dropObjects(); err != nil {
			t.Fatal(err)
		}
	}

	// A failure: a source table that does not exist. The error names the
	// view and the line; exit 1.
	code, _, stderr := run("../../../../examples/patient_demographics.fview", "--target", "sqlserver",
		"--source", "["+schema+"].[missing]", "--schema", schema, "--dsn", dsn)
	if code != ExitErrors || !strings.Contains(stderr, `view "patient_demographics"`) || !strings.Contains(stderr, "of the script") ||
		!strings.Contains(stderr, "run fhirql deploy again") {
		t.Errorf("failure: exit %d\n%s", code, stderr)
	}
}
