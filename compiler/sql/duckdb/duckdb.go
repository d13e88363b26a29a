// Package duckdb is the DuckDB target: views that DuckDB runs directly over
// NDJSON files (read as lines of text, Target.Lines), compiled from the same plan and by the
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
// Each line is parsed once, into a STRUCT of the elements the view reads
// from the resource, typed from the plan (typed.go); what a STRUCT cannot
// hold is read with the JSON functions, per expression (docs/sql.md,
// "DuckDB: how the generated SQL reads a resource").
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
	// Exports, when set, is a glob of Bulk Data export folders (each with
	// its manifest.json, its resource files matching Source inside it, and
	// its deletion lists under deleted/): the views then read the current
	// state over all of them (docs/versions.md), not every line.
	Exports string
	// RepeatDepth bounds repeat paths that cannot be a recursive CTE
	// (paths with functions), which are unrolled (default 8).
	RepeatDepth int
}

// Target compiles views for DuckDB.
type Target struct {
	opts Options
	// roots are the resources Source made, keyed by their document
	// expression, whose reads go through the typed reader (typed.go).
	roots map[sql.Expr]*typedRoot
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

// SizedText is VARCHAR: DuckDB ignores a VARCHAR's length, so the
// emitter's length check is what bounds the value, as on T-SQL.
func (t *Target) SizedText(n int) string { return t.TypeName(sql.TTextMax) }

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
// booleans as their JSON text, NULL for JSON null, an absent key, and an
// array or object (json_value), as T-SQL's JSON_VALUE and the runtime read
// an element of the wrong shape (docs/input.md). DuckDB has no length
// limit, so long does not matter.
func (t *Target) JSONValue(doc sql.Expr, keys []string, long bool) sql.Expr {
	if leaf := t.typedLeaf(doc, keys, leafText); leaf != nil {
		return leaf
	}
	return jsonText(doc, keys)
}

func jsonText(doc sql.Expr, keys []string) sql.Expr {
	return call("json_extract_string", call("json_value", doc, path(keys)), &sql.Str{V: "$"})
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
		IsObj:   &sql.Bin{Op: sql.OpEq, X: col("type"), Y: &sql.Str{V: "OBJECT"}},
		// Written as three comparisons with type, which listify turns into
		// tests of the element's JSON text.
		IsScalar: &sql.Bin{Op: sql.OpAnd,
			X: &sql.Bin{Op: sql.OpAnd,
				X: &sql.Bin{Op: sql.OpNe, X: col("type"), Y: &sql.Str{V: "NULL"}},
				Y: &sql.Bin{Op: sql.OpNe, X: col("type"), Y: &sql.Str{V: "ARRAY"}}},
			Y: &sql.Bin{Op: sql.OpNe, X: col("type"), Y: &sql.Str{V: "OBJECT"}}},
		// json_value fails on a string's unescaped text.
		Obj: &sql.Case{Whens: []sql.When{{Cond: &sql.Bin{Op: sql.OpEq, X: col("type"), Y: &sql.Str{V: "OBJECT"}}, Then: &sql.Cast{X: col("value"), Typ: "VARCHAR"}}}},
	}
}

