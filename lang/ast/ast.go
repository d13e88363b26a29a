// Package ast is the clean syntax tree shared by the .fview parser and the
// ViewDefinition JSON reader.
//
// Both input forms produce the same tree, so the checker, formatter, language
// server and exporter never care which form a view came from. Nodes carry
// byte-offset spans into their source file and nothing else: types and
// resolved references live in the checker's side tables (cel-go's design), so
// the tree never changes after parsing.
package ast

import "github.com/fhirql/fhirql/lang/source"

// Node is anything with a source span.
type Node interface {
	Span() source.Span
}

// File is one parsed input file: constants and column groups shared by the
// directory namespace, and the views defined in it.
type File struct {
	Source *source.File
	Consts []*Const // file-level constants (.fview `const`); visible to every view of the directory
	Groups []*Group // file-level column groups (.fview `group`); visible to every view of the directory
	Views  []*View
}

// Group is a reusable, typed set of columns (`group NAME of TYPE { ... }`):
// columns written once for a FHIR type and used wherever an element of that
// type appears (`name = name.first() use HumanName`). ViewDefinition has no
// such thing, so a group only exists in .fview text: the checker expands
// every use into ordinary columns (see ExpandedName) and the plan and the
// exported JSON never see a group.
type Group struct {
	Sp       source.Span
	Doc      string // `///` doc comment
	Name     string
	NameSpan source.Span
	Type     string // the FHIR type the columns' paths start from: "HumanName", "Patient.contact"
	TypeSpan source.Span
	Columns  []*Column // paths relative to one value of Type; a column may use another group
}

// Span implements Node.
func (g *Group) Span() source.Span { return g.Sp }

// ExpandedName is the name of the column a group member becomes when a
// column named prefix uses the group. The rule follows the prefix's style:
// a prefix that starts with an upper-case letter (PascalCase, as FhirToCdm
// configurations name columns) is joined to the member with its first letter
// upper-cased (Name + family = NameFamily); any other prefix is joined with
// an underscore (name + family = name_family).
func ExpandedName(prefix, member string) string {
	if prefix != "" && prefix[0] >= 'A' && prefix[0] <= 'Z' {
		if member != "" && member[0] >= 'a' && member[0] <= 'z' {
			member = string(member[0]-'a'+'A') + member[1:]
		}
		return prefix + member
	}
	return prefix + "_" + member
}

// Const is a named constant, referenced in FHIRPath as %name.
type Const struct {
	Sp       source.Span
	Doc      string // from a `///` comment; ViewDefinition constant has no description, kept for .fview docs
	Name     string
	NameSpan source.Span
	// Type is the FHIR type written for the value: in JSON the suffix of
	// value[x] ("valueCode" → "code"); in .fview an optional `: code`
	// annotation. Empty means "inferred from the literal".
	Type     string
	TypeSpan source.Span
	Value    *Literal
}

// Span implements Node.
func (c *Const) Span() source.Span { return c.Sp }

// View is one view: a ViewDefinition.
type View struct {
	Sp           source.Span
	Doc          string // `///` doc comment = ViewDefinition.description
	Name         string // may be empty for JSON input without "name"
	NameSpan     source.Span
	Resource     string
	ResourceSpan source.Span
	// Attrs keeps every other ViewDefinition property (url, status, title,
	// fhirVersion, identifier, meta, publisher, ...) as raw JSON, in input
	// order, so that JSON → AST → JSON loses nothing.
	Attrs  []*Attr
	Consts []*Const // ViewDefinition.constant: view-local constants
	Where  []*Where // ANDed filters on the resource
	// Select is ViewDefinition.select: the top-level selects, cross-joined.
	// A .fview body `{ ... }` parses to exactly one plain Select.
	Select []*Select
	// Expects are the view's data-quality rules (`expect ...`), in order.
	Expects []*Expect
}

// Span implements Node.
func (v *View) Span() source.Span { return v.Sp }

// ExpectKind says what an expectation checks.
type ExpectKind int

const (
	// ExpectRule: a CEL expression over the row's columns must be true.
	ExpectRule ExpectKind = iota
	// ExpectUnique: no two rows share the values of Columns.
	ExpectUnique
	// ExpectNotNull: each of Columns is never null.
	ExpectNotNull
	// ExpectReferences: each non-null value of Columns[0] is a value of
	// RefColumn in view RefView.
	ExpectReferences
)

func (k ExpectKind) String() string {
	return [...]string{"rule", "unique", "not null", "references"}[k]
}

