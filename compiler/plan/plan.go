// Package plan is the typed relational IR that every backend consumes: the
// embedded runtime and each SQL dialect.
//
// A plan is fully resolved: constants are inlined as literals, choice elements
// are resolved to their JSON keys ("value.ofType(Quantity)" becomes the field
// "valueQuantity"), every field knows from the catalog whether its JSON value
// is an array, and every node carries its FHIRPath type. Backends therefore
// never need the catalog, the AST or the checker, and two backends fed the
// same plan must produce the same rows (the differential tests rely on it).
package plan

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/source"
)

// View is one compiled view.
type View struct {
	Name        string
	Resource    string // resource type, matched against each resource's own resourceType
	Description string
	File        *source.File // the view's source, for headers and runtime messages
	Span        source.Span
	// Where filters are evaluated on the resource (focus = the resource) and
	// ANDed; a resource passes only when every filter is exactly true.
	Where []Expr
	// Root is the top-level select (always Plain; its focus is the resource).
	Root *Select
	// Columns lists every output column in output order; Column.Index is the
	// position here. The same *Column values appear in the select tree.
	Columns []*Column
	// Expects are the view's data-quality rules, checked by compiler/expect
	// and evaluated by runtime/expect and the SQL targets' test queries.
	Expects []*Expect
}

// ExpectKind says what an expectation checks.
type ExpectKind int

const (
	// ExpectRule: the CEL expression must be true for every row.
	ExpectRule ExpectKind = iota
	// ExpectUnique: no two rows share the values of Columns.
	ExpectUnique
	// ExpectNotNull: no column of Columns is null.
	ExpectNotNull
	// ExpectReferences: every non-null value of Columns[0] is a value of
	// RefColumn in view RefView.
	ExpectReferences
)

// Expect is one data-quality rule over a view's rows. A row fails a rule
// whose CEL is not true (false, null or an error); the rule fails when
// more rows fail than Max allows (a count, or with Percent a percentage
// of the rows).
type Expect struct {
	Name    string
	Kind    ExpectKind
	Warning bool
	Max     float64
	Percent bool
	CEL     string
	CELSpan source.Span
	Columns []*Column
	// RefView and RefColumn name the referenced key; the view is looked up
	// among the views of the same run or deployment.
	RefView, RefColumn string
	Text               string // the rule as written, for messages
	Span               source.Span
}

// SelectKind says how a select iterates; see the SQL on FHIR v2 spec.
type SelectKind int

const (
	// Plain keeps the incoming focus.
	Plain SelectKind = iota
	// ForEach makes each item of Iter the focus; no rows when Iter is empty.
	ForEach
	// ForEachOrNull is ForEach with one all-null row when Iter is empty.
	ForEachOrNull
	// Repeat makes each node reached by applying the Repeat paths recursively
	// (pre-order, starting from the focus's children) the focus.
	Repeat
)

func (k SelectKind) String() string {
	return [...]string{"select", "forEach", "forEachOrNull", "repeat"}[k]
}

// Select produces rows for one focus: the product of its own columns (one
// row), each nested select's rows, and the concatenated rows of the UnionAll
// branches; for iterating kinds, that product once per item.
type Select struct {
	Kind     SelectKind
	Iter     Expr   // ForEach, ForEachOrNull
	Repeat   []Expr // Repeat
	Columns  []*Column
	Selects  []*Select
	UnionAll []*Select
	Span     source.Span
}

// Column is one output column.
type Column struct {
	Name       string
	Index      int // position in View.Columns
	Expr       Expr
	Collection bool // the value is a JSON array of all results
	// Type is the FHIR or system type of one value: the declared type when
	// the view names one, else the checker's type ("string", "date",
	// "System.Boolean", "HumanName"...).
	Type types.Type
	// Declared is the type the view wrote ("" when none); dialects use it to
	// decide whether to cast (a declared "date" is cast, an inferred one stays text).
	Declared string
	// MaybeMany is true when the expression may yield several values although
	// the column is not a collection: backends must then fail on several
	// values (the spec's SHALL), naming the column.
	MaybeMany bool
	// MaxLen is the most characters (UTF-16 code units) one value of the
	// column can have as text, from the catalog and the expression (a
	// resource id: 64); 0 when nothing bounds it. Lowering derives it once
	// (compiler/lower/size.go) so that every SQL target sizes the column
	// alike; a value that is longer anyway fails the query rather than
	// being cut.
	MaxLen      int
	Description string
	Tags        []Tag
	Span        source.Span
}

// Tag is a column tag (ansi/type, tsql/type, ...), passed through to dialects.
type Tag struct {
	Name, Value string
}

