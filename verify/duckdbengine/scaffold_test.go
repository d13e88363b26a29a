//go:build cgo

package duckdbengine

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/scaffold"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/verify"
)

// TestScaffold verifies the scaffolded views of every resource type that
// examples/data holds: the runtime and DuckDB must give the same rows. Each
// main view must yield rows (else the comparison proves nothing); a child
// view may be empty when the sample has no such elements (Synthea writes no
// Patient.contact), and the log says which ones are.
func TestScaffold(t *testing.T) {
	cat := r4.Catalog()
	present := resourceTypesIn(t, dataDir)
	if len(present) < 5 {
		t.Fatalf("only %v in %s", present, dataDir)
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ref := &verify.Runtime{}
	var empty []string
	compared := 0
	for _, rt := range present {
		f, err := scaffold.Resource(cat, rt)
		if err != nil {
			t.Fatal(err)
		}
		src := source.NewFile(scaffold.FileName(rt), format.File(f))
		ns, dl := compiler.CompileFiles(".", []*source.File{src}, cat)
		if len(dl) > 0 {
			t.Fatalf("scaffold of %s: %v", rt, dl)
		}
		for i, v := range ns.Views {
			t.Run(v.Name, func(t *testing.T) {
				r := verify.Verify(context.Background(), ref, eng, v, []string{dataDir})
				var b strings.Builder
				r.Write(&b, ref.Name(), eng.Name(), 0)
				if !r.OK() || r.ReferenceErr != nil {
					files, _ := verify.Files([]string{dataDir})
					q, _ := Query(v, files)
					t.Fatalf("%s\nDuckDB SQL:\n%s", b.String(), q)
				}
				compared++
				if len(r.Reference.Rows) == 0 {
					if i == 0 {
						t.Fatalf("main view %s yields no rows on the sample: the comparison proves nothing", v.Name)
					}
					empty = append(empty, v.Name)
				}
			})
		}
	}
	t.Logf("%d scaffolded views of %v identical on the runtime and DuckDB; empty on the sample: %v", compared, present, empty)
}

// resourceTypesIn lists the resource types of the NDJSON files in dir, from
// their names (Patient.000.ndjson).
func resourceTypesIn(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".ndjson") {
			seen[strings.SplitN(filepath.Base(e.Name()), ".", 2)[0]] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
