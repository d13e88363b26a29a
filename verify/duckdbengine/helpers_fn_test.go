//go:build cgo

package duckdbengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/verify"
)

// differential compiles one .fview (one view) over the given NDJSON
// resources, runs it on the runtime and on DuckDB, fails the test unless
// both give the same rows, and returns the runtime's rows keyed by their
// first column, each row's other cells rendered with cell() and joined by
// " | ".
func differential(t *testing.T, view string, resources ...string) map[string]string {
	t.Helper()
	input := filepath.Join(t.TempDir(), "data.ndjson")
	if err := os.WriteFile(input, []byte(strings.Join(resources, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return differentialOn(t, view, input)
}

// differentialOn is differential over NDJSON files or directories.
func differentialOn(t *testing.T, view string, inputs ...string) map[string]string {
	t.Helper()
	fview := filepath.Join(t.TempDir(), "v.fview")
	if err := os.WriteFile(fview, []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
	res := compiler.Load([]string{fview}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	views := res.Views()
	if len(views) != 1 {
		t.Fatalf("want one view, got %d", len(views))
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ref := &verify.Runtime{}
	r := verify.Verify(context.Background(), ref, eng, views[0], inputs)
	var b strings.Builder
	r.Write(&b, ref.Name(), eng.Name(), 20)
	if !r.OK() || r.ReferenceErr != nil {
		q, _ := eng.(*Engine).SQL(views[0], inputs)
		t.Fatalf("engines disagree or fail%s:\n%s\nDuckDB SQL:\n%s", differingColumns(r), b.String(), q)
	}
	rows := map[string]string{}
	for _, row := range r.Reference.Rows {
		var cells []string
		for _, c := range row[1:] {
			cells = append(cells, cell(c))
		}
		rows[cell(row[0])] = strings.Join(cells, " | ")
	}
	return rows
}

// wantRows compares rows from differential with the expected ones.
func wantRows(t *testing.T, got, want map[string]string) {
	t.Helper()
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("no row %s", id)
		} else if g != w {
			t.Errorf("row %s:\n got  %s\n want %s", id, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d", len(got), len(want))
	}
}

// differingColumns names the columns in which rows matched by their first
// column have different text: a hint of where to look first, not the
// verdict (the comparison above is FHIR-aware, so a column listed here
// may differ only in spelling, such as 1.0 and 1).
func differingColumns(r *verify.Result) string {
	if r.Reference == nil || r.Engine == nil || len(r.Reference.Rows) != len(r.Engine.Rows) {
		return ""
	}
	byKey := map[string][]any{}
	for _, row := range r.Engine.Rows {
		byKey[cell(row[0])] = row
	}
	count := map[string]int{}
	for _, row := range r.Reference.Rows {
		other, ok := byKey[cell(row[0])]
		if !ok {
			continue
		}
		for i := 1; i < len(row) && i < len(other); i++ {
			if cell(row[i]) != cell(other[i]) {
				count[r.View.Columns[i].Name]++
			}
		}
	}
	if len(count) == 0 {
		return ""
	}
	var parts []string
	for name, n := range count {
		parts = append(parts, fmt.Sprintf("%s (%d rows)", name, n))
	}
	sort.Strings(parts)
	return " in columns " + strings.Join(parts, ", ")
}