// JSONEach expands an array with json_each (key is the index as text).
// Only an array: json_each would list an object's members or a scalar as
// rows, and an element that repeats but holds a single value is absent, as
// on the runtime (docs/input.md).
func (t *Target) JSONEach(doc sql.Expr, keys []string, alias string) (sql.Source, sql.EachCols) {
	if leaf := t.typedLeaf(doc, keys, leafJSON); leaf != nil {
		doc, keys = leaf, nil
	}
	onlyArray := &sql.Case{Whens: []sql.When{{Cond: &sql.Bin{Op: sql.OpEq, X: call("json_type", doc, path(keys)), Y: &sql.Str{V: "ARRAY"}}, Then: doc}}}
	return &sql.TableFunc{Name: "json_each", Args: []sql.Expr{onlyArray, path(keys)}}, eachCols(alias)
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

// Location is the path pattern for one resource type (inside every export
// folder with Options.Exports).
func (t *Target) Location(resource string) string {
	if t.opts.Exports != "" {
		return t.opts.Exports + "/" + strings.ReplaceAll(t.opts.Source, "{resource}", resource)
	}
	return strings.ReplaceAll(t.opts.Source, "{resource}", resource)
}

// Source reads one resource per NDJSON line (Lines); a line that is not
// JSON gives a NULL document, which every JSON function ignores, as the
// T-SQL targets do with ISJSON. Such lines are listed by Rejects.
func (t *Target) Source(resource, alias string) (*sql.From, sql.Expr) {
	if t.opts.Exports != "" {
		// The current state's lines (current.go), valid JSON already.
		return &sql.From{Src: &sql.Table{Name: t.CurrentName(resource)}, Alias: alias}, &sql.Col{Table: alias, Name: "doc"}
	}
	line := &sql.Col{Table: "s", Name: "line"}
	lines := &sql.Select{
		Items: []sql.Item{{X: &sql.Case{Whens: []sql.When{{Cond: strictJSON(line), Then: line}}}, Alias: "doc"}},
		From:  []*sql.From{{Src: t.Lines(resource, false, false), Alias: "s"}},
	}
	// The typed reader (typed.go) adds its STRUCT column to parse, and a
	// column to sel per element read; it then tests the JSON by parsing it
	// once (typedRoot.leaf), so lines and sel's doc are rewritten too.
	inner := &sql.Col{Table: "l", Name: "doc"}
	parse := &sql.Select{
		Items: []sql.Item{{X: inner, Alias: "doc"}},
		From:  []*sql.From{{Src: &sql.Derived{Q: lines}, Alias: "l"}},
	}
	sel := &sql.Select{
		Items: []sql.Item{{X: &sql.Col{Table: "p", Name: "doc"}, Alias: "doc"}},
		From:  []*sql.From{{Src: &sql.Derived{Q: parse}, Alias: "p"}},
	}
	doc := &sql.Col{Table: alias, Name: "doc"}
	if t.roots == nil {
		t.roots = map[sql.Expr]*typedRoot{}
	}
	t.roots[doc] = &typedRoot{alias: alias, doc: inner, parse: parse, cols: sel, tree: &typedNode{kids: map[string]*typedNode{}},
		onParse: func() {
			lines.Items[0].X = &sql.Case{Whens: []sql.When{{Cond: notLenient(line), Then: line}}}
		}}
	return &sql.From{Src: &sql.Derived{Q: sel}, Alias: alias}, doc
}

// lenient finds what DuckDB's JSON parser accepts beyond RFC 8259 (and
// the runtime and T-SQL's ISJSON do not): a trailing comma in an object or
// array, and NaN or Infinity as a number (any case), outside strings.
// lenientHints are cheap unanchored tests that no line of a real export
// passes (the word "information" does not), so that the exact test, which
// follows strings, runs on almost no line. Each hint starts with one fixed
// byte, which RE2 finds with memchr; one pattern starting with a class
// ([:,\[]) is scanned byte by byte and cost three times the line read.
const lenient = `^(?:"(?:[^"\\]|\\.)*"|[^"])*?(?:,[ \t\r]*[\]}]|[:,\[][ \t\r]*[-+]?(?i:nan|inf))`

var lenientHints = []string{
	`,[ \t\r]*(?:[\]}]|[-+]?(?i:nan|inf))`,
	`:[ \t\r]*[-+]?(?i:nan|inf)`,
	`\[[ \t\r]*[-+]?(?i:nan|inf)`,
}

// strictJSON is json_valid without DuckDB's leniency (lenient).
func strictJSON(line sql.Expr) sql.Expr {
	return &sql.Bin{Op: sql.OpAnd, X: call("json_valid", line), Y: notLenient(line)}
}

// notLenient is true unless the line is JSON only to DuckDB (lenient).
func notLenient(line sql.Expr) sql.Expr {
	var hint sql.Expr
	for _, h := range lenientHints {
		m := call("regexp_matches", line, &sql.Str{V: h})
		if hint == nil {
			hint = m
		} else {
			hint = &sql.Bin{Op: sql.OpOr, X: hint, Y: m}
		}
	}
	// A CASE, not AND: DuckDB evaluates both sides of an AND in a
	// projection for every row, and the exact test on every line costs ten
	// times the line read; CASE runs it on the lines the hints pick only.
	return &sql.Not{X: &sql.Case{
		Whens: []sql.When{{Cond: hint, Then: call("regexp_matches", line, &sql.Str{V: lenient})}},
		Else:  &sql.Bare{K: "false"},
	}}
}

// readBufferBytes is the CSV reader's buffer: twice the line limit. DuckDB
// (1.5.6) gives each thread a piece of max_line_size bytes of a buffer and
// refuses a buffer smaller than that limit; with its default buffer (the
// limit itself, one piece per buffer) it read a 256 MB file on one thread at
// a time, while with two pieces per buffer two threads share the work. The
// rows and their order are the same; the buffer costs memory only.
const readBufferBytes = 2 * DefaultMaxObjectBytes

// Lines reads the lines of one resource type's files as text (with the
// file's name in column filename when named is set): a CSV read with one column, whose delimiter and quote (0x0b)
// cannot occur in JSON text, as the T-SQL targets read the lake.
//
// Reading text rather than JSON (read_json_objects) is what makes DuckDB
// follow the rules of docs/input.md: the CSV reader skips a byte-order mark
// at the start of each file (read_json_objects rejects that line), and the
// lines it reads are the lines Rejects can list. A line that is not UTF-8
// is dropped by ignore_errors; Rejects finds it by reading the files again
// as Latin-1 (latin1), which decodes any bytes.
func (t *Target) Lines(resource string, named, latin1 bool) sql.Source {
	return t.linesFrom(t.Location(resource), named, latin1)
}

// linesOf is Lines over a pattern of its own (the deletion lists).
func (t *Target) linesOf(pattern string, named bool) sql.Source {
	saved := t.opts.Files
	t.opts.Files = nil
	defer func() { t.opts.Files = saved }()
	return t.linesFrom(pattern, named, false)
}

func (t *Target) linesFrom(pattern string, named, latin1 bool) sql.Source {
	var files sql.Expr = &sql.Str{V: pattern}
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
	args := []sql.Expr{
		files,
		opt("columns", &sql.StructLit{Fields: []sql.Option{{Name: "line", Value: &sql.Str{V: "VARCHAR"}}}}),
		opt("delim", &sql.Str{V: "\x0b"}),
		opt("quote", &sql.Str{V: ""}),
		opt("escape", &sql.Str{V: ""}),
		opt("header", &sql.Bare{K: "false"}),
		opt("auto_detect", &sql.Bare{K: "false"}),
		opt("new_line", &sql.Str{V: "\\n"}),
		opt("strict_mode", &sql.Bare{K: "false"}),
		opt("ignore_errors", &sql.Bare{K: "true"}),
		opt("max_line_size", num(fmt.Sprint(DefaultMaxObjectBytes))),
		opt("buffer_size", num(fmt.Sprint(readBufferBytes))),
	}
	if named {
		args = append(args, opt("filename", &sql.Bare{K: "true"}))
	}
	if latin1 {
		args = append(args, opt("encoding", &sql.Str{V: "latin-1"}))
	}
	return &sql.TableFunc{Name: "read_csv", Args: args, Multiline: true}
}

// utf8Pattern matches a line read as Latin-1 (one character per byte)
// whose bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing beyond U+10FFFF).
const utf8Pattern = `(?:[\x{00}-\x{7F}]|[\x{C2}-\x{DF}][\x{80}-\x{BF}]|\x{E0}[\x{A0}-\x{BF}][\x{80}-\x{BF}]|` +
	`[\x{E1}-\x{EC}\x{EE}\x{EF}][\x{80}-\x{BF}]{2}|\x{ED}[\x{80}-\x{9F}][\x{80}-\x{BF}]|` +
	`\x{F0}[\x{90}-\x{BF}][\x{80}-\x{BF}]{2}|[\x{F1}-\x{F3}][\x{80}-\x{BF}]{3}|\x{F4}[\x{80}-\x{8F}][\x{80}-\x{BF}]{2})*`

// RejectsName implements sql.Rejecter: fhirql_<Resource>_rejects, or
// fhirql_rejects when every view reads the same Files.
func (t *Target) RejectsName(resource string) sql.ObjectName {
	name := sql.HelperView(resource, "rejects")
	if len(t.opts.Files) > 0 {
		name = "fhirql_rejects"
	}
	if t.opts.Schema == "" {
		return sql.ObjectName{name}
	}
	return sql.ObjectName{t.opts.Schema, name}
}

// Rejects implements sql.Rejecter: a view over RejectsQuery.
func (t *Target) Rejects(resource string) []sql.Stmt {
	return []sql.Stmt{&sql.CreateView{Name: t.RejectsName(resource), OrAlter: true, Q: t.RejectsQuery(resource)}}
}

// RejectsQuery lists the lines of a resource type's files that Source
// reads as NULL documents, or not at all: file, reason, line (its first
// 1,000 characters). DuckDB does not number the lines of a CSV read, so
// there is no line number; the text finds the line. A line that is not
// UTF-8 is shown as Latin-1. Lines longer than the line limit are dropped
// by the reader and not listed.
func (t *Target) RejectsQuery(resource string) sql.Query {
	line := &sql.Col{Table: "s", Name: "line"}
	file := &sql.Col{Table: "s", Name: "filename"}
	str := func(s string) sql.Expr { return &sql.Str{V: s} }
	blank := &sql.Bin{Op: sql.OpNe, X: call("trim", line, str(" \t\r")), Y: str("")}
	text := &sql.Select{
		Items: []sql.Item{
			{X: file, Alias: "file"},
			{X: &sql.Case{Whens: []sql.When{
				{Cond: &sql.Not{X: strictJSON(line)}, Then: str("not valid JSON")},
				{Cond: &sql.Bin{Op: sql.OpNe, X: call("json_type", line), Y: str("OBJECT")}, Then: str("not a JSON object")},
				{Cond: &sql.Bin{Op: sql.OpNe, X: call("coalesce", call("json_type", line, str("$.resourceType")), str("")), Y: str("VARCHAR")}, Then: str("no resourceType")},
			}}, Alias: "reason"},
			{X: call("left", line, num("1000")), Alias: "line"},
		},
		From:  []*sql.From{{Src: t.Lines(resource, true, false), Alias: "s"}},
		Where: []sql.Expr{blank},
	}
	latin1 := &sql.Select{
		Items: []sql.Item{
			{X: file, Alias: "file"},
			{X: str("not valid UTF-8"), Alias: "reason"},
			{X: call("left", line, num("1000")), Alias: "line"},
		},
		From:  []*sql.From{{Src: t.Lines(resource, true, true), Alias: "s"}},
		Where: []sql.Expr{&sql.Not{X: call("regexp_full_match", line, str(utf8Pattern))}},
	}
	col := func(n string) sql.Expr { return &sql.Col{Table: "r", Name: n} }
	return &sql.Select{
		Items: []sql.Item{{X: col("file"), Alias: "file"}, {X: col("reason"), Alias: "reason"}, {X: col("line"), Alias: "line"}},
		From:  []*sql.From{{Src: &sql.Derived{Q: &sql.UnionAll{Queries: []sql.Query{text, latin1}}}, Alias: "r"}},
		Where: []sql.Expr{&sql.IsNull{X: col("reason"), Not: true}},
	}
}

// Object implements sql.Target.
func (t *Target) Object(v *plan.View) sql.ObjectName {
	if t.opts.Schema == "" {
		return sql.ObjectName{sql.ViewName(v)}
	}
	return sql.ObjectName{t.opts.Schema, sql.ViewName(v)}
}

// Prelude: with Options.Exports, the current-state view of each resource
// type the views read (current.go); otherwise nothing is shared.
func (t *Target) Prelude(views []*sql.Compiled) []sql.Stmt {
	if t.opts.Exports == "" {
		return nil
	}
	var out []sql.Stmt
	for _, r := range sql.Resources(views) {
		out = append(out, &sql.Comment{Lines: []string{"The current state of " + r + " over the exports " + t.opts.Exports + ": latest version per id, deleted ids left out (docs/versions.md)."}}, t.Current(r))
	}
	return out
}

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
var _ sql.Rejecter = (*Target)(nil)
