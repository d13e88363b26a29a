// Package duckdb is the DuckDB target: views that DuckDB runs directly over
// NDJSON files (read_json_objects), compiled from the same plan and by the
// same emitter as the T-SQL targets.
//
// It exists for two reasons. Local users get SQL they can paste into the
// DuckDB they already use, with the FHIRPath semantics intact (empty
// collections, order, exact strings, %rowIndex, repeat). And DuckDB is an
// embeddable second SQL engine, so every test run can check the emitter's
// logic against the runtime (package verify) without a SQL Server.
//
// DuckDB spells the shared AST differently from T-SQL (LIMIT for TOP, LATERAL
// joins for APPLY, string_agg(... ORDER BY ...), error() for a failing
// value), so the target gives the shared printer its spellings
// (sql.Spelled, print.go). Repeat is a recursive CTE in a LATERAL derived
// table (Caps.LateralRecursiveCTE), so a view is always one self-contained
// SELECT with no helper objects.
//
// Known differences from the runtime, all in the data, none in the view:
// DuckDB's JSON reader parses numbers as doubles, so a decimal read from the
// data comes back in its shortest double form ("1.50" as "1.5", "1.0e3" as
// "1000.0", more than 17 significant digits rounded), and decimal division
// is done in double precision.
package duckdb

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
)

// DefaultMaxObjectBytes is the longest NDJSON line the generated SQL reads
// (read_json_objects' maximum_object_size), the runtime's default line limit.
const DefaultMaxObjectBytes = 64 << 20

// Options configure the target.
type Options struct {
	// Source is where the NDJSON lines are: a path or glob that DuckDB
	// understands (local, s3://, https://...), with "{resource}" replaced
	// by the view's resource type. Default "{resource}*.ndjson".
	Source string
	// Files, when set, replaces Source: every view reads these files
	// (its resourceType filter keeps its own resources). verify uses it
	// to run views over exactly the inputs the runtime reads.
	Files []string
	// Schema qualifies the created views; "" leaves them in DuckDB's
	// current schema.
	Schema string
	// Tables builds tables (CREATE OR REPLACE TABLE ... AS) instead of views.
	Tables bool
	// RepeatDepth bounds repeat paths that cannot be a recursive CTE
	// (paths with functions), which are unrolled (default 8).
	RepeatDepth int
}

// Target compiles views for DuckDB.
type Target struct {
	opts Options
}

// New makes a target.
func New(o Options) *Target {
	if o.Source == "" {
		o.Source = "{resource}*.ndjson"
	}
	if o.RepeatDepth <= 0 {
		o.RepeatDepth = 8
	}
	return &Target{opts: o}
}

// Name implements sql.Dialect.
func (*Target) Name() string { return "duckdb" }

// Caps implements sql.Dialect: DuckDB has recursive CTEs and lets them be
// correlated inside a LATERAL subquery.
func (t *Target) Caps() sql.Caps {
	return sql.Caps{RecursiveCTE: true, LateralRecursiveCTE: true, RepeatDepth: t.opts.RepeatDepth, Schema: t.opts.Schema}
}

