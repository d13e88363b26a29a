package sql

import (
	"fmt"
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
		return &Convert{Typ: strings.ToUpper(tag), X: x, Try: true}, strings.ToUpper(tag)
	}
	declared := c.Declared != ""
	st := sysType(c.Type)
	if c.Declared != "" {
		st = sysType(types.Type(c.Declared))
	}
	v = e.asValue(v)
	switch {
	case st == types.Boolean || (st == "" && isBoolean(v)) || v.sh == shBit:
		return &Cast{X: e.bit(v), Typ: e.d.TypeName(TBool)}, e.d.TypeName(TBool)
	case st == types.Integer || st == types.Long:
		t := TInt
		if st == types.Long {
			t = TBigInt
		}
		typ := e.d.TypeName(t)
		if v.sh == shNum {
			if v.styp == typ {
				return v.x, typ
			}
			return &Cast{X: v.x, Typ: typ}, typ
		}
		return &Convert{Typ: typ, X: v.x, Try: true}, typ
	case st == types.Decimal:
		typ := e.d.TypeName(TDecimal)
		if v.sh == shNum {
			return &Cast{X: v.x, Typ: typ}, typ
		}
		if declared {
			return inside(v.x, func(x Expr) Expr { return e.d.ToNumber(x, false) }), typ
		}
	case st == types.Date && declared:
		typ := e.d.TypeName(TDate)
		return e.let(v.x, func(x Expr) Expr {
			return &Case{Whens: []When{{Cond: &Bin{Op: OpEq, X: e.d.Fn(FnLength, x), Y: &Num{V: "10"}}, Then: e.d.Fn(FnParseDate, x)}}}
		}), typ
	case st == types.DateTime && declared:
		typ := e.d.TypeName(TDateTime)
		return e.let(v.x, func(x Expr) Expr {
			return &Case{Whens: []When{{Cond: &Bin{Op: OpGt, X: e.d.Fn(FnLength, x), Y: &Num{V: "10"}}, Then: e.d.Fn(FnParseDateTime, x)}}}
		}), typ
	case st == types.Time && declared:
		typ := e.d.TypeName(TTime)
		return e.d.Fn(FnParseTime, v.x), typ
	}
	if v.sh == shNum {
		return &Cast{X: v.x, Typ: e.d.TypeName(TDecimal)}, e.d.TypeName(TDecimal)
	}
	if v.styp != "" {
		return v.x, v.styp
	}
	typ := e.d.TypeName(TTextMax)
	return &Cast{X: v.x, Typ: typ}, typ
}

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
