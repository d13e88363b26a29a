package sql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// column compiles one output column to its final SQL value and type.
func (e *emitter) column(c *plan.Column, owner *plan.Select, sc *scope) colOut {
	csc := *sc
	csc.what = fmt.Sprintf("column %q of view %q", c.Name, e.name)
	out := colOut{col: c}
	if _, ok := c.Expr.(*plan.RowIndex); ok {
		out.rowIndexOf = owner
		out.notNull = true
	}
	if c.Collection {
		out.x = e.jsonArray(e.bindItem(e.coll(c.Expr, &csc)))
		out.typ = e.d.TypeName(TTextMax)
		out.notNull = true
		return out
	}
	v := e.scalar(c.Expr, &csc)
	out.x, out.typ = e.typed(c, v)
	return out
}

// jsonArray renders a collection as JSON array text, in order: '[]' when
// empty, strings escaped by the dialect, numbers, booleans and objects as
// their JSON text.
func (e *emitter) jsonArray(c *coll) Expr {
	elem := e.jsonElem(c.item)
	open, close := &Str{V: "["}, &Str{V: "]"}
	if len(c.from) == 0 {
		return &Case{
			Whens: []When{{Cond: and(c.where...), Then: e.d.Fn(FnConcat, open, elem, close)}},
			Else:  &Str{V: "[]"},
		}
	}
	var os []Order
	for _, o := range c.ord {
		os = append(os, Order{X: o})
	}
	agg := e.d.StringAgg(&Cast{X: elem, Typ: e.d.TypeName(TTextMax)}, &Str{V: ","}, os)
	return e.d.Fn(FnConcat, open, &Sub{Q: c.query(Item{X: agg})}, close)
}

func (e *emitter) jsonElem(v val) Expr {
	v = e.asValue(v)
	quote := e.d.JSONQuote(v.x)
	switch v.sh {
	case shJSON:
		return v.x
	case shBit:
		return &Case{Operand: v.x, Whens: []When{{Cond: &Num{V: "1"}, Then: &Str{V: "true"}}, {Cond: &Num{V: "0"}, Then: &Str{V: "false"}}}}
	case shNum:
		return &Cast{X: v.x, Typ: e.d.TypeName(TText)}
	case shStr:
		return quote
	}
	switch classOf(v) {
	case cNum, cBool:
		return v.x
	case cString, cDate, cDateTime, cTime:
		if v.sh == shText {
			return quote
		}
	}
	if v.isStr != nil {
		return &Case{Whens: []When{{Cond: v.isStr, Then: quote}}, Else: v.x}
	}
	return &Case{Whens: []When{{Cond: &Bin{Op: OpEq, X: e.d.Fn(FnIsJSON, v.x), Y: &Num{V: "1"}}, Then: v.x}}, Else: quote}
}