// QuoteIdent delimits an identifier with double quotes, doubling '"'.
func (*Target) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString writes '...' with "'" doubled (DuckDB literals take
// backslashes as they are). Control characters become chr(n) pieces joined
// with ||, so a literal never spans lines and no value can end a comment.
func (*Target) QuoteString(s string, unicode bool) string {
	return sql.QuoteLiteral(s, "", func(r rune) string { return fmt.Sprintf("chr(%d)", r) }, "||")
}

// TypeName spells the abstract column types.
func (*Target) TypeName(t sql.Type) string {
	switch t {
	case sql.TInt:
		return "INTEGER"
	case sql.TBigInt:
		return "BIGINT"
	case sql.TDecimal:
		return "DECIMAL(38, 18)"
	case sql.TBool:
		return "BOOLEAN"
	case sql.TDate:
		return "DATE"
	case sql.TDateTime:
		return "TIMESTAMPTZ"
	case sql.TTime:
		return "TIME"
	}
	return "VARCHAR"
}

func call(name string, args ...sql.Expr) sql.Expr { return &sql.Func{Name: name, Args: args} }

func num(s string) sql.Expr { return &sql.Num{V: s} }

// opConcat is DuckDB's string concatenation operator; the printer knows it.
const opConcat = "||"

// Fn spells the portable function vocabulary.
func (t *Target) Fn(f sql.Fn, args ...sql.Expr) sql.Expr {
	arg := func(i int) sql.Expr { return args[i] }
	switch f {
	case sql.FnConcat:
		if len(args) == 1 {
			return call("coalesce", &sql.Cast{X: arg(0), Typ: "VARCHAR"}, &sql.Str{V: ""})
		}
		return call("concat", args...)
	case sql.FnLength:
		return call("length", args...)
	case sql.FnSubstring:
		return call("substring", args...)
	case sql.FnLeft:
		return call("left", args...)
	case sql.FnRight:
		return call("right", args...)
	case sql.FnIndexOf:
		return call("strpos", arg(1), arg(0))
	case sql.FnReverse:
		return call("reverse", args...)
	case sql.FnReplicate:
		return call("repeat", args...)
	case sql.FnReplace:
		return call("replace", args...)
	case sql.FnUpper:
		return call("upper", args...)
	case sql.FnLower:
		return call("lower", args...)
	case sql.FnTrim:
		// FHIRPath whitespace: space, tab, LF, CR (trim alone removes spaces)
		return call("trim", arg(0), &sql.Str{V: " \t\n\r"})
	case sql.FnEndOfMonth:
		return call("last_day", args...)
	case sql.FnAbs:
		return call("abs", args...)
	case sql.FnRound:
		// As a decimal: rounding a double (DuckDB divides decimals as
		// doubles) leaves binary noise in the 18 decimals of the column.
		return call("round", &sql.Cast{X: arg(0), Typ: "DECIMAL(38, 18)"}, arg(1))
	case sql.FnCoalesce, sql.FnIfNull:
		return call("coalesce", args...)
	case sql.FnNullIf:
		return call("nullif", args...)
	case sql.FnCount:
		return call("count", args...)
	case sql.FnMax:
		return call("max", args...)
	case sql.FnMin:
		return call("min", args...)
	case sql.FnRowNumber:
		return call("row_number")
	case sql.FnStringAgg:
		return call("string_agg", args...)
	case sql.FnIsJSON:
		// An object or array, as T-SQL's ISJSON: json_valid alone also
		// accepts scalars ("1", "true"), which are not documents.
		return &sql.Case{Whens: []sql.When{{
			Cond: &sql.Bin{Op: sql.OpAnd,
				X: call("json_valid", arg(0)),
				Y: &sql.In{X: call("left", call("ltrim", &sql.Cast{X: arg(0), Typ: "VARCHAR"}), num("1")), List: []sql.Expr{&sql.Str{V: "{"}, &sql.Str{V: "["}}}},
			Then: num("1"),
		}}, Else: num("0")}
	case sql.FnDateText:
		return call("strftime", arg(0), &sql.Str{V: "%Y-%m-%d"})
	case sql.FnParseDate:
		return &sql.Cast{X: arg(0), Typ: "DATE", Try: true}
	case sql.FnParseDateTime:
		return &sql.Cast{X: arg(0), Typ: "TIMESTAMPTZ", Try: true}
	case sql.FnParseTime:
		return &sql.Cast{X: arg(0), Typ: "TIME", Try: true}
	case sql.FnFloor:
		return call("floor", args...)
	case sql.FnNowText:
		// UTC with a Z, so the text parses back as the same instant
		// whatever the session's TimeZone.
		return call("strftime", &sql.Func{Name: "timezone", Args: []sql.Expr{&sql.Str{V: "UTC"}, call("now")}}, &sql.Str{V: "%Y-%m-%dT%H:%M:%S.%gZ"})
	case sql.FnTodayText:
		return call("strftime", call("today"), &sql.Str{V: "%Y-%m-%d"})
	case sql.FnStrictConcat:
		return &sql.Bin{Op: opConcat, X: arg(0), Y: arg(1)}
	case sql.FnSum:
		return call("sum", args...)
	case sql.FnAvg:
		return call("avg", args...)
	case sql.FnCeiling:
		return call("ceiling", args...)
	case sql.FnYear:
		return call("year", args...)
	case sql.FnMonth:
		return call("month", args...)
	case sql.FnDay:
		return call("day", args...)
	case sql.FnDaysBetween:
		return call("date_diff", &sql.Str{V: "day"}, arg(0), arg(1))
	case sql.FnAddDays:
		// DATE + INTEGER is a DATE, days added
		return &sql.Cast{X: &sql.Bin{Op: sql.OpAdd, X: arg(0), Y: arg(1)}, Typ: "DATE"}
	case sql.FnCurrentDate:
		return call("current_date")
	case sql.FnBinary:
		return arg(0) // DuckDB compares strings by code point already
	}
	panic(fmt.Sprintf("duckdb: no spelling for function %d", f))
}

// JSONPath quotes every key ('$."name"."family"'), escaping '"' and '\', so
// a key with dots, quotes or dollars stays one key.
func JSONPath(keys []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		b.WriteString(`."`)
		for _, r := range k {
			switch r {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteString(`"`)
	}
	return b.String()
}

func path(keys []string) sql.Expr { return &sql.Str{V: JSONPath(keys)} }

// JSONValue reads a primitive as text: strings unescaped, numbers and
// booleans as their JSON text, NULL for JSON null or an absent key. DuckDB
// has no length limit, so long does not matter.
func (*Target) JSONValue(doc sql.Expr, keys []string, long bool) sql.Expr {
	return call("json_extract_string", doc, path(keys))
}

// JSONQuery reads an object or array as JSON text.
func (*Target) JSONQuery(doc sql.Expr, keys []string) sql.Expr {
	return &sql.Cast{X: call("json_extract", doc, path(keys)), Typ: "VARCHAR"}
}

func eachCols(alias string) sql.EachCols {
	col := func(n string) sql.Expr { return &sql.Col{Table: alias, Name: n} }
	return sql.EachCols{
		// A string unescaped; anything else its JSON text, which json_each
		// already holds (so objects are not parsed again just to be text).
		Value: &sql.Case{Operand: col("type"), Whens: []sql.When{
			{Cond: &sql.Str{V: "VARCHAR"}, Then: call("json_extract_string", col("value"), &sql.Str{V: "$"})},
			{Cond: &sql.Str{V: "NULL"}, Then: &sql.Null{}},
		}, Else: &sql.Cast{X: col("value"), Typ: "VARCHAR"}},
		Key:     col("key"),
		Ord:     &sql.Cast{X: col("key"), Typ: "INTEGER", Try: true},
		NotNull: &sql.Bin{Op: sql.OpNe, X: col("type"), Y: &sql.Str{V: "NULL"}},
		IsStr:   &sql.Bin{Op: sql.OpEq, X: col("type"), Y: &sql.Str{V: "VARCHAR"}},
	}
}

// JSONEach expands an array with json_each (key is the index as text).
func (*Target) JSONEach(doc sql.Expr, keys []string, alias string) (sql.Source, sql.EachCols) {
	return &sql.TableFunc{Name: "json_each", Args: []sql.Expr{doc, path(keys)}}, eachCols(alias)
}

// JSONMembers lists an object's members with json_each.
func (*Target) JSONMembers(doc sql.Expr, alias string) (sql.Source, sql.EachCols) {
	return &sql.TableFunc{Name: "json_each", Args: []sql.Expr{doc}}, eachCols(alias)
}

// JSONProps: DuckDB reads each primitive with json_extract_string.
func (*Target) JSONProps(doc sql.Expr, alias string) sql.PropReader { return nil }

// JSONQuote makes a JSON string literal with to_json.
func (*Target) JSONQuote(s sql.Expr) sql.Expr {
	return &sql.Cast{X: call("to_json", &sql.Cast{X: s, Typ: "VARCHAR"}), Typ: "VARCHAR"}
}

// StringAgg is string_agg(x, sep ORDER BY ...); the printer renders the
// WithinGroup node as DuckDB's in-call ORDER BY.
func (*Target) StringAgg(x, sep sql.Expr, order []sql.Order) sql.Expr {
	agg := call("string_agg", x, sep)
	if len(order) == 0 {
		return agg
	}
	return &sql.WithinGroup{Agg: agg, OrderBy: order}
}

// IsTypeName: an ASCII capital then ASCII letters only.
func (*Target) IsTypeName(s sql.Expr) sql.Expr {
	return call("regexp_full_match", s, &sql.Str{V: "[A-Z][A-Za-z]*"})
}

// StringEq: DuckDB compares VARCHAR byte by byte, so = is already exact
// (case, accents and trailing spaces all count).
func (*Target) StringEq(a, b sql.Expr) sql.Expr { return &sql.Bin{Op: sql.OpEq, X: a, Y: b} }

// StringCmp: byte order of UTF-8 is code-point order.
func (*Target) StringCmp(op string, a, b sql.Expr) sql.Expr { return &sql.Bin{Op: op, X: a, Y: b} }

// Shape is a full regular-expression match ([0-9] per digit, [0-9]+ for a
// final run of digits, every other character quoted): RE2 matching is
// case-sensitive and anchored at both ends.
func (*Target) Shape(s sql.Expr, shape string) sql.Expr {
	run := strings.HasSuffix(shape, "*")
	var re strings.Builder
	for _, r := range strings.TrimSuffix(shape, "*") {
		if r == '9' {
			re.WriteString("[0-9]")
		} else {
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if run {
		re.WriteString("[0-9]+")
	}
	return call("regexp_full_match", s, &sql.Str{V: re.String()})
}

// ToNumber converts JSON number text without failing. An integer must be
// written as one: TRY_CAST('1.5' AS BIGINT) would round to 2.
func (*Target) ToNumber(x sql.Expr, integer bool) sql.Expr {
	if integer {
		return &sql.Case{Whens: []sql.When{{
			Cond: call("regexp_full_match", x, &sql.Str{V: "-?[0-9]+"}),
			Then: &sql.Cast{X: x, Typ: "BIGINT", Try: true},
		}}}
	}
	return &sql.Cast{X: x, Typ: "DECIMAL(38, 18)", Try: true}
}

// ToInt truncates toward zero (CAST alone rounds in DuckDB).
func (*Target) ToInt(x sql.Expr) sql.Expr {
	return &sql.Cast{X: call("trunc", x), Typ: "INTEGER"}
}

// BoolValue turns a predicate into 1/0, NULL when unknown.
func (*Target) BoolValue(p sql.Expr, twoValued bool) sql.Expr {
	if twoValued {
		return &sql.Case{Whens: []sql.When{{Cond: p, Then: num("1")}}, Else: num("0")}
	}
	return &sql.Case{Whens: []sql.When{
		{Cond: p, Then: num("1")},
		{Cond: &sql.Not{X: p}, Then: num("0")},
	}}
}

// Fail is error(msg), which aborts the query with the message itself.
func (*Target) Fail(msg sql.Expr, typ string) sql.Expr {
	return &sql.Cast{X: call("error", msg), Typ: typ}
}

// NoOrder is ORDER BY NULL.
func (*Target) NoOrder() sql.Expr { return &sql.Null{} }

// Location is the path pattern for one resource type.
func (t *Target) Location(resource string) string {
	return strings.ReplaceAll(t.opts.Source, "{resource}", resource)
}

// Source reads one resource per NDJSON line. Lines that are not JSON give
// NULL documents (ignore_errors), which every JSON function ignores, as the
// T-SQL targets do with ISJSON.
func (t *Target) Source(resource, alias string) (*sql.From, sql.Expr) {
	var files sql.Expr = &sql.Str{V: t.Location(resource)}
	if len(t.opts.Files) > 0 {
		var list []sql.Expr
		for _, f := range t.opts.Files {
			list = append(list, &sql.Str{V: f})
		}
		files = call("list_value", list...)
	}
	opt := func(name string, v sql.Expr) sql.Expr {
		return &sql.OptionArg{Option: sql.Option{Name: name, Value: v}}
	}
	read := &sql.TableFunc{Name: "read_json_objects", Args: []sql.Expr{
		files,
		opt("format", &sql.Str{V: "newline_delimited"}),
		opt("ignore_errors", &sql.Bare{K: "true"}),
		opt("maximum_object_size", num(fmt.Sprint(DefaultMaxObjectBytes))),
	}, Multiline: true}
	sel := &sql.Select{
		Items: []sql.Item{{X: &sql.Col{Table: "s", Name: "json"}, Alias: "doc"}},
		From:  []*sql.From{{Src: read, Alias: "s"}},
	}
	return &sql.From{Src: &sql.Derived{Q: sel}, Alias: alias}, &sql.Col{Table: alias, Name: "doc"}
}

// Object implements sql.Target.
func (t *Target) Object(v *plan.View) sql.ObjectName {
	if t.opts.Schema == "" {
		return sql.ObjectName{sql.ViewName(v)}
	}
	return sql.ObjectName{t.opts.Schema, sql.ViewName(v)}
}

// Prelude: nothing is shared.
func (*Target) Prelude(views []*sql.Compiled) []sql.Stmt { return nil }

// Create makes the view (CREATE OR REPLACE VIEW) or, with Options.Tables,
// the table. Repeat needs no helper objects on DuckDB.
func (t *Target) Create(c *sql.Compiled) []sql.Stmt {
	var stmts []sql.Stmt
	for _, h := range c.Helpers {
		stmts = append(stmts, h.Stmt)
	}
	name := t.Object(c.View)
	if t.opts.Tables {
		return append(stmts, &sql.CreateTable{Name: name, As: c.Query})
	}
	return append(stmts, &sql.CreateView{Name: name, OrAlter: true, Q: c.Query})
}

var _ sql.Target = (*Target)(nil)
var _ sql.Spelled = (*Target)(nil)
