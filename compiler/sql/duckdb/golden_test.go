package duckdb_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/lang/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const examplesDir = "../../../examples"

// TestExamples: the DuckDB deployment script of every example file, as a
// golden file per .fview (testdata/examples/<file>.sql). The rows these
// scripts produce are checked against the runtime in verify/duckdbengine.
func TestExamples(t *testing.T) {
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, res.Diags)
		t.Fatalf("examples do not compile:\n%s", b.String())
	}
	byFile := map[string][]*plan.View{}
	for _, v := range res.Views() {
		v.File.Name = "examples/" + filepath.Base(v.File.Name)
		byFile[filepath.Base(v.File.Name)] = append(byFile[filepath.Base(v.File.Name)], v)
	}
	if len(byFile) == 0 {
		t.Fatal("no example views")
	}
	names := make([]string, 0, len(byFile))
	for n := range byFile {
		names = append(names, n)
	}
	sort.Strings(names)
	target := duckdb.New(duckdb.Options{Source: "examples/data/{resource}*.ndjson"})
	for _, n := range names {
		var cs []*sql.Compiled
		for _, v := range byFile[n] {
			c, diags := sql.Emit(v, target)
			if diags.HasErrors() {
				t.Fatalf("%s: %v", v.Name, diags.Err())
			}
			cs = append(cs, c)
		}
		got := sql.DeployScript(target, cs)
		golden(t, filepath.Join("testdata", "examples", strings.TrimSuffix(n, ".fview")+".sql"), []byte(got))
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it; review the git diff):\n%s", path, diff.Diff(path, want, "got", got))
	}
}
