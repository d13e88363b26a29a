package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
)

const lakeSource = "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"

func runFhirql(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeView(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	must(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

const patientView = `/// Patients with their gender.
view patients of Patient {
  id     = getResourceKey()
  gender = gender
  given[] = name.given
}
`

func TestBuildStdout(t *testing.T) {
	dir := t.TempDir()
	v := writeView(t, dir, "p.fview", patientView)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--target", "serverless", "--source", lakeSource}, []string{
			"CREATE OR ALTER VIEW [dbo].[patients] AS",
			// COPY INTO's recursive wildcard, on serverless too.
			"BULK 'https://acct.dfs.core.windows.net/fhir/**'",
			"WHERE [s].filename() COLLATE Latin1_General_100_BIN2 LIKE N'Patient%.ndjson'",
			"-- fhirql view \"patients\" of Patient, for serverless",
			"-- source: " + v,
		}},
		{[]string{"--target", "serverless", "--source", "fhir/{resource}/*.ndjson", "--data-source", "lake", "--schema", "fhir",
			"--materialize", "parquet", "--parquet-location", "https://acct.dfs.core.windows.net/out/"}, []string{
			"DATA_SOURCE = 'lake'",
			"CREATE OR ALTER VIEW [fhir].[patients] AS",
			"CREATE EXTERNAL FILE FORMAT [fhirql_parquet] WITH (FORMAT_TYPE = PARQUET, DATA_COMPRESSION = 'org.apache.hadoop.io.compress.SnappyCodec')",
			"LOCATION = 'https://acct.dfs.core.windows.net/out/'",
			"CREATE EXTERNAL TABLE [fhir].[patients_parquet]",
			"FROM [fhir].[patients]",
		}},
		{[]string{"--target", "serverless", "--source", lakeSource, "--materialize", "parquet", "--parquet-location", "https://acct.dfs.core.windows.net/out/", "--auth", "managed-identity"}, []string{
			"CREATE DATABASE SCOPED CREDENTIAL [fhirql_lake] WITH IDENTITY = 'Managed Identity'",
			"CREDENTIAL = [fhirql_lake]",
			"EXEC(@fhirql_cetas);",
		}},
		{[]string{"--target", "dedicated", "--source", lakeSource, "--distribution", "HASH(id)", "--credential", "Managed Identity"}, []string{
			"COPY INTO [dbo].[fhirql_Patient_ndjson] ([doc] 1)",
			"CREDENTIAL = (IDENTITY = 'Managed Identity')",
			// given[] is JSON array text, NVARCHAR(MAX): a heap, and why.
			"-- HEAP, not a clustered columnstore index: given is NVARCHAR(MAX),",
			"WITH (DISTRIBUTION = HASH([id]), HEAP)",
			"SUBSTRING(JSON_MODIFY(N'[]', 'append $',",
		}},
		{[]string{"--target", "dedicated", "--source", lakeSource, "--index", "HEAP"}, []string{
			"WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)",
		}},
		{[]string{"--target", "sqlserver", "--select-into"}, []string{
			"INTO [dbo].[patients]",
		}},
		{[]string{"--target", "sqlserver", "--source", "raw.[ndjson lines]", "--doc-column", "json"}, []string{
			"CREATE OR ALTER VIEW [dbo].[patients] AS",
			"FROM [raw].[ndjson lines] AS [s]",
			"ISJSON([s].[json])",
		}},
		{[]string{"--target", "sqlserver", "--query-only"}, []string{
			"-- patients\nSELECT",
			"FROM [dbo].[fhir_raw] AS [s]",
		}},
	}
	for _, c := range cases {
		args := append([]string{"build", v}, c.args...)
		code, out, errs := runFhirql(args...)
		if code != ExitOK {
			t.Errorf("fhirql %v: exit %d\n%s", args, code, errs)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("fhirql %v: stdout lacks %q:\n%s", args, w, out)
			}
		}
	}
	// --query-only prints no DDL.
	_, out, _ := runFhirql("build", v, "--target", "sqlserver", "--query-only")
	if strings.Contains(out, "CREATE") {
		t.Errorf("--query-only printed DDL:\n%s", out)
	}
	// A view whose rule names a view left out of the command prints its
	// query: the rule's view is not part of --query-only's output.
	code, out, errs := runFhirql("build", "../../../../examples/encounters.fview", "--target", "duckdb", "--query-only")
	if code != ExitOK || !strings.Contains(out, "-- encounters\nSELECT") {
		t.Errorf("--query-only of a view with a reference rule: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestBuildOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sql")
	code, stdout, errs := runFhirql("build", "../../../../examples", "--target", "sqlserver", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if stdout != "" {
		t.Errorf("--out also wrote to stdout:\n%s", stdout)
	}
	entries, err := os.ReadDir(out)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	got := strings.Join(names, " ")
	for _, w := range []string{"deploy.sql", "manifest.json", "patient_demographics.sql", "questionnaire_answers.sql", "blood_pressure.sql"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s in %s", w, got)
		}
	}
	if strings.Contains(got, ".tmp") {
		t.Errorf("temporary files left: %s", got)
	}
	deploy, err := os.ReadFile(filepath.Join(out, "deploy.sql"))
	must(t, err)
	// Dependency order: the repeat function before the view that calls it.
	fn := bytes.Index(deploy, []byte("CREATE OR ALTER FUNCTION [dbo].[questionnaire_answers__repeat1]"))
	view := bytes.Index(deploy, []byte("CREATE OR ALTER VIEW [dbo].[questionnaire_answers]"))
	if fn < 0 || view < 0 || fn > view {
		t.Errorf("function at %d, view at %d: want the function first", fn, view)
	}
	var m Manifest
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	must(t, err)
	must(t, json.Unmarshal(data, &m))
	if m.Target != "sqlserver" || len(m.Views) < 7 {
		t.Fatalf("manifest: target %q, %d views", m.Target, len(m.Views))
	}
	var demo *ManifestView
	for i := range m.Views {
		if m.Views[i].Name == "patient_demographics" {
			demo = &m.Views[i]
		}
	}
	if demo == nil {
		t.Fatal("no patient_demographics in the manifest")
	}
	if demo.Object != "[dbo].[patient_demographics]" || demo.Script != "patient_demographics.sql" || demo.Resource != "Patient" {
		t.Errorf("manifest view: %+v", demo)
	}
	cols := map[string]string{}
	for _, c := range demo.Columns {
		cols[c.Name] = c.SQLType + " " + c.FHIRType + " " + c.Path
		if c.Name == "id" && !strings.Contains(c.Description, "getReferenceKey") {
			t.Errorf("id description %q", c.Description)
		}
	}
	for name, want := range map[string]string{
		"all_given": "NVARCHAR(MAX) string name.given",
		"family":    "NVARCHAR(MAX) string name.where(use = 'official').family.first()",
	} {
		if cols[name] != want {
			t.Errorf("column %s: %q, want %q", name, cols[name], want)
		}
	}
	// A re-run replaces the files.
	if code, _, errs := runFhirql("build", "../../../../examples", "--target", "sqlserver", "--out", out); code != ExitOK {
		t.Fatalf("second run: exit %d\n%s", code, errs)
	}
}

