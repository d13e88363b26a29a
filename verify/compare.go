package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// Kind is how the cells of a column compare. It comes from the plan, not
// from the values, so that a string "1.0" in a string column never equals a
// number 1 while a decimal column's "1.50" (the runtime keeps the lexeme)
// equals DuckDB's 1.5.
type Kind int

const (
	KindString     Kind = iota // exact text
	KindBool                   // true/false, 1/0
	KindNumber                 // compared numerically
	KindDate                   // text; an engine's DATE compares by its YYYY-MM-DD
	KindDateTime               // a full dateTime compares as an instant; partial ones as text
	KindTime                   // text; an engine's TIME compares by hh:mm:ss[.fff]
	KindJSON                   // objects and arrays, compared as JSON with numbers numerically
	KindCollection             // a JSON array of the column's values
)

// ColumnKind classifies a plan column.
func ColumnKind(c *plan.Column) Kind {
	if c.Collection {
		return KindCollection
	}
	switch c.TypedAs() {
	case plan.TypedDate:
		return KindDate
	case plan.TypedTimestamp:
		return KindDateTime
	}
	t := string(c.Type)
	if c.Declared != "" {
		t = c.Declared
	}
	switch types.Primitive(t) {
	case types.Boolean:
		return KindBool
	case types.Integer, types.Long, types.Decimal:
		return KindNumber
	case types.Date, types.DateTime:
		// Dates and dateTimes are text as written, declared or not (a
		// partial date stays "1970-06"); only an ansi/type tag makes them
		// SQL dates (above).
		return KindString
	case types.Time:
		// A declared time is a SQL TIME.
		if c.Declared == "" {
			return KindString
		}
		return KindTime
	case types.String, types.Any, types.Unknown:
		return KindString
	}
	if types.IsPrimitiveName(t) {
		return KindString
	}
	return KindJSON
}

// Table is the rows one engine produced for one view.
type Table struct {
	Columns []string
	Kinds   []Kind
	Rows    [][]any // cells as the engine returned them
}

// NewTable makes an empty table for a view's columns.
func NewTable(v *plan.View) *Table {
	t := &Table{}
	for _, c := range v.Columns {
		t.Columns = append(t.Columns, c.Name)
		t.Kinds = append(t.Kinds, ColumnKind(c))
	}
	return t
}

// num is a normalized number: the exact rational, printed canonically.
type num struct{ r *big.Rat }

// Canonical is the comparable form of a cell: nil, bool, string, num,
// []any or map[string]any, with the column's kind applied. Two cells are
// equal when their canonical JSON texts are.
func Canonical(k Kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case KindCollection:
		j, err := jsonTree(v)
		if err != nil {
			return nil, err
		}
		if _, ok := j.([]any); !ok && j != nil {
			return nil, fmt.Errorf("collection cell is not a JSON array: %s", short(v))
		}
		return j, nil
	case KindJSON:
		return jsonTree(v)
	case KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.TrimSpace(x) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			}
		case int, int8, int16, int32, int64, uint8, uint16, uint32, uint64:
			n := reflect.ValueOf(x).Convert(reflect.TypeOf(int64(0))).Int()
			if n == 0 || n == 1 {
				return n == 1, nil
			}
		}
		return nil, fmt.Errorf("not a boolean: %s", short(v))
	case KindNumber:
		if n, ok := toNum(v); ok {
			return n, nil
		}
		return nil, fmt.Errorf("not a number: %s", short(v))
	case KindDate:
		if t, ok := v.(time.Time); ok {
			return t.Format("2006-01-02"), nil
		}
	case KindDateTime:
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
		if s, ok := v.(string); ok {
			if t, ok := parseInstant(s); ok {
				return t.UTC().Format(time.RFC3339Nano), nil
			}
			return s, nil
		}
	case KindTime:
		if t, ok := v.(time.Time); ok {
			s := t.Format("15:04:05.999999999")
			return s, nil
		}
		if s, ok := v.(string); ok && strings.Contains(s, ".") {
			return strings.TrimRight(strings.TrimRight(s, "0"), "."), nil
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return x, nil
	}
	if n, ok := toNum(v); ok {
		return n, nil
	}
	if j, err := jsonTree(v); err == nil {
		return j, nil
	}
	return fmt.Sprint(v), nil
}

