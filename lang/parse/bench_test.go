package parse_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// view50 is a realistic view of 50 columns: paths with calls, filters,
// comparisons and a nested forEach.
func view50() string {
	var b strings.Builder
	b.WriteString("const loinc = 'http://loinc.org'\n\n/// Fifty columns.\nview wide of Observation\nwhere status = 'final' and code.coding.exists(system = %loinc)\n{\n")
	for i := 0; i < 45; i++ {
		fmt.Fprintf(&b, "  col_%02d = component.where(code.coding.exists(code = '%d-%d')).value.ofType(Quantity).value.first() : decimal\n", i, 8000+i, i%10)
	}
	b.WriteString("  forEach category.coding {\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "    cat_%d = iif(system = 'x', code, display) @tag(\"ansi/type\", \"VARCHAR(64)\")\n", i)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	src := view50()
	f := source.NewFileString("wide.fview", src)
	if _, ds := parse.ParseFile(f); len(ds) > 0 {
		b.Fatal(ds)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		parse.ParseFile(source.NewFileString("wide.fview", src))
	}
}

func BenchmarkFormat(b *testing.B) {
	tree, _ := parse.ParseFile(source.NewFileString("wide.fview", view50()))
	b.ReportAllocs()
	for b.Loop() {
		format.File(tree)
	}
}