// SQL types a column's ansi/type tag may ask for, which every engine
// gives: the runtime's Parquet writer (DATE, TIMESTAMP) as well as each
// SQL target.
const (
	TypedDate      = "DATE"
	TypedTimestamp = "TIMESTAMP"
)

// TypedAs is the SQL type the column's ansi/type tag asks for when it is
// one of TypedDate and TypedTimestamp (case-insensitive), else "". A FHIR
// date or dateTime of any precision ("1970", "1970-06") is kept as text in
// a column declared date or dateTime; only a column typed this way holds
// real SQL dates, in which a partial value does not fit and is NULL.
func (c *Column) TypedAs() string {
	for _, t := range c.Tags {
		if t.Name == "ansi/type" {
			switch v := strings.ToUpper(strings.TrimSpace(t.Value)); v {
			case TypedDate, TypedTimestamp:
				return v
			}
		}
	}
	return ""
}

// Expr is a typed FHIRPath expression. Evaluation is always relative to a
// focus (the current item) and an environment (the resource, %rowIndex).
type Expr interface {
	// Type is the expression's type and cardinality.
	Type() types.Info
	// Span locates the expression in the view's source.
	Span() source.Span
}

// Base carries what every expression node has.
type Base struct {
	T  types.Info
	Sp source.Span
}

// Type implements Expr.
func (b *Base) Type() types.Info { return b.T }

// Span implements Expr.
func (b *Base) Span() source.Span { return b.Sp }

// LitKind classifies literal values.
type LitKind int

const (
	// Empty is the empty collection {}.
	Empty LitKind = iota
	Bool
	String
	Integer
	Long
	Decimal
	Date
	DateTime
	Time
	Quantity
)

var litKindNames = [...]string{"empty", "boolean", "string", "integer", "long", "decimal", "date", "dateTime", "time", "quantity"}

func (k LitKind) String() string { return litKindNames[k] }

// Lit is a literal or an inlined constant. Value is the canonical text:
// "true"/"false", the unescaped string, the number lexeme ("1.50"), the date
// or time without "@"/"@T".
type Lit struct {
	Base
	Kind  LitKind
	Value string
	Unit  string // Quantity only: UCUM unit or calendar keyword
}

// Focus is the current focus: $this, or the implicit start of a path.
type Focus struct{ Base }

// Root is the resource being evaluated (%resource, %rootResource, %context at
// view level, and the start of a path that names the resource type).
type Root struct{ Base }

// RowIndex is %rowIndex: the 0-based index of the current item in the
// collection iterated by the nearest enclosing forEach, forEachOrNull or
// repeat (0 at the top level).
type RowIndex struct{ Base }

// IndexVar is $index inside a lambda argument.
type IndexVar struct{ Base }

// TotalVar is $total inside aggregate (not yet produced by lowering).
type TotalVar struct{ Base }

// Field navigates to a child element by its JSON key; the result is the
// flattened collection of children over every input item.
type Field struct {
	Base
	X   Expr
	Key string // the JSON key: "name", "birthDate", "valueQuantity"
	// Array is true when the catalog says the element repeats (max > 1), so
	// its JSON value is an array. SQL dialects use it to decide on OPENJSON
	// APPLY chains; the runtime still accepts either shape.
	Array bool
	// Primitive is true when the element's type is a FHIR primitive, whose
	// value is a JSON scalar (possibly with a "_key" extension sibling).
	Primitive bool
}

// Choice is an unqualified choice element (value[x] read as `value`): the
// union of whichever of its typed keys is present.
type Choice struct {
	Base
	X    Expr
	Name string // the base name, "value"
	Keys []ChoiceKey
}

// ChoiceKey is one allowed form of a choice element.
type ChoiceKey struct {
	Key       string     // "valueQuantity"
	Type      types.Type // "Quantity"
	Array     bool
	Primitive bool
}

// Call invokes a declared function on X (never nil: an implicit focus is Focus).
type Call struct {
	Base
	X    Expr
	Func *funcs.Func
	Args []Expr // Lambda arguments are evaluated per item of X with Focus/IndexVar bound
}

// TypeArg is a type name given as an argument (ofType(Quantity), getReferenceKey(Patient)).
type TypeArg struct {
	Base
	Namespace string // "FHIR", "System" or ""
	Name      string
}

// Unary is -X or +X.
type Unary struct {
	Base
	Op string
	X  Expr
}

// Binary is X Op Y for every FHIRPath binary operator (* / div mod + - & |
// < <= > >= = != ~ !~ in contains and or xor implies).
type Binary struct {
	Base
	Op   string
	X, Y Expr
}

// TypeOp is `X is T` / `X as T`.
type TypeOp struct {
	Base
	Op        string // "is" or "as"
	X         Expr
	Namespace string
	Name      string
}

// Subscript is X[Index].
type Subscript struct {
	Base
	X     Expr
	Index Expr
}
