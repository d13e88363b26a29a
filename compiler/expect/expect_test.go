package expect_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/expect"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/internal/golden"
	"github.com/fhirql/fhirql/lang/diag"
)

const lake = "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"

func targets() []sql.Target {
	return []sql.Target{
		serverless.New(serverless.Options{Source: lake}),
		dedicated.New(dedicated.Options{Source: lake}),
		sqlserver.New(sqlserver.Options{}),
		duckdb.New(duckdb.Options{}),
	}
}

// TestGolden checks testdata/*.txtar: the views (*.fview, one namespace),
// then the diagnostics of loading them (`diag`) and, when they load, the
// statements that create each rule's test on every target (`<target>.sql`).
// Run with -update to rewrite the output sections; review the diff.
func TestGolden(t *testing.T) {
	for _, path := range golden.Archives(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar := golden.Read(t, path)
			dir := t.TempDir()
			var want []txtar.File
			for _, f := range ar.Files {
				if strings.HasSuffix(f.Name, ".fview") {
					want = append(want, f)
					if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			res := compiler.Load([]string{dir}, r4.Catalog())
			for _, ns := range res.Namespaces {
				for _, f := range ns.Files {
					f.Source.Name = filepath.Base(f.Source.Name)
				}
			}
			var b bytes.Buffer
			diag.RenderText(&b, res.Diags)
			want = append(want, golden.File("diag", b.String()))
			if !res.Diags.HasErrors() {
				views := res.Views()
				byName := map[string]*plan.View{}
				for _, v := range views {
					byName[v.Name] = v
				}
				for _, tg := range targets() {
					var stmts []sql.Stmt
					var diags diag.List
					for _, v := range views {
						rules, _ := expect.Check(v)
						tests, dl := expect.Tests(tg, v, rules, func(v *plan.View) sql.Source { return &sql.Table{Name: tg.Object(v)} }, byName)
						diags = append(diags, dl...)
						stmts = append(stmts, expect.Stmts(tg, tests)...)
					}
					text := sql.Print(tg, stmts)
					if len(diags) > 0 {
						var db bytes.Buffer
						diag.RenderText(&db, diags)
						text = db.String()
					}
					want = append(want, golden.File(tg.Name()+".sql", text))
				}
			}
			golden.Check(t, path, ar, want)
		})
	}
}
