package arrowcheck_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/write"
)

const root = "../../../"

// viewSet is views run together over one input into one output directory.
type viewSet struct {
	name, glob, input string
}

// minRows is the least number of rows the views must give in all, so that
// the check cannot pass on empty files (they give 3,622).
const minRows = 3000

// edgeView and edgeData cover what the sample data does not: partial dates
// in declared date and dateTime columns (kept as text) and in columns typed
// DATE or TIMESTAMP by their ansi/type tag (NULL), dates and instants
// before 1970, zone offsets,
// microseconds, 64-bit integers, objects in a text column, and
// lists that are empty or hold NULL elements.
const edgeView = `/// Edge cases of the Parquet types.
view edge_cases of Patient {
  id          = getResourceKey()
  birth       = birthDate : date
  deceased    = deceased.ofType(dateTime) : dateTime
  death_day   = deceased.ofType(dateTime) : date
  active      = active : boolean
  names       = name.count() + 0L
  first_name  = name.first()
  height      = extension('http://example.org/height').value.ofType(decimal).first() : decimal
  given[]     = name.given
  starts[]    = name.period.start : dateTime
  birthdays[] = birthDate : date
  birth_typed = birthDate @tag("ansi/type", "DATE")
  died_typed  = deceased.ofType(dateTime) @tag("ansi/type", "TIMESTAMP")
  day_typed   = deceased.ofType(dateTime) : date @tag("ansi/type", "DATE")
  starts_ts[] = name.period.start @tag("ansi/type", "TIMESTAMP")
}
`

const edgeData = `{"resourceType":"Patient","id":"p1","birthDate":"1950-03-04","deceasedDateTime":"2015-02-07T13:28:17+02:00","active":true,"name":[{"family":"\u00c4\"b","given":["Ann","Marie"],"period":{"start":"2019"}},{"given":[],"period":{"start":"1960-01-01T00:00:00.123456Z"}}],"extension":[{"url":"http://example.org/height","valueDecimal":1.75}]}
{"resourceType":"Patient","id":"p2","birthDate":"2020-05","deceasedDateTime":"2010","active":false}
{"resourceType":"Patient","id":"p3","birthDate":"1969-12-31","deceasedDateTime":"2001-02-03","name":[{"family":"X","period":{"start":"2001-02-03T04:05:06-05:00"}}],"extension":[{"url":"http://example.org/height","valueDecimal":-0.1}]}
{"resourceType":"Patient","id":"p4","birthDate":"1899","deceasedDateTime":"1969-12-31T23:59:59.999999Z","extension":[{"url":"http://example.org/height","valueDecimal":12345678901234567890}]}
{"resourceType":"Patient","id":"p5"}
`

func writeEdge(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"edge.fview": edgeView, "data/Patient.ndjson": edgeData} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// arrowType is the Arrow type pqarrow must read for a column of each
// Parquet kind (write.ParquetKind). Every leaf and list element is
// optional, so list elements are nullable.
var arrowType = map[string]string{
	"STRING":    "utf8",
	"BOOLEAN":   "bool",
	"INT32":     "int32",
	"INT64":     "int64",
	"DOUBLE":    "float64",
	"DATE":      "date32",
	"TIMESTAMP": "timestamp[us, tz=UTC]",
}

func wantType(c *plan.Column) string {
	t := arrowType[write.ParquetKind(c)]
	if c.Collection {
		t = "list<element: " + t + ", nullable>"
	}
	return t
}

