//go:build cgo

package duckdbengine

import (
	"testing"
)

// oddElemLines hold lists whose elements are of every JSON kind: an element
// is present only when its kind fits the element's FHIR type (an object for
// HumanName, ContactPoint, Coding, Extension; a string, number or boolean
// for string), so strings, numbers and booleans in lists of objects, objects
// in lists of strings, arrays inside arrays and nulls are absent everywhere:
// not counted, no row, not numbered by %rowIndex (docs/input.md).
var oddElemLines = []string{
	`{"resourceType":"Patient","id":"a",` +
		`"name":["str",{"use":"official","family":"A","given":["g1",5,["x"],null,{"o":1},true,"g2"]},7,null,[{"family":"N"}],{"family":"A2"}],` +
		`"telecom":["555",{"system":"phone","value":"1"},[],{"system":"phone","value":2}],` +
		`"maritalStatus":{"coding":["M",{"code":"S"},[{"code":"X"}],null,3]},` +
		`"extension":["e",{"url":"u1"},[{"url":"u0"}],false],` +
		`"address":[{"line":[["l0"],"l1",2,{"l":1}]}]}`,
	`{"resourceType":"Patient","id":"b","name":[["x","y"]],"telecom":[null,"t"],"maritalStatus":{"coding":[[]]},"extension":[[{"url":"x"}]]}`,
	`{"resourceType":"Patient","id":"c","name":["s"]}`,
	`{"resourceType":"Patient","id":"d","name":[{"family":"D"},false,{"family":"D2","given":[{"x":1},"dg"]}]}`,
}

// TestOddElementsInLists: count(), join(), first(), exists(), where() over
// lists of complex and primitive elements mixed with elements of the wrong
// kind, the same on the runtime and DuckDB.
func TestOddElementsInLists(t *testing.T) {
	got := differential(t, `view odd_elems of Patient {
  id          = id
  n_name      = name.count()
  n_given     = name.given.count()
  given       = name.given.join(' ')
  first_fam   = name.first().family
  first_given = name.given.first()
  official    = name.where(use = 'official').exists()
  n_tel       = telecom.count()
  has_phone   = telecom.exists(system = 'phone')
  phone       = telecom.where(system = 'phone').first().value
  n_coding    = maritalStatus.coding.count()
  code        = maritalStatus.coding.first().code
  n_ext       = extension.count()
  ext_url     = extension.first().url
  lines       = address.line.join(',')
}`, oddElemLines...)
	wantRows(t, got, map[string]string{
		"a": "2 | 4 | g1 5 true g2 | A | g1 | true | 2 | true | 1 | 1 | S | 1 | u1 | l1,2",
		"b": "0 | 0 | null | null | null | false | 0 | false | null | 0 | null | 0 | null | null",
		"c": "0 | 0 | null | null | null | false | 0 | false | null | 0 | null | 0 | null | null",
		"d": "2 | 1 | dg | D | dg | false | 0 | false | null | 0 | null | 0 | null | null",
	})
}

// TestOddElementsForEach: forEach gives a row per present element only,
// and %rowIndex numbers the present elements 0, 1, ... (an absent element
// leaves no gap). The key column is the resource's id and the %rowIndex.
func TestOddElementsForEach(t *testing.T) {
	names := differential(t, `view odd_names of Patient {
  forEach name {
    key   = %resource.getResourceKey() & '/' & %rowIndex.toString()
    fam   = family
    given = given.join(',')
  }
}`, oddElemLines...)
	wantRows(t, names, map[string]string{
		"a/0": "A | g1,5,true,g2",
		"a/1": "A2 | null",
		"d/0": "D | null",
		"d/1": "D2 | dg",
	})
	given := differential(t, `view odd_given of Patient {
  forEach name.given {
    key = %resource.getResourceKey() & '/' & %rowIndex.toString()
    g   = $this
  }
}`, oddElemLines...)
	wantRows(t, given, map[string]string{"a/0": "g1", "a/1": "5", "a/2": "true", "a/3": "g2", "d/0": "dg"})
	codings := differential(t, `view odd_codings of Patient {
  forEach maritalStatus.coding {
    key  = %resource.getResourceKey() & '/' & %rowIndex.toString()
    code = code
  }
}`, oddElemLines...)
	wantRows(t, codings, map[string]string{"a/0": "S"})
	tel := differential(t, `view odd_telecom of Patient {
  forEach telecom {
    key   = %resource.getResourceKey() & '/' & %rowIndex.toString()
    value = value
    forEachOrNull %resource.extension {
      url = url
    }
  }
}`, oddElemLines...)
	wantRows(t, tel, map[string]string{"a/0": "1 | u1", "a/1": "2 | u1"})
}

// TestOddElementsForEachOrNull: forEachOrNull gives its blank row when no
// element is present (b's and c's names are a nested array and a string),
// and one row per present element otherwise (e has one: E, %rowIndex 0).
// %rowIndex is 0 in a blank row, as before, on both engines.
func TestOddElementsForEachOrNull(t *testing.T) {
	got := differential(t, `view odd_or_null of Patient {
  id = getResourceKey()
  forEachOrNull name {
    fam = family
    idx = %rowIndex
  }
  forEachOrNull telecom {
    value = value
  }
}`, oddElemLines[1], oddElemLines[2],
		`{"resourceType":"Patient","id":"e","name":[null,["x"],"y",{"family":"E"},3],"telecom":[{"value":"t"},"u"]}`)
	wantRows(t, got, map[string]string{
		"b": "null | 0 | null",
		"c": "null | 0 | null",
		"e": "E | 0 | t",
	})
}
