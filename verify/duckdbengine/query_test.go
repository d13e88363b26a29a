//go:build cgo

package duckdbengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/query"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/runtime"
)

// TestQueriesDifferential runs each example query two ways and compares:
// over the runtime's rows of the views it reads (what `fhirql query
// --input` does), and over the views compiled to DuckDB SQL reading the
// NDJSON directly. Hand-computed figures pin a few results.
func TestQueriesDifferential(t *testing.T) {
	res := compiler.Load([]string{"../../examples"}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	data, _ := filepath.Glob("../../examples/data/*.ndjson")
	files, _ := filepath.Glob("../../examples/queries/*.sql")
	params := map[string]string{"since": "2015-01-01", "from": "1950-01-01"}
	ctx := context.Background()
	results := map[string]*Result{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		name := filepath.Base(f)
		dl := duckdb.New(duckdb.Options{Files: data})
		q, diags := query.Compile(source.NewFile(name, b), query.Options{Views: res.Views(), Dialect: dl, Params: params})
		if q == nil {
			t.Fatalf("%s: %v", name, diags.Err())
		}
		text := sql.PrintQuery(dl, q.Query)

		// 1. the runtime's rows, pruned to the used columns
		tmp := t.TempDir()
		var pruned []*plan.View
		for _, v := range q.Views {
			pruned = append(pruned, query.Prune(v, q.Used[v]))
		}
		sum, err := runtime.Run(ctx, pruned, runtime.Options{Inputs: []string{"../../examples/data"}, Format: "ndjson", OutDir: tmp})
		if err != nil {
			t.Fatal(err)
		}
		var loads []Load
		for i, v := range pruned {
			c, _ := sql.Emit(v, dl)
			loads = append(loads, Load{Name: sql.ViewName(v), File: sum.Views[i].Path, Columns: c.Columns})
		}
		local, err := RunQuery(ctx, Options{}, nil, loads, text, "")
		if err != nil {
			t.Fatalf("%s over runtime rows: %v\n%s", name, err, text)
		}

		// 2. the views as DuckDB SQL over the NDJSON
		var setup []string
		for _, v := range q.Views {
			c, _ := sql.Emit(v, dl)
			setup = append(setup, sql.Print(dl, dl.Create(c)))
		}
		viaSQL, err := RunQuery(ctx, Options{}, setup, nil, text, "")
		if err != nil {
			t.Fatalf("%s over DuckDB SQL views: %v", name, err)
		}
		if len(local.Rows) == 0 {
			t.Errorf("%s: no rows", name)
		}
		if !reflect.DeepEqual(normal(local), normal(viaSQL)) {
			t.Errorf("%s: runtime rows and DuckDB SQL views differ:\n%v\n%v", name, normal(local)[:min(5, len(local.Rows))], normal(viaSQL)[:min(5, len(viaSQL.Rows))])
		}
		results[name] = local
	}
	// Hand-computed from examples/data (jq over Condition.000.ndjson):
	// SNOMED 160903007 "Full-time employment" is coded for 10 patients.
	top := normal(results["patients_per_condition.sql"])[0]
	if top[0] != "160903007" || top[2] != "10" {
		t.Errorf("patients_per_condition: first row %v, want 160903007 with 10 patients", top)
	}
}

func normal(r *Result) [][]string {
	var out [][]string
	for _, row := range r.Rows {
		var cells []string
		for _, v := range row {
			if v == nil {
				cells = append(cells, "NULL")
				continue
			}
			cells = append(cells, fmt.Sprint(v))
		}
		out = append(out, cells)
	}
	return out
}
