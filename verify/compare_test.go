package verify

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
)

// decimalLike stands for a driver's decimal type (duckdb.Decimal) whose
// String method prints the value.
type decimalLike struct{ s string }

func (d decimalLike) String() string { return d.s }

func key(t *testing.T, k Kind, v any) string {
	t.Helper()
	c, err := Canonical(k, v)
	if err != nil {
		t.Fatalf("Canonical(%v, %#v): %v", k, v, err)
	}
	var b strings.Builder
	encode(&b, c)
	return b.String()
}

func TestCanonicalEqual(t *testing.T) {
	utc := time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC)
	same := []struct {
		kind Kind
		vals []any
	}{
		{KindNumber, []any{"1.50", json.Number("1.5"), 1.5, decimalLike{"1.500000000000000000"}, []byte("1.5"), big.NewRat(3, 2)}},
		{KindNumber, []any{"1000", json.Number("1.0e3"), int32(1000), int64(1000), 1000.0}},
		{KindNumber, []any{"0.1", 0.1}}, // a double compares by its shortest decimal form
		{KindBool, []any{true, "true", int64(1), 1}},
		{KindBool, []any{false, "false", int32(0)}},
		{KindString, []any{"abc", []byte("abc")}},
		{KindCollection, []any{`[1.50, "a", true, {"b": 2}]`, []any{json.Number("1.5"), "a", true, map[string]any{"b": json.Number("2.0")}}}},
		{KindCollection, []any{"[]", []any{}}},
		{KindJSON, []any{`{"a": 1, "b": [2]}`, `{"b":[2.0],"a":1}`, map[string]any{"a": 1, "b": []any{2}}}},
		{KindDateTime, []any{"2020-01-01T10:00:00+02:00", "2020-01-01T08:00:00Z", utc}},
		{KindDate, []any{"2020-01-01", utc}},
		{KindTime, []any{"10:30:00", "10:30:00.000", time.Date(1, 1, 1, 10, 30, 0, 0, time.UTC)}},
	}
	for _, c := range same {
		want := key(t, c.kind, c.vals[0])
		for _, v := range c.vals[1:] {
			if got := key(t, c.kind, v); got != want {
				t.Errorf("kind %d: %#v canonical %s, want %s (as %#v)", c.kind, v, got, want, c.vals[0])
			}
		}
	}
}

func TestCanonicalDifferent(t *testing.T) {
	diff := []struct {
		kind Kind
		a, b any
	}{
		{KindString, "1.0", json.Number("1.0")}, // a string column never equals a number
		{KindString, "a ", "a"},                 // trailing spaces count
		{KindString, "A", "a"},                  // case counts
		{KindNumber, "1.5", "1.6"},              //
		{KindNumber, json.Number("12345678901234567890.123"), 12345678901234567890.123}, // a double's lost digits show
		{KindCollection, `["a","b"]`, `["b","a"]`},                                      // order counts
		{KindCollection, `[1]`, `["1"]`},                                                // types count
		{KindDateTime, "2020-01", "2020-01-01"},                                         // partial dates are text
		{KindDateTime, "2020-01-01T10:00:00+02:00", "2020-01-01T10:00:00Z"},
		{KindJSON, `{"a":1}`, `{"a":1,"b":null}`},
		{KindBool, true, nil},
	}
	for _, c := range diff {
		if ka, kb := key(t, c.kind, c.a), key(t, c.kind, c.b); ka == kb {
			t.Errorf("kind %d: %#v and %#v both canonical %s", c.kind, c.a, c.b, ka)
		}
	}
}

func TestCanonicalErrors(t *testing.T) {
	bad := []struct {
		kind Kind
		v    any
	}{
		{KindBool, "yes"},
		{KindBool, int64(2)},
		{KindNumber, "abc"},
		{KindNumber, ""},
		{KindCollection, `{"a":1}`},
		{KindCollection, `[1`},
		{KindJSON, "not json"},
	}
	for _, c := range bad {
		if v, err := Canonical(c.kind, c.v); err == nil {
			t.Errorf("kind %d: %#v accepted as %#v", c.kind, c.v, v)
		}
	}
}

func testView() *plan.View {
	return &plan.View{Name: "v", Columns: []*plan.Column{
		{Name: "id", Type: "id"},
		{Name: "n", Type: "decimal"},
		{Name: "ok", Type: "boolean"},
		{Name: "given", Type: "string", Collection: true},
	}}
}

func TestColumnKind(t *testing.T) {
	v := testView()
	want := []Kind{KindString, KindNumber, KindBool, KindCollection}
	for i, c := range v.Columns {
		if got := ColumnKind(c); got != want[i] {
			t.Errorf("%s: kind %d, want %d", c.Name, got, want[i])
		}
	}
	more := []struct {
		c    plan.Column
		want Kind
	}{
		{plan.Column{Type: "dateTime"}, KindString},
		{plan.Column{Type: "dateTime", Declared: "dateTime"}, KindString},
		{plan.Column{Type: "date", Declared: "date"}, KindString},
		{plan.Column{Type: "instant", Declared: "instant"}, KindString},
		{plan.Column{Type: "date", Tags: []plan.Tag{{Name: "ansi/type", Value: "date"}}}, KindDate},
		{plan.Column{Type: "dateTime", Declared: "dateTime", Tags: []plan.Tag{{Name: "ansi/type", Value: "TIMESTAMP"}}}, KindDateTime},
		{plan.Column{Type: "time", Declared: "time"}, KindTime},
		{plan.Column{Type: "System.Integer"}, KindNumber},
		{plan.Column{Type: "positiveInt"}, KindNumber},
		{plan.Column{Type: "HumanName"}, KindJSON},
		{plan.Column{Type: "code"}, KindString},
	}
	for _, m := range more {
		if got := ColumnKind(&m.c); got != m.want {
			t.Errorf("%+v: kind %d, want %d", m.c, got, m.want)
		}
	}
}

