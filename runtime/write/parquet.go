package write

import (
	"fmt"
	"io"
	"reflect"
	"strconv"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/parquet-go/parquet-go"
)

// Parquet column types come from the plan: booleans are BOOLEAN, integer
// types INT32 (integer64 INT64), decimals DOUBLE only when the view
// declares the type (else the exact text as STRING), DATE and TIMESTAMP
// (µs, UTC) only for a column whose ansi/type tag asks for them; dates and
// dateTimes are otherwise STRING, which keeps partial dates like "2020-05"
// (declared.go); everything else STRING (objects as JSON text).
// Collection columns are LISTs of that type. Every column is optional
// (NULL). A value that does not fit its column is NULL and counted
// (declared.go), never a failed run.

type pqKind int

const (
	pqString pqKind = iota
	pqBool
	pqInt32
	pqInt64
	pqDouble
	pqDate
	pqTimestamp
)

type pqColumn struct {
	name string
	kind pqKind
	list bool
}

// ParquetKind names the Parquet type a column gets, for docs and tests.
func ParquetKind(c *plan.Column) string {
	return [...]string{"STRING", "BOOLEAN", "INT32", "INT64", "DOUBLE", "DATE", "TIMESTAMP"}[columnKind(c)]
}

func columnKind(c *plan.Column) pqKind {
	switch c.TypedAs() {
	case plan.TypedDate:
		return pqDate
	case plan.TypedTimestamp:
		return pqTimestamp
	}
	declared := c.Declared != ""
	switch types.Primitive(string(c.Type)) {
	case types.Boolean:
		return pqBool
	case types.Integer:
		return pqInt32
	case types.Long:
		return pqInt64
	case types.Decimal:
		if declared {
			return pqDouble
		}
	}
	return pqString
}

func (k pqKind) node() parquet.Node {
	switch k {
	case pqBool:
		return parquet.Leaf(parquet.BooleanType)
	case pqInt32:
		return parquet.Int(32)
	case pqInt64:
		return parquet.Int(64)
	case pqDouble:
		return parquet.Leaf(parquet.DoubleType)
	case pqDate:
		return parquet.Date()
	case pqTimestamp:
		return parquet.Timestamp(parquet.Microsecond)
	}
	return parquet.String()
}

// orderedGroup is a parquet group whose fields keep the view's column
// order (parquet.Group sorts them by name).
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g *orderedGroup) Fields() []parquet.Field { return g.fields }

type namedField struct {
	parquet.Node
	name string
}

func (f namedField) Name() string { return f.name }

func (f namedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return reflect.Value{}
}

type parquetWriter struct {
	cols []pqColumn
	fits fits // the columns' rules, list elements included (declared.go)
	w    *parquet.Writer
}

// ParquetSchema returns the schema of a view's Parquet file.
func ParquetSchema(v *plan.View) *parquet.Schema {
	g := &orderedGroup{Group: parquet.Group{}}
	for _, c := range v.Columns {
		n := columnKind(c).node()
		if c.Collection {
			n = parquet.List(parquet.Optional(n))
		}
		n = parquet.Optional(n)
		g.Group[c.Name] = n
		g.fields = append(g.fields, namedField{Node: n, name: c.Name})
	}
	return parquet.NewSchema(v.Name, g)
}

func newParquet(v *plan.View, w io.Writer) (*parquetWriter, error) {
	p := &parquetWriter{fits: fitsOf(v, true)}
	seen := map[string]bool{}
	for _, c := range v.Columns {
		if seen[c.Name] {
			return nil, fmt.Errorf("view %s: column name %q appears twice; Parquet needs distinct names", v.Name, c.Name)
		}
		seen[c.Name] = true
		p.cols = append(p.cols, pqColumn{name: c.Name, kind: columnKind(c), list: c.Collection})
	}
	p.w = parquet.NewWriter(w, ParquetSchema(v), parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("fhirql", "", ""))
	return p, nil
}

