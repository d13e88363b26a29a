package write

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/parquet-go/parquet-go"
)

// testView has one column of each Parquet kind (built by hand, so these
// tests do not depend on the front end).
func testView() *plan.View {
	cols := []*plan.Column{
		{Name: "id", Type: "id"},
		{Name: "active", Type: "boolean"},
		{Name: "count", Type: types.Integer},
		{Name: "big", Type: "integer64"},
		{Name: "amount", Type: "decimal", Declared: "decimal"},
		{Name: "amount_text", Type: "decimal"},
		{Name: "born", Type: "date", Declared: "date", Tags: []plan.Tag{{Name: "ansi/type", Value: "DATE"}}},
		{Name: "born_text", Type: "date"},
		{Name: "seen", Type: "dateTime", Declared: "dateTime", Tags: []plan.Tag{{Name: "ansi/type", Value: "timestamp"}}},
		{Name: "name", Type: "HumanName"},
		{Name: "given", Type: "string", Collection: true},
		{Name: "when", Type: "dateTime", Declared: "dateTime"},
	}
	for i, c := range cols {
		c.Index = i
	}
	return &plan.View{Name: "t", Resource: "Patient", Columns: cols, Root: &plan.Select{Columns: cols}}
}

func str(s string) *value.Value { return value.NewString(s) }
func num(s string) *value.Value { return value.NewNumber(s) }
func arr(vs ...*value.Value) *value.Value {
	return &value.Value{Kind: value.Array, Arr: vs}
}

func testRows() [][]*value.Value {
	name := &value.Value{Kind: value.Object, Obj: []value.Member{{Key: "family", Val: str(`O"Neil, "x"`)}, {Key: "given", Val: arr(str("a"))}}}
	return [][]*value.Value{
		{str("p1"), value.TrueValue, num("3"), num("9007199254740993"), num("1.50"), num("1.50"), str("1970-01-02"), str("1970-01"),
			str("2020-05-01T10:00:00+02:00"), name, arr(str("A"), str("B,C")), str("2010-10-10")},
		{str("p2"), nil, nil, nil, nil, nil, str("1969-12-31"), nil, str("2020"), nil, arr(), str("1970")},
		{str(""), value.FalseValue, num("-1"), nil, nil, nil, nil, nil, nil, nil, nil, str("2020-13")},
	}
}

