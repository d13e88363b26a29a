// Package tsql holds the Transact-SQL spellings shared by fhirql's three
// Microsoft targets (Synapse serverless, Synapse dedicated, SQL Server 2022):
// quoting, JSON access, exact string comparison, safe number conversion.
//
// It knows T-SQL, not FHIR: what to compute is the shared emitter's business
// (compiler/sql), and what differs between the engines — where rows come
// from, JSON string escaping, recursion — is each target package's. The
// spellings follow the project's T-SQL mapping research (tsql-mapping.md,
// pitfalls P1–P12, cited below by number).
package tsql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/compiler/sql"
)

// BIN2 is the collation used for every string comparison: code-point order,
// case- and accent-sensitive, whatever the database default (P9).
const BIN2 = "Latin1_General_100_BIN2"

// Base implements the sql.Dialect methods all three targets spell alike.
// Targets embed it and add Name, Caps, Source and JSONQuote.
type Base struct{}

// QuoteIdent delimits an identifier with brackets, doubling "]" (QUOTENAME's rule).
func (Base) QuoteIdent(name string) string {
	return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
}

// QuoteString writes a literal: N'...' (or '...' for non-Unicode contexts
// such as JSON paths) with "'" doubled. Control characters are written as
// NCHAR(n) pieces concatenated with +, so a literal never spans lines: no
// value can forge a GO batch separator or end a comment. Text that is not
// ASCII always gets the N prefix, so a code page cannot mangle it.
func (Base) QuoteString(s string, unicode bool) string {
	if !unicode {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				unicode = true
				break
			}
		}
	}
	prefix := ""
	if unicode {
		prefix = "N"
	}
	return sql.QuoteLiteral(s, prefix, func(r rune) string { return fmt.Sprintf("NCHAR(%d)", r) }, "+")
}

// TypeName spells the abstract column types.
func (Base) TypeName(t sql.Type) string {
	switch t {
	case sql.TText:
		return "NVARCHAR(4000)"
	case sql.TInt:
		return "INT"
	case sql.TBigInt:
		return "BIGINT"
	case sql.TDecimal:
		return "DECIMAL(38, 18)"
	case sql.TBool:
		return "BIT"
	case sql.TDate:
		return "DATE"
	case sql.TDateTime:
		return "DATETIMEOFFSET(7)"
	case sql.TTime:
		return "TIME(7)"
	}
	return "NVARCHAR(MAX)"
}

// MaxSized is the largest n of NVARCHAR(n); wider text is NVARCHAR(MAX).
const MaxSized = 4000

// SizedText is NVARCHAR(n): n counts UTF-16 code units, as the emitter's
// length check (DATALENGTH / 2) does.
func (b Base) SizedText(n int) string {
	if n <= 0 || n > MaxSized {
		return b.TypeName(sql.TTextMax)
	}
	return fmt.Sprintf("NVARCHAR(%d)", n)
}

// Unbounded lists the columns of c whose type is (N)VARCHAR(MAX) or
// VARBINARY(MAX): the ones a clustered columnstore table of a Synapse
// dedicated pool cannot hold ("Indexes on dedicated SQL pool tables").
func Unbounded(c *sql.Compiled) []int {
	var out []int
	for i, col := range c.Columns {
		if strings.HasSuffix(strings.ToUpper(strings.ReplaceAll(col.SQLType, " ", "")), "(MAX)") {
			out = append(out, i)
		}
	}
	return out
}

// SplitPattern splits a lake location pattern into its folder and the file
// name pattern of its last segment; wildcard says the name has a '*'.
func SplitPattern(loc string) (dir, name string, wildcard bool) {
	i := strings.LastIndexByte(loc, '/')
	dir, name = loc[:i+1], loc[i+1:]
	return dir, name, strings.Contains(name, "*")
}