// Expect is one data-quality rule of a view: `expect ...` in .fview, an
// extension of the ViewDefinition in JSON (whose valueString is Text).
type Expect struct {
	Sp  source.Span
	Doc string
	// Text is the rule as written after `expect`; the fields below are
	// parsed from it (lang/parse.ParseExpect), so a round trip keeps it.
	Text     string
	TextSpan source.Span
	Warning  bool // severity warning; error by default
	Name     string
	NameSpan source.Span
	Kind     ExpectKind
	// Max is how many failing rows are tolerated (0 by default); with
	// Percent, a percentage of the rows.
	Max     float64
	Percent bool
	HasMax  bool
	CEL     string // ExpectRule
	CELSpan source.Span
	Columns []string
	ColSpan []source.Span
	// RefView and RefColumn name the referenced key (ExpectReferences).
	RefView, RefColumn string
	RefSpan            source.Span
}

// Span implements Node.
func (e *Expect) Span() source.Span { return e.Sp }

// Attr is a ViewDefinition property fhirql carries but does not interpret.
type Attr struct {
	Sp   source.Span
	Key  string
	JSON string // the value as compact JSON text, e.g. `"active"` or `[{"system":"x"}]`
}

// Span implements Node.
func (a *Attr) Span() source.Span { return a.Sp }

// Where is one view-level filter.
type Where struct {
	Sp   source.Span
	Doc  string // ViewDefinition where.description
	Path Expr
}

// Span implements Node.
func (w *Where) Span() source.Span { return w.Sp }

// SelectKind says how a select iterates.
type SelectKind int

const (
	// Plain evaluates its columns once per incoming row (focus unchanged).
	Plain SelectKind = iota
	// ForEach produces one row per item of Iter; none when Iter is empty.
	ForEach
	// ForEachOrNull is ForEach, plus one all-null row when Iter is empty.
	ForEachOrNull
	// Repeat walks the Repeat paths recursively, one row per node reached.
	Repeat
)

func (k SelectKind) String() string {
	return [...]string{"select", "forEach", "forEachOrNull", "repeat"}[k]
}

// Select is a ViewDefinition select. Output column order is fixed by the spec:
// Columns, then each of Selects, then UnionAll.
type Select struct {
	Sp          source.Span
	KeywordSpan source.Span // the `forEach`/`select`/... keyword or JSON key
	Kind        SelectKind
	Iter        Expr   // ForEach and ForEachOrNull
	Repeat      []Expr // Repeat
	Columns     []*Column
	Selects     []*Select
	UnionAll    []*Select
}

// Span implements Node.
func (s *Select) Span() source.Span { return s.Sp }

// Column is one output column.
type Column struct {
	Sp            source.Span
	Doc           string // `///` doc comment or trailing description = column.description
	Name          string
	NameSpan      source.Span
	Path          Expr
	Collection    bool   // `name[] = ...` / "collection": true
	HasCollection bool   // the JSON input said "collection" explicitly (false included); kept for lossless round trips
	Type          string // declared type (`: decimal` / "type"); empty = from the catalog
	TypeSpan      source.Span
	Tags          []*Tag
	// Use names the group the column expands to (`name = path use Group`):
	// one column per member of the group, named by ExpandedName, with the
	// member's path read from this column's path. Empty for a plain column.
	Use     string
	UseSpan source.Span
}

// Span implements Node.
func (c *Column) Span() source.Span { return c.Sp }

// Tag is a ViewDefinition column tag (name/value), e.g. ansi/type = VARCHAR(64).
type Tag struct {
	Sp    source.Span
	Name  string
	Value string
}

// Span implements Node.
func (t *Tag) Span() source.Span { return t.Sp }

// Expr is a FHIRPath expression.
type Expr interface {
	Node
	exprNode()
}

// Ident is a leading name in a path: an element of the focus (`name`), or a
// type name (`Patient.name`, resolved by the checker). Backtick-quoted names
// are unquoted here.
type Ident struct {
	Sp   source.Span
	Name string
}

// Member is `X.Name`.
type Member struct {
	Sp       source.Span
	X        Expr
	Name     string
	NameSpan source.Span
}

// Call is a function invocation `X.name(args)`, or `name(args)` on the
// implicit focus when X is nil.
type Call struct {
	Sp       source.Span
	X        Expr // nil: invoked on the current focus ($this)
	Name     string
	NameSpan source.Span
	Args     []Expr
	RParen   source.Pos // offset of the closing parenthesis (for completion and edits)
}

// Index is `X[Index]`.
type Index struct {
	Sp    source.Span
	X     Expr
	Index Expr
}

// This is `$this`; Index and Total variables are Special.
type This struct {
	Sp source.Span
}

