//go:build cgo

package duckdbengine

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Comparisons of dates, dateTimes and times follow FHIRPath's precision
// rules on the runtime and in SQL alike: values compare at the precision
// both have (in UTC when both have a time, a value without an offset being
// UTC), a fraction of a second counts as seconds, and when the components
// both have are equal but the precisions differ, =, !=, <, <=, > and >= are
// all empty. Text that does not parse equals only the same text and has no
// order.

// cmpOps are the six operators, in the order of the expectations below.
var cmpOps = []string{"=", "!=", "<", "<=", ">", ">="}

// flipped is the expectation of b op a from that of a op b ("eq ne lt le
// gt ge", each t, f or - for empty).
func flipped(want string) string {
	w := []byte(want)
	return string([]byte{w[0], w[1], w[4], w[5], w[2], w[3]})
}

// rendered turns an expectation into cells as differential renders them.
func rendered(want string) []string {
	var out []string
	for _, c := range want {
		out = append(out, map[rune]string{'t': "true", 'f': "false", '-': "null"}[c])
	}
	return out
}

// cmpPair is two values and the runtime's a op b for each of cmpOps; an
// empty value is absent from the resource.
type cmpPair struct {
	a, b, want string
}

// cmpColumns writes a column per operator for x op y and y op x.
func cmpColumns(x, y string) string {
	var b strings.Builder
	for i, op := range cmpOps {
		fmt.Fprintf(&b, "  c%d = %s %s %s\n", i, x, op, y)
	}
	for i, op := range cmpOps {
		fmt.Fprintf(&b, "  r%d = %s %s %s\n", i, y, op, x)
	}
	return b.String()
}

// checkPairs runs one view whose rows are the pairs (ids p0, p1, ...) and
// checks each row against its expectation in both orders.
func checkPairs(t *testing.T, view string, pairs []cmpPair, resource func(i int, p cmpPair) string) {
	t.Helper()
	var data []string
	want := map[string]string{}
	for i, p := range pairs {
		data = append(data, resource(i, p))
		want[fmt.Sprintf("p%d", i)] = strings.Join(append(rendered(p.want), rendered(flipped(p.want))...), " | ")
	}
	got := differential(t, view, data...)
	for i, p := range pairs {
		id := fmt.Sprintf("p%d", i)
		if got[id] != want[id] {
			t.Errorf("%q vs %q (=, !=, <, <=, >, >=, then reversed):\n got  %s\n want %s", p.a, p.b, got[id], want[id])
		}
	}
	if len(got) != len(pairs) {
		t.Errorf("got %d rows, want %d", len(got), len(pairs))
	}
}

// member is a JSON member "key":"value", or nothing for an empty value.
func member(key, v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf(`,%q:%q`, key, v)
}

