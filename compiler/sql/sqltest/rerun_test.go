package sqltest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
)

// exampleView is one view of examples/ by name.
func exampleView(t *testing.T, name string) *plan.View {
	t.Helper()
	for _, v := range allViews(t) {
		if v.Name == name {
			v.File.Name = "examples/" + filepath.Base(v.File.Name)
			return v
		}
	}
	t.Fatalf("no view %s", name)
	return nil
}

// TestServerlessParquetRerun reads the serverless script with CETAS, for
// each storage authentication, for what makes a second run succeed with
// the same objects: the external table is dropped if it exists, and CETAS
// writes to a folder named when the script runs (CETAS fails on a folder
// that holds files, and DROP EXTERNAL TABLE leaves them), so the old files
// can never be part of the new table. The scripts are golden files too.
func TestServerlessParquetRerun(t *testing.T) {
	v := exampleView(t, "patient_demographics")
	a := &txtar.Archive{Comment: []byte("Serverless scripts with --materialize parquet, one per --auth. Regenerate with go test -update.\n")}
	for _, auth := range []string{serverless.AuthPassthrough, serverless.AuthManagedIdentity, serverless.AuthSAS} {
		tg := serverless.New(serverless.Options{Source: lake, Parquet: "https://acct.dfs.core.windows.net/out/", Auth: auth})
		script := sql.DeployScript(tg, []*sql.Compiled{mustEmit(t, v, tg)})
		if bare, err := sqlcheck.Bare(script); err != nil || len(bare) > 0 {
			t.Errorf("%s: unquoted words %q (%v)", auth, bare, err)
		}
		drop := strings.Index(script, "DROP EXTERNAL TABLE [dbo].[patient_demographics_parquet]")
		run := strings.Index(script, "DECLARE @fhirql_run NVARCHAR(32) = REPLACE(REPLACE(REPLACE(CONVERT(NVARCHAR(27), SYSUTCDATETIME(), 126)")
		cetas := regexp.MustCompile(`DECLARE @fhirql_cetas NVARCHAR\(MAX\) = CONCAT\(N'CREATE EXTERNAL TABLE \[dbo\]\.\[patient_demographics_parquet\] WITH \( LOCATION = ''patient_demographics/', @fhirql_run, N'/'', DATA_SOURCE = \[fhirql_parquet_out\], FILE_FORMAT = \[fhirql_parquet\] \) AS SELECT \[id\]`).FindStringIndex(script)
		exec := strings.Index(script, "EXEC(@fhirql_cetas);")
		if drop < 0 || run < drop || cetas == nil || cetas[0] < run || exec < cetas[0] {
			t.Errorf("%s: want DROP EXTERNAL TABLE, the run's folder, CETAS into it, EXEC, in that order (%d %d %v %d):\n%s", auth, drop, run, cetas, exec, script)
		}
		if strings.Contains(script, "LOCATION = 'patient_demographics/'") {
			t.Errorf("%s: a fixed CETAS folder fails on the second run", auth)
		}
		cred := strings.Contains(script, "CREDENTIAL = [fhirql_lake]")
		if cred != (auth != serverless.AuthPassthrough) {
			t.Errorf("%s: output data source credential %v", auth, cred)
		}
		if !strings.Contains(script, "IF DB_NAME() = N'master'") {
			t.Errorf("%s: no user-database check", auth)
		}
		switch auth {
		case serverless.AuthManagedIdentity:
			if !strings.Contains(script, "CREATE DATABASE SCOPED CREDENTIAL [fhirql_lake] WITH IDENTITY = 'Managed Identity'") ||
				!strings.Contains(script, "N'##MS_DatabaseMasterKey##'") {
				t.Errorf("%s: no credential or master key check:\n%s", auth, script)
			}
		case serverless.AuthSAS:
			if strings.Contains(script, "\n    CREATE DATABASE SCOPED CREDENTIAL") || !strings.Contains(script, "THROW 50000, N'fhirql: create the credential first") {
				t.Errorf("%s: a SAS credential is the user's to create, and checked:\n%s", auth, script)
			}
		}
		a.Files = append(a.Files, txtar.File{Name: auth + ".sql", Data: []byte(script)})
	}
	golden(t, filepath.Join("deploy", "serverless_parquet.txtar"), a)
}