// TestParquetReadByArrow writes the bench and example views as Parquet and
// as NDJSON over the sample data, reads each Parquet file with arrow-go's
// pqarrow and checks the Arrow schema against the plan and the rows
// against the NDJSON rows.
func TestParquetReadByArrow(t *testing.T) {
	total := 0
	nonNull := map[string]int{} // non-NULL values read, per kind ("LIST" for lists)
	partial := 0                // partial dates read as NULL
	edgeSeen := false           // the edge view's partial dates were checked
	edge := writeEdge(t)
	// The sets run separately: the bench and the examples both hold a view
	// named patient_demographics.
	sets := []viewSet{
		{"bench", root + "bench/views/*.json", root + "examples/data"},
		{"examples", root + "examples/*.fview", root + "examples/data"},
		{"edge", filepath.Join(edge, "edge.fview"), filepath.Join(edge, "data")},
	}
	for _, set := range sets {
		paths, err := filepath.Glob(set.glob)
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s: no view files (%v)", set.glob, err)
		}
		res := compiler.Load(paths, r4.Catalog())
		if res.Diags.HasErrors() {
			t.Fatalf("%s: %v", set.glob, res.Diags)
		}
		views := res.Views()
		if len(views) == 0 {
			t.Fatalf("%s: no views", set.glob)
		}
		pqDir, jsDir := t.TempDir(), t.TempDir()
		for _, o := range []struct{ format, dir string }{{"parquet", pqDir}, {"ndjson", jsDir}} {
			if _, err := runtime.Run(context.Background(), views, runtime.Options{
				Inputs: []string{set.input}, Format: o.format, OutDir: o.dir}); err != nil {
				t.Fatalf("%s: run %s: %v", set.name, o.format, err)
			}
		}
		for _, v := range views {
			t.Run(set.name+"/"+v.Name, func(t *testing.T) {
				tbl := readArrow(t, filepath.Join(pqDir, v.Name+".parquet"))
				checkSchema(t, v, tbl.Schema())
				got := arrowRows(t, v, tbl, nonNull)
				want := ndjsonRows(t, v, filepath.Join(jsDir, v.Name+".ndjson"), &partial)
				if len(got) != len(want) {
					t.Errorf("Arrow read %d rows, NDJSON has %d", len(got), len(want))
				}
				if len(want) == 0 {
					t.Errorf("no rows")
				}
				compareRows(t, got, want)
				if v.Name == "edge_cases" {
					b, _ := os.ReadFile(filepath.Join(jsDir, v.Name+".ndjson"))
					// p2: a partial birth date stays text where the view
					// declares date, and is NULL in the DATE-typed column.
					for _, s := range []string{`"birth":"2020-05"`, `"deceased":"2010"`, `"birth_typed":null`, `"died_typed":null`} {
						if !strings.Contains(string(b), s) {
							t.Errorf("edge rows lack %s:\n%s", s, b)
						}
					}
					edgeSeen = true
				}
				total += len(want)
				t.Logf("%d rows; schema: %s", len(want), schemaLine(tbl.Schema()))
			})
		}
	}
	if !edgeSeen {
		t.Errorf("the edge view did not run: no partial date was checked")
	}
	if total < minRows {
		t.Errorf("%d rows in all, want at least %d", total, minRows)
	}
	// Every kind the views produce must have been read with values, so
	// that no type's check passes on NULLs alone.
	for _, k := range []string{"STRING", "BOOLEAN", "INT32", "INT64", "DOUBLE", "DATE", "TIMESTAMP", "LIST"} {
		if nonNull[k] == 0 {
			t.Errorf("no non-NULL %s value was read", k)
		}
	}
	t.Logf("%d rows in all; non-NULL values per kind %v; %d partial dates read as NULL", total, nonNull, partial)
}

func readArrow(t *testing.T, path string) arrow.Table {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("arrow-go cannot open %s: %v", path, err)
	}
	t.Cleanup(func() { pf.Close() })
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("arrow-go cannot map the schema of %s: %v", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("arrow-go cannot read %s: %v", path, err)
	}
	t.Cleanup(tbl.Release)
	return tbl
}

func schemaLine(s *arrow.Schema) string {
	var fs []string
	for _, f := range s.Fields() {
		fs = append(fs, f.Name+":"+f.Type.String())
	}
	return strings.Join(fs, " ")
}