var dateTimePairs = []cmpPair{
	// dates of different precisions
	{"2020", "2020-05", "------"},
	{"2020", "2021-05", "ftttff"},
	{"2020-05", "2020-05", "tfftft"},
	{"2020-05-01", "2020-05", "------"},
	{"2020-06", "2020-05-31", "ftfftt"},
	{"2020-05-01T", "2020-05-01", "tfftft"},
	// minutes against seconds, with and without zones
	{"2020-05-01T10:00", "2020-05-01T10:00:00", "------"},
	{"2020-05-01T10:00Z", "2020-05-01T10:00:00Z", "------"},
	{"2020-05-01T10:00Z", "2020-05-01T10:00:30Z", "------"},
	{"2020-05-01T10:00Z", "2020-05-01T10:01:00Z", "ftttff"},
	{"2020-05-01T10:01Z", "2020-05-01T10:00:59Z", "ftfftt"},
	{"2020-05-01T10Z", "2020-05-01T10:30Z", "------"},
	// fractions of a second are seconds
	{"2020-05-01T10:00:00Z", "2020-05-01T10:00:00.000Z", "tfftft"},
	{"2020-05-01T10:00:00Z", "2020-05-01T10:00:00.5Z", "ftttff"},
	{"2020-05-01T10:00:00.5Z", "2020-05-01T10:00:00.50Z", "tfftft"},
	{"2020-05-01T10:00:00.000", "2020-05-01T10:00:00.5", "ftttff"},
	{"2020-05-01T10:00:00.1234567891Z", "2020-05-01T10:00:00.123456789Z", "tfftft"},
	{"2020-05-01T10:00:00.5Z", "2020-05-01T10:00:00.49Z", "ftfftt"},
	// zones: the same instant, across days, months, years and leap days
	{"2020-05-01T12:00+02:00", "2020-05-01T10:00Z", "tfftft"},
	{"2020-05-01T12:00:00+02:00", "2020-05-01T10:00Z", "------"},
	{"2020-05-01T12:00+02:00", "2020-05-01T10:30Z", "ftttff"},
	{"2020-05-01T00:30+02:00", "2020-04-30T23:00Z", "ftttff"},
	{"2020-05-01T10:00", "2020-05-01T10:00Z", "tfftft"},
	{"2020-05-01T10:00:00-00:00", "2020-05-01T10:00:00+00:00", "tfftft"},
	{"2020-05-01T10:00-05:00", "2020-05-01T15:00:00Z", "------"},
	{"2019-12-31T23:00-02:00", "2020-01-01T01:00Z", "tfftft"},
	{"2020-02-28T23:00-02:00", "2020-02-29T01:00Z", "tfftft"},
	{"2021-02-28T23:00-02:00", "2021-03-01T01:00Z", "tfftft"},
	{"2020-01-01T10+05:30", "2020-01-01T04Z", "tfftft"},
	{"2020-01-01T10+05:30", "2020-01-01T05Z", "ftttff"},
	{"2020-01-01T00:00:00+14:00", "2019-12-31T10:00:00Z", "tfftft"},
	// a date against a dateTime: the dates as written, no UTC
	{"2020-05-01", "2020-05-01T10:00Z", "------"},
	{"2020-05-02", "2020-05-01T23:00-05:00", "ftfftt"},
	{"2020-05", "2020-05-01T10:00Z", "------"},
	{"2019", "2020-05-01T10:00Z", "ftttff"},
	// text that does not parse
	{"2020-13", "2020-13", "tf----"},
	{"2020-13", "2020-12", "ft----"},
	{"2020-02-30", "2020-02-30T", "ft----"},
	{"2020-05-01T25:00Z", "2020-05-01", "ft----"},
	// empty operands
	{"", "2020-05", "------"},
	{"2020-05-01T10:00Z", "", "------"},
	{"", "", "------"},
}

// TestTemporalCompareDateTimes: two dateTime elements of one resource
// compared with each operator in both orders, in columns.
func TestTemporalCompareDateTimes(t *testing.T) {
	view := "view dt_cmp of Observation {\n  id = getResourceKey()\n" +
		cmpColumns("effective.ofType(dateTime)", "value.ofType(dateTime)") + "}\n"
	checkPairs(t, view, dateTimePairs, func(i int, p cmpPair) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":"p%d","status":"final","code":{}%s%s}`,
			i, member("effectiveDateTime", p.a), member("valueDateTime", p.b))
	})
}

// TestTemporalCompareFilters: the same comparisons as the view's where
// filter, and negated: a row is kept only when the answer is true, so an
// empty answer drops the row both ways.
func TestTemporalCompareFilters(t *testing.T) {
	var data []string
	for i, p := range dateTimePairs {
		data = append(data, fmt.Sprintf(`{"resourceType":"Observation","id":"p%d","status":"final","code":{}%s%s}`,
			i, member("effectiveDateTime", p.a), member("valueDateTime", p.b)))
	}
	for k, op := range cmpOps {
		for _, negated := range []bool{false, true} {
			cond := "effective.ofType(dateTime) " + op + " value.ofType(dateTime)"
			keep := byte('t')
			if negated {
				cond, keep = "("+cond+").not()", 'f'
			}
			view := fmt.Sprintf("view dt_filter of Observation\nwhere %s\n{\n  id = getResourceKey()\n}\n", cond)
			got := differential(t, view, data...)
			var ids, want []string
			for id := range got {
				ids = append(ids, id)
			}
			for i, p := range dateTimePairs {
				if p.want[k] == keep {
					want = append(want, fmt.Sprintf("p%d", i))
				}
			}
			sort.Strings(ids)
			sort.Strings(want)
			if len(want) == 0 {
				t.Fatalf("where %s: no row expected, the test would be vacuous", cond)
			}
			if strings.Join(ids, " ") != strings.Join(want, " ") {
				t.Errorf("where %s:\n got  %v\n want %v", cond, ids, want)
			}
		}
	}
}

