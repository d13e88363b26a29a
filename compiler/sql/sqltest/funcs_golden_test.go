package sqltest

import (
	"bytes"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// funcViews use the functions neither the examples nor the suite use:
// combining and de-duplicating collections, and the conversions. Their
// rows are checked against the runtime on DuckDB (verify/duckdbengine
// combine_test.go, convert_test.go); the golden pins the T-SQL.
const funcViews = `view fn_combine of Patient {
  id          = getResourceKey()
  names[]     = name.given | name.family
  combined[]  = name.given.combine(name.family)
  distinct[]  = name.given.distinct()
  unique      = name.given.isDistinct()
  numbers[]   = (1 | 1.0 | 2)
}

view fn_distinct_temporal of Observation {
  id      = getResourceKey()
  times[] = component.value.ofType(dateTime).distinct()
  clocks  = component.value.ofType(time).isDistinct()
}

view fn_convert of Observation {
  id      = getResourceKey()
  day     = value.ofType(dateTime).toDate()
  instant = value.ofType(string).toDateTime()
  clock   = value.ofType(string).toTime()
  is_int  = value.ofType(string).convertsToInteger()
  dec     = value.ofType(string).toDecimal()
  flag    = value.ofType(string).toBoolean()
  is_num  = value.ofType(Quantity).value.convertsToBoolean()
}
`

// TestFunctions: the T-SQL of funcViews for every target.
func TestFunctions(t *testing.T) {
	src := source.NewFileString("funcs/functions.fview", funcViews)
	ns, diags := compiler.CompileFiles("funcs", []*source.File{src}, r4.Catalog())
	if diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, diags)
		t.Fatalf("views do not compile:\n%s", b.String())
	}
	a := &txtar.Archive{Comment: []byte("SQL for the views of funcs_golden_test.go: serverless in full, the other targets as diffs\nagainst it. Regenerate with go test -update.\n")}
	for _, v := range ns.Views {
		a.Files = append(a.Files, sections(t, v.Name+"/", v)...)
	}
	golden(t, "funcs/functions.txtar", a)
}
