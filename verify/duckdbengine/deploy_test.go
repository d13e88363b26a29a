//go:build cgo

package duckdbengine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/verify"
)

// TestDeployScript runs what `fhirql build --target duckdb` writes — the
// whole deployment script, with its {resource} source pattern, schema and
// CREATE OR REPLACE — in DuckDB twice (it must be re-runnable), then reads
// every view (or table) back and compares it with the runtime.
func TestDeployScript(t *testing.T) {
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	data, err := filepath.Abs(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tables := range []bool{false, true} {
		target := duckdb.New(duckdb.Options{Source: filepath.Join(data, "{resource}*.ndjson"), Schema: "fhir", Tables: tables})
		var cs []*sql.Compiled
		for _, v := range res.Views() {
			c, diags := sql.Emit(v, target)
			if diags.HasErrors() {
				t.Fatal(diags.Err())
			}
			cs = append(cs, c)
		}
		script := sql.DeployScript(target, cs)
		e, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		eng := e.(*Engine)
		for i := 0; i < 2; i++ {
			if _, err := eng.db.Exec(script); err != nil {
				t.Fatalf("tables=%v, run %d: %v\n%s", tables, i+1, err, script)
			}
		}
		ref := &verify.Runtime{}
		for _, v := range res.Views() {
			want, err := ref.Run(context.Background(), v, []string{dataDir})
			if err != nil {
				t.Fatal(err)
			}
			got, err := eng.Exec(context.Background(), v, `SELECT * FROM "fhir".`+target.QuoteIdent(v.Name))
			if err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
			d, err := verify.Compare("runtime", want, "deployed", got)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Equal() {
				var b strings.Builder
				d.Write(&b, 10)
				t.Errorf("tables=%v, %s: %s", tables, v.Name, b.String())
			}
		}
		eng.Close()
	}
}
