package sql

import "github.com/fhirql/fhirql/lang/diag"

// Dialect is everything the shared emitter needs to know about one SQL
// engine. The emitter decides *what* to compute (which JSON paths, which
// rows, in which order, what fails); the dialect decides *how it is spelled*.
// Dialects differ only through this interface and their Caps, never through
// `if dialect == ...` in shared code (aesthetics.md §7.5 rule 5).
//
// JSON paths are given as lists of object keys; the dialect quotes each key
// (T-SQL: '$."name"'), so a key can never break out of the path literal.
type Dialect interface {
	Style

	// Name is the target's name as users type it (--target), used in
	// diagnostics: "function \"matches\" is not supported by the dedicated target".
	Name() string
	// Caps lists what the engine can and cannot do.
	Caps() Caps
	// TypeName spells an abstract column type.
	TypeName(t Type) string
	// SizedText spells a text type of at most n characters (T-SQL
	// NVARCHAR(n)); an engine without sized text (DuckDB) spells its text
	// type, and the emitter's length check is then all that bounds it.
	SizedText(n int) string
	// Fn spells a scalar function of the portable vocabulary.
	Fn(f Fn, args ...Expr) Expr

	// JSONValue reads the primitive at path as text (NULL when absent or
	// not a primitive). long says the value may exceed the engine's limit
	// for its cheap scalar accessor (T-SQL JSON_VALUE: 4,000 characters).
	JSONValue(doc Expr, path []string, long bool) Expr
	// JSONQuery reads the object or array at path as JSON text.
	JSONQuery(doc Expr, path []string) Expr
	// JSONEach is a table source yielding one row per element of the array
	// at path (no rows when it is absent); cols spells its columns for the
	// given alias. An empty path means doc itself, which is then what a
	// PropReader's ReadJSON returns: the JSON text of an object or array,
	// or NULL.
	JSONEach(doc Expr, path []string, alias string) (src Source, cols EachCols)
	// JSONMembers is a table source yielding one row per member of the
	// object doc, with its key (for choice elements, whose key varies).
	JSONMembers(doc Expr, alias string) (src Source, cols EachCols)
	// JSONProps returns a reader of several primitives of one object in a
	// single table source (T-SQL: OPENJSON(doc) WITH (...)), which the
	// emitter joins right after the object's own source; nil when the
	// dialect has none (reads then use JSONValue).
	JSONProps(doc Expr, alias string) PropReader
	// JSONQuote turns text into a JSON string literal, quotes included.
	JSONQuote(s Expr) Expr
	// StringAgg concatenates x over the rows of a query, in order.
	StringAgg(x, sep Expr, order []Order) Expr
	// IsTypeName is true when s looks like a FHIR resource type name
	// (an ASCII capital followed by ASCII letters).
	IsTypeName(s Expr) Expr

	// StringEq is exact string equality: case-, accent- and
	// trailing-space-sensitive, as FHIRPath requires.
	StringEq(a, b Expr) Expr
	// StringCmp compares strings by code point (op is <, <=, > or >=).
	StringCmp(op string, a, b Expr) Expr
	// Shape is true when s is exactly the text shape describes, case-
	// and trailing-space-sensitive: each '9' stands for one ASCII digit, a
	// final '*' for one or more ASCII digits, and every other (ASCII)
	// character for itself. It is how the emitter validates dates, times
	// and numbers in text without regular expressions.
	Shape(s Expr, shape string) Expr
	// ToNumber converts JSON number text to a number; integer selects an
	// integer type. Text that is not a number gives NULL, never an error.
	ToNumber(x Expr, integer bool) Expr
	// ToInt converts a computed number to an integer.
	ToInt(x Expr) Expr
	// BoolValue turns a predicate into a value: 1, 0, or NULL when unknown;
	// twoValued says p is never unknown (EXISTS), so one test suffices.
	BoolValue(p Expr, twoValued bool) Expr
	// Fail is an expression of type typ that aborts the query with msg
	// (which must not be a constant, so the engine cannot fold it early)
	// when it is evaluated.
	Fail(msg Expr, typ string) Expr
	// NoOrder is a window ORDER BY key for "no particular order".
	NoOrder() Expr

	// Source is the FROM item that yields one row per candidate resource of
	// the given type, with its JSON text in the returned expression (NULL
	// for rows that are not valid JSON).
	Source(resource string, alias string) (*From, Expr)
}

// Validator is a dialect with limits on a compiled view as a whole, beyond
// what each expression can express (a dedicated pool's columnstore table
// cannot hold an NVARCHAR(MAX) column). Emit reports what it returns.
type Validator interface {
	Validate(c *Compiled) diag.List
}

// PropReader collects the primitive paths read from one object.
type PropReader interface {
	// Source is the table source; it is dropped from the output when
	// nothing was read through it.
	Source() Source
	// Read registers a path and returns the expression holding its value
	// (NULL when absent), of any length.
	Read(path []string, long bool) Expr
	// ReadJSON registers a path to an object or array and returns the
	// expression holding its JSON text (NULL when absent or a primitive),
	// so that the emitter expands or reads a child object from that text
	// rather than parsing the whole object again (JSONQuery).
	ReadJSON(path []string) Expr
}