func checkSchema(t *testing.T, v *plan.View, s *arrow.Schema) {
	t.Helper()
	var got, want []string
	for _, f := range s.Fields() {
		n := ""
		if !f.Nullable {
			n = " NOT NULL"
		}
		// pqarrow may read STRING as large_utf8 (a read option): same values.
		ty := strings.ReplaceAll(f.Type.String(), "large_utf8", "utf8")
		got = append(got, f.Name+":"+ty+n)
	}
	for _, c := range v.Columns {
		want = append(want, c.Name+":"+wantType(c))
	}
	if g, w := strings.Join(got, " "), strings.Join(want, " "); g != w {
		t.Fatalf("Arrow schema:\ngot  %s\nwant %s", g, w)
	}
	// The string forms above name the time zone and the list element;
	// check the timestamp unit as a value too.
	for i, f := range s.Fields() {
		ty := f.Type
		if l, ok := ty.(*arrow.ListType); ok {
			ty = l.Elem()
		}
		if ts, ok := ty.(*arrow.TimestampType); ok && (ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC") {
			t.Errorf("column %s: %s, want timestamp[us, tz=UTC]", v.Columns[i].Name, ts)
		}
	}
}

// Rows are compared in a text form: name=value per column, strings
// quoted, dates as 2006-01-02, timestamps as RFC 3339 in UTC with
// microseconds, lists as [a, b], NULL as null.

func arrowRows(t *testing.T, v *plan.View, tbl arrow.Table, nonNull map[string]int) []string {
	t.Helper()
	n := int(tbl.NumRows())
	cells := make([][]string, n)
	for ci := range v.Columns {
		col := tbl.Column(ci)
		r := 0
		for _, chunk := range col.Data().Chunks() {
			for i := 0; i < chunk.Len(); i++ {
				if r >= n {
					t.Fatalf("column %s has more than the table's %d rows", v.Columns[ci].Name, n)
				}
				cells[r] = append(cells[r], arrowCell(t, chunk, i, nonNull))
				r++
			}
		}
		if r != n {
			t.Fatalf("column %s has %d rows, the table %d", v.Columns[ci].Name, r, n)
		}
	}
	return joinRows(v, cells)
}

