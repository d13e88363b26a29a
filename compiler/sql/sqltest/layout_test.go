package sqltest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
	"github.com/fhirql/fhirql/lang/source"
)

// allViews is every view of examples/ and every view of the suite the
// front end accepts.
func allViews(t *testing.T) []*plan.View {
	t.Helper()
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	views := res.Views()
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var sf suiteFile
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatal(err)
		}
		for i, tc := range sf.Tests {
			src := source.NewFile(filepath.Base(file)+"/"+slug(tc.Title)+".json", tc.View)
			ns, diags := compiler.CompileFiles(filepath.Base(file)+string(rune('a'+i%26)), []*source.File{src}, r4.Catalog())
			if !diags.HasErrors() {
				views = append(views, ns.Views...)
			}
		}
	}
	return views
}

// TestDedicatedLayout: the default dedicated script of every example and
// suite view deploys within the pool's limits — a clustered columnstore
// table only when no column is (N)VARCHAR(MAX), a HEAP with a comment
// saying why otherwise — and --index CLUSTERED COLUMNSTORE INDEX or
// --select-into with an unbounded column is a build error naming it.
func TestDedicatedLayout(t *testing.T) {
	auto := dedicated.New(dedicated.Options{Source: lake})
	forced := dedicated.New(dedicated.Options{Source: lake, Index: "clustered columnstore index"})
	into := dedicated.New(dedicated.Options{Source: lake, SelectInto: true})
	var cci, heap int
	for _, v := range allViews(t) {
		c, diags := sql.Emit(v, auto)
		if diags.HasErrors() {
			continue // a construct the target cannot express: not a layout question
		}
		script := sql.DeployScript(auto, []*sql.Compiled{c})
		unbounded := tsql.Unbounded(c)
		isCCI := strings.Contains(script, "CLUSTERED COLUMNSTORE INDEX)\nAS\n")
		isHeap := strings.Contains(script, "HEAP)\nAS\n") && strings.Contains(script, "-- HEAP, not a clustered columnstore index: ")
		switch {
		case len(unbounded) == 0 && isCCI && !isHeap:
			cci++
		case len(unbounded) > 0 && isHeap && !isCCI:
			heap++
			for _, i := range unbounded {
				if !strings.Contains(script, c.Columns[i].Name) {
					t.Errorf("%s: the HEAP comment does not name %s", v.Name, c.Columns[i].Name)
				}
			}
		default:
			t.Errorf("%s: unbounded columns %v, columnstore %v, heap %v:\n%s", v.Name, unbounded, isCCI, isHeap, script)
		}
		for _, tg := range []*dedicated.Target{forced, into} {
			_, diags := sql.Emit(v, tg)
			n := 0
			for _, d := range diags {
				if d.Code == sql.CodeUnboundedColumn {
					n++
				}
			}
			if n != len(unbounded) {
				t.Errorf("%s: %d FQL3106 errors for %d unbounded columns: %v", v.Name, n, len(unbounded), diags)
			}
		}
	}
	if cci == 0 || heap == 0 {
		t.Errorf("columnstore %d, heap %d: want both layouts exercised", cci, heap)
	}
	t.Logf("%d views in columnstore tables, %d in heaps", cci, heap)
}
