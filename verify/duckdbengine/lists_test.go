//go:build cgo

package duckdbengine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
)

// listView reads the elements of arrays in every way DuckDB's list
// functions replace a correlated subquery (compiler/sql/duckdb/listify.go):
// first() and last() after where(), join(), exists(), and the rows of a
// forEachOrNull.
const listView = `view lists of Patient {
  id        = id
  fam       = name.where(use = 'official').first().family
  given     = name.where(use = 'official').first().given.join(' ')
  last_fam  = name.last().family
  has_phone = telecom.exists(system = 'phone')
  phone     = telecom.where(system = 'phone').first().value
  forEachOrNull name {
    nfam = family
    nuse = use
  }
}`

// listLines are the odd elements the list functions must read as json_each
// did: JSON null elements, a number or string where an object is expected
// and an array inside an array (all absent: docs/input.md), one object or
// a string where an array is expected (no elements), arrays and numbers
// where strings are expected, duplicate keys, keys that differ in case,
// strings that start like JSON, and empty or absent arrays.
var listLines = []string{
	`{"resourceType":"Patient","id":"a","name":[null,5,{"use":"official","family":"A","given":["g1",null,"g2"]},{"use":"official","family":"B"}]}`,
	`{"resourceType":"Patient","id":"b","name":{"use":"official","family":"Solo"},"telecom":"x"}`,
	`{"resourceType":"Patient","id":"c","name":[{"use":"official","family":["F1"],"given":"notarray"},{"Use":"official","family":"Case"}],"telecom":[{"system":"phone","value":12345},{"system":"phone","value":"2"}]}`,
	`{"resourceType":"Patient","id":"d","name":[{"use":"official","family":"Dup","family":"Dup2","given":[1,true,"[x]","{y"]}],"telecom":[null,{"system":"email","value":"e"}]}`,
	`{"resourceType":"Patient","id":"e","name":[],"telecom":null}`,
	`{"resourceType":"Patient","id":"f"}`,
	`{"resourceType":"Patient","id":"h","name":["str",["x"],{"use":"official","family":"H"}],"telecom":["t",[{"system":"phone","value":"9"}],{"system":"phone","value":"8"}]}`,
	`{"resourceType":"Patient","id":"g","name":[{"use":"official","family":"\"q\"","given":["a\u00e9\n"]}],"telecom":[{"system":"phone","value":["1"]},{"system":"phone","value":"3"}]}`,
}

func TestListFunctionsReadOddElements(t *testing.T) {
	input := filepath.Join(t.TempDir(), "lists.ndjson")
	if err := os.WriteFile(input, []byte(strings.Join(listLines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := differentialOn(t, listView, input)
	if len(got) == 0 {
		t.Fatal("no rows")
	}

	// The differential above proves the rows only if the list functions
	// were used: the SQL must have no json_each left for these reads.
	fview := filepath.Join(t.TempDir(), "v.fview")
	if err := os.WriteFile(fview, []byte(listView), 0o644); err != nil {
		t.Fatal(err)
	}
	res := compiler.Load([]string{fview}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	q, err := Query(res.Views()[0], []string{input})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"list_filter(", "list_aggregate(", "unnest(list_transform(", "coalesce(len(list_filter("} {
		if !strings.Contains(q, want) {
			t.Errorf("the SQL has no %s:\n%s", want, q)
		}
	}
	if strings.Contains(q, "json_each") {
		t.Errorf("the SQL still reads elements with json_each:\n%s", q)
	}
}