// parseInstant reads a dateTime with a time part (a time without a zone
// is UTC, as the TIMESTAMP columns take it); anything less precise stays
// text.
func parseInstant(s string) (time.Time, bool) {
	if len(s) <= 10 {
		return time.Time{}, false
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// toNum reads the numeric forms engines return: Go numbers, decimal text,
// json.Number, and types with a decimal String method (DuckDB's Decimal).
func toNum(v any) (num, bool) {
	r := new(big.Rat)
	switch x := v.(type) {
	case num:
		return x, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		r.SetString(fmt.Sprint(x))
	case float64:
		if _, ok := r.SetString(strconv.FormatFloat(x, 'g', -1, 64)); !ok {
			return num{}, false
		}
	case float32:
		if _, ok := r.SetString(strconv.FormatFloat(float64(x), 'g', -1, 32)); !ok {
			return num{}, false
		}
	case json.Number:
		if _, ok := r.SetString(string(x)); !ok {
			return num{}, false
		}
	case string:
		if _, ok := r.SetString(strings.TrimSpace(x)); !ok || strings.TrimSpace(x) == "" {
			return num{}, false
		}
	case []byte:
		return toNum(string(x))
	case *big.Rat:
		r.Set(x)
	case fmt.Stringer:
		if _, ok := r.SetString(x.String()); !ok {
			return num{}, false
		}
	default:
		return num{}, false
	}
	return num{r}, true
}

// jsonTree parses JSON text (or walks an already decoded value) into a tree
// whose numbers are num.
func jsonTree(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return parseJSON([]byte(x))
	case []byte:
		return parseJSON(x)
	case json.RawMessage:
		return parseJSON(x)
	}
	return normTree(v)
}

func parseJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %s", short(string(b)))
	}
	if dec.More() {
		return nil, fmt.Errorf("not one JSON value: %s", short(string(b)))
	}
	return normTree(v)
}

func normTree(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normTree(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normTree(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	if n, ok := toNum(v); ok {
		return n, nil
	}
	return nil, fmt.Errorf("unexpected %T in JSON", v)
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// encode writes a canonical value as compact JSON: object keys sorted,
// numbers in lowest terms (1.50 and 1.5 print alike).
func encode(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		j, _ := json.Marshal(x)
		b.Write(j)
	case num:
		b.WriteString(numText(x.r))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			encode(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			j, _ := json.Marshal(k)
			b.Write(j)
			b.WriteByte(':')
			encode(b, x[k])
		}
		b.WriteByte('}')
	default:
		j, _ := json.Marshal(fmt.Sprint(x))
		b.Write(j)
	}
}

// numText prints a rational as a decimal when it is one (always, for
// numbers read from decimal text), else as a fraction.
func numText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	if s, exact := r.FloatPrec(); exact {
		t := r.FloatString(s)
		return t
	}
	return r.RatString()
}

// Row is one row in canonical form, with its text used as the multiset key.
type Row struct {
	Cells []any
	Key   string
}

// Canonicalize turns a table's rows into canonical rows. A cell that does
// not fit its column's kind (a boolean column holding "yes") is an error:
// it is itself a difference between the engines, never silently equal.
func (t *Table) Canonicalize() ([]Row, error) {
	out := make([]Row, 0, len(t.Rows))
	for ri, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return nil, fmt.Errorf("row %d has %d cells for %d columns", ri+1, len(r), len(t.Columns))
		}
		row := Row{Cells: make([]any, len(r))}
		var b strings.Builder
		b.WriteByte('[')
		for i, c := range r {
			v, err := Canonical(t.Kinds[i], c)
			if err != nil {
				return nil, fmt.Errorf("row %d, column %s: %v", ri+1, t.Columns[i], err)
			}
			row.Cells[i] = v
			if i > 0 {
				b.WriteByte(',')
			}
			encode(&b, v)
		}
		b.WriteByte(']')
		row.Key = b.String()
		out = append(out, row)
	}
	return out, nil
}

// Diff is the comparison of two engines' rows for one view, as multisets.
type Diff struct {
	Columns    []string
	LeftName   string
	RightName  string
	LeftCount  int
	RightCount int
	// OnlyLeft and OnlyRight are the rows (with multiplicity) one side has
	// and the other lacks, sorted by their canonical text.
	OnlyLeft  []Row
	OnlyRight []Row
}

