//go:build cgo

package duckdbengine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/verify"
)

// TestArithmetic pins FHIRPath arithmetic across engines: / is decimal
// division even on integers (3 / 2 = 1.5, where SQL truncates), div and mod
// are integer operations, and division by zero is empty.
func TestArithmetic(t *testing.T) {
	dir := t.TempDir()
	view := `view arith of Observation
where value.ofType(Quantity).exists()
{
  id       = getResourceKey()
  half     = 3 / 2
  ints     = 7 div 2
  rest     = 7 mod 3
  by_zero  = 1 / 0
  per_ten  = value.ofType(Quantity).value / 10
  count_by = code.coding.count() / 2
  third    = value.ofType(Quantity).value / 3
}
`
	if err := os.WriteFile(filepath.Join(dir, "arith.fview"), []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
	res := compiler.Load([]string{dir}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ref := &verify.Runtime{}
	r := verify.Verify(context.Background(), ref, eng, res.Views()[0], []string{dataDir})
	var b strings.Builder
	r.Write(&b, ref.Name(), eng.Name(), 0)
	if !r.OK() || r.ReferenceErr != nil || len(r.Reference.Rows) == 0 {
		t.Fatalf("engines disagree or no rows:\n%s", b.String())
	}
	row := r.Reference.Rows[0]
	got := []string{cell(row[1]), cell(row[2]), cell(row[3]), cell(row[4])}
	if got[0] != "1.5" || got[1] != "3" || got[2] != "1" || got[3] != "null" {
		t.Fatalf("runtime row = %v, want 1.5 3 1 null", got)
	}
}

// cell renders a reference cell as JSON-ish text for the assertion.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	default:
		return strings.TrimSpace(strings.Trim(fmtAny(v), `"`))
	}
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