// typed converts a column's value to its SQL type: booleans become BIT and
// integers INT; decimals, dates and times keep their JSON text unless the
// view declares the type, in which case they are converted with the
// dialect's non-failing conversions (a partial date never becomes a full one).
func (e *emitter) typed(c *plan.Column, v val) (Expr, string) {
	if tag, ok := typeTag(c); ok {
		if !ValidTypeName(tag) {
			e.report(errBadTypeTag(e.v.File, c.Span, "tsql/type", tag, e.d.Name()))
			return &Null{}, e.d.TypeName(TTextMax)
		}
		var x Expr
		if isBoolean(v) {
			x = e.bit(v)
		} else {
			x = e.asValue(v).x
		}
		typ := strings.ToUpper(tag)
		if n, ok := textTagSize(typ); ok {
			// TRY_CONVERT to NVARCHAR(n) cuts a longer value silently.
			return e.checkLength(c, x, n, typ, func(x Expr) Expr { return &Convert{Typ: typ, X: x, Try: true} }), typ
		}
		return &Convert{Typ: typ, X: x, Try: true}, typ
	}
	declared := c.Declared != ""
	st := sysType(c.Type)
	if c.Declared != "" {
		st = sysType(types.Type(c.Declared))
	}
	v = e.asValue(v)
	switch c.TypedAs() {
	case plan.TypedDate:
		// a complete date, the only kind DATE holds (runtime/write declared.go)
		typ := e.d.TypeName(TDate)
		return e.let(e.text(v), func(x Expr) Expr {
			return &Case{Whens: []When{{Cond: &Bin{Op: OpEq, X: e.d.Fn(FnLength, x), Y: &Num{V: "10"}}, Then: e.d.Fn(FnParseDate, x)}}}
		}), typ
	case plan.TypedTimestamp:
		typ := e.d.TypeName(TDateTime)
		return e.let(e.text(v), func(x Expr) Expr {
			return &Case{Whens: []When{{Cond: &Bin{Op: OpGt, X: e.d.Fn(FnLength, x), Y: &Num{V: "10"}}, Then: e.d.Fn(FnParseDateTime, x)}}}
		}), typ
	}
	switch {
	case st == types.Boolean || (st == "" && isBoolean(v)) || v.sh == shBit:
		return &Cast{X: e.bit(v), Typ: e.d.TypeName(TBool)}, e.d.TypeName(TBool)
	case st == types.Integer || st == types.Long:
		t := TInt
		if st == types.Long {
			t = TBigInt
		}
		typ := e.d.TypeName(t)
		if v.sh == shNum && v.styp == typ {
			return v.x, typ
		}
		// An integer that does not fit (1e400, 2.5, 30 digits) is NULL, as
		// in the runtime: validated as text, never CAST (which fails the
		// query on overflow).
		return e.intColumn(v, t), typ
	case st == types.Decimal:
		typ := e.d.TypeName(TDecimal)
		if v.sh == shNum && !declared {
			return &Cast{X: v.x, Typ: typ}, typ
		}
		if declared {
			return e.decimalColumn(v), typ
		}
	case st == types.Date && declared:
		// a FHIR date of any precision, as written
		typ := e.d.TypeName(TText)
		return e.let(e.text(v), func(x Expr) Expr {
			return &Case{Whens: []When{{Cond: and(&In{X: e.length(x), List: []Expr{numLit(4), numLit(7), numLit(10)}}, e.validDateTime(x)), Then: x}}}
		}), typ
	case st == types.DateTime && declared:
		// a FHIR dateTime of any precision, as written
		typ := e.d.TypeName(TText)
		return e.let(e.text(v), func(x Expr) Expr {
			return &Case{Whens: []When{{Cond: and(e.validDateTime(x), &Not{X: e.d.StringEq(e.d.Fn(FnRight, x, numLit(1)), &Str{V: "T"})}), Then: x}}}
		}), typ
	case st == types.Time && declared:
		typ := e.d.TypeName(TTime)
		return e.d.Fn(FnParseTime, v.x), typ
	}
	if v.sh == shNum {
		return &Cast{X: v.x, Typ: e.d.TypeName(TDecimal)}, e.d.TypeName(TDecimal)
	}
	if c.MaxLen > 0 && (v.styp == "" || v.styp == e.d.TypeName(TText) || v.styp == e.d.TypeName(TTextMax)) {
		typ := e.d.SizedText(c.MaxLen)
		return e.checkLength(c, v.x, c.MaxLen, typ, func(x Expr) Expr { return &Cast{X: x, Typ: typ} }), typ
	}
	if v.styp == e.d.TypeName(TText) && v.styp != e.d.TypeName(TTextMax) {
		// Bounded text whose bound the plan does not know: the CAST makes
		// the column's type what ColumnInfo says (table layouts depend on
		// it), and the check keeps it from cutting a longer value.
		typ := e.d.TypeName(TText)
		return e.checkLength(c, v.x, TextLen, typ, func(x Expr) Expr { return &Cast{X: x, Typ: typ} }), typ
	}
	if v.styp != "" {
		return v.x, v.styp
	}
	typ := e.d.TypeName(TTextMax)
	return &Cast{X: v.x, Typ: typ}, typ
}