// TestTemporalCompareLiterals: an element against dateTime, date and string
// literals of several precisions, on either side of the operator.
func TestTemporalCompareLiterals(t *testing.T) {
	view := `view dt_lit of Observation {
  id       = getResourceKey()
  eq_min   = effective.ofType(dateTime) = @2020-05-01T10:00
  lt_min   = effective.ofType(dateTime) < @2020-05-01T10:00
  ge_min   = @2020-05-01T10:00 >= effective.ofType(dateTime)
  eq_sec_z = effective.ofType(dateTime) = @2020-05-01T10:00:00Z
  eq_frac  = effective.ofType(dateTime) = @2020-05-01T10:00:00.000Z
  gt_zone  = effective.ofType(dateTime) > @2020-05-01T12:00+02:00
  le_zone  = @2020-05-01T12:00:00+02:00 <= effective.ofType(dateTime)
  eq_hour  = effective.ofType(dateTime) = @2020-05-01T15+05:30
  lt_year  = effective.ofType(dateTime) < @2021
  eq_year  = effective.ofType(dateTime) = @2020
  ne_day   = effective.ofType(dateTime) != @2020-05-01
  le_day   = effective.ofType(dateTime) <= @2020-05-01
  eq_text  = effective.ofType(dateTime) = '2020-05-01T10:00'
  eq_text2 = '2020-05-01T10:00:00.000Z' = effective.ofType(dateTime)
  eq_bad   = effective.ofType(dateTime) = '2020-13'
  ne_bad   = '2020-13' != effective.ofType(dateTime)
  lits     = @2020-05-01T10:00 = @2020-05-01T10:00:00
  lits_lt  = @2020 < @2021-01-01T10:00Z
  strs[]   = ('2020-02-29T' | '2021-02-29' | '2020-05-01T10:00+15:00' | '2020-05-01T10:00:00.' | '2020-05-01T10:00:00.000+02:00' |
              '2020-05-01T09:00:00.000-01:00' | '2020-05T10:00' | '0001-01-01T00:00+14:00').where($this = %resource.effective.ofType(dateTime))
}
`
	values := []string{
		"2020-05-01T10:00", "2020-05-01T10:00Z", "2020-05-01T10:00:00Z", "2020-05-01T10:00:00.000Z",
		"2020-05-01T12:00+02:00", "2020-05-01T09:59:59.5Z", "2020-05-01", "2020-05", "2020", "2020-13", "",
	}
	var data []string
	for i, v := range values {
		data = append(data, fmt.Sprintf(`{"resourceType":"Observation","id":"v%d","status":"final","code":{}%s}`, i, member("effectiveDateTime", v)))
	}
	got := differential(t, view, data...)
	wantRows(t, got, map[string]string{
		// eq_min lt_min ge_min eq_sec_z eq_frac gt_zone le_zone eq_hour lt_year eq_year ne_day le_day eq_text eq_text2 eq_bad ne_bad lits lits_lt strs
		"v0":  "true | false | true | null | null | false | null | false | true | null | null | null | true | null | false | true | null | true | []",
		"v1":  "true | false | true | null | null | false | null | false | true | null | null | null | true | null | false | true | null | true | []",
		"v2":  "null | null | null | true | true | null | true | false | true | null | null | null | null | true | false | true | null | true | [\"2020-05-01T09:00:00.000-01:00\"]",
		"v3":  "null | null | null | true | true | null | true | false | true | null | null | null | null | true | false | true | null | true | [\"2020-05-01T09:00:00.000-01:00\"]",
		"v4":  "true | false | true | null | null | false | null | false | true | null | null | null | true | null | false | true | null | true | []",
		"v5":  "false | true | true | false | false | false | false | null | true | null | null | null | false | false | false | true | null | true | []",
		"v6":  "null | null | null | null | null | null | null | null | true | null | false | true | null | null | false | true | null | true | []",
		"v7":  "null | null | null | null | null | null | null | null | true | null | null | null | null | null | false | true | null | true | []",
		"v8":  "null | null | null | null | null | null | null | null | true | true | null | null | null | null | false | true | null | true | []",
		"v9":  "false | null | null | false | false | null | null | false | null | false | true | null | false | false | true | false | null | true | []",
		"v10": "null | null | null | null | null | null | null | null | null | null | null | null | null | null | null | null | null | true | []",
	})
}

