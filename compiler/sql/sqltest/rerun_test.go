package sqltest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
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

// TestScriptsRerunnable reads every deploy script of every example and
// suite view, for each T-SQL target, for what makes a second run create
// the same objects: each CREATE TABLE and CETAS follows a drop of the same
// object, each external object and credential is created only when
// missing, views and functions are CREATE OR ALTER, and COPY INTO loads
// only a staging table the same script has just created (so no row of an
// earlier run stays). DuckDB runs its own scripts twice
// (verify/duckdbengine TestDeployScript).
func TestScriptsRerunnable(t *testing.T) {
	tgs := []sql.Target{
		serverless.New(serverless.Options{Source: lake, Parquet: "https://acct.dfs.core.windows.net/out/", Auth: serverless.AuthManagedIdentity, Schema: "fhir"}),
		dedicated.New(dedicated.Options{Source: lake, Schema: "fhir"}),
		dedicated.New(dedicated.Options{Source: lake, SelectInto: true}),
		sqlserver.New(sqlserver.Options{}),
		sqlserver.New(sqlserver.Options{SelectInto: true}),
	}
	createRE := regexp.MustCompile(`^(CREATE (TABLE|EXTERNAL TABLE|EXTERNAL DATA SOURCE|EXTERNAL FILE FORMAT|DATABASE SCOPED CREDENTIAL|VIEW|FUNCTION|OR ALTER VIEW|OR ALTER FUNCTION)|COPY INTO|SELECT|INTO|DECLARE @fhirql_cetas) ?(\[[^\]]*\](\.\[[^\]]*\])?)?`)
	guarded := regexp.MustCompile(`^CREATE (EXTERNAL DATA SOURCE|EXTERNAL FILE FORMAT|DATABASE SCOPED CREDENTIAL)`)
	checked := 0
	seen := map[string]int{}
	for _, v := range allViews(t) {
		for _, tg := range tgs {
			c, diags := sql.Emit(v, tg)
			if diags.HasErrors() {
				continue
			}
			script := sql.DeployScript(tg, []*sql.Compiled{c})
			lines := strings.Split(script, "\n")
			dropped := map[string]bool{}
			created := map[string]bool{}
			for i, l := range lines {
				trim := strings.TrimSpace(l)
				if strings.HasPrefix(trim, "DROP ") {
					dropped[strings.TrimSuffix(strings.Fields(trim)[len(strings.Fields(trim))-1], ";")] = true
					continue
				}
				if k := guarded.FindString(trim); k != "" {
					seen[k]++
					if i == 0 || !strings.HasPrefix(lines[i-1], "IF NOT EXISTS (SELECT 1 FROM sys.") {
						t.Errorf("%s/%s: %q is not guarded by IF NOT EXISTS", v.Name, tg.Name(), trim)
					}
					continue
				}
				m := createRE.FindStringSubmatch(l) // statements start at column 0
				if m == nil {
					continue
				}
				seen[strings.Fields(m[0])[0]+" "+m[2]]++
				obj := m[3]
				switch {
				case m[2] == "TABLE":
					if !dropped[obj] {
						t.Errorf("%s/%s: CREATE TABLE %s without a drop first", v.Name, tg.Name(), obj)
					}
					created[obj] = true
				case strings.HasPrefix(m[0], "INTO"):
					if !dropped[obj] {
						t.Errorf("%s/%s: SELECT INTO %s without a drop first", v.Name, tg.Name(), obj)
					}
				case strings.HasPrefix(m[0], "COPY INTO"):
					if !created[obj] {
						t.Errorf("%s/%s: COPY INTO %s, a table this script did not just create", v.Name, tg.Name(), obj)
					}
				case m[2] == "VIEW" || m[2] == "FUNCTION":
					// Dedicated pools have no CREATE OR ALTER VIEW: a drop
					// first is as good.
					if !dropped[obj] {
						t.Errorf("%s/%s: CREATE %s %s without OR ALTER or a drop first", v.Name, tg.Name(), m[2], obj)
					}
				case strings.HasPrefix(m[0], "DECLARE @fhirql_cetas"):
					if !strings.Contains(strings.Join(lines[max(0, i-5):i], "\n"), "DROP EXTERNAL TABLE") {
						t.Errorf("%s/%s: CETAS without dropping its external table first", v.Name, tg.Name())
					}
				}
			}
			checked++
		}
	}
	// Every kind of statement the rules cover was read.
	for _, k := range []string{"CREATE TABLE", "CREATE EXTERNAL DATA SOURCE", "CREATE EXTERNAL FILE FORMAT", "CREATE DATABASE SCOPED CREDENTIAL", "CREATE OR ALTER VIEW", "CREATE OR ALTER FUNCTION", "COPY ", "INTO ", "DECLARE "} {
		if seen[k] == 0 {
			t.Errorf("no %q statement read: %v", k, seen)
		}
	}
	t.Logf("%d scripts read: %v", checked, seen)
}