// checkLength converts x to the sized text type typ with conv, unless x is
// longer than n characters, in which case the query fails with a message
// naming the view, the column, the resource and the size: a CAST to
// NVARCHAR(n) would cut the value without a word (T-SQL), and the same check
// runs on DuckDB, whose VARCHAR has no size, so every engine fails alike.
func (e *emitter) checkLength(c *plan.Column, x Expr, n int, typ string, conv func(Expr) Expr) Expr {
	// Bound whole, never inside a scalar subquery: its item may be an
	// aggregate (the several-values check of a column), which must stay in
	// the subquery that aggregates.
	return e.bindWhole(x, func(x Expr) Expr {
		{
			size := &Num{V: fmt.Sprint(n)}
			msg := e.d.Fn(FnConcat,
				&Str{V: fmt.Sprintf("fhirql: column %q of view %q is sized for %d characters but %s/", c.Name, e.name, n, e.v.Resource)},
				e.read(e.rootDoc, []string{"id"}, false),
				&Str{V: " has a value of "},
				e.d.Fn(FnLength, x),
				&Str{V: ": fix the data, or give the column a wider tsql/type tag (docs/sql.md, Column types and sizes)"})
			return &Case{
				Whens: []When{{Cond: &Bin{Op: OpGt, X: e.d.Fn(FnLength, x), Y: size}, Then: e.d.Fail(msg, typ)}},
				Else:  conv(x),
			}
		}
	})
}

// textTagSize is n for a sized character type (NVARCHAR(n), VARCHAR(n),
// NCHAR(n), CHAR(n)) as written in a tsql/type tag.
func textTagSize(typ string) (int, bool) {
	m := sizedTextTag.FindStringSubmatch(typ)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n > 0
}

var sizedTextTag = regexp.MustCompile(`^N?(?:VAR)?CHAR\s*\(\s*([0-9]+)\s*\)$`)

// typeTag returns the column's tsql/type tag (the SQL on FHIR convention for
// per-dialect types).
func typeTag(c *plan.Column) (string, bool) {
	for _, t := range c.Tags {
		if t.Name == "tsql/type" {
			return strings.TrimSpace(t.Value), true
		}
	}
	return "", false
}

// intColumn is an integer column's value: a JSON number that is an
// integer within t's range (INT: 32 bits, BIGINT: 64), else NULL — the
// runtime's rule (runtime/write declared.go). Text is validated as digits
// before TRY_CAST, which would accept ' 12' or '1e2' on some engines.
func (e *emitter) intColumn(v val, t Type) Expr {
	typ := e.d.TypeName(t)
	if v.sh == shNum {
		return &Convert{Typ: typ, X: v.x, Try: true}
	}
	return e.let(e.text(v), func(x Expr) Expr {
		n := e.d.ToNumber(x, true)
		ok := e.holds(e.unsign(x), func(u Expr) Expr {
			return and(e.d.Shape(u, "*"), &Bin{Op: OpLe, X: e.length(u), Y: numLit(19)})
		})
		if t == TInt {
			ok = and(ok, int32Range(n))
		}
		return &Case{Whens: []When{{Cond: ok, Then: &Convert{Typ: typ, X: n, Try: true}}}}
	})
}

// decimalColumn is a declared decimal column's value: a number below
// 10^20 in magnitude (what DECIMAL(38, 18) holds), else NULL.
func (e *emitter) decimalColumn(v val) Expr {
	if v.sh == shNum {
		return &Convert{Typ: e.d.TypeName(TDecimal), X: v.x, Try: true}
	}
	return inside(v.x, func(x Expr) Expr { return e.d.ToNumber(x, false) })
}
