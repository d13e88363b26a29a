package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var tsqlOut = flag.String("tsql-out", "", "TestTSQLScripts: write the scripts to this directory (for the grammar check of .ci/run)")

// tsqlConfigs are the T-SQL targets with their main options, as `fhirql
// build` flags. The name's first word is the target; .ci/run parses
// serverless and dedicated scripts in the checker's --synapse mode.
var tsqlConfigs = []struct {
	name string
	args []string
}{
	{"serverless", []string{"--target", "serverless", "--source", "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"}},
	{"serverless-datasource", []string{"--target", "serverless", "--data-source", "fhir_lake", "--source", "export/{resource}*.ndjson", "--schema", "fhir views", "--repeat-depth", "3"}},
	{"serverless-parquet", []string{"--target", "serverless", "--source", "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson",
		"--materialize", "parquet", "--parquet-location", "https://acct.dfs.core.windows.net/curated/fhirql"}},
	{"dedicated", []string{"--target", "dedicated", "--source", "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"}},
	{"dedicated-hash", []string{"--target", "dedicated", "--source", "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson",
		"--distribution", "HASH(id)", "--credential", "Managed Identity", "--schema", "fhir"}},
	{"dedicated-replicate-heap", []string{"--target", "dedicated", "--source", "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson",
		"--distribution", "REPLICATE", "--index", "HEAP"}},
	// Not dedicated --select-into: its clustered columnstore table cannot
	// hold the NVARCHAR(MAX) columns most views have, which build rejects
	// (FQL3106). Not serverless --auth managed-identity: the checker's
	// grammar lacks CREATE DATABASE SCOPED CREDENTIAL (docs/verify.md).
	{"serverless-parquet-sas", []string{"--target", "serverless", "--source", "https://acct.dfs.core.windows.net/fhir/{resource}-*.ndjson",
		"--materialize", "parquet", "--parquet-location", "https://acct.dfs.core.windows.net/curated/fhirql", "--auth", "sas"}},
	// The current state over many export folders (docs/versions.md).
	{"serverless-exports", []string{"--target", "serverless", "--exports", "https://acct.dfs.core.windows.net/fhir/exports/*", "--source", "output/{resource}.*.ndjson"}},
	// The incremental load script of one export (docs/versions.md).
	{"dedicated-incremental", []string{"--target", "dedicated", "--source", "https://acct.dfs.core.windows.net/fhir/2026-01-02T000000Z/output/{resource}.*.ndjson",
		"--deleted", "https://acct.dfs.core.windows.net/fhir/2026-01-02T000000Z/deleted/*.ndjson", "--incremental"}},
	{"sqlserver", []string{"--target", "sqlserver"}},
	{"sqlserver-incremental", []string{"--target", "sqlserver", "--source", "[stage].[export lines]", "--deleted", "stage.deleted_lines", "--incremental"}},
	{"sqlserver-selectinto", []string{"--target", "sqlserver", "--source", "[raw].[fhir lines]", "--doc-column", "json", "--schema", "fhir", "--select-into"}},
}

// TestTSQLScripts builds the deployment script of the examples, and of
// every view of the SQL on FHIR v2 suite, for every T-SQL target and its
// main options, through `fhirql build` as a user runs it. The examples must
// build everywhere; a suite view may be rejected (expectError cases, or
// what a target cannot express), and every one that builds is written.
// With -tsql-out DIR the scripts are kept there: .ci/run parses them all
// with the T-SQL grammar checker (../shared/tools/tsqlcheck).
func TestTSQLScripts(t *testing.T) {
	out := *tsqlOut
	if out == "" {
		out = t.TempDir()
	}
	views := t.TempDir()
	type input struct{ name, path string }
	inputs := []input{{"examples", "../../../../examples"}}
	suiteFiles, err := filepath.Glob("../../../../testdata/sql-on-fhir-v2/tests/*.json")
	if err != nil || len(suiteFiles) == 0 {
		t.Fatalf("no suite files: %v", err)
	}
	unsafe := regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
	for _, f := range suiteFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sf struct {
			Tests []struct {
				Title string          `json:"title"`
				View  json.RawMessage `json:"view"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		for i, tc := range sf.Tests {
			name := fmt.Sprintf("%s-%03d-%s", base, i+1, strings.Trim(unsafe.ReplaceAllString(tc.Title, "_"), "_"))
			p := filepath.Join(views, name+".json")
			if err := os.WriteFile(p, tc.View, 0o644); err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, input{name, p})
		}
	}
	written := map[string]int{}
	for _, cfg := range tsqlConfigs {
		dir := filepath.Join(out, cfg.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			var stdout, stderr bytes.Buffer
			code := Main(append([]string{"build", in.path}, cfg.args...), strings.NewReader(""), &stdout, &stderr)
			switch {
			case code == ExitOK:
			case code == ExitErrors && in.name != "examples":
				continue // a view the front end or this target rejects
			default:
				t.Fatalf("%s, %s: exit %d\n%s", cfg.name, in.name, code, stderr.String())
			}
			if err := os.WriteFile(filepath.Join(dir, in.name+".sql"), stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			written[cfg.name]++
		}
	}
	var names []string
	for n := range written {
		names = append(names, n)
	}
	sort.Strings(names)
	total := 0
	for _, n := range names {
		total += written[n]
		t.Logf("%-26s %d scripts", n, written[n])
		// Most of the suite's views build on every target; a sudden drop
		// means the generator lost them, and the grammar check with them.
		if written[n] < len(inputs)*3/4 {
			t.Errorf("%s: only %d of %d inputs built", n, written[n], len(inputs))
		}
	}
	t.Logf("%d scripts from %d inputs (the examples and %d suite views) in %s", total, len(inputs), len(inputs)-1, out)
}
