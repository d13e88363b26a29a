package sqltest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
	"github.com/fhirql/fhirql/lang/source"
)

// FuzzEmit: every view that the front end accepts also emits for every
// target, without panicking, and the script quotes every identifier and
// value. Seeds: the suite's views and the examples.
func FuzzEmit(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	for _, file := range files {
		var sf suiteFile
		data, err := os.ReadFile(file)
		if err != nil || json.Unmarshal(data, &sf) != nil {
			continue
		}
		for _, tc := range sf.Tests {
			f.Add(string(tc.View))
		}
	}
	examples, _ := filepath.Glob(filepath.Join(examplesDir, "*.fview"))
	var consts string
	for _, e := range examples {
		data, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		if strings.HasSuffix(e, "constants.fview") {
			consts = string(data)
			continue
		}
		f.Add(string(data))
	}
	cat := r4.Catalog()
	f.Fuzz(func(t *testing.T, text string) {
		name := "fuzz.fview"
		if strings.HasPrefix(strings.TrimSpace(text), "{") {
			name = "fuzz.json"
		}
		srcs := []*source.File{source.NewFileString(name, text)}
		if name == "fuzz.fview" && consts != "" {
			srcs = append(srcs, source.NewFileString("constants.fview", consts))
		}
		ns, diags := compiler.CompileFiles("fuzz", srcs, cat)
		if diags.HasErrors() {
			return
		}
		for _, v := range ns.Views {
			for _, tg := range targets() {
				c, dl := sql.Emit(v, tg)
				for _, d := range dl {
					if d.File == nil || d.Span.End < d.Span.Start {
						t.Errorf("%s: diagnostic without a position: %s", tg.Name(), d.Message)
					}
				}
				if dl.HasErrors() {
					continue
				}
				script := sql.DeployScript(tg, []*sql.Compiled{c})
				if bare, err := sqlcheck.Bare(script); err != nil || len(bare) > 0 {
					t.Fatalf("%s: unquoted words %q (%v) in:\n%s", tg.Name(), bare, err, script)
				}
				if bad := sqlcheck.AggregatesOverSubqueries(script); len(bad) > 0 {
					t.Fatalf("%s: aggregates over subqueries %q in:\n%s", tg.Name(), bad, script)
				}
			}
		}
	})
}
