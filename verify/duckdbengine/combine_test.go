//go:build cgo

package duckdbengine

import (
	"fmt"
	"strings"
	"testing"
)

// combineData: duplicates within and across operands, case and trailing
// space differences (FHIRPath string equality is exact), JSON nulls inside
// arrays, empty and missing arrays, and more than ten items (order by the
// array index as a number, not as text).
var combineData = []string{
	`{"resourceType":"Patient","id":"dups","name":[{"given":["Ann","Bob","Ann"],"family":"Smith"},{"given":["Bob","ann","Ann "],"family":"Smith"},{"given":["Smith"]}]}`,
	`{"resourceType":"Patient","id":"none"}`,
	`{"resourceType":"Patient","id":"empty","name":[{"given":[]},{}]}`,
	`{"resourceType":"Patient","id":"nulls","name":[{"given":[null,"A",null,"A"],"family":null},{"given":[null]}]}`,
	`{"resourceType":"Patient","id":"family","name":[{"family":"Solo"}]}`,
	`{"resourceType":"Patient","id":"many","name":[{"given":["g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10","g11","g2","g10"],"family":"g11"}]}`,
}

// TestCombineUnion: combine() keeps every item, the receiver's first; union()
// and | keep the first of equal items; both keep FHIRPath order.
func TestCombineUnion(t *testing.T) {
	view := `view combine_union of Patient {
  id        = getResourceKey()
  bar[]     = name.given | name.family
  combined[] = name.given.combine(name.family)
  unioned[] = name.family.union(name.given)
  reversed[] = name.family.combine(name.given)
  n_bar     = (name.given | name.family).count()
  n_comb    = name.given.combine(name.family).count()
  first_bar = (name.family | name.given).first()
  last_bar  = (name.given | name.family).last()
  joined    = (name.given | name.family).join(',')
  with_lit[] = name.given | 'Ann' | {}
  self[]    = name.given | name.given
  is_ann    = (name.given | name.family).where($this = 'Ann').exists()
}
`
	got := differential(t, view, combineData...)
	wantRows(t, got, map[string]string{
		"dups": `["Ann","Bob","ann","Ann ","Smith"] | ["Ann","Bob","Ann","Bob","ann","Ann ","Smith","Smith","Smith"] | ` +
			`["Smith","Ann","Bob","ann","Ann "] | ["Smith","Smith","Ann","Bob","Ann","Bob","ann","Ann ","Smith"] | 5 | 9 | Smith | Smith | Ann,Bob,ann,Ann ,Smith | ` +
			`["Ann","Bob","ann","Ann ","Smith"] | ["Ann","Bob","ann","Ann ","Smith"] | true`,
		"none":   `[] | [] | [] | [] | 0 | 0 | null | null | null | ["Ann"] | [] | false`,
		"empty":  `[] | [] | [] | [] | 0 | 0 | null | null | null | ["Ann"] | [] | false`,
		"nulls":  `["A"] | ["A","A"] | ["A"] | ["A","A"] | 1 | 2 | A | A | A | ["A","Ann"] | ["A"] | false`,
		"family": `["Solo"] | ["Solo"] | ["Solo"] | ["Solo"] | 1 | 1 | Solo | Solo | Solo | ["Ann"] | [] | false`,
		"many": `["g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10","g11"] | ` +
			`["g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10","g11","g2","g10","g11"] | ` +
			`["g11","g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10"] | ` +
			`["g11","g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10","g11","g2","g10"] | 12 | 15 | g11 | g11 | g0,g1,g2,g3,g4,g5,g6,g7,g8,g9,g10,g11 | ` +
			`["g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10","g11","Ann"] | ["g0","g1","g2","g3","g4","g5","g6","g7","g8","g9","g10","g11"] | false`,
	})
}

