//go:build cgo

package duckdbengine

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/verify"
)

const (
	examplesDir = "../../examples"
	dataDir     = "../../examples/data"
)

// TestExamples verifies every example view on the real Synthea sample in
// examples/data: the runtime's rows and DuckDB's must be identical (as
// multisets, FHIR-aware), and not trivially so: every view yields rows.
func TestExamples(t *testing.T) {
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, res.Diags)
		t.Fatalf("examples do not compile:\n%s", b.String())
	}
	views := res.Views()
	if len(views) == 0 {
		t.Fatal("no example views")
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ref := &verify.Runtime{}
	for _, v := range views {
		t.Run(v.Name, func(t *testing.T) {
			r := verify.Verify(context.Background(), ref, eng, v, []string{dataDir})
			var b strings.Builder
			r.Write(&b, ref.Name(), eng.Name(), 0)
			if !r.OK() || r.ReferenceErr != nil {
				files, _ := verify.Files([]string{dataDir})
				q, _ := Query(v, files)
				t.Fatalf("%s\nDuckDB SQL:\n%s", b.String(), q)
			}
			if len(r.Reference.Rows) == 0 {
				t.Fatalf("view %s yields no rows on the sample: the comparison proves nothing", v.Name)
			}
			t.Log(strings.TrimSpace(b.String()))
		})
	}
}
