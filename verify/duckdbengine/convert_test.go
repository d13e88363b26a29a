//go:build cgo

package duckdbengine

import (
	"fmt"
	"strings"
	"testing"
)

// conversionTexts are strings to convert: full and partial dates, dateTimes
// and times, with the runtime's corner cases (a trailing T, hour-only
// clocks, offsets up to 14 hours, leap days) and invalid ones (out of range
// parts, wrong separators, spaces, lower-case z and t, a bare fraction);
// integers, decimals and boolean words, valid and not, with leading zeros
// and beyond FHIRPath's 32-bit Integer.
var conversionTexts = []string{
	"2020-05-01T10:00:00Z", "2020-05-01T10:00:00.123+02:00", "2020-05-01T10:00:00.1234567-05:30",
	"2020-05-01T10:00", "2020-05-01T10", "2020-05-01T10Z", "2020-05-01T10:30+14:00", "2020-05-01T",
	"2020-05-01", "2020-05", "2020", "2020T", "2020-05T", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29",
	"2020-04-31", "2020-13-01", "2020-00-10", "2020-05-00", "2020-5-1", " 2020-05-01", "2020-05-01 ",
	"2020-05-01 10:00", "2020-05-01T24:00", "2020-05-01T10:60", "2020-05-01T10:00:60", "2020-05-01T10:00:00.",
	"2020-05-01T10:00:00+15:00", "2020-05-01T10:00:00+02:60", "2020-05-01T10:00:00+0200", "2020-05-01t10:00",
	"2020-05-01T10:00z", "2020-05T10:00", "2020-05-01T10:00:00Z ", "20200501", "0000-02-29",
	"10:00:00", "10:00", "10", "T10:00:00.5", "10:00:00.123456789", "24:00:00", "9:00", "10:00:00Z", "10:00:00+01:00",
	"TT10:00", "T", "", "1", "-1", "+1", "+7", "2147483647", "-2147483648", "1.0", "1.50", "-0.5", "+2.25", ".5", "5.", "1e3", "1.2.3", " 1",
	"2 ", "true", "T", "yes", "Y", "no", "n", "1.00", "0.0", "TRUE ", "false",
	"01", "007.50", "-00", "+0.0", "2147483648", "-2147483649", "99999999999",
}