// TestUnionTyped: FHIRPath equality by type when de-duplicating: 1 and
// 1.0 are one number (the first lexeme is kept), booleans by value,
// dateTimes as instants (+02:00 and Z agree; a date against a dateTime is
// unknown, so both stay); and combine() of objects keeps them all.
func TestUnionTyped(t *testing.T) {
	view := `view union_typed of Observation {
  id        = getResourceKey()
  nums[]    = component.value.ofType(Quantity).value.distinct()
  n_dist    = component.value.ofType(Quantity).value.isDistinct()
  mixed[]   = component.value.ofType(integer) | component.value.ofType(Quantity).value
  lit_n     = (1 | 1.0 | 2 | 2.00).count()
  lit_first = (1.0 | 1 | 2).first()
  lit_comb  = 1.combine(1.0).count()
  bools[]   = component.value.ofType(boolean) | true
  b_dist    = component.value.ofType(boolean).isDistinct()
  times[]   = component.value.ofType(dateTime).distinct()
  t_dist    = component.value.ofType(dateTime).isDistinct()
  objs      = component.code.combine(code).count()
  obj_texts[] = component.code.combine(code).text
}
`
	comp := func(v string) string { return `{"code":{"text":"c"},` + v + `}` }
	data := []string{
		`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"top"},"component":[` +
			strings.Join([]string{
				comp(`"valueQuantity":{"value":1}`), comp(`"valueQuantity":{"value":1.0}`), comp(`"valueQuantity":{"value":2}`),
				comp(`"valueQuantity":{"value":1.00}`), comp(`"valueQuantity":{"value":2.5}`),
				comp(`"valueInteger":2`), comp(`"valueInteger":3`), comp(`"valueInteger":3`),
				comp(`"valueBoolean":true`), comp(`"valueBoolean":false`), comp(`"valueBoolean":true`),
				comp(`"valueDateTime":"2020-01-01T10:00:00Z"`), comp(`"valueDateTime":"2020-01-01T12:00:00+02:00"`),
				comp(`"valueDateTime":"2020-01-01"`), comp(`"valueDateTime":"2020-01-01T10:00:00Z"`), comp(`"valueDateTime":"2021"`),
				comp(`"valueDateTime":"2020-01-01"`),
			}, ",") + `]}`,
		`{"resourceType":"Observation","id":"o2","status":"final","code":{},"component":[` +
			comp(`"valueBoolean":false`) + `,` + comp(`"valueQuantity":{"value":7}`) + `,` + comp(`"valueDateTime":"2020"`) + `]}`,
		`{"resourceType":"Observation","id":"o3","status":"final","code":{"text":"only"}}`,
		`{"resourceType":"Observation","id":"o4","status":"final","code":{},"component":[null,{"code":{"text":"n"},"valueBoolean":null}]}`,
	}
	got := differential(t, view, data...)
	wantRows(t, got, map[string]string{
		"o1": `[1,2,2.5] | false | [2,3,1,2.5] | 2 | 1.0 | 2 | [true,false] | false | ` +
			`["2020-01-01T10:00:00Z","2020-01-01","2021"] | false | 18 | ["c","c","c","c","c","c","c","c","c","c","c","c","c","c","c","c","c","top"]`,
		"o2": `[7] | true | [7] | 2 | 1.0 | 2 | [false,true] | true | ["2020"] | true | 4 | ["c","c","c"]`,
		"o3": `[] | true | [] | 2 | 1.0 | 2 | [true] | true | [] | true | 1 | ["only"]`,
		"o4": `[] | true | [] | 2 | 1.0 | 2 | [true] | true | [] | true | 2 | ["n"]`,
	})
}

