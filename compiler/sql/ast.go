package sql

// The SQL AST is deliberately small: just what the emitter builds and the
// dialects' deployment scripts need. There is no node for raw SQL text: every
// identifier and literal goes through the printer's quoting, which is what
// makes the output injection-proof by construction. Function and type names
// (Func.Name, Cast.Type) are the one exception; they come only from dialect
// spelling tables or from ValidTypeName, never from user input directly.

// Expr is a scalar SQL expression (including predicates: T-SQL has no boolean
// values, so predicates and values share one interface and the emitter keeps
// track of which is which).
type Expr interface{ exprNode() }

// Col references a column: [Table].[Name], or [Name] when Table is empty.
type Col struct{ Table, Name string }

// RowsetFunc is a function of a rowset's current row, called on its alias:
// [s].filename() of a serverless OPENROWSET.
type RowsetFunc struct{ Table, Name string }

// Var is a variable or parameter (@node); Name excludes the "@" and must be
// a plain identifier (the emitter only ever makes its own).
type Var struct{ Name string }

// Str is a Unicode string literal, printed N'...' in T-SQL.
type Str struct{ V string }

// ASCII is a non-Unicode string literal ('json', option values, paths),
// printed '...'.
type ASCII struct{ V string }

// Num is a numeric literal; V must satisfy ValidNumber.
type Num struct{ V string }

// Null is the NULL literal.
type Null struct{}

// Star is * (COUNT(*)).
type Star struct{}

// Func is a function call; Name is a trusted dialect spelling.
type Func struct {
	Name string
	Args []Expr
	// Distinct aggregates distinct values only: COUNT(DISTINCT x).
	Distinct bool
}

// Cast is CAST(X AS Type) or TRY_CAST.
type Cast struct {
	X   Expr
	Typ string
	Try bool
}

// Convert is CONVERT(Type, X[, Style]) or TRY_CONVERT.
type Convert struct {
	Typ   string
	X     Expr
	Style int // 0: none
	Try   bool
}

// Bin is a binary operator; Op is one of the constants below.
type Bin struct {
	Op   string
	X, Y Expr
}

// Binary operators, by precedence group.
const (
	OpMul = "*"
	OpDiv = "/"
	OpMod = "%"
	OpAdd = "+"
	OpSub = "-"
	OpEq  = "="
	OpNe  = "<>"
	OpLt  = "<"
	OpLe  = "<="
	OpGt  = ">"
	OpGe  = ">="
	OpAnd = "AND"
	OpOr  = "OR"
)

// Not is NOT X.
type Not struct{ X Expr }

// Neg is -X.
type Neg struct{ X Expr }

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// Case is CASE [Operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	Operand Expr // nil for a searched CASE
	Whens   []When
	Else    Expr
}

// When is one arm of a Case.
type When struct{ Cond, Then Expr }

// Exists is [NOT] EXISTS (Q).
type Exists struct {
	Q   Query
	Not bool
}

// Sub is a scalar subquery (Q).
type Sub struct{ Q Query }

// In is X [NOT] IN (List...).
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// InQuery is X [NOT] IN (Q), Q a one-column query.
type InQuery struct {
	X   Expr
	Q   Query
	Not bool
}

// Like is X [NOT] LIKE Pattern.
type Like struct {
	X, Pattern Expr
	Not        bool
}

// Collate is X COLLATE Name; Name is a trusted dialect spelling.
type Collate struct {
	X    Expr
	Name string
}

// Over is a window function: Fn OVER (PARTITION BY ... ORDER BY ...).
type Over struct {
	Fn          Expr
	PartitionBy []Expr
	OrderBy     []Order
}

// WithinGroup is an ordered-set aggregate: Agg WITHIN GROUP (ORDER BY ...).
type WithinGroup struct {
	Agg     Expr
	OrderBy []Order
}

// Lambda is a lambda of list functions, lambda p1, p2: Body (DuckDB's
// list_filter, list_transform); a parameter is read as a Col with no Table.
// Only a dialect's Prepare rewrite makes one (the shared emitter never does),
// and only a printer whose Spellings.Lambdas is set prints it.
type Lambda struct {
	Params []string
	Body   Expr
}

// Order is one ORDER BY key.
type Order struct {
	X    Expr
	Desc bool
	// NullsLow sorts NULL as the lowest value, first in ascending order,
	// as T-SQL always does; engines whose default differs
	// (Spellings.NullsHigh) spell it NULLS FIRST / NULLS LAST.
	NullsLow bool
}