func encode(t *testing.T, format string) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := New(format, testView(), &out)
	if err != nil {
		t.Fatal(err)
	}
	var buf Buffer
	for _, r := range testRows() {
		if err := w.Append(&buf, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestCSV(t *testing.T) {
	got := string(encode(t, "csv"))
	want := "id,active,count,big,amount,amount_text,born,born_text,seen,name,given,when\r\n" +
		`p1,true,3,9007199254740993,1.50,1.50,1970-01-02,1970-01,2020-05-01T10:00:00+02:00,"{""family"":""O\""Neil, \""x\"""",""given"":[""a""]}","[""A"",""B,C""]",2010-10-10` + "\r\n" +
		"p2,,,,,,1969-12-31,,,,[],1970\r\n" +
		`"",false,-1,,,,,,,,,` + "\r\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestNDJSON(t *testing.T) {
	got := encode(t, "ndjson")
	ls := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(ls) != 3 {
		t.Fatalf("lines: %q", got)
	}
	want := `{"id":"p1","active":true,"count":3,"big":9007199254740993,"amount":1.50,"amount_text":1.50,"born":"1970-01-02","born_text":"1970-01","seen":"2020-05-01T10:00:00+02:00","name":{"family":"O\"Neil, \"x\"","given":["a"]},"given":["A","B,C"],"when":"2010-10-10"}`
	if ls[0] != want {
		t.Errorf("got  %s\nwant %s", ls[0], want)
	}
	for _, l := range ls {
		if !json.Valid([]byte(l)) {
			t.Errorf("invalid JSON %s", l)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", "é日本🎉", "q\"b\\s/", "ctl\x00\x01\x1f\n\r\t", "bad\xffutf8", "<html>&"} {
		got := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q -> %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q -> %s -> %q", s, got, back)
		}
	}
	if got := string(AppendJSONString(nil, "<a>")); got != `"<a>"` {
		t.Errorf("HTML escaped: %s", got)
	}
}

func TestParquetReadBack(t *testing.T) {
	data := encode(t, "parquet")
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 3 {
		t.Fatalf("rows = %d", f.NumRows())
	}
	// Column order and types follow the view.
	var names []string
	for _, fl := range f.Schema().Fields() {
		names = append(names, fl.Name())
	}
	if got := strings.Join(names, ","); got != "id,active,count,big,amount,amount_text,born,born_text,seen,name,given,when" {
		t.Errorf("columns %s", got)
	}
	schema := f.Schema().String()
	for _, s := range []string{"optional boolean active", "optional int32 count (INT(32,true))", "optional int64 big (INT(64,true))",
		"optional double amount", "optional binary amount_text (STRING)", "optional int32 born (DATE)", "optional binary born_text (STRING)",
		"optional int64 seen (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))", "optional group given (LIST)",
		"optional binary when (STRING)"} {
		if !strings.Contains(schema, s) {
			t.Errorf("schema lacks %q:\n%s", s, schema)
		}
	}
	rows := make([]parquet.Row, 3)
	r := parquet.NewReader(bytes.NewReader(data))
	n, _ := r.ReadRows(rows)
	if n != 3 {
		t.Fatalf("read %d rows", n)
	}
	row := map[string]any{}
	if err := f.Schema().Reconstruct(&row, rows[0]); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range rows[0] {
		if v.IsNull() {
			continue
		}
		got[names[v.Column()]] += v.String() + ";"
	}
	want := map[string]string{"id": "p1;", "active": "true;", "count": "3;", "big": "9007199254740993;", "amount": "1.5;",
		"amount_text": "1.50;", "born": "1;", "born_text": "1970-01;", "seen": "1588320000000000;",
		"name": `{"family":"O\"Neil, \"x\"","given":["a"]};`, "given": "A;B,C;", "when": "2010-10-10;"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	// Row 2: NULLs, an empty list, a date before the epoch, a partial
	// dateTime ("2020"), which a TIMESTAMP column holds as NULL rather than
	// inventing 2020-01-01T00:00Z (tsql-mapping.md trap 8).
	got = map[string]string{}
	defs := map[string]int{}
	for _, v := range rows[1] {
		defs[names[v.Column()]] = v.DefinitionLevel()
		if !v.IsNull() {
			got[names[v.Column()]] += v.String() + ";"
		}
	}
	if got["born"] != "-1;" || got["seen"] != "" || defs["seen"] != 0 || defs["given"] != 1 || defs["count"] != 0 || got["when"] != "1970;" {
		t.Errorf("row 2: %v defs %v", got, defs)
	}
}

func TestParquetCellError(t *testing.T) {
	w, err := New("parquet", testView(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	row := testRows()[0]
	row[1] = str("yes") // not a boolean
	err = w.Append(&Buffer{}, row)
	ce, ok := err.(*CellError)
	if !ok || ce.Column != "active" || !strings.Contains(ce.Msg, "not a boolean") {
		t.Errorf("err = %v", err)
	}
}

// TestUnfit: a value that does not fit its column is NULL in every format,
// never a failed run, and is counted per column: a 30-digit number and
// 1e400 in an integer column, a partial date in a DATE-typed column, an
// impossible month in a dateTime column, a huge declared decimal.
func TestUnfit(t *testing.T) {
	for _, format := range Formats {
		w, err := New(format, testView(), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		var buf Buffer
		rows := testRows()
		rows[0][2] = num("123456789012345678901234567890")
		rows[1][2] = num("1e400")
		rows[1][4] = num("1e400")
		rows[0][6] = str("1970-01")
		for _, r := range rows {
			if err := w.Append(&buf, r); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
		want := []int64{0, 0, 2, 0, 1, 0, 1, 0, 1, 0, 0, 1} // count, amount, born, seen ("2020"), when ("2020-13")
		if fmt.Sprint(buf.Unfit) != fmt.Sprint(want) {
			t.Errorf("%s: unfit %v, want %v", format, buf.Unfit, want)
		}
		if format == "csv" && (bytes.Contains(buf.Bytes, []byte("1e400")) || bytes.Contains(buf.Bytes, []byte("1234567890123"))) {
			t.Errorf("csv wrote a value that does not fit:\n%s", buf.Bytes)
		}
		u := AddUnfit(nil, testView(), buf.Unfit)
		if len(u) != 5 || u[0].Column != "count" || u[0].N != 2 || u[0].Rule != "integer (32-bit)" {
			t.Errorf("%s: AddUnfit = %+v", format, u)
		}
	}
}

func TestBufferTruncate(t *testing.T) {
	w, _ := New("csv", testView(), &bytes.Buffer{})
	var b Buffer
	w.Append(&b, testRows()[0])
	m := b.Mark()
	w.Append(&b, testRows()[1])
	b.Truncate(m)
	if b.N != 1 || bytes.Contains(b.Bytes, []byte("p2")) {
		t.Errorf("truncate kept %q", b.Bytes)
	}
}

func TestCSVIsPlain(t *testing.T) {
	for _, s := range []string{"", "abc", "abcdefgh", "abcdefghijklmnop", "é日本🎉 long enough text", "\x80\xff\x7f"} {
		if !csvIsPlain(s) {
			t.Errorf("%q: want plain", s)
		}
	}
	for _, c := range []string{",", `"`, "\r", "\n", "\t"} {
		for i := 0; i < 20; i++ {
			s := strings.Repeat("x", i) + c + strings.Repeat("y", 20-i)
			if csvIsPlain(s) {
				t.Errorf("%q: want quoted", s)
			}
		}
	}
}

// TestFastTemporal: the fast validators never accept what the parsers
// refuse, and accept the common forms.
func TestFastTemporal(t *testing.T) {
	for _, s := range []string{
		"2020-05-01", "2020-02-29", "2019-02-29", "1900-02-29", "2000-02-29", "2020-04-31", "2020-13-01", "2020-00-01",
		"2020-05-00", "2020-5-01", "20200501xx", "2020-05-01T10:00:00Z", "2020-05-01T10:00:00.123+02:00",
		"2020-05-01T10:00:00.123456789-05:30", "2020-05-01T10:00:00.1234567890Z", "2020-05-01T24:00:00Z",
		"2020-05-01T10:60:00Z", "2020-05-01T10:00:60Z", "2020-05-01T10:00:00+14:00", "2020-05-01T10:00:00+15:00",
		"2020-05-01T10:00:00+02:60", "2020-05-01T10:00:00.Z", "2020-05-01T10:00:00", "2020-05-01T10:00Z",
		"2020-05-01T10:00:00z", "2020-05-01t10:00:00Z", "2020-05-01T10:00:00+0200", "0000-01-01T00:00:00Z",
		"2020-05-01T10:00:00Z ", "2020-02-30T10:00:00Z",
	} {
		if fastDate(s) && len(s) == 10 {
			if _, ok := parseDate(s); !ok {
				t.Errorf("fastDate accepts %q, parseDate refuses it", s)
			}
		}
		if fastDateTime(s) {
			if _, ok := parseDateTime(s); !ok {
				t.Errorf("fastDateTime accepts %q, parseDateTime refuses it", s)
			}
		}
	}
	for _, s := range []string{"2020-05-01T10:00:00Z", "2020-05-01T10:00:00.123+02:00", "1976-01-19T22:58:16-05:00"} {
		if !fastDateTime(s) {
			t.Errorf("fastDateTime refuses %q", s)
		}
	}
	if !fastDate("2024-02-29") || fastDate("2023-02-29") {
		t.Error("leap days")
	}
}

// TestPlainDecimal: the fast path for declared decimals accepts only what
// the exact rule (ParseFloat, below 10^20) accepts, and takes the common
// forms.
func TestPlainDecimal(t *testing.T) {
	exact := func(s string) bool {
		x, err := strconv.ParseFloat(s, 64)
		return err == nil && math.Abs(x) < 1e20
	}
	for _, s := range []string{
		"0", "-0", "60.0", "150.5", "-120.25", "9999999999999999999", "-9999999999999999999.999",
		"99999999999999999999", "100000000000000000000", "1e3", "1E3", "1.", ".5", "-", "", "--1", "1.2.3",
		"0x10", "1_000", " 1", "1 ", "+1", "NaN", "Inf", "1.5e400",
	} {
		if plainDecimal(s) && !exact(s) {
			t.Errorf("plainDecimal accepts %q, the exact rule refuses it", s)
		}
	}
	for _, s := range []string{"0", "72", "60.0", "-3.25", "9999999999999999999.5"} {
		if !plainDecimal(s) {
			t.Errorf("plainDecimal refuses %q", s)
		}
	}
	if plainDecimal("99999999999999999999") {
		t.Error("20 digits before the point must take the exact path")
	}
}