func (p *parquetWriter) Append(buf *Buffer, row []*value.Value) error {
	r := make(parquet.Row, 0, len(p.cols)+2)
	for i, c := range p.cols {
		var cell *value.Value
		if i < len(row) {
			cell = row[i]
		}
		if !c.list {
			cell = p.fits.check(buf, i, cell)
			if cell == nil || cell.Kind == value.Null {
				r = append(r, parquet.NullValue().Level(0, 0, i))
				continue
			}
			pv, err := c.convert(cell)
			if err != nil {
				return err
			}
			if pv.IsNull() { // a value the column's type cannot hold exactly
				r = append(r, parquet.NullValue().Level(0, 0, i))
				continue
			}
			r = append(r, pv.Level(0, 1, i))
			continue
		}
		// optional LIST: def 0 = NULL list, 1 = empty list, 2 = NULL
		// element, 3 = element.
		if cell == nil || cell.Kind == value.Null {
			r = append(r, parquet.NullValue().Level(0, 0, i))
			continue
		}
		items := cell.Arr
		if cell.Kind != value.Array {
			items = []*value.Value{cell}
		}
		if len(items) == 0 {
			r = append(r, parquet.NullValue().Level(0, 1, i))
			continue
		}
		for j, x := range items {
			rep := 1
			if j == 0 {
				rep = 0
			}
			x = p.fits.check(buf, i, x)
			if x == nil || x.Kind == value.Null {
				r = append(r, parquet.NullValue().Level(rep, 2, i))
				continue
			}
			pv, err := c.convert(x)
			if err != nil {
				return err
			}
			if pv.IsNull() {
				r = append(r, parquet.NullValue().Level(rep, 2, i))
				continue
			}
			r = append(r, pv.Level(rep, 3, i))
		}
	}
	buf.Rows = append(buf.Rows, r)
	buf.N++
	return nil
}

func (c *pqColumn) convert(v *value.Value) (parquet.Value, error) {
	bad := func(want string) (parquet.Value, error) {
		return parquet.Value{}, &CellError{Column: c.name, Msg: fmt.Sprintf("the value %s is not a %s (the column's Parquet type comes from its type in the view)", abbrev(v), want)}
	}
	switch c.kind {
	case pqBool:
		if v.Kind == value.Bool {
			return parquet.BooleanValue(v.Str == "true"), nil
		}
		return bad("boolean")
	case pqInt32:
		if v.Kind == value.Number {
			if n, err := strconv.ParseInt(v.Str, 10, 32); err == nil {
				return parquet.Int32Value(int32(n)), nil
			}
		}
		return bad("32-bit integer")
	case pqInt64:
		if v.Kind == value.Number {
			if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
				return parquet.Int64Value(n), nil
			}
		}
		return bad("64-bit integer")
	case pqDouble:
		if v.Kind == value.Number {
			if f, err := strconv.ParseFloat(v.Str, 64); err == nil {
				return parquet.DoubleValue(f), nil
			}
		}
		return bad("decimal")
	case pqDate:
		// declared.go: anything but a complete date is NULL
		t, ok := parseDate(v.Str)
		if !ok || v.Kind != value.String {
			return parquet.NullValue(), nil
		}
		days := t.Unix() / 86400
		if t.Unix() < 0 && t.Unix()%86400 != 0 {
			days--
		}
		return parquet.Int32Value(int32(days)), nil
	case pqTimestamp:
		// declared.go: anything but a date with a time is NULL
		t, ok := parseDateTime(v.Str)
		if !ok || v.Kind != value.String {
			return parquet.NullValue(), nil
		}
		return parquet.Int64Value(t.UnixMicro()), nil
	}
	var s []byte
	switch v.Kind {
	case value.String, value.Number, value.Bool:
		s = []byte(v.Str)
	default:
		s = AppendJSON(nil, v)
	}
	return parquet.ByteArrayValue(s), nil
}

func abbrev(v *value.Value) string {
	s := string(AppendJSON(nil, v))
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func (p *parquetWriter) Write(buf *Buffer) error {
	if len(buf.Rows) == 0 {
		return nil
	}
	_, err := p.w.WriteRows(buf.Rows)
	return err
}

func (p *parquetWriter) Close() error { return p.w.Close() }
