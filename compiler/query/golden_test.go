package query

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	fcompiler "github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func exampleViews(t testing.TB) []*plan.View {
	t.Helper()
	res := fcompiler.Load([]string{"../../examples"}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatalf("examples: %v", res.Diags.Err())
	}
	return res.Views()
}

func targets() map[string]sql.Target {
	return map[string]sql.Target{
		"serverless": serverless.New(serverless.Options{Source: "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson", Schema: "dbo", RepeatDepth: 8}),
		"dedicated":  dedicated.New(dedicated.Options{Source: "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson", Schema: "dbo", RepeatDepth: 8, Distribution: "ROUND_ROBIN", Index: "HEAP"}),
		"sqlserver":  sqlserver.New(sqlserver.Options{Table: sql.ObjectName{"dbo", "fhir_raw"}, DocColumn: "doc", Schema: "dbo"}),
		"duckdb":     duckdb.New(duckdb.Options{RepeatDepth: 8}),
	}
}

// TestGolden prints every example query for every target; the constructs
// and joins queries cover each construct's spelling.
func TestGolden(t *testing.T) {
	views := exampleViews(t)
	files, _ := filepath.Glob("../../examples/queries/*.sql")
	if len(files) < 6 {
		t.Fatalf("found %d example queries", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".sql")
		for name, tg := range targets() {
			src := source.NewFile(filepath.Base(f), b)
			c, diags := Compile(src, Options{Views: views, Dialect: tg, Object: tg.Object, Params: map[string]string{"since": "2015-01-01", "from": "1950-01-01"}})
			var out strings.Builder
			diag.RenderText(&out, diags)
			if c != nil {
				out.WriteString(sql.PrintQuery(tg, c.Query))
				out.WriteString(";\n")
			}
			golden := filepath.Join("testdata", "golden", base+"."+name+".sql")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./compiler/query -update)", err)
			}
			if string(want) != out.String() {
				t.Errorf("%s for %s differs from %s:\n%s", base, name, golden, out.String())
			}
		}
	}
}

func printQuery(tg sql.Target, c *Compiled) string { return sql.PrintQuery(tg, c.Query) }
