package query

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// Kind is the type of a query value, as users see it in docs/query.md.
type Kind int

// The kinds. A FHIR date, dateTime or time column holds the text the
// resource wrote (a partial date such as "1970" is valid FHIR), so a column
// of kind Date is text unless its view types it (ansi/type DATE).
const (
	Null Kind = iota // the NULL literal, or a parameter not yet typed
	String
	Integer
	Decimal
	Boolean
	Date
	DateTime
	Time
)

var kindNames = [...]string{"null", "string", "integer", "decimal", "boolean", "date", "dateTime", "time"}

func (k Kind) String() string { return kindNames[k] }

// Type is a kind and how the engines store it.
type Type struct {
	Kind Kind
	// Text: the value is the FHIR text as written (a date, dateTime, time
	// or decimal column no ansi/type or declaration turns into a SQL type);
	// date functions parse it, arithmetic converts it.
	Text bool
	// JSON: a collection column or a complex element, as JSON text.
	JSON bool
}

func (t Type) String() string {
	s := t.Kind.String()
	if t.JSON {
		return "string (JSON)"
	}
	if t.Text && t.Kind != String {
		s += " (as text)"
	}
	return s
}

func (t Type) numeric() bool { return t.Kind == Integer || t.Kind == Decimal }
func (t Type) temporal() bool {
	return t.Kind == Date || t.Kind == DateTime || t.Kind == Time
}

// ColumnType is the query type of a view's column, from the plan: the
// FHIR type, the declaration and the ansi/type and tsql/type tags, as the
// SQL emitter (compiler/sql columns.go) types the column.
func ColumnType(c *plan.Column) Type {
	if c.Collection {
		return Type{Kind: String, JSON: true}
	}
	for _, t := range c.Tags {
		if t.Name == "tsql/type" {
			u := strings.ToUpper(strings.TrimSpace(t.Value))
			switch {
			case strings.HasPrefix(u, "INT"), strings.HasPrefix(u, "BIGINT"), strings.HasPrefix(u, "SMALLINT"), strings.HasPrefix(u, "TINYINT"):
				return Type{Kind: Integer}
			case strings.HasPrefix(u, "DECIMAL"), strings.HasPrefix(u, "NUMERIC"), strings.HasPrefix(u, "FLOAT"), strings.HasPrefix(u, "REAL"), strings.HasPrefix(u, "MONEY"):
				return Type{Kind: Decimal}
			case u == "DATE":
				return Type{Kind: Date}
			case strings.HasPrefix(u, "DATETIME"):
				return Type{Kind: DateTime}
			case strings.HasPrefix(u, "TIME"):
				return Type{Kind: Time}
			case u == "BIT":
				return Type{Kind: Boolean}
			}
			return Type{Kind: String}
		}
	}
	switch c.TypedAs() {
	case plan.TypedDate:
		return Type{Kind: Date}
	case plan.TypedTimestamp:
		return Type{Kind: DateTime}
	}
	t := c.Type
	if c.Declared != "" {
		t = types.Type(c.Declared)
	}
	switch types.Primitive(string(t)) {
	case types.Boolean:
		return Type{Kind: Boolean}
	case types.Integer, types.Long:
		return Type{Kind: Integer}
	case types.Decimal:
		return Type{Kind: Decimal, Text: c.Declared == ""}
	case types.Date:
		return Type{Kind: Date, Text: true}
	case types.DateTime:
		return Type{Kind: DateTime, Text: true}
	case types.Time:
		return Type{Kind: Time, Text: c.Declared == ""}
	case types.String:
		return Type{Kind: String}
	}
	complexType := t != "" && !types.IsPrimitiveName(string(t)) && !t.IsSystem() || t == types.Quantity
	return Type{Kind: String, JSON: complexType}
}