func (*Col) exprNode()         {}
func (*RowsetFunc) exprNode()  {}
func (*Var) exprNode()         {}
func (*Str) exprNode()         {}
func (*ASCII) exprNode()       {}
func (*Num) exprNode()         {}
func (*Null) exprNode()        {}
func (*Star) exprNode()        {}
func (*Func) exprNode()        {}
func (*Cast) exprNode()        {}
func (*Convert) exprNode()     {}
func (*Bin) exprNode()         {}
func (*Not) exprNode()         {}
func (*Neg) exprNode()         {}
func (*IsNull) exprNode()      {}
func (*Case) exprNode()        {}
func (*Exists) exprNode()      {}
func (*Sub) exprNode()         {}
func (*In) exprNode()          {}
func (*Like) exprNode()        {}
func (*InQuery) exprNode()     {}
func (*Collate) exprNode()     {}
func (*Over) exprNode()        {}
func (*WithinGroup) exprNode() {}
func (*Lambda) exprNode()      {}

// Query is a SELECT, a UNION ALL of queries, or a WITH around one.
type Query interface{ queryNode() }

// Select is one SELECT block.
type Select struct {
	Top     Expr // TOP (n); nil for none
	Items   []Item
	From    []*From // From[0] has Join == JoinNone
	Where   []Expr  // ANDed, printed one per line
	GroupBy []Expr
	OrderBy []Order

	// The fields below serve queries written by users over views
	// (compiler/query); the view emitter leaves them zero.

	// Distinct is SELECT DISTINCT.
	Distinct bool
	// Having filters groups; ANDed like Where.
	Having []Expr
	// Offset skips rows of the ordered result: OFFSET n ROWS [FETCH NEXT
	// Top ROWS ONLY] in T-SQL (which needs an ORDER BY: the printer adds
	// ORDER BY (SELECT NULL) when there is none), LIMIT Top OFFSET n with
	// Spellings.Limit.
	Offset Expr
}

// Item is one select-list entry.
type Item struct {
	X     Expr
	Alias string // "" for none
}

// UnionAll concatenates queries.
type UnionAll struct{ Queries []Query }

// With is a query with common table expressions.
type With struct {
	CTEs []CTE
	Body Query
}

// CTE is one common table expression.
type CTE struct {
	Name    string
	Columns []string
	Q       Query
}

// Union is Left UNION [ALL] Right: a set operation written by a user (the
// emitter's own concatenations use UnionAll). A Right that is itself a
// Union is parenthesised; a Left is not (UNION is left-associative).
type Union struct {
	Left, Right Query
	All         bool
}

func (*Union) queryNode()    {}
func (*Select) queryNode()   {}
func (*UnionAll) queryNode() {}
func (*With) queryNode()     {}

// JoinKind says how a FROM item combines with the items before it.
type JoinKind int

const (
	// JoinNone is the first FROM item.
	JoinNone JoinKind = iota
	// CrossApply is T-SQL CROSS APPLY (LATERAL join).
	CrossApply
	// OuterApply is T-SQL OUTER APPLY (LEFT LATERAL join).
	OuterApply
	// InnerJoin, LeftJoin, RightJoin and FullJoin are joins with an ON
	// condition (From.On); CrossJoin is a CROSS JOIN written as such.
	InnerJoin
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
)

// From is one FROM item.
type From struct {
	Join  JoinKind
	Src   Source
	Alias string
	// On is the join condition of InnerJoin, LeftJoin, RightJoin and FullJoin.
	On Expr
}

// Source is a table source.
type Source interface{ sourceNode() }

// Table is a named table or view.
type Table struct{ Name ObjectName }

// Derived is a parenthesised query.
type Derived struct{ Q Query }

// TableFunc is a table-valued function call with an optional WITH schema:
// OPENJSON(x, path) WITH ([v] NVARCHAR(MAX) '$.k'), or a user function.
type TableFunc struct {
	Name      string     // trusted spelling ("OPENJSON"); "" when Object is set
	Object    ObjectName // a user-defined function, quoted
	Args      []Expr
	With      []WithCol
	Multiline bool // print one argument per line (OPENROWSET)
	// Optional sources are left out of the FROM clause while their WITH
	// list is empty (a property reader nothing read from).
	Optional bool
}

// WithCol is one column of an OPENJSON/OPENROWSET WITH clause.
type WithCol struct {
	Name   string
	Typ    string
	Path   string // JSON path; "" for none
	AsJSON bool
}

// Option is NAME = value inside a call or a WITH (...) list. Value is an
// expression so that it is quoted by the printer; a nil Value prints NAME
// alone (HEAP, CLUSTERED COLUMNSTORE INDEX).
type Option struct {
	Name  string
	Value Expr
}

// Bare is a trusted keyword used as a value (ROUND_ROBIN, PARQUET).
type Bare struct{ K string }

// Ident is a quoted identifier used as an option value (DATA_SOURCE = [x]).
type Ident struct{ Name string }

// OptionGroup is a parenthesised option list used as a value
// (CREDENTIAL = (IDENTITY = 'Managed Identity')).
type OptionGroup struct{ Opts []Option }

// OptionArg lets options appear as arguments (OPENROWSET(BULK ..., FORMAT = 'CSV')).
type OptionArg struct{ Option }

// Bulk is the BULK 'path' argument of OPENROWSET.
type Bulk struct{ Path string }