// EachCols names the columns of a JSONEach / JSONMembers row.
type EachCols struct {
	Value   Expr // the element: JSON text for objects/arrays, unescaped text for primitives
	Key     Expr // member name or array index, as text
	Ord     Expr // the array index as an integer (for ORDER BY)
	NotNull Expr // predicate: the element is not JSON null
	IsStr   Expr // predicate: the element is a JSON string
	// IsObj and IsScalar: the element is a JSON object, or a string,
	// number or boolean. An array's element is present only when its JSON
	// kind fits the element's FHIR type (an object for a complex type, a
	// scalar for a primitive), as on the runtime (docs/input.md).
	IsObj    Expr
	IsScalar Expr
	// Obj is the element's JSON text when it is an object and NULL
	// otherwise: what the emitter reads fields of. The engines may
	// compute a row's expressions before its WHERE drops the row, and
	// their JSON functions fail on a string's text.
	Obj Expr
}

// Caps are the capability flags of a dialect: facts about the engine that
// change the shape of the SQL the emitter builds.
type Caps struct {
	// RecursiveCTE: recursive common table expressions inside inline
	// table-valued functions. Without it, repeat is unrolled to a bounded
	// depth (Azure Synapse: "recursive common table expressions are not
	// supported", WITH common_table_expression, Synapse section).
	RecursiveCTE bool
	// LateralRecursiveCTE: a recursive CTE may sit in a correlated
	// (LATERAL) derived table. With RecursiveCTE, repeat is then that
	// derived table instead of a helper function, so each view stays one
	// self-contained SELECT (DuckDB).
	LateralRecursiveCTE bool
	// RepeatDepth bounds the unrolled repeat (levels); deeper data fails
	// the query with a message.
	RepeatDepth int
	// Schema qualifies every object the scripts create.
	Schema string
	// NoOffset: the engine has no OFFSET (Azure Synapse dedicated pools
	// reject OFFSET ... FETCH), so a query that skips rows cannot be
	// compiled for it.
	NoOffset bool
}

// Type is an abstract SQL column type; dialects spell it.
type Type int

// TextLen is the size of TText, in characters.
const TextLen = 4000

const (
	TText     Type = iota // bounded text (T-SQL NVARCHAR(4000))
	TTextMax              // unbounded text (NVARCHAR(MAX))
	TInt                  // 32-bit integer
	TBigInt               // 64-bit integer
	TDecimal              // DECIMAL(38, 18)
	TBool                 // BIT
	TDate                 // DATE
	TDateTime             // timestamp with offset (DATETIMEOFFSET(7))
	TTime                 // TIME(7)
)

// Fn is a scalar function of the small portable vocabulary the emitter uses;
// each dialect maps it to its own spelling.
type Fn int

const (
	FnConcat        Fn = iota // variadic; NULL arguments count as ''
	FnLength                  // characters, trailing spaces included
	FnSubstring               // (s, start1, length)
	FnLeft                    // (s, n)
	FnRight                   // (s, n)
	FnIndexOf                 // (needle, haystack) → 1-based position, 0 when absent
	FnReverse                 // (s)
	FnReplicate               // (s, n)
	FnReplace                 // (s, from, to), exact matching
	FnUpper                   // (s)
	FnLower                   // (s)
	FnTrim                    // (s) both sides
	FnEndOfMonth              // (date) → last day of its month
	FnAbs                     // (n)
	FnRound                   // (n, digits)
	FnCoalesce                // variadic
	FnIfNull                  // (x, default): typed like x and NOT NULL when default is
	FnNullIf                  // (a, b)
	FnCount                   // (x) aggregate; Star for COUNT(*)
	FnMax                     // aggregate
	FnMin                     // aggregate
	FnRowNumber               // window, no arguments
	FnStringAgg               // (x, sep) aggregate
	FnIsJSON                  // (s) → 1 when s is a JSON object or array
	FnDateText                // (date) → 'YYYY-MM-DD'
	FnParseDate               // ('YYYY-MM-DD') → date, NULL when invalid
	FnParseDateTime           // (ISO 8601 with offset) → timestamp with offset, NULL when invalid
	FnParseTime               // ('hh:mm:ss[.fff]') → time, NULL when invalid
	FnFloor                   // (n)
	FnNowText                 // () → the current dateTime as ISO 8601 text with offset
	FnTodayText               // () → the current date as 'YYYY-MM-DD'
	FnStrictConcat            // (a, b): NULL when either is NULL

	// Used by queries over views (compiler/query).
	FnSum         // aggregate
	FnAvg         // aggregate; callers pass a DECIMAL argument
	FnCeiling     // (n)
	FnYear        // (date) → integer
	FnMonth       // (date) → integer 1-12
	FnDay         // (date) → integer 1-31
	FnDaysBetween // (a, b DATE) → whole days from a to b (b - a)
	FnAddDays     // (d DATE, n integer) → DATE
	FnCurrentDate // () → today's date as a DATE
	FnBinary      // (s) → s compared, grouped and sorted by code point (T-SQL: COLLATE BIN2)
)