// LikePattern turns a file name pattern with '*' wildcards into a LIKE
// pattern: '*' is '%', and LIKE's own wildcards are taken literally.
func LikePattern(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch r {
		case '*':
			b.WriteByte('%')
		case '%', '_', '[':
			b.WriteString("[" + string(r) + "]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func call(name string, args ...sql.Expr) sql.Expr { return &sql.Func{Name: name, Args: args} }

func bin2(x sql.Expr) sql.Expr { return &sql.Collate{X: x, Name: BIN2} }

// Fn spells the portable function vocabulary.
func (b Base) Fn(f sql.Fn, args ...sql.Expr) sql.Expr {
	arg := func(i int) sql.Expr { return args[i] }
	switch f {
	case sql.FnConcat:
		if len(args) == 1 {
			args = append(args, &sql.Str{V: ""})
		}
		return call("CONCAT", args...)
	case sql.FnLength:
		// DATALENGTH counts trailing spaces, which LEN drops; every text the
		// emitter makes is NVARCHAR (2 bytes per UTF-16 unit).
		return &sql.Bin{Op: sql.OpDiv, X: call("DATALENGTH", arg(0)), Y: &sql.Num{V: "2"}}
	case sql.FnSubstring:
		return call("SUBSTRING", args...)
	case sql.FnLeft:
		return call("LEFT", args...)
	case sql.FnRight:
		return call("RIGHT", args...)
	case sql.FnIndexOf:
		return call("CHARINDEX", arg(0), bin2(arg(1)))
	case sql.FnReverse:
		return call("REVERSE", args...)
	case sql.FnReplicate:
		return call("REPLICATE", args...)
	case sql.FnReplace:
		return call("REPLACE", bin2(arg(0)), arg(1), arg(2))
	case sql.FnUpper:
		return call("UPPER", args...)
	case sql.FnLower:
		return call("LOWER", args...)
	case sql.FnTrim:
		// FHIRPath whitespace (space, tab, LF, CR) at both ends: LTRIM and
		// RTRIM remove spaces only, and TRIM(chars FROM s) is not on every
		// target. The first non-whitespace position from each end, by
		// PATINDEX under a binary collation, bounds a SUBSTRING.
		s := arg(0)
		notWS := &sql.Str{V: "%[^ \t\n\r]%"}
		first := call("PATINDEX", notWS, bin2(s))
		last := call("PATINDEX", notWS, bin2(call("REVERSE", s)))
		n := &sql.Bin{Op: sql.OpDiv, X: call("DATALENGTH", s), Y: &sql.Num{V: "2"}}
		return &sql.Case{Whens: []sql.When{{Cond: &sql.Bin{Op: sql.OpEq, X: first, Y: &sql.Num{V: "0"}}, Then: &sql.Str{V: ""}}},
			Else: call("SUBSTRING", s, first, &sql.Bin{Op: sql.OpAdd, X: &sql.Bin{Op: sql.OpSub, X: &sql.Bin{Op: sql.OpSub, X: n, Y: first}, Y: last}, Y: &sql.Num{V: "2"}})}
	case sql.FnEndOfMonth:
		return call("EOMONTH", args...)
	case sql.FnAbs:
		return call("ABS", args...)
	case sql.FnRound:
		return call("ROUND", args...)
	case sql.FnCoalesce:
		return call("COALESCE", args...)
	case sql.FnIfNull:
		return call("ISNULL", args...)
	case sql.FnNullIf:
		return call("NULLIF", args...)
	case sql.FnCount:
		return call("COUNT", args...)
	case sql.FnMax:
		return call("MAX", args...)
	case sql.FnMin:
		return call("MIN", args...)
	case sql.FnRowNumber:
		return call("ROW_NUMBER")
	case sql.FnStringAgg:
		return call("STRING_AGG", args...)
	case sql.FnIsJSON:
		return call("ISJSON", args...)
	case sql.FnDateText:
		return &sql.Convert{Typ: "NVARCHAR(10)", X: arg(0), Style: 23}
	case sql.FnParseDate:
		return &sql.Convert{Typ: "DATE", X: arg(0), Style: 23, Try: true}
	case sql.FnParseDateTime:
		return &sql.Convert{Typ: "DATETIMEOFFSET(7)", X: arg(0), Style: 127, Try: true}
	case sql.FnParseTime:
		return &sql.Convert{Typ: "TIME(7)", X: arg(0), Try: true}
	case sql.FnFloor:
		return call("FLOOR", args...)
	case sql.FnNowText:
		return &sql.Convert{Typ: "NVARCHAR(33)", X: call("SYSDATETIMEOFFSET"), Style: 127}
	case sql.FnTodayText:
		return &sql.Convert{Typ: "NVARCHAR(10)", X: &sql.Cast{X: call("SYSDATETIMEOFFSET"), Typ: "DATE"}, Style: 23}
	case sql.FnStrictConcat:
		return &sql.Bin{Op: sql.OpAdd, X: arg(0), Y: arg(1)}
	case sql.FnSum:
		return call("SUM", args...)
	case sql.FnAvg:
		return call("AVG", args...)
	case sql.FnCeiling:
		return call("CEILING", args...)
	case sql.FnYear:
		return call("YEAR", args...)
	case sql.FnMonth:
		return call("MONTH", args...)
	case sql.FnDay:
		return call("DAY", args...)
	case sql.FnDaysBetween:
		return call("DATEDIFF", &sql.Bare{K: "day"}, arg(0), arg(1))
	case sql.FnAddDays:
		return call("DATEADD", &sql.Bare{K: "day"}, arg(1), arg(0))
	case sql.FnCurrentDate:
		return &sql.Cast{X: call("SYSDATETIMEOFFSET"), Typ: "DATE"}
	case sql.FnBinary:
		return bin2(arg(0))
	}
	panic(fmt.Sprintf("tsql: no spelling for function %d", f))
}

// JSONPath quotes every key ('$."name"."family"'), escaping '"', '\' and
// control characters the JSON way, so backtick-quoted FHIRPath names with
// quotes, dollars or dots stay one key (D6: keys with special characters
// must be quoted). The printer then doubles "'".
func JSONPath(keys []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		b.WriteString(`."`)
		for _, r := range k {
			switch {
			case r == '"':
				b.WriteString(`\"`)
			case r == '\\':
				b.WriteString(`\\`)
			case r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteString(`"`)
	}
	return b.String()
}

func path(keys []string) sql.Expr { return &sql.ASCII{V: JSONPath(keys)} }

// JSONValue reads a primitive. JSON_VALUE returns NVARCHAR(4000) and gives
// NULL for longer values (D3, P1), so a value that may be longer is read
// with OPENJSON ... WITH (... NVARCHAR(MAX) '$."key"') instead.
func (Base) JSONValue(doc sql.Expr, keys []string, long bool) sql.Expr {
	if !long {
		return call("JSON_VALUE", doc, path(keys))
	}
	return &sql.Sub{Q: &sql.Select{
		Items: []sql.Item{{X: &sql.Col{Name: "v"}}},
		From: []*sql.From{{Src: &sql.TableFunc{
			Name: "OPENJSON", Args: []sql.Expr{doc},
			With: []sql.WithCol{{Name: "v", Typ: "NVARCHAR(MAX)", Path: JSONPath(keys)}},
		}}},
	}}
}

// JSONQuery reads an object or array as JSON text.
func (Base) JSONQuery(doc sql.Expr, keys []string) sql.Expr {
	return call("JSON_QUERY", doc, path(keys))
}

// props reads the primitives of one object with OPENJSON(doc) WITH (...):
// one parse of the object for all its columns, and no 4,000-character limit.
type props struct {
	alias string
	fn    *sql.TableFunc
	names map[string]string
	used  map[string]bool
}

// JSONProps implements sql.Dialect.
func (Base) JSONProps(doc sql.Expr, alias string) sql.PropReader {
	return &props{
		alias: alias,
		fn:    &sql.TableFunc{Name: "OPENJSON", Args: []sql.Expr{doc}, Optional: true},
		names: map[string]string{},
		used:  map[string]bool{},
	}
}

// Source implements sql.PropReader.
func (p *props) Source() sql.Source { return p.fn }

// Read names the column after the path ([period.start]) when it can.
func (p *props) Read(keys []string, long bool) sql.Expr {
	typ := "NVARCHAR(4000)"
	if long {
		typ = "NVARCHAR(MAX)"
	}
	return p.column(keys, "", sql.WithCol{Typ: typ, Path: JSONPath(keys)})
}

// ReadJSON is a column AS JSON: the object's or array's text, NULL when the
// value is absent or a primitive (lax mode, as JSON_QUERY). AS JSON needs
// NVARCHAR(MAX) (D5).
func (p *props) ReadJSON(keys []string) sql.Expr {
	return p.column(keys, "json", sql.WithCol{Typ: "NVARCHAR(MAX)", Path: JSONPath(keys), AsJSON: true})
}

// column adds (once per kind and path) a column to the WITH list.
func (p *props) column(keys []string, kind string, col sql.WithCol) sql.Expr {
	k := kind + "\x01" + strings.Join(keys, "\x00")
	name, ok := p.names[k]
	if !ok {
		name = strings.Join(keys, ".")
		for n := len(p.names) + 1; !sql.ValidIdent(name) || p.used[name]; n++ {
			name = fmt.Sprintf("c%d", n)
		}
		p.names[k] = name
		p.used[name] = true
		col.Name = name
		p.fn.With = append(p.fn.With, col)
	}
	return &sql.Col{Table: p.alias, Name: name}
}

func eachCols(alias string) sql.EachCols {
	col := func(n string) sql.Expr { return &sql.Col{Table: alias, Name: n} }
	return sql.EachCols{
		Value: col("value"),
		Key:   col("key"),
		// [key] is NVARCHAR with a BIN2 collation: ordering by it sorts
		// 10 before 2 (P7), so order by its integer value.
		Ord:     &sql.Cast{X: col("key"), Typ: "INT"},
		NotNull: &sql.Bin{Op: sql.OpNe, X: col("type"), Y: &sql.Num{V: "0"}},
		IsStr:   &sql.Bin{Op: sql.OpEq, X: col("type"), Y: &sql.Num{V: "1"}},
		// [type]: 0 null, 1 string, 2 number, 3 boolean, 4 array, 5 object.
		IsObj:    &sql.Bin{Op: sql.OpEq, X: col("type"), Y: &sql.Num{V: "5"}},
		IsScalar: &sql.In{X: col("type"), List: []sql.Expr{&sql.Num{V: "1"}, &sql.Num{V: "2"}, &sql.Num{V: "3"}}},
		// OPENJSON and JSON_VALUE fail on a string's text, and OPENJSON ...
		// WITH over an array gives a row per inner element.
		Obj: &sql.Case{Whens: []sql.When{{Cond: &sql.Bin{Op: sql.OpEq, X: col("type"), Y: &sql.Num{V: "5"}}, Then: col("value")}}},
	}
}

// JSONEach expands an array with OPENJSON's default schema (key, value, type).
// Only an array: OPENJSON would list an object's members or a scalar as
// rows, and an element that repeats but holds a single value is absent, as
// on the runtime (docs/input.md).
//
// With no keys, doc is already the JSON text of the value (an AS JSON column
// of the parent's OPENJSON ... WITH, or NULL): its first character tells an
// array, and OPENJSON parses only that text, not the whole resource again.
func (Base) JSONEach(doc sql.Expr, keys []string, alias string) (sql.Source, sql.EachCols) {
	if len(keys) == 0 {
		isArray := &sql.Bin{Op: sql.OpEq, X: call("LEFT", doc, &sql.Num{V: "1"}), Y: &sql.Str{V: "["}}
		onlyArray := &sql.Case{Whens: []sql.When{{Cond: isArray, Then: doc}}}
		return &sql.TableFunc{Name: "OPENJSON", Args: []sql.Expr{onlyArray}}, eachCols(alias)
	}
	isArray := &sql.Bin{Op: sql.OpEq, X: call("LEFT", call("JSON_QUERY", doc, path(keys)), &sql.Num{V: "1"}), Y: &sql.Str{V: "["}}
	onlyArray := &sql.Case{Whens: []sql.When{{Cond: isArray, Then: doc}}}
	return &sql.TableFunc{Name: "OPENJSON", Args: []sql.Expr{onlyArray, path(keys)}}, eachCols(alias)
}

// JSONMembers lists an object's members.
func (Base) JSONMembers(doc sql.Expr, alias string) (sql.Source, sql.EachCols) {
	return &sql.TableFunc{Name: "OPENJSON", Args: []sql.Expr{doc}}, eachCols(alias)
}

// EscapeJSON is JSONQuote with STRING_ESCAPE (SQL Server, serverless).
func EscapeJSON(s sql.Expr) sql.Expr {
	return call("CONCAT", &sql.Str{V: `"`}, call("STRING_ESCAPE", s, &sql.ASCII{V: "json"}), &sql.Str{V: `"`})
}

// StringEq is exact equality: a BIN2 comparison, plus equal byte lengths
// because "=" ignores trailing spaces on every collation (D19, P9).
func (Base) StringEq(a, b sql.Expr) sql.Expr {
	return &sql.Bin{Op: sql.OpAnd,
		X: &sql.Bin{Op: sql.OpEq, X: bin2(a), Y: b},
		Y: &sql.Bin{Op: sql.OpEq, X: call("DATALENGTH", a), Y: call("DATALENGTH", b)},
	}
}

// StringCmp orders strings by code point.
func (Base) StringCmp(op string, a, b sql.Expr) sql.Expr {
	return &sql.Bin{Op: op, X: bin2(a), Y: b}
}

// Shape matches s against a LIKE pattern ([0-9] per digit) under the BIN2
// collation, so that ranges are code-point ranges and letters keep their
// case. LIKE ignores trailing spaces of the value, so the length is checked
// too (fixed shapes), or the last character must be a digit (a final run of
// digits, where the tail after the fixed part must hold no non-digit).
func (b Base) Shape(s sql.Expr, shape string) sql.Expr {
	run := strings.HasSuffix(shape, "*")
	fixed := strings.TrimSuffix(shape, "*")
	var pat strings.Builder
	for _, r := range fixed {
		switch r {
		case '9':
			pat.WriteString("[0-9]")
		case '[', '%', '_':
			pat.WriteString("[" + string(r) + "]")
		default:
			pat.WriteRune(r)
		}
	}
	n := &sql.Num{V: fmt.Sprint(len(fixed))}
	if !run {
		return &sql.Bin{Op: sql.OpAnd,
			X: &sql.Bin{Op: sql.OpEq, X: b.Fn(sql.FnLength, s), Y: n},
			Y: &sql.Like{X: bin2(s), Pattern: &sql.Str{V: pat.String()}},
		}
	}
	tail := call("SUBSTRING", s, &sql.Num{V: fmt.Sprint(len(fixed) + 1)}, call("DATALENGTH", s))
	digitsOnly := &sql.Like{X: bin2(tail), Pattern: &sql.Str{V: "%[^0-9]%"}, Not: true}
	return &sql.Bin{Op: sql.OpAnd,
		X: &sql.Bin{Op: sql.OpAnd,
			X: &sql.Like{X: bin2(s), Pattern: &sql.Str{V: pat.String() + "[0-9]%"}},
			Y: digitsOnly,
		},
		Y: &sql.Like{X: bin2(call("RIGHT", s, &sql.Num{V: "1"})), Pattern: &sql.Str{V: "[0-9]"}},
	}
}

// ToNumber converts JSON number text without ever failing: TRY_CAST, and for
// exponent forms (1.0e3), which DECIMAL rejects, through FLOAT (P4).
func (Base) ToNumber(x sql.Expr, integer bool) sql.Expr {
	if integer {
		return &sql.Cast{X: x, Typ: "BIGINT", Try: true}
	}
	dec := "DECIMAL(38, 18)"
	return call("COALESCE",
		&sql.Cast{X: x, Typ: dec, Try: true},
		&sql.Cast{X: &sql.Cast{X: x, Typ: "FLOAT", Try: true}, Typ: dec, Try: true})
}

// ToInt truncates a number to INT.
func (Base) ToInt(x sql.Expr) sql.Expr { return &sql.Cast{X: x, Typ: "INT"} }

// BoolValue turns a predicate into 1/0, NULL when unknown (P3).
func (Base) BoolValue(p sql.Expr, twoValued bool) sql.Expr {
	if twoValued {
		return &sql.Case{Whens: []sql.When{{Cond: p, Then: &sql.Num{V: "1"}}}, Else: &sql.Num{V: "0"}}
	}
	return &sql.Case{Whens: []sql.When{
		{Cond: p, Then: &sql.Num{V: "1"}},
		{Cond: &sql.Not{X: p}, Then: &sql.Num{V: "0"}},
	}}
}

// Fail aborts the query with msg: T-SQL has no RAISERROR in an expression,
// but a failed conversion reports its input, so
//
//	Conversion failed when converting the nvarchar value
//	'fhirql: column "x" ... has 2 values ...' to data type int.
//
// carries the message. msg is never a constant, so the conversion cannot be
// folded at compile time.
func (Base) Fail(msg sql.Expr, typ string) sql.Expr {
	return &sql.Cast{X: &sql.Cast{X: msg, Typ: "INT"}, Typ: typ}
}

// NoOrder is ORDER BY (SELECT NULL), the idiom for an arbitrary window order.
func (Base) NoOrder() sql.Expr {
	return &sql.Sub{Q: &sql.Select{Items: []sql.Item{{X: &sql.Null{}}}}}
}

// StringAgg is STRING_AGG(x, sep) WITHIN GROUP (ORDER BY ...). Callers pass
// NVARCHAR(MAX) input so the result is not capped at 8,000 bytes (P8).
func (Base) StringAgg(x, sep sql.Expr, order []sql.Order) sql.Expr {
	agg := call("STRING_AGG", x, sep)
	if len(order) == 0 {
		return agg
	}
	return &sql.WithinGroup{Agg: agg, OrderBy: order}
}

// IsTypeName: an ASCII capital then ASCII letters only.
func (Base) IsTypeName(s sql.Expr) sql.Expr {
	return &sql.Bin{Op: sql.OpAnd,
		X: &sql.Like{X: bin2(s), Pattern: &sql.Str{V: "[A-Z]%"}},
		Y: &sql.Like{X: bin2(s), Pattern: &sql.Str{V: "%[^A-Za-z]%"}, Not: true},
	}
}

// ValidDocSource wraps the raw line text so that rows failing ISJSON become
// NULL documents, which every JSON function then ignores (P11: one malformed
// line would otherwise abort the whole query, and T-SQL does not promise to
// evaluate a WHERE ISJSON(...) filter before the APPLYs). A line with a
// lone surrogate escape is refused too (loneSurrogate), as the runtime and
// DuckDB refuse it (docs/input.md). RejectsQuery lists those lines.
func ValidDocSource(from *sql.From, docCol string, alias string) (*sql.From, sql.Expr) {
	doc := &sql.Col{Table: from.Alias, Name: docCol}
	sel := &sql.Select{
		Items: []sql.Item{{
			X: &sql.Case{Whens: []sql.When{{
				Cond: &sql.Bin{Op: sql.OpAnd, X: isJSON(doc), Y: &sql.Not{X: loneSurrogate(doc)}},
				Then: doc,
			}}},
			Alias: "doc",
		}},
		From: []*sql.From{from},
	}
	return &sql.From{Src: &sql.Derived{Q: sel}, Alias: alias}, &sql.Col{Table: alias, Name: "doc"}
}

func isJSON(doc sql.Expr) sql.Expr {
	return &sql.Bin{Op: sql.OpEq, X: call("ISJSON", doc), Y: &sql.Num{V: "1"}}
}

// loneSurrogate finds a \uD800-\uDFFF escape that is not half of a pair (a
// high half directly followed by a low half), which ISJSON accepts and
// OPENJSON would decode to an unpaired UTF-16 unit. T-SQL has no regular
// expressions: the LIKE patterns test each way a pair can be broken, behind
// one cheap test for any surrogate escape. Like LIKE, they cannot tell an
// escape from an escaped backslash followed by "ud800" (the text \ud800),
// which is refused too.
func loneSurrogate(doc sql.Expr) sql.Expr {
	const hi, lo, hex = `\u[dD][89abAB]`, `\u[dD][c-fC-F]`, `[0-9a-fA-F]`
	like := func(p string) sql.Expr { return &sql.Like{X: bin2(doc), Pattern: &sql.ASCII{V: p}} }
	broken := []string{
		`%` + hi + `__[^\]%`,                      // a high half followed by no escape
		`%` + hi + `__\[^u]%`,                     // ... by another escape
		`%` + hi + `__\u[^dD]%`,                   // ... by a \u that is no surrogate
		`%` + hi + `__\u[dD][^c-fC-F]%`,           // ... by another high half
		`%[^\]_____` + lo + `%`,                   // a low half after no escape
		`%\[^u]____` + lo + `%`,                   // ... after another escape
		`%\u[^dD]___` + lo + `%`,                  // ... after a \u that is no surrogate
		`%\u[dD][^89abAB]` + hex + hex + lo + `%`, // ... after a low half
	}
	var any sql.Expr = like(broken[0])
	for _, p := range broken[1:] {
		any = &sql.Bin{Op: sql.OpOr, X: any, Y: like(p)}
	}
	return &sql.Bin{Op: sql.OpAnd, X: like(`%\u[dD][89a-fA-F]%`), Y: any}
}

// RejectsQuery lists the lines of a source that ValidDocSource turns into
// NULL documents, or that no view reads (not an object, no resourceType):
// file (the file expression, NULL where the target cannot say), reason and
// the line's first 1,000 characters. Blank lines are not listed.
func RejectsQuery(from *sql.From, docCol string, file sql.Expr, filter ...sql.Expr) sql.Query {
	doc := &sql.Col{Table: from.Alias, Name: docCol}
	str := func(s string) sql.Expr { return &sql.Str{V: s} }
	rt := call("JSON_VALUE", doc, &sql.ASCII{V: "$.resourceType"})
	blank := call("REPLACE", call("REPLACE", doc, call("NCHAR", &sql.Num{V: "9"}), str(" ")), call("NCHAR", &sql.Num{V: "13"}), str(" "))
	inner := &sql.Select{
		Items: []sql.Item{
			{X: file, Alias: "file"},
			{X: &sql.Case{Whens: []sql.When{
				{Cond: &sql.Not{X: isJSON(doc)}, Then: str("not valid JSON")},
				{Cond: loneSurrogate(doc), Then: str("not valid UTF-8")},
				{Cond: &sql.Bin{Op: sql.OpNe, X: call("LEFT", call("LTRIM", doc), &sql.Num{V: "1"}), Y: str("{")}, Then: str("not a JSON object")},
				{Cond: &sql.IsNull{X: rt}, Then: str("no resourceType")},
			}}, Alias: "reason"},
			{X: call("LEFT", doc, &sql.Num{V: "1000"}), Alias: "line"},
		},
		From:  []*sql.From{from},
		Where: append(append([]sql.Expr{}, filter...), &sql.Bin{Op: sql.OpNe, X: blank, Y: str("")}),
	}
	col := func(n string) sql.Expr { return &sql.Col{Table: "r", Name: n} }
	return &sql.Select{
		Items: []sql.Item{{X: col("file"), Alias: "file"}, {X: col("reason"), Alias: "reason"}, {X: col("line"), Alias: "line"}},
		From:  []*sql.From{{Src: &sql.Derived{Q: inner}, Alias: "r"}},
		Where: []sql.Expr{&sql.IsNull{X: col("reason"), Not: true}},
	}
}

// RejectsView is the statements that (re)create a rejects view (CREATE OR
// ALTER VIEW alone in its batch).
func RejectsView(name sql.ObjectName, q sql.Query) []sql.Stmt {
	return []sql.Stmt{&sql.Batch{}, &sql.CreateView{Name: name, OrAlter: true, Q: q}, &sql.Batch{}}
}