// TestConversionsFromStrings: toDate(), toDateTime(), toTime(), toInteger(),
// toDecimal(), toBoolean() and every convertsToX() on string values, one
// resource per string; the SQL must give the runtime's values exactly
// (text for dates and times) and its booleans.
func TestConversionsFromStrings(t *testing.T) {
	view := `view conv of Patient {
  id        = getResourceKey()
  s         = name.family
  to_date   = name.family.toDate()
  to_dt     = name.family.toDateTime()
  to_time   = name.family.toTime()
  to_int    = name.family.toInteger()
  to_dec    = name.family.toDecimal()
  to_bool   = name.family.toBoolean()
  c_date    = name.family.convertsToDate()
  c_dt      = name.family.convertsToDateTime()
  c_time    = name.family.convertsToTime()
  c_int     = name.family.convertsToInteger()
  c_dec     = name.family.convertsToDecimal()
  c_bool    = name.family.convertsToBoolean()
  c_str     = name.family.convertsToString()
}
`
	var data []string
	for i, s := range conversionTexts {
		data = append(data, fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","name":[{"family":%q}]}`, i, s))
	}
	data = append(data,
		`{"resourceType":"Patient","id":"missing"}`,
		`{"resourceType":"Patient","id":"null","name":[{"family":null}]}`,
	)
	got := differential(t, view, data...)
	// Spot checks of the runtime's rules (the engines agree on all rows).
	want := map[string]string{
		"2020-05-01T10:00:00.123+02:00": "2020-05-01 | 2020-05-01T10:00:00.123+02:00 | null | null | null | null | true | true | false | false | false | false | true",
		"2020T":                         "2020 | 2020 | null | null | null | null | true | true | false | false | false | false | true",
		"2023-02-29":                    "null | null | null | null | null | null | false | false | false | false | false | false | true",
		"T10:00:00.5":                   "null | null | 10:00:00.5 | null | null | null | false | false | true | false | false | false | true",
		"+1":                            "null | null | null | 1 | 1 | null | false | false | false | true | true | false | true",
		"1.00":                          "null | null | null | null | 1.00 | null | false | false | false | false | true | false | true",
		"TRUE ":                         "null | null | null | null | null | null | false | false | false | false | false | false | true",
		"Y":                             "null | null | null | null | null | true | false | false | false | false | false | true | true",
	}
	for i, s := range conversionTexts {
		w, ok := want[s]
		if !ok {
			continue
		}
		row := got[fmt.Sprintf("p%d", i)]
		if _, rest, _ := strings.Cut(row, " | "); rest != w {
			t.Errorf("%q: got  %s\n want %s", s, rest, w)
		}
	}
	for _, id := range []string{"missing", "null"} {
		if got[id] != strings.TrimSuffix(strings.Repeat("null | ", 14), " | ") {
			t.Errorf("%s: got %s, want all null (empty input gives empty, not false)", id, got[id])
		}
	}
}

// TestConversionsTyped: the same functions on typed values, where the
// rules depend on the static type: an integer converts to a decimal and a
// boolean, a decimal never to an integer, a date to a dateTime but never to
// a time, a dateTime's date part, an instant, a time (kept as written, even
// when invalid), objects (never), literals, and invalid data in typed
// elements (a dateTime element holding '2020-13-01').
func TestConversionsTyped(t *testing.T) {
	view := `view conv_typed of Observation {
  id         = getResourceKey()
  int_dec    = value.ofType(integer).toDecimal()
  int_bool   = value.ofType(integer).toBoolean()
  int_int    = value.ofType(integer).toInteger()
  int_c      = value.ofType(integer).convertsToString() & value.ofType(integer).convertsToDate() & value.ofType(integer).convertsToBoolean()
  dec_int    = value.ofType(Quantity).value.toInteger()
  dec_bool   = value.ofType(Quantity).value.toBoolean()
  dec_c      = value.ofType(Quantity).value.convertsToInteger() & value.ofType(Quantity).value.convertsToDecimal() & value.ofType(Quantity).value.convertsToTime()
  bool_int   = value.ofType(boolean).toInteger()
  bool_dec   = value.ofType(boolean).toDecimal()
  bool_c     = value.ofType(boolean).convertsToBoolean() & value.ofType(boolean).convertsToDate() & value.ofType(boolean).convertsToString()
  time_t     = value.ofType(time).toTime()
  time_c     = value.ofType(time).convertsToDateTime() & value.ofType(time).convertsToTime() & value.ofType(time).convertsToInteger()
  dt_date    = value.ofType(dateTime).toDate()
  dt_dt      = value.ofType(dateTime).toDateTime()
  dt_time    = value.ofType(dateTime).toTime()
  dt_c       = value.ofType(dateTime).convertsToDate() & value.ofType(dateTime).convertsToTime()
  inst_date  = issued.toDate()
  inst_c     = issued.convertsToDateTime()
  cc_c       = value.ofType(CodeableConcept).convertsToString() & value.ofType(CodeableConcept).convertsToDate()
  str_dt     = value.ofType(string).toDateTime()
  lits       = (1.5).toInteger().toString() & '/' & 1.toDecimal().toString() & '/' & true.toInteger().toString() & '/' & true.toDecimal().toString() & '/' & (5).toDecimal().toString() & '/' & '+1.50'.toDecimal().toString() & '/' & value.ofType(integer).toDecimal().toString() & '/' & (2).toBoolean().toString() & '/' & (1.0).toBoolean().toString() & '/' & @2020-01-01.toDateTime().toString() & '/' & @2020-01-01T10:00:00Z.toDate().toString() & '/' & 'x'.convertsToInteger().toString()
}
`
	data := []string{
		`{"resourceType":"Observation","id":"int5","status":"final","code":{},"valueInteger":5}`,
		`{"resourceType":"Observation","id":"int1","status":"final","code":{},"valueInteger":1}`,
		`{"resourceType":"Observation","id":"int0","status":"final","code":{},"valueInteger":0}`,
		`{"resourceType":"Observation","id":"dec","status":"final","code":{},"valueQuantity":{"value":1.0}}`,
		`{"resourceType":"Observation","id":"dec25","status":"final","code":{},"valueQuantity":{"value":2.5}}`,
		`{"resourceType":"Observation","id":"dec0","status":"final","code":{},"valueQuantity":{"value":0}}`,
		`{"resourceType":"Observation","id":"t","status":"final","code":{},"valueBoolean":true}`,
		`{"resourceType":"Observation","id":"f","status":"final","code":{},"valueBoolean":false}`,
		`{"resourceType":"Observation","id":"time","status":"final","code":{},"valueTime":"10:30:00"}`,
		`{"resourceType":"Observation","id":"badtime","status":"final","code":{},"valueTime":"25:00"}`,
		`{"resourceType":"Observation","id":"dt","status":"final","code":{},"valueDateTime":"2020-05-01T10:00:00+02:00","issued":"2020-05-01T23:30:00.000-05:00"}`,
		`{"resourceType":"Observation","id":"dtpartial","status":"final","code":{},"valueDateTime":"2020-05"}`,
		`{"resourceType":"Observation","id":"baddt","status":"final","code":{},"valueDateTime":"2020-13-01"}`,
		`{"resourceType":"Observation","id":"cc","status":"final","code":{},"valueCodeableConcept":{"text":"x"}}`,
		`{"resourceType":"Observation","id":"str","status":"final","code":{},"valueString":"2021-01-02T"}`,
		`{"resourceType":"Observation","id":"nothing","status":"final","code":{}}`,
	}
	got := differential(t, view, data...)
	// The literal conversions, then the integer's toDecimal() text.
	lits := "/1/1/1.0/5/1.50/%s//true/2020-01-01/2020-01-01/false"
	n := "null"
	row := func(cells ...string) string {
		intText := ""
		if cells[2] != n {
			intText = cells[2]
		}
		return strings.Join(append(cells, fmt.Sprintf(lits, intText)), " | ")
	}
	wantRows(t, got, map[string]string{
		"int5":      row("5", n, "5", "truefalsefalse", n, n, "", n, n, "", n, "", n, n, n, "", n, n, "", n),
		"int1":      row("1", "true", "1", "truefalsetrue", n, n, "", n, n, "", n, "", n, n, n, "", n, n, "", n),
		"int0":      row("0", "false", "0", "truefalsetrue", n, n, "", n, n, "", n, "", n, n, n, "", n, n, "", n),
		"dec":       row(n, n, n, "", n, "true", "falsetruefalse", n, n, "", n, "", n, n, n, "", n, n, "", n),
		"dec25":     row(n, n, n, "", n, n, "falsetruefalse", n, n, "", n, "", n, n, n, "", n, n, "", n),
		"dec0":      row(n, n, n, "", n, "false", "falsetruefalse", n, n, "", n, "", n, n, n, "", n, n, "", n),
		"t":         row(n, n, n, "", n, n, "", "1", "1.0", "truefalsetrue", n, "", n, n, n, "", n, n, "", n),
		"f":         row(n, n, n, "", n, n, "", "0", "0.0", "truefalsetrue", n, "", n, n, n, "", n, n, "", n),
		"time":      row(n, n, n, "", n, n, "", n, n, "", "10:30:00", "falsetruefalse", n, n, n, "", n, n, "", n),
		"badtime":   row(n, n, n, "", n, n, "", n, n, "", "25:00", "falsetruefalse", n, n, n, "", n, n, "", n),
		"dt":        row(n, n, n, "", n, n, "", n, n, "", n, "", "2020-05-01", "2020-05-01T10:00:00+02:00", n, "truefalse", "2020-05-01", "true", "", n),
		"dtpartial": row(n, n, n, "", n, n, "", n, n, "", n, "", "2020-05", "2020-05", n, "truefalse", n, n, "", n),
		"baddt":     row(n, n, n, "", n, n, "", n, n, "", n, "", n, "2020-13-01", n, "falsefalse", n, n, "", n),
		"cc":        row(n, n, n, "", n, n, "", n, n, "", n, "", n, n, n, "", n, n, "falsefalse", n),
		"str":       row(n, n, n, "", n, n, "", n, n, "", n, "", n, n, n, "", n, n, "", "2021-01-02"),
		"nothing":   row(n, n, n, "", n, n, "", n, n, "", n, "", n, n, n, "", n, n, "", n),
	})
}

// TestConversionsInCollections: conversions applied item by item keep the
// collection's order and duplicates; items that do not convert, JSON nulls
// and missing values drop out (convertsToX() gives false for the former and
// nothing for the others).
func TestConversionsInCollections(t *testing.T) {
	view := `view conv_coll of Patient {
  id        = getResourceKey()
  dates[]   = name.select(family.toDate())
  flags[]   = name.select(family.convertsToDate())
  ints[]    = name.family.select($this.toInteger())
  n_ints    = name.family.where($this.convertsToInteger()).count()
  times[]   = name.given.select($this.toTime())
}
`
	data := []string{
		`{"resourceType":"Patient","id":"a","name":[{"family":"2020-01-02T10:00Z","given":["T10:00",null,"x","10:00"]},{"family":"bad"},{"family":null},{},{"family":"2020"},{"family":"2020"},{"family":"7"},{"family":"+7"}]}`,
		`{"resourceType":"Patient","id":"b","name":[]}`,
		`{"resourceType":"Patient","id":"c"}`,
	}
	got := differential(t, view, data...)
	wantRows(t, got, map[string]string{
		"a": `["2020-01-02","2020","2020"] | [true,false,true,true,false,false] | [2020,2020,7,7] | 4 | ["10:00","10:00"]`,
		"b": `[] | [] | [] | 0 | []`,
		"c": `[] | [] | [] | 0 | []`,
	})
}