// src is a valid --source for the serverless and dedicated targets, which
// require one.
const src = "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"

func TestBuildUsageErrors(t *testing.T) {
	dir := t.TempDir()
	v := writeView(t, dir, "p.fview", patientView)
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"build", v}, "--target is required"},
		{[]string{"build", v, "--target", "postgres"}, `unknown target "postgres"`},
		{[]string{"build", "--target", "serverless"}, "no view files"},
		{[]string{"build", v, "--target", "serverless", "--distribution", "REPLICATE"}, "--distribution not valid with --target serverless"},
		{[]string{"build", v, "--target", "sqlserver", "--materialize", "parquet"}, "--materialize not valid with --target sqlserver"},
		{[]string{"build", v, "--target", "serverless", "--source", src, "--materialize", "parquet"}, "go together"},
		{[]string{"build", v, "--target", "serverless", "--source", src, "--materialize", "csv", "--parquet-location", "x"}, `--materialize must be "parquet"`},
		{[]string{"build", v, "--target", "dedicated", "--source", src, "--distribution", "HASH(a]b)"}, "invalid --distribution"},
		{[]string{"build", v, "--target", "dedicated", "--source", src, "--index", "NONCLUSTERED"}, "invalid --index"},
		{[]string{"build", v, "--target", "serverless", "--source", src, "--auth", "key", "--materialize", "parquet", "--parquet-location", "x"}, "invalid --auth"},
		{[]string{"build", v, "--target", "serverless", "--source", src, "--auth", "sas"}, "--auth applies to the Parquet output"},
		{[]string{"build", v, "--target", "dedicated", "--source", src, "--auth", "sas"}, "--auth not valid with --target dedicated"},
		{[]string{"build", v, "--target", "dedicated", "--source", src, "--index", "HEAP", "--select-into"}, "--index does not apply to --select-into"},
		{[]string{"build", v, "--target", "sqlserver", "--source", "a..b"}, "--source for sqlserver is a table name"},
		{[]string{"build", v, "--target", "serverless", "--source", "x\ny"}, "control character"},
		{[]string{"build", v, "--target", "serverless", "--repeat-depth", "0"}, "--repeat-depth must be"},
		{[]string{"build", v, "--target", "serverless", "--schema", ""}, "invalid --schema"},
		{[]string{"build", v, "--target", "serverless", "--nosuch"}, "flag provided but not defined"},
		{[]string{"build", v, "--target", "serverless"}, "--target serverless needs --source"},
		{[]string{"build", v, "--target", "dedicated", "--query-only"}, "--target dedicated needs --source"},
		{[]string{"build", v, "--target", "serverless", "--source", "https://a/{Resource}*.ndjson"}, "placeholder {Resource}; the only placeholder is {resource}"},
		{[]string{"build", v, "--target", "duckdb", "--source", "data/{type}.ndjson"}, "placeholder {type}"},
	}
	for _, c := range cases {
		code, _, errs := runFhirql(c.args...)
		if code != ExitUsage {
			t.Errorf("fhirql %q: exit %d, want %d\n%s", c.args, code, ExitUsage, errs)
		}
		if !strings.Contains(errs, c.err) {
			t.Errorf("fhirql %q: stderr lacks %q:\n%s", c.args, c.err, errs)
		}
	}
}

func TestBuildViewErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeView(t, dir, "bad.fview", "view v of Patient {\n  b = birthdate\n}\n")
	regex := writeView(t, t.TempDir(), "regex.fview", "view r of Patient {\n  m = gender.matches('f.*')\n}\n")
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"build", bad, "--target", "serverless", "--source", src}, `did you mean "birthDate"`},
		{[]string{"build", regex, "--target", "dedicated", "--source", src}, `error[FQL3101]: function "matches" is not supported by the dedicated target`},
		{[]string{"build", writeView(t, t.TempDir(), "p.fview", patientView), "--target", "dedicated", "--source", src, "--select-into"},
			`error[FQL3106]: column "given" is NVARCHAR(MAX), which a SELECT INTO (clustered columnstore) table on the dedicated target cannot hold`},
		{[]string{"build", writeView(t, t.TempDir(), "p.fview", patientView), "--target", "dedicated", "--source", src, "--index", "clustered columnstore index"},
			`error[FQL3106]: column "given" is NVARCHAR(MAX), which a clustered columnstore table on the dedicated target cannot hold`},
		{[]string{"build", filepath.Join(dir, "missing.fview"), "--target", "sqlserver"}, "cannot read"},
	}
	for _, c := range cases {
		code, out, errs := runFhirql(c.args...)
		if code != ExitErrors {
			t.Errorf("fhirql %q: exit %d, want %d\n%s", c.args, code, ExitErrors, errs)
		}
		if !strings.Contains(errs, c.err) {
			t.Errorf("fhirql %q: stderr lacks %q:\n%s", c.args, c.err, errs)
		}
		if out != "" {
			t.Errorf("fhirql %q: wrote SQL despite errors:\n%s", c.args, out)
		}
	}
	// The span points at the call.
	_, _, errs := runFhirql("build", regex, "--target", "serverless", "--source", src)
	if !strings.Contains(errs, "regex.fview:2:") {
		t.Errorf("diagnostic not at the call:\n%s", errs)
	}
}

func TestScriptNames(t *testing.T) {
	// Names that would collide with deploy.sql or with each other on a
	// case-insensitive file system get a suffix.
	dir := t.TempDir()
	for i, name := range []string{"deploy", "a_b", "A_B"} {
		writeView(t, dir, string(rune('a'+i))+".json", `{"resourceType": "ViewDefinition", "name": "`+name+`", "resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}]}`)
	}
	out := filepath.Join(dir, "out")
	code, _, errs := runFhirql("build", dir, "--target", "sqlserver", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	entries, err := os.ReadDir(out)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := "A_B_2.sql a_b.sql deploy.sql deploy_2.sql manifest.json"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files %q, want %q", got, want)
	}
	// The front end rejects such names today; file names stay inside --out
	// even if one gets through.
	var cs []*sql.Compiled
	for _, n := range []string{"../evil", "a/b", ".hidden", ""} {
		cs = append(cs, &sql.Compiled{View: &plan.View{Name: n}})
	}
	if got := strings.Join(scriptNames(cs), " "); got != "_evil.sql a_b.sql hidden.sql view.sql" {
		t.Errorf("scriptNames = %q", got)
	}
}

func TestBuildOverlapWarning(t *testing.T) {
	v := writeView(t, t.TempDir(), "m.fview", "view meds of Medication {\n  id = getResourceKey()\n}\n")
	for _, c := range []struct {
		source string
		warn   bool
	}{
		{"https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson", true},
		{"https://acct.dfs.core.windows.net/fhir/{resource}-*.ndjson", false},
		{"https://acct.dfs.core.windows.net/fhir/*.{resource}.ndjson", false},
	} {
		code, _, errs := runFhirql("build", v, "--target", "dedicated", "--source", c.source)
		if code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", c.source, code, errs)
		}
		got := strings.Contains(errs, "warning: --source") && strings.Contains(errs, "reads the MedicationAdministration, MedicationDispense, MedicationKnowledge, MedicationRequest, MedicationStatement files of Medication too")
		if got != c.warn {
			t.Errorf("%s: warning %v, want %v:\n%s", c.source, got, c.warn, errs)
		}
	}
}
