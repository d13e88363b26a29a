package arrowcheck_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/csv"
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

// arrowReader reads a state's CSV files with Arrow's CSV reader.
func arrowReader(t *testing.T) statetest.Reader {
	return statetest.Reader{
		Touched: func(path string) [][2]string {
			var out [][2]string
			readArrowCSV(t, path, []string{state.KeyColumn, "generation"}, func(c []*array.String) {
				for i := 0; i < c[0].Len(); i++ {
					out = append(out, [2]string{c[0].Value(i), c[1].Value(i)})
				}
			})
			return out
		},
		Segment: func(path string) [][3]string {
			var out [][3]string
			readArrowCSV(t, path, []string{"key", "val", state.KeyColumn}, func(c []*array.String) {
				for i := 0; i < c[0].Len(); i++ {
					out = append(out, [3]string{c[0].Value(i), c[1].Value(i), c[2].Value(i)})
				}
			})
			return out
		},
	}
}

// TestStateReadByArrow checks that the runtime's incremental state
// (docs/versions.md) is readable by Arrow after every step, as its recipe
// says: the segments and touched lists state.json names, read by Arrow's
// CSV reader, less the rows of a segment g whose key a touched list of a
// later generation names, equal the simulated server's current state,
// through applies that leave the base alone and compactions
// (statetest.LiveRows applies the rule to what Arrow reads).
func TestStateReadByArrow(t *testing.T) {
	views := statetest.LoadViews(t)
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
		var got []string
		for _, v := range views {
			rows, _ := statetest.LiveRows(t, dir, v.Name, v.Resource, "csv", arrowReader(t))
			got = append(got, rows...)
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