// TestDistinctTemporal: distinct() and isDistinct() on dateTimes and times
// use the runtime's equality: equal instants in different offsets are one
// item; different precisions are never equal (10:00Z and 10:00:00Z both
// stay, while a fraction counts as seconds: 10:00:00Z = 10:00:00.000Z);
// fractions compare to the nanosecond; text that does not parse is equal
// only to the same text.
func TestDistinctTemporal(t *testing.T) {
	view := `view distinct_temporal of Observation {
  id        = getResourceKey()
  times[]   = component.value.ofType(dateTime).distinct()
  t_dist    = component.value.ofType(dateTime).isDistinct()
  clocks[]  = component.value.ofType(time).distinct()
  c_dist    = component.value.ofType(time).isDistinct()
}
`
	comp := func(k, v string) string { return `{"code":{"text":"c"},"` + k + `":"` + v + `"}` }
	// Each pair: the two values and whether the runtime finds them equal.
	dateTimes := []struct {
		a, b  string
		equal bool
	}{
		{"2020-01-01T10:00Z", "2020-01-01T10:00:00Z", false},
		{"2020-01-01T10:00:00Z", "2020-01-01T10:00:00.000Z", true},
		{"2020-01-01T10:00:00.5Z", "2020-01-01T10:00:00.50Z", true},
		{"2020-01-01T10Z", "2020-01-01T10:00Z", false},
		{"2020-01-01T10:00", "2020-01-01T10:00:00", false},
		{"2020-01-01T10:00:00+01:00", "2020-01-01T09:00:00Z", true},
		{"2020-01-01T10:00+01:00", "2020-01-01T09:00Z", true},
		{"2020-01-01T10+01:00", "2020-01-01T09Z", true},
		{"2020-01-01T10+01:00", "2020-01-01T10Z", false},
		{"2020-01-01T00:30:00+01:00", "2019-12-31T23:30:00Z", true},
		{"2020-01-01T10:00:00.1234567891Z", "2020-01-01T10:00:00.1234567899Z", true},
		{"2020-01-01T10:00:00.1234567Z", "2020-01-01T10:00:00.1234568Z", false},
		{"2020", "2020T", true},
		{"2020-01-01", "2020-01-01T", true},
		{"2020-01-01", "2020-01-01T00:00:00Z", false},
		{"2020-13", "2020-13", true},
		{"2020-13", "2020-13T", false},
		{"2020-01-01T10:00:00", "2020-01-01T10:00:00Z", true},
		{"2020-01-01T10:00:00-00:00", "2020-01-01T10:00:00+00:00", true},
		{"2020-01-01T10:00:00+14:00", "2019-12-31T20:00:00Z", true},
	}
	times := []struct {
		a, b  string
		equal bool
	}{
		{"10:00", "10:00:00", false},
		{"10:00:00", "10:00:00.000", true},
		{"10:00:00.5", "10:00:00.50", true},
		{"T10:00", "10:00", true},
		{"10", "10:00", false},
		{"10:00:00.1", "10:00:00.2", false},
		{"25:00", "25:00", true},
		{"25:00", "T25:00", false},
	}
	var data []string
	for i, p := range dateTimes {
		data = append(data, fmt.Sprintf(`{"resourceType":"Observation","id":"d%d","status":"final","code":{},"component":[%s,%s,%s]}`,
			i, comp("valueDateTime", p.a), comp("valueDateTime", p.b), comp("valueDateTime", p.a)))
	}
	for i, p := range times {
		data = append(data, fmt.Sprintf(`{"resourceType":"Observation","id":"t%d","status":"final","code":{},"component":[%s,%s]}`,
			i, comp("valueTime", p.a), comp("valueTime", p.b)))
	}
	got := differential(t, view, data...)
	for i, p := range dateTimes {
		want := fmt.Sprintf(`[%q,%q] | false | [] | true`, p.a, p.b)
		if p.equal {
			want = fmt.Sprintf(`[%q] | false | [] | true`, p.a)
		}
		if g := got[fmt.Sprintf("d%d", i)]; g != want {
			t.Errorf("%s, %s, %s: got %s, want %s", p.a, p.b, p.a, g, want)
		}
	}
	for i, p := range times {
		want := fmt.Sprintf(`[] | true | [%q,%q] | true`, p.a, p.b)
		if p.equal {
			want = fmt.Sprintf(`[] | true | [%q] | false`, p.a)
		}
		if g := got[fmt.Sprintf("t%d", i)]; g != want {
			t.Errorf("%s, %s: got %s, want %s", p.a, p.b, g, want)
		}
	}
}