// TestTemporalCompareStringLiterals: string literals compared with a
// dateTime are parsed as dateTimes (the compiler folds a literal's parts):
// text that is not one equals only the same text and has no order.
func TestTemporalCompareStringLiterals(t *testing.T) {
	lits := []string{"2020-02-29T", "2021-02-29", "2020-05-01T10:00+15:00", "2020-05-01T10:00:00.", "2020-05-01T10:00:00.000+02:00",
		"2020-05-01T09:00:00.000-01:00", "2020-05T10:00", "0001-01-01T00:00+14:00", "2020-05-01T24:00", "2020-05-01T10:60", "2020-05-01T10:00:00Z "}
	var b strings.Builder
	b.WriteString("view str_lit of Observation {\n  id = getResourceKey()\n")
	for i, l := range lits {
		fmt.Fprintf(&b, "  eq%d = effective.ofType(dateTime) = '%s'\n  ne%d = '%s' != effective.ofType(dateTime)\n", i, l, i, l)
	}
	b.WriteString("}\n")
	values := []string{"2020-02-29", "2021-02-29", "2020-05-01T10:00+15:00", "2020-05-01T08:00:00Z", "2020-05-01T10:00:00.000+02:00",
		"2020-05-01T10:00Z", "2020-05T10:00", "0000-12-31T10:00Z", "2020-05-01T24:00", "2020-05-01T10:00:00Z ", ""}
	var data []string
	for i, v := range values {
		data = append(data, fmt.Sprintf(`{"resourceType":"Observation","id":"v%d","status":"final","code":{}%s}`, i, member("effectiveDateTime", v)))
	}
	got := differential(t, b.String(), data...)
	// Spot checks: a value that does not parse equals only its own text;
	// equal instants at seconds with and without a fraction; the instant
	// 0000-12-31T10:00Z written with +14:00 in year 1.
	for id, want := range map[string]string{
		"v1": "false | true | true | false | false | true | false | true | false | true | false | true | false | true | false | true | false | true | false | true | false | true",
		"v3": "false | true | false | true | false | true | false | true | true | false | false | true | false | true | false | true | false | true | false | true | false | true",
		"v7": "false | true | false | true | false | true | false | true | false | true | false | true | false | true | true | false | false | true | false | true | false | true",
	} {
		if got[id] != want {
			t.Errorf("row %s:\n got  %s\n want %s", id, got[id], want)
		}
	}
}

// TestTemporalCompareTimes: two time elements of one resource (a time has
// no zone; hours, minutes and seconds compare at the common precision).
func TestTemporalCompareTimes(t *testing.T) {
	pairs := []cmpPair{
		{"10:00:00", "10:00:00.000", "tfftft"},
		{"10:00:00", "10:00:00.5", "ftttff"},
		{"10:00:00.5", "10:00:00.50", "tfftft"},
		{"10:00:00.5", "10:00:00.49", "ftfftt"},
		{"10:00", "10:00:00", "------"},
		{"10:00", "10:01:30", "ftttff"},
		{"10", "10:30", "------"},
		{"11", "10:30", "ftfftt"},
		{"23:59:59.999999999", "23:59:59.9999999991", "tfftft"},
		{"25:00", "25:00", "tf----"},
		{"25:00", "10:00", "ft----"},
		{"10:00", "", "------"},
	}
	view := "view time_cmp of Observation {\n  id = getResourceKey()\n" +
		cmpColumns("value.ofType(time)", "component.value.ofType(time)") +
		"  lit_eq = value.ofType(time) = @T10:00:00.000\n  lit_lt = @T10:00 < value.ofType(time)\n  lit_le = value.ofType(time) <= @T10:00:00.5\n}\n"
	var data []string
	for i, p := range pairs {
		comp := ""
		if p.b != "" {
			comp = fmt.Sprintf(`,"component":[{"code":{}%s}]`, member("valueTime", p.b))
		}
		data = append(data, fmt.Sprintf(`{"resourceType":"Observation","id":"p%d","status":"final","code":{}%s%s}`, i, member("valueTime", p.a), comp))
	}
	got := differential(t, view, data...)
	lits := map[string]string{
		"p0": "true | null | true", "p1": "true | null | true", "p2": "false | null | true", "p3": "false | null | true",
		"p4": "null | false | null", "p5": "null | false | null", "p6": "null | null | null", "p7": "false | true | false",
		"p8": "false | true | false", "p9": "false | null | null", "p10": "false | null | null", "p11": "null | false | null",
	}
	for i, p := range pairs {
		id := fmt.Sprintf("p%d", i)
		want := strings.Join(append(append(rendered(p.want), rendered(flipped(p.want))...), lits[id]), " | ")
		if got[id] != want {
			t.Errorf("%q vs %q:\n got  %s\n want %s", p.a, p.b, got[id], want)
		}
	}
}