func arrowCell(t *testing.T, a arrow.Array, i int, nonNull map[string]int) string {
	if a.IsNull(i) {
		return "null"
	}
	switch a := a.(type) {
	case *array.String:
		nonNull["STRING"]++
		return strconv.Quote(a.Value(i))
	case *array.LargeString:
		nonNull["STRING"]++
		return strconv.Quote(a.Value(i))
	case *array.Boolean:
		nonNull["BOOLEAN"]++
		return strconv.FormatBool(a.Value(i))
	case *array.Int32:
		nonNull["INT32"]++
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		nonNull["INT64"]++
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float64:
		nonNull["DOUBLE"]++
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.Date32:
		nonNull["DATE"]++
		return a.Value(i).ToTime().Format(dateLayout)
	case *array.Timestamp:
		nonNull["TIMESTAMP"]++
		return a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit).UTC().Format(timestampLayout)
	case *array.List:
		nonNull["LIST"]++
		start, end := a.ValueOffsets(i)
		items := make([]string, 0, end-start)
		for j := start; j < end; j++ {
			items = append(items, arrowCell(t, a.ListValues(), int(j), nonNull))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	t.Fatalf("unexpected Arrow array %T (%s)", a, a.DataType())
	return ""
}

const (
	dateLayout      = "2006-01-02"
	timestampLayout = "2006-01-02T15:04:05.000000Z07:00"
)

func ndjsonRows(t *testing.T, v *plan.View, path string, partial *int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cells [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(obj) != len(v.Columns) {
			t.Fatalf("%s: %d keys, %d columns: %s", path, len(obj), len(v.Columns), sc.Text())
		}
		var row []string
		for _, c := range v.Columns {
			raw, ok := obj[c.Name]
			if !ok {
				t.Fatalf("%s: no key %q: %s", path, c.Name, sc.Text())
			}
			row = append(row, ndjsonCell(t, c, raw, partial))
		}
		cells = append(cells, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return joinRows(v, cells)
}

func ndjsonCell(t *testing.T, c *plan.Column, raw json.RawMessage, partial *int) string {
	kind := write.ParquetKind(c)
	if !c.Collection {
		return ndjsonScalar(t, c.Name, kind, raw, partial)
	}
	if string(raw) == "null" {
		return "null"
	}
	var items []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			t.Fatalf("column %s: %v", c.Name, err)
		}
	} else {
		items = []json.RawMessage{raw} // a single value is a list of one
	}
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = ndjsonScalar(t, c.Name, kind, x, partial)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// ndjsonScalar renders one NDJSON value as the Parquet column of the kind
// should hold it.
func ndjsonScalar(t *testing.T, col, kind string, raw json.RawMessage, partial *int) string {
	if string(raw) == "null" {
		return "null"
	}
	var s string
	isString := raw[0] == '"'
	if isString {
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("column %s: %v", col, err)
		}
	}
	bad := func() string {
		t.Errorf("column %s (%s): unexpected NDJSON value %s", col, kind, raw)
		return "?" + string(raw)
	}
	switch kind {
	case "STRING":
		// Strings as they are, numbers and booleans as their lexeme,
		// objects and arrays as (compact) JSON text.
		if isString {
			return strconv.Quote(s)
		}
		return strconv.Quote(string(raw))
	case "BOOLEAN":
		if string(raw) == "true" || string(raw) == "false" {
			return string(raw)
		}
		return bad()
	case "INT32", "INT64":
		bits := 32
		if kind == "INT64" {
			bits = 64
		}
		n, err := strconv.ParseInt(string(raw), 10, bits)
		if err != nil {
			return bad()
		}
		return strconv.FormatInt(n, 10)
	case "DOUBLE":
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || isString {
			return bad()
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case "DATE", "TIMESTAMP":
		if !isString {
			return bad()
		}
		// runtime/write's rule: a year or a year-month ("2020",
		// "2020-05") would need invented precision, so it is NULL.
		if len(s) == 4 || (len(s) == 7 && s[4] == '-') {
			*partial++
			return "null"
		}
		tm, ok := parseTime(s)
		if !ok {
			return bad()
		}
		if kind == "DATE" {
			return tm.Format(dateLayout)
		}
		return tm.Format(timestampLayout)
	}
	return bad()
}

// parseTime reads a full FHIR date, dateTime or instant as an instant in
// UTC (a date is its midnight in UTC; a time without a zone, which FHIR
// forbids, is taken as UTC).
func parseTime(s string) (time.Time, bool) {
	for _, l := range []string{dateLayout, time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		if tm, err := time.Parse(l, s); err == nil {
			return tm.UTC(), true
		}
	}
	return time.Time{}, false
}

func joinRows(v *plan.View, cells [][]string) []string {
	rows := make([]string, len(cells))
	var b bytes.Buffer
	for i, r := range cells {
		b.Reset()
		for j, c := range r {
			if j > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%s=%s", v.Columns[j].Name, c)
		}
		rows[i] = b.String()
	}
	return rows
}

// compareRows compares the rows as sorted multisets and reports the rows
// found on one side only, from both sides.
func compareRows(t *testing.T, got, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, r := range got {
		count[r]++
	}
	for _, r := range want {
		count[r]--
	}
	var onlyArrow, onlyNDJSON []string
	for r, n := range count {
		for ; n > 0; n-- {
			onlyArrow = append(onlyArrow, r)
		}
		for ; n < 0; n++ {
			onlyNDJSON = append(onlyNDJSON, r)
		}
	}
	if len(onlyArrow)+len(onlyNDJSON) == 0 {
		return
	}
	sort.Strings(onlyArrow)
	sort.Strings(onlyNDJSON)
	const show = 10
	var b strings.Builder
	fmt.Fprintf(&b, "Arrow and NDJSON rows differ: %d row(s) read by Arrow only, %d in the NDJSON only", len(onlyArrow), len(onlyNDJSON))
	for i := 0; i < show && (i < len(onlyArrow) || i < len(onlyNDJSON)); i++ {
		if i < len(onlyArrow) {
			fmt.Fprintf(&b, "\n  arrow:  %s", onlyArrow[i])
		}
		if i < len(onlyNDJSON) {
			fmt.Fprintf(&b, "\n  ndjson: %s", onlyNDJSON[i])
		}
	}
	t.Error(b.String())
}