// TestCombineContexts: union and combine of single values and {}, inside
// select() and where() (the argument is evaluated on the same focus as the
// receiver), under exists(), empty() and a non-collection column; and
// combine() of values of different types (objects with strings, numbers
// with strings), which keeps each value's JSON type.
func TestCombineContexts(t *testing.T) {
	view := `view combine_contexts of Patient {
  id          = getResourceKey()
  scalars[]   = gender | 'male' | gender
  empties     = ({} | {}).count()
  per_name[]  = name.select(given | family)
  three_parts = name.where((given | family).count() > 2).count()
  any         = (name.given | name.family).exists()
  none        = (name.given | name.family).empty()
  only        = gender | 'male'
  mixed[]     = name.combine(gender)
  nums_strs[] = 1.combine('1').combine(2.5).combine(true)
}
`
	data := []string{
		`{"resourceType":"Patient","id":"a","gender":"male","name":[{"given":["Ann","Bo"],"family":"Lee"},{"given":["Lee"],"family":"Ann"}]}`,
		`{"resourceType":"Patient","id":"b","name":[{"family":"X"}]}`,
	}
	got := differential(t, view, data...)
	common := `[1,"1",2.5,true]`
	wantRows(t, got, map[string]string{
		"a": `["male"] | 0 | ["Ann","Bo","Lee","Lee","Ann"] | 1 | true | false | male | ` +
			`[{"family":"Lee","given":["Ann","Bo"]},{"family":"Ann","given":["Lee"]},"male"] | ` + common,
		"b": `["male"] | 0 | ["X"] | 0 | true | false | male | [{"family":"X"}] | ` + common,
	})
}

// TestForEachUnion: a union as the forEach collection: one row per item, in
// order, duplicates removed, %rowIndex counting the de-duplicated items.
func TestForEachUnion(t *testing.T) {
	view := `view foreach_union of Patient {
  forEach (name.family | name.given) {
    value = $this
    pos   = %rowIndex
    id    = %resource.getResourceKey()
  }
}
`
	data := []string{
		`{"resourceType":"Patient","id":"a","name":[{"given":["Ann","Bo"],"family":"Lee"},{"given":["Lee"],"family":"Ann"}]}`,
		`{"resourceType":"Patient","id":"b"}`,
		`{"resourceType":"Patient","id":"c","name":[{"given":[null]}]}`,
	}
	got := differential(t, view, data...)
	wantRows(t, got, map[string]string{"Lee": "0 | a", "Ann": "1 | a", "Bo": "2 | a"})
}

// TestUnionMixedTypes: a union of strings, numbers and booleans keeps each
// item's type: the string '1' never equals the number 1, nor 'true' the
// boolean true, while 1 and 1.0 are one number.
func TestUnionMixedTypes(t *testing.T) {
	view := `view union_mixed of Patient {
  id        = getResourceKey()
  lits[]    = '1' | 1 | 1.0 | true | 'true' | 'a' | 'a' | false | 2.50 | 2.5 | true
  given[]   = name.given | 1 | name.given.count()
  n_mixed   = ('1'.combine(1) | true).count()
  distinct1 = '1'.combine(1).isDistinct()
  distinct2 = 1.combine(1.0).combine('x').isDistinct()
  flags[]   = active | 'true' | true
}
`
	data := []string{
		`{"resourceType":"Patient","id":"a","active":true,"name":[{"given":["1","2","1"]}]}`,
		`{"resourceType":"Patient","id":"b","active":false}`,
		`{"resourceType":"Patient","id":"c"}`,
	}
	got := differential(t, view, data...)
	lits := `["1",1,true,"true","a",false,2.50]`
	wantRows(t, got, map[string]string{
		"a": lits + ` | ["1","2",1,3] | 3 | true | false | [true,"true"]`,
		"b": lits + ` | [1,0] | 3 | true | false | [false,"true",true]`,
		"c": lits + ` | [1,0] | 3 | true | false | ["true",true]`,
	})
}
