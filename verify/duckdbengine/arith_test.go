//go:build cgo

package duckdbengine

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestArithmetic pins FHIRPath arithmetic across engines: / is decimal
// division even on integers (3 / 2 = 1.5, where SQL truncates), div and mod
// are integer operations, and division by zero is empty.
func TestArithmetic(t *testing.T) {
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
	rows := differentialOn(t, view, dataDir)
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	for id, r := range rows {
		if !strings.HasPrefix(r, "1.5 | 3 | 1 | null | ") {
			t.Fatalf("runtime row %s = %s, want 1.5 | 3 | 1 | null | ...", id, r)
		}
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