// StructLit is a DuckDB struct literal used as an option value
// (read_csv(..., columns = {'line': 'VARCHAR'})): names quoted as strings.
type StructLit struct{ Fields []Option }

func (*Table) sourceNode()     {}
func (*Derived) sourceNode()   {}
func (*TableFunc) sourceNode() {}
func (*Bare) exprNode()        {}
func (*Ident) exprNode()       {}
func (*OptionArg) exprNode()   {}
func (*Bulk) exprNode()        {}
func (*OptionGroup) exprNode() {}
func (*StructLit) exprNode()   {}

// ObjectName is a possibly schema-qualified name, each part quoted.
type ObjectName []string

// Stmt is one statement of a script.
type Stmt interface{ stmtNode() }

// Comment is a block of "--" comment lines (control characters are escaped
// by the printer, so no text can end the comment early).
type Comment struct{ Lines []string }

// CreateView is CREATE [OR ALTER] VIEW name AS query.
type CreateView struct {
	Name    ObjectName
	OrAlter bool
	Q       Query
}

// CreateFunction is an inline table-valued function.
type CreateFunction struct {
	Name    ObjectName
	OrAlter bool
	Params  []Param
	Q       Query
}

// Param is a function parameter.
type Param struct{ Name, Typ string }

// CreateTable is CREATE TABLE name (cols) WITH (opts), or CTAS when As is set.
type CreateTable struct {
	Name    ObjectName
	Columns []ColumnDef // empty for CTAS
	With    []Option
	As      Query
}

// ColumnDef is one column of CREATE TABLE.
type ColumnDef struct {
	Name    string
	Typ     string
	NotNull bool
}

// SelectInto is SELECT ... INTO name FROM ...: the Select's items and FROM
// are printed with INTO between them.
type SelectInto struct {
	Into ObjectName
	Q    *Select
}

// Drop drops an object when it exists. Kind is VIEW, TABLE, FUNCTION or
// EXTERNAL TABLE; ObjectType is the OBJECT_ID type code used by the guard.
type Drop struct {
	Kind       string
	ObjectType string
	Name       ObjectName
}

// CopyInto is the dedicated pool's COPY INTO.
type CopyInto struct {
	Table   ObjectName
	Columns []string
	From    string
	With    []Option
}

// CreateIfMissing creates an external data source, file format or table
// only when sys.<Catalog> has no row with that name, so scripts re-run.
type CreateIfMissing struct {
	Catalog string // "external_data_sources", "external_file_formats", "tables"
	Name    string
	Stmt    Stmt
}

// CreateExternal is CREATE EXTERNAL DATA SOURCE / FILE FORMAT name WITH (...).
type CreateExternal struct {
	Kind string // "DATA SOURCE" or "FILE FORMAT"
	Name string
	With []Option
}

// CreateExternalTableAs is CETAS.
type CreateExternalTableAs struct {
	Name ObjectName
	With []Option
	As   Query
}

// CreateSchema creates a schema unless it exists (through dynamic SQL,
// because CREATE SCHEMA must be alone in its batch).
type CreateSchema struct{ Name string }

// Batch ends a batch (GO in T-SQL scripts).
type Batch struct{}

// Declare is DECLARE @Name Typ = Value.
type Declare struct {
	Name, Typ string
	Value     Expr
}

// ExecVar runs the statement text held in a variable: EXEC(@Name). It is
// how a script gives CETAS a LOCATION computed when it runs.
type ExecVar struct{ Name string }

// Guard stops the script with Msg when Cond holds (IF Cond THROW 50000,
// Msg, 1), for what must exist before the script can do its work.
type Guard struct {
	Cond Expr
	Msg  string
}

// CreateCredential is CREATE DATABASE SCOPED CREDENTIAL Name WITH
// IDENTITY = Identity, for identities that need no secret (a workspace's
// managed identity): a script never carries a secret.
type CreateCredential struct{ Name, Identity string }

func (*Comment) stmtNode()               {}
func (*CreateView) stmtNode()            {}
func (*CreateFunction) stmtNode()        {}
func (*CreateTable) stmtNode()           {}
func (*SelectInto) stmtNode()            {}
func (*Drop) stmtNode()                  {}
func (*CopyInto) stmtNode()              {}
func (*CreateIfMissing) stmtNode()       {}
func (*CreateExternal) stmtNode()        {}
func (*CreateExternalTableAs) stmtNode() {}
func (*Batch) stmtNode()                 {}
func (*CreateSchema) stmtNode()          {}
func (*Declare) stmtNode()               {}
func (*ExecVar) stmtNode()               {}
func (*Guard) stmtNode()                 {}
func (*CreateCredential) stmtNode()      {}

// Verbatim is one statement a dialect wrote as text, for the few that its
// AST does not model (DuckDB's current-state views over several exports,
// docs/versions.md). The dialect quotes every identifier and literal in it
// itself; the printer adds only the terminator.
type Verbatim struct {
	SQL    string
	Object ObjectName // what it creates, for the script's parts
}

func (*Verbatim) stmtNode() {}
