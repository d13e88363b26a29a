package statetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
)

// CompileViews compiles the views of text, written to a .fview file as a
// user's would be, against the R4 catalog; the test fails when they do
// not compile.
func CompileViews(t testing.TB, text string) []*plan.View {
	t.Helper()
	p := filepath.Join(t.TempDir(), "views.fview")
	writeFile(t, p, text)
	res := compiler.Load([]string{p}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatalf("views do not compile: %v", res.Diags.Err())
	}
	return res.Views()
}

// LoadViews compiles Views, the views every proof runs.
func LoadViews(t testing.TB) []*plan.View { return CompileViews(t, Views) }

// Info is what a reader of a state's generation needs of its state.json
// (docs/versions.md). It is decoded here, apart from runtime/state's own
// code, so that the proofs read a state as another program would.
type Info struct {
	Views    []string
	Tables   []string // per view, the folder of its segments
	Segments [][]int  // per view, the generations of its segments
	Touched  []int    // the generations with a touched list
}

// ReadInfo reads the state.json of the generation directory gen
// (DIR/current).
func ReadInfo(t testing.TB, gen string) Info {
	t.Helper()
	var info Info
	data, err := os.ReadFile(filepath.Join(gen, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatalf("%s/state.json: %v", gen, err)
	}
	return info
}

// Reader reads a state's files for LiveRows: each proof brings its own
// reader (Go's encoding/csv and encoding/json, Arrow's CSV reader), and
// the rule of which rows are live is written once.
type Reader struct {
	// Touched returns a touched list's records (its header left out):
	// _resource_key, generation.
	Touched func(path string) [][2]string
	// Segment returns a segment's rows (a CSV header left out): the
	// views' key and val columns, then _resource_key.
	Segment func(path string) [][3]string
}

// LiveRows reads the live rows of view (of resource type typ) in the
// current generation of the state in stateDir, by the rule of
// docs/versions.md: the rows of the segments state.json lists, less those
// of a segment g whose key a touched list of a generation after g names.
// It checks that each touched record names its own list's generation and
// that each row's _resource_key is typ/key, and returns the live rows as
// "Type/id|val", and the number of segment files read.
func LiveRows(t testing.TB, stateDir, view, typ, format string, r Reader) ([]string, int) {
	t.Helper()
	gen := filepath.Join(stateDir, "current")
	info := ReadInfo(t, gen)
	dead := map[string]int{} // key -> the last generation that touched it
	for _, g := range info.Touched {
		for _, rec := range r.Touched(filepath.Join(gen, fmt.Sprintf("touched-%06d.csv", g))) {
			if rec[1] != fmt.Sprint(g) {
				t.Fatalf("the touched list of generation %d names generation %s", g, rec[1])
			}
			dead[rec[0]] = max(dead[rec[0]], g)
		}
	}
	i := slices.Index(info.Views, view)
	if i < 0 {
		t.Fatalf("state.json has no view %s: %v", view, info.Views)
	}
	var out []string
	for _, g := range info.Segments[i] {
		for _, row := range r.Segment(filepath.Join(gen, info.Tables[i], fmt.Sprintf("part-%06d.%s", g, format))) {
			if row[2] != typ+"/"+row[0] {
				t.Fatalf("%s: _resource_key %q for id %q", view, row[2], row[0])
			}
			if dead[row[2]] > g {
				continue
			}
			out = append(out, row[2]+"|"+row[1])
		}
	}
	return out, len(info.Segments[i])
}
