package arrowcheck_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state"
	"github.com/fhirql/fhirql/runtime/state/statetest"
)

// readArrowCSV reads a CSV file with Arrow's own CSV reader and the given
// string columns, calling fn with each batch's columns.
func readArrowCSV(t *testing.T, path string, cols []string, fn func(cols []*array.String)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []arrow.Field
	for _, c := range cols {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	r := csv.NewReader(f, arrow.NewSchema(fields, nil), csv.WithHeader(true), csv.WithChunk(64))
	defer r.Release()
	for r.Next() {
		rec := r.RecordBatch()
		var strs []*array.String
		for i := range cols {
			strs = append(strs, rec.Column(i).(*array.String))
		}
		fn(strs)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Arrow cannot read %s: %v", path, err)
	}
}

// TestStateReadByArrow checks that the runtime's incremental state
// (docs/versions.md) is readable by Arrow after every step, as its recipe
// says: the segments and touched lists state.json names, read by Arrow's
// CSV reader, less the rows of a segment g whose key a touched list of a
// later generation names, equal the simulated server's current state,
// through applies that leave the base alone and compactions.
func TestStateReadByArrow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sim.fview")
	if err := os.WriteFile(p, []byte(statetest.Views), 0o644); err != nil {
		t.Fatal(err)
	}
	res := compiler.Load([]string{p}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	views := res.Views()
	s := statetest.NewSim(400, t.TempDir())
	dir := filepath.Join(t.TempDir(), "state")
	compactions := 0
	for step := 0; step < 8; step++ {
		s.Step(t)
		e, err := state.LoadExport(s.Exports[step])
		if err != nil {
			t.Fatal(err)
		}
		st, err := state.Apply(context.Background(), views, dir, e, state.Config{Format: "csv", CompactAt: 0.3}, runtime.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if st.Compacted {
			compactions++
		}
		gen := filepath.Join(dir, "current")
		var info struct {
			Views    []string
			Tables   []string
			Segments [][]int
			Touched  []int
		}
		data, err := os.ReadFile(filepath.Join(gen, "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &info); err != nil {
			t.Fatal(err)
		}
		dead := map[string]int{}
		for _, g := range info.Touched {
			readArrowCSV(t, filepath.Join(gen, fmt.Sprintf("touched-%06d.csv", g)), []string{state.KeyColumn, "generation"}, func(c []*array.String) {
				for i := 0; i < c[0].Len(); i++ {
					dead[c[0].Value(i)] = max(dead[c[0].Value(i)], g)
				}
			})
		}
		var got []string
		for _, v := range views {
			i := slices.Index(info.Views, v.Name)
			for _, g := range info.Segments[i] {
				path := filepath.Join(gen, info.Tables[i], fmt.Sprintf("part-%06d.csv", g))
				readArrowCSV(t, path, []string{"key", "val", state.KeyColumn}, func(c []*array.String) {
					for r := 0; r < c[0].Len(); r++ {
						if k := c[2].Value(r); dead[k] <= g {
							got = append(got, k+"|"+c[1].Value(r))
						}
					}
				})
			}
		}
		sort.Strings(got)
		if want := s.Expected(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("step %d:\ngot  %v\nwant %v", step, got, want)
		}
	}
	if compactions == 0 || compactions == 7 {
		t.Fatalf("%d of 7 applies compacted: the sequence must read both layouts", compactions)
	}
}