// Equal reports whether the two sides hold the same rows.
func (d *Diff) Equal() bool { return len(d.OnlyLeft) == 0 && len(d.OnlyRight) == 0 }

// Compare compares two tables of the same view as multisets of canonical
// rows.
func Compare(leftName string, left *Table, rightName string, right *Table) (*Diff, error) {
	if strings.Join(left.Columns, "\x00") != strings.Join(right.Columns, "\x00") {
		return nil, fmt.Errorf("columns differ: %s has %v, %s has %v", leftName, left.Columns, rightName, right.Columns)
	}
	l, err := left.Canonicalize()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", leftName, err)
	}
	r, err := right.Canonicalize()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", rightName, err)
	}
	return CompareRows(left.Columns, leftName, l, rightName, r), nil
}

// CompareRows compares canonical rows as multisets.
func CompareRows(columns []string, leftName string, l []Row, rightName string, r []Row) *Diff {
	d := &Diff{Columns: columns, LeftName: leftName, RightName: rightName, LeftCount: len(l), RightCount: len(r)}
	count := map[string]int{}
	for _, row := range r {
		count[row.Key]++
	}
	for _, row := range l {
		if count[row.Key] > 0 {
			count[row.Key]--
			continue
		}
		d.OnlyLeft = append(d.OnlyLeft, row)
	}
	for _, row := range r {
		if count[row.Key] > 0 {
			count[row.Key]--
			d.OnlyRight = append(d.OnlyRight, row)
		}
	}
	sort.SliceStable(d.OnlyLeft, func(i, j int) bool { return d.OnlyLeft[i].Key < d.OnlyLeft[j].Key })
	sort.SliceStable(d.OnlyRight, func(i, j int) bool { return d.OnlyRight[i].Key < d.OnlyRight[j].Key })
	return d
}

// RowText renders a canonical row as a JSON object in column order.
func RowText(columns []string, r Row) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range columns {
		if i > 0 {
			b.WriteString(", ")
		}
		j, _ := json.Marshal(c)
		b.Write(j)
		b.WriteString(": ")
		encode(&b, r.Cells[i])
	}
	b.WriteByte('}')
	return b.String()
}

// Write renders the difference for a person: counts, then up to max rows
// of each side, "-" for rows only the left side has and "+" for the right's,
// merged in canonical order so that a changed row's two versions are
// usually adjacent (max <= 0 shows all).
func (d *Diff) Write(b *strings.Builder, max int) {
	fmt.Fprintf(b, "%s: %d rows, %s: %d rows", d.LeftName, d.LeftCount, d.RightName, d.RightCount)
	if d.Equal() {
		b.WriteString(", identical\n")
		return
	}
	fmt.Fprintf(b, "; %d only in %s, %d only in %s\n", len(d.OnlyLeft), d.LeftName, len(d.OnlyRight), d.RightName)
	fmt.Fprintf(b, "--- %s\n+++ %s\n", d.LeftName, d.RightName)
	// Both sides are sorted by canonical text, so merging them by their
	// first column (usually the resource's id) puts a row next to its
	// counterpart on the other side, the left's versions first, as in a
	// unified diff.
	l, r := d.OnlyLeft, d.OnlyRight
	if max > 0 {
		l, r = l[:min(max, len(l))], r[:min(max, len(r))]
	}
	lead := func(row Row) string {
		if len(row.Cells) == 0 {
			return ""
		}
		var b strings.Builder
		encode(&b, row.Cells[0])
		return b.String()
	}
	for len(l) > 0 || len(r) > 0 {
		if len(r) == 0 || len(l) > 0 && lead(l[0]) <= lead(r[0]) {
			fmt.Fprintf(b, "- %s\n", RowText(d.Columns, l[0]))
			l = l[1:]
		} else {
			fmt.Fprintf(b, "+ %s\n", RowText(d.Columns, r[0]))
			r = r[1:]
		}
	}
	if n := len(d.OnlyLeft) - max; max > 0 && n > 0 {
		fmt.Fprintf(b, "- ... and %d more\n", n)
	}
	if n := len(d.OnlyRight) - max; max > 0 && n > 0 {
		fmt.Fprintf(b, "+ ... and %d more\n", n)
	}
}

// String renders the whole difference.
func (d *Diff) String() string {
	var b strings.Builder
	d.Write(&b, 0)
	return b.String()
}
