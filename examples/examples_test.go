// Package examples holds fhirql's runnable example views and the sample data
// they run on; this test makes every example a test.
package examples

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
	"github.com/fhirql/fhirql/runtime"
)

var update = flag.Bool("update", false, "rewrite testdata/want/*.csv from the current output")

func load(t *testing.T) *compiler.Result {
	t.Helper()
	res := compiler.Load([]string{"."}, r4.Catalog())
	if len(res.Diags) > 0 {
		var b bytes.Buffer
		diag.RenderText(&b, res.Diags)
		t.Fatalf("examples must check without any diagnostic:\n%s", b.String())
	}
	return res
}

// TestExamplesCheck: every example checks clean and there are the examples the
// README promises (one per use case).
func TestExamplesCheck(t *testing.T) {
	res := load(t)
	want := []string{"patient_demographics", "patient_addresses", "condition_codings", "encounters",
		"observation_quantities", "blood_pressure", "questionnaire_answers"}
	have := map[string]bool{}
	for _, v := range res.Views() {
		have[v.Name] = true
	}
	for _, n := range want {
		if !have[n] {
			t.Errorf("example view %q is missing", n)
		}
	}
}

// TestExamplesFormatted: the examples are in canonical layout, so they teach it.
func TestExamplesFormatted(t *testing.T) {
	files, _ := filepath.Glob("*.fview")
	for _, name := range files {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, dl := parse.ParseFile(source.NewFile(name, text))
		if dl.HasErrors() {
			t.Fatalf("%s: %v", name, dl.Err())
		}
		if got := format.File(f); !bytes.Equal(got, text) {
			t.Errorf("%s is not formatted; run: go run ./cmd/fhirql fmt -w examples", name)
		}
	}
}

// TestExamplesViewDefinition: exporting each example as ViewDefinition JSON and
// compiling that JSON gives the same plan as the .fview.
func TestExamplesViewDefinition(t *testing.T) {
	res := load(t)
	var dirConsts []*ast.Const
	for _, ns := range res.Namespaces {
		for _, f := range ns.Files {
			dirConsts = append(dirConsts, f.Consts...)
		}
	}
	fromFview := map[string]string{}
	for _, v := range res.Views() {
		fromFview[v.Name] = plan.Dump(v)
	}
	for _, ns := range res.Namespaces {
		for _, f := range ns.Files {
			for _, v := range f.Views {
				js, err := viewdef.WriteShared(v, dirConsts)
				if err != nil {
					t.Fatalf("%s: export: %v", v.Name, err)
				}
				jf := source.NewFile(v.Name+".json", js)
				back, dl := compiler.CompileFiles(".", []*source.File{jf}, r4.Catalog())
				if dl.HasErrors() {
					t.Fatalf("%s: exported JSON does not compile: %v\n%s", v.Name, dl.Err(), js)
				}
				if got := plan.Dump(back.Views[0]); got != fromFview[v.Name] {
					t.Errorf("%s: plan from JSON differs:\n%s\nwant:\n%s", v.Name, got, fromFview[v.Name])
				}
			}
		}
	}
}

// TestExamplesRun runs every example over examples/data, as the README's main
// job does, and compares each view's CSV with testdata/want.
func TestExamplesRun(t *testing.T) {
	res := load(t)
	out := t.TempDir()
	var stderr bytes.Buffer
	sum, err := runtime.Run(context.Background(), res.Views(), runtime.Options{
		Inputs: []string{"data"}, Format: "csv", OutDir: out, Stdout: &stderr,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(sum.Views) != len(res.Views()) {
		t.Fatalf("summary has %d views, want %d", len(sum.Views), len(res.Views()))
	}
	for _, v := range res.Views() {
		got, err := os.ReadFile(filepath.Join(out, v.Name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		wantPath := filepath.Join("testdata", "want", v.Name+".csv")
		if *update {
			os.MkdirAll(filepath.Dir(wantPath), 0o755)
			if err := os.WriteFile(wantPath, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(wantPath)
		if err != nil {
			t.Fatalf("%v (run go test ./examples -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: rows differ from %s (go test ./examples -update rewrites it; review the diff)\n%s",
				v.Name, wantPath, firstDiff(string(got), string(want)))
		}
		if strings.Count(string(got), "\n") < 2 {
			t.Errorf("%s: no rows at all; the example data should exercise every example", v.Name)
		}
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n got:  " + a + "\n want: " + b
		}
	}
	return ""
}

func itoa(i int) string {
	s := ""
	for i > 0 {
		s = string(rune('0'+i%10)) + s
		i /= 10
	}
	if s == "" {
		return "0"
	}
	return s
}