// Special is `$index` or `$total`.
type Special struct {
	Sp   source.Span
	Name string // "index" or "total"
}

// Var is an external constant `%name`: a user constant, %rowIndex, %resource,
// %rootResource, %context, %ucum, %sct, %loinc.
type Var struct {
	Sp   source.Span
	Name string // without the %; backtick/string forms unquoted
}

// LitKind classifies literals.
type LitKind int

const (
	// Empty is `{}`.
	Empty LitKind = iota
	// Bool is true or false.
	Bool
	// String is '...'; Value holds the unescaped text.
	String
	// Integer is a whole number; Value holds the digits.
	Integer
	// Long is an integer with the L suffix (FHIRPath 2.0 STU).
	Long
	// Decimal is a number with a fraction; Value keeps the lexeme ("1.50").
	Decimal
	// Date is @2020, @2020-01, @2020-01-02; Value without the @.
	Date
	// DateTime is @2020-01-02T10:00:00Z or @2020T; Value without the @.
	DateTime
	// Time is @T10:00; Value without the @T.
	Time
	// Quantity is a number with a unit: 5 'mg' or 4 days; Value is the number, Unit the unit.
	Quantity
)

var litKindNames = [...]string{"empty", "boolean", "string", "integer", "long", "decimal", "date", "dateTime", "time", "quantity"}

func (k LitKind) String() string { return litKindNames[k] }

// Literal is a constant value.
type Literal struct {
	Sp    source.Span
	Kind  LitKind
	Value string
	Unit  string // Quantity: the UCUM string ('mg') or calendar keyword (days)
	// UnitQuoted is true when the unit was written as a string ('mg'), false for calendar keywords.
	UnitQuoted bool
}

// Unary is `-X` or `+X`.
type Unary struct {
	Sp source.Span
	Op string
	X  Expr
}

// Binary is `X Op Y` for every FHIRPath binary operator:
// * / div mod + - & | < <= > >= = != ~ !~ in contains and or xor implies.
type Binary struct {
	Sp     source.Span
	Op     string
	OpSpan source.Span
	X, Y   Expr
}

// TypeOp is `X is T` or `X as T`.
type TypeOp struct {
	Sp   source.Span
	Op   string // "is" or "as"
	X    Expr
	Type TypeName
}

// TypeName is a (possibly qualified) type specifier: `Quantity`, `FHIR.Quantity`, `System.String`.
type TypeName struct {
	Sp        source.Span
	Namespace string // "", "FHIR" or "System"
	Name      string
}

// Paren is a parenthesised expression, kept so formatting preserves it.
type Paren struct {
	Sp source.Span
	X  Expr
}

// Bad stands for an expression that failed to parse, so tools still get a tree.
type Bad struct {
	Sp source.Span
}

func (e *Ident) Span() source.Span   { return e.Sp }
func (e *Member) Span() source.Span  { return e.Sp }
func (e *Call) Span() source.Span    { return e.Sp }
func (e *Index) Span() source.Span   { return e.Sp }
func (e *This) Span() source.Span    { return e.Sp }
func (e *Special) Span() source.Span { return e.Sp }
func (e *Var) Span() source.Span     { return e.Sp }
func (e *Literal) Span() source.Span { return e.Sp }
func (e *Unary) Span() source.Span   { return e.Sp }
func (e *Binary) Span() source.Span  { return e.Sp }
func (e *TypeOp) Span() source.Span  { return e.Sp }
func (e *Paren) Span() source.Span   { return e.Sp }
func (e *Bad) Span() source.Span     { return e.Sp }

func (*Ident) exprNode()   {}
func (*Member) exprNode()  {}
func (*Call) exprNode()    {}
func (*Index) exprNode()   {}
func (*This) exprNode()    {}
func (*Special) exprNode() {}
func (*Var) exprNode()     {}
func (*Literal) exprNode() {}
func (*Unary) exprNode()   {}
func (*Binary) exprNode()  {}
func (*TypeOp) exprNode()  {}
func (*Paren) exprNode()   {}
func (*Bad) exprNode()     {}

// Span implements Node; a file spans its whole text.
func (f *File) Span() source.Span {
	if f.Source == nil {
		return source.Span{}
	}
	return source.Span{Start: 0, End: source.Pos(len(f.Source.Text))}
}

// IsSQLName reports whether a view, column or constant name follows the SQL
// on FHIR v2 sql-name invariant, ^[A-Za-z][A-Za-z0-9_]*$. The names become
// SQL identifiers and ViewDefinition JSON requires the rule, so both readers
// (.fview and JSON) enforce it and every exported view reads back.
func IsSQLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}