func TestCompareMultiset(t *testing.T) {
	v := testView()
	left := NewTable(v)
	left.Rows = [][]any{
		{"a", json.Number("1.50"), true, `["x","y"]`},
		{"a", json.Number("1.50"), true, `["x","y"]`},
		{"b", nil, false, `[]`},
	}
	right := NewTable(v)
	right.Rows = [][]any{
		{"b", nil, int32(0), `[]`},
		{"a", "1.5", "true", []any{"x", "y"}},
		{"c", 2.0, nil, `[]`},
	}
	d, err := Compare("runtime", left, "duckdb", right)
	if err != nil {
		t.Fatal(err)
	}
	if d.Equal() || len(d.OnlyLeft) != 1 || len(d.OnlyRight) != 1 {
		t.Fatalf("diff %+v", d)
	}
	got := d.String()
	want := `runtime: 3 rows, duckdb: 3 rows; 1 only in runtime, 1 only in duckdb
--- runtime
+++ duckdb
- {"id": "a", "n": 1.5, "ok": true, "given": ["x","y"]}
+ {"id": "c", "n": 2, "ok": null, "given": []}
`
	if got != want {
		t.Errorf("diff text:\n%s\nwant:\n%s", got, want)
	}
	right.Rows[2] = []any{"a", 1.5, 1, `["x", "y"]`}
	d, err = Compare("runtime", left, "duckdb", right)
	if err != nil || !d.Equal() {
		t.Fatalf("equal tables differ: %v %v", err, d)
	}
	if s := d.String(); s != "runtime: 3 rows, duckdb: 3 rows, identical\n" {
		t.Errorf("identical text %q", s)
	}
}

func TestCompareErrors(t *testing.T) {
	v := testView()
	left, right := NewTable(v), NewTable(v)
	right.Columns = append([]string{}, right.Columns...)
	right.Columns[0] = "key"
	if _, err := Compare("a", left, "b", right); err == nil || !strings.Contains(err.Error(), "columns differ") {
		t.Errorf("column mismatch: %v", err)
	}
	right = NewTable(v)
	right.Rows = [][]any{{"a", "1", "maybe", "[]"}}
	if _, err := Compare("a", left, "b", right); err == nil || !strings.Contains(err.Error(), "column ok") {
		t.Errorf("bad boolean: %v", err)
	}
}

func TestDiffWriteMax(t *testing.T) {
	v := &plan.View{Columns: []*plan.Column{{Name: "id", Type: "string"}}}
	l, r := NewTable(v), NewTable(v)
	for _, s := range []string{"a", "b", "c", "d"} {
		l.Rows = append(l.Rows, []any{s})
	}
	d, err := Compare("left", l, "right", r)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	d.Write(&b, 2)
	want := `left: 4 rows, right: 0 rows; 4 only in left, 0 only in right
--- left
+++ right
- {"id": "a"}
- {"id": "b"}
- ... and 2 more
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestParseNDJSON(t *testing.T) {
	v := testView()
	tab, err := ParseNDJSON(v, []byte("{\"id\":\"a\",\"n\":1.50,\"ok\":true,\"given\":[\"x\"]}\n\n{\"id\":\"b\",\"n\":null,\"ok\":null,\"given\":[]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || tab.Rows[0][1] != json.Number("1.50") || tab.Rows[1][1] != nil {
		t.Errorf("rows %#v", tab.Rows)
	}
	if _, err := ParseNDJSON(v, []byte("{not json}\n")); err == nil {
		t.Error("bad line accepted")
	}
}

func TestFilesRefusesStdin(t *testing.T) {
	if _, err := Files([]string{"-"}); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("stdin: %v", err)
	}
}

// TestDiffChangedRowAdjacent: a changed row's two versions sit together,
// the left's first, even when the right's sorts before it.
func TestDiffChangedRowAdjacent(t *testing.T) {
	v := &plan.View{Columns: []*plan.Column{{Name: "id", Type: "string"}, {Name: "v", Type: "string"}}}
	l, r := NewTable(v), NewTable(v)
	l.Rows = [][]any{{"a", "9"}, {"b", "x"}}
	r.Rows = [][]any{{"a", "1"}, {"c", "y"}}
	d, err := Compare("left", l, "right", r)
	if err != nil {
		t.Fatal(err)
	}
	want := `left: 2 rows, right: 2 rows; 2 only in left, 2 only in right
--- left
+++ right
- {"id": "a", "v": "9"}
+ {"id": "a", "v": "1"}
- {"id": "b", "v": "x"}
+ {"id": "c", "v": "y"}
`
	if got := d.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