// TestTemporalCompareDates: two date elements (FHIR date) and dates against
// literals.
func TestTemporalCompareDates(t *testing.T) {
	pairs := []cmpPair{
		{"2020", "2020-05", "------"},
		{"2020", "2021", "ftttff"},
		{"2020-05-01", "2020-05-01", "tfftft"},
		{"2020-05-01", "2020-05", "------"},
		{"2020-05-01", "2020-04-30", "ftfftt"},
		{"2020-02-30", "2020-02-30", "tf----"},
		{"", "2020", "------"},
	}
	view := "view date_cmp of Goal {\n  id = getResourceKey()\n" +
		cmpColumns("start.ofType(date)", "statusDate") + "}\n"
	checkPairs(t, view, pairs, func(i int, p cmpPair) string {
		return fmt.Sprintf(`{"resourceType":"Goal","id":"p%d","lifecycleStatus":"active","description":{},"subject":{}%s%s}`,
			i, member("startDate", p.a), member("statusDate", p.b))
	})
	lit := `view date_lit of Goal {
  id     = getResourceKey()
  eq_mon = statusDate = @2020-05
  lt_mon = statusDate < @2020-05
  gt_day = @2020-05-01 > statusDate
  eq_dt  = statusDate = @2020-05-01T10:00Z
  ge_dt  = statusDate >= @2020-04-30T10:00Z
  eq_str = statusDate = '2020-05'
}
`
	got := differential(t, lit,
		`{"resourceType":"Goal","id":"day","statusDate":"2020-05-01"}`,
		`{"resourceType":"Goal","id":"month","statusDate":"2020-05"}`,
		`{"resourceType":"Goal","id":"year","statusDate":"2020"}`,
		`{"resourceType":"Goal","id":"before","statusDate":"2020-04-15"}`,
		`{"resourceType":"Goal","id":"none"}`,
	)
	wantRows(t, got, map[string]string{
		"day":    "null | null | false | null | true | null",
		"month":  "true | false | null | null | true | true",
		"year":   "null | null | null | null | null | null",
		"before": "false | true | true | false | false | false",
		"none":   "null | null | null | null | null | null",
	})
}

// TestTemporalCompareInFunctions: comparisons inside where() lambdas, a
// collection compared with one value (= holds only for exactly one equal
// item), in, and a time against a dateTime (never equal).
func TestTemporalCompareInFunctions(t *testing.T) {
	view := `view dt_fn of Observation {
  id       = getResourceKey()
  late[]   = component.value.ofType(dateTime).where($this > @2020-05-01T10:00)
  n_eq     = component.where(value.ofType(dateTime) = @2020-05-01T10:00Z).count()
  n_ne     = component.where(value.ofType(dateTime) != @2020-05-01T10:00Z).count()
  one_eq   = component.value.ofType(dateTime) = @2020-05-01T12:00+02:00
  is_in    = @2020-05-01T10:00Z in component.value.ofType(dateTime)
  before[] = component.value.ofType(dateTime).where($this < %resource.effective.ofType(dateTime))
  time_dt  = value.ofType(time) = effective.ofType(dateTime)
  time_ne  = effective.ofType(dateTime) != value.ofType(time)
}
`
	comp := func(vs ...string) string {
		var cs []string
		for _, v := range vs {
			cs = append(cs, fmt.Sprintf(`{"code":{},"valueDateTime":%q}`, v))
		}
		return `"component":[` + strings.Join(cs, ",") + `]`
	}
	got := differential(t, view,
		`{"resourceType":"Observation","id":"mixed","status":"final","code":{},"effectiveDateTime":"2020-05-01T10:00:00Z","valueTime":"10:00:00",`+
			comp("2020-05-01T10:00Z", "2020-05-01T10:00:00Z", "2020-05-01T11:00+02:00", "2020-05-01T10:30Z", "2020-05-01", "2021")+`}`,
		`{"resourceType":"Observation","id":"single","status":"final","code":{},"effectiveDateTime":"2020",`+comp("2020-05-01T10:00Z")+`}`,
		`{"resourceType":"Observation","id":"seconds","status":"final","code":{},`+comp("2020-05-01T10:00:00Z")+`}`,
		`{"resourceType":"Observation","id":"none","status":"final","code":{}}`,
	)
	wantRows(t, got, map[string]string{
		"mixed":   `["2020-05-01T10:30Z","2021"] | 1 | 3 | false | true | ["2020-05-01T11:00+02:00"] | false | true`,
		"single":  `[] | 1 | 0 | true | true | [] | null | null`,
		"seconds": `[] | 0 | 0 | null | false | [] | null | null`,
		"none":    `[] | 0 | 0 | null | false | [] | null | null`,
	})
}
