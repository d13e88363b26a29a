package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xwb1989/sqlparser"

	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/lang/source"
)

// checkDialect spells queries that are only checked.
var checkDialect sql.Dialect = duckdb.New(duckdb.Options{})

// funcArity is the portable function set: name → allowed argument counts
// (-1: one or more). docs/query.md lists the same set; a test keeps them in step.
var funcArity = map[string][]int{
	"count": {1}, "sum": {1}, "avg": {1}, "min": {1}, "max": {1},
	"coalesce": {-1}, "nullif": {2},
	"upper": {1}, "lower": {1}, "length": {1}, "char_length": {1}, "trim": {1},
	"substring": {2, 3}, "substr": {2, 3}, "concat": {-1},
	"round": {1, 2}, "abs": {1}, "floor": {1}, "ceil": {1}, "ceiling": {1},
	"datediff": {2}, "date_add": {2}, "date_sub": {2},
	"current_date": {0}, "curdate": {0},
	"year": {1}, "month": {1}, "day": {1},
}

// FunctionNames lists the portable functions, sorted.
func FunctionNames() []string { return funcNames() }

func funcNames() []string {
	var out []string
	for n := range funcArity {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// comparison translates =, <>, <, IN, LIKE and their negations.
func (c *compiler) comparison(e *sqlparser.ComparisonExpr, sc *scope) val {
	l := c.expr(e.Left, sc, Type{})
	switch e.Operator {
	case sqlparser.InStr, sqlparser.NotInStr:
		not := e.Operator == sqlparser.NotInStr
		x := c.value(l)
		switch r := e.Right.(type) {
		case sqlparser.ValTuple:
			var list []sql.Expr
			for _, item := range r {
				v := c.value(c.expr(item, sc, x.t))
				c.comparable(x, v)
				list = append(list, c.operand(v, x))
			}
			return val{x: &sql.In{X: c.operand(x, val{t: x.t}), List: list, Not: not}, t: Type{Kind: Boolean}, pred: true, sp: x.sp}
		case *sqlparser.Subquery:
			q, cols := c.selectStmt(r.Select, sc, false)
			if len(cols) != 1 {
				c.report(errColumns(c.f, x.sp, "the subquery of IN must return one column, not %d", len(cols)))
				return badVal
			}
			c.comparable(x, val{t: cols[0].t, sp: x.sp})
			return val{x: &sql.InQuery{X: c.operand(x, val{t: x.t}), Q: q, Not: not}, t: Type{Kind: Boolean}, pred: true, sp: x.sp}
		}
		c.report(errUnsupported(c.f, x.sp, "this IN list", ""))
		return badVal
	case sqlparser.LikeStr, sqlparser.NotLikeStr:
		x := c.value(l)
		p := c.value(c.expr(e.Right, sc, Type{Kind: String}))
		if x.t.Kind != String && x.t.Kind != Null || p.t.Kind != String && p.t.Kind != Null {
			c.report(errTypes(c.f, x.sp, "LIKE compares text, not %s", x.t))
		}
		if s, ok := p.x.(*sql.Str); ok && strings.ContainsAny(s.V, "[]") {
			c.report(errUnsupported(c.f, p.sp, "a LIKE pattern with [ or ]", "T-SQL reads [...] as a character class and DuckDB does not"))
		}
		if e.Escape != nil {
			c.report(errUnsupported(c.f, p.sp, "LIKE ... ESCAPE", ""))
		}
		return val{x: &sql.Like{X: c.d.Fn(sql.FnBinary, x.x), Pattern: p.x, Not: e.Operator == sqlparser.NotLikeStr}, t: Type{Kind: Boolean}, pred: true, sp: x.sp}
	}
	op := map[string]string{"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "<>", "<>": "<>"}[e.Operator]
	if op == "" {
		c.report(errUnsupported(c.f, l.sp, "the operator "+strings.ToUpper(e.Operator), ""))
		return badVal
	}
	r := c.expr(e.Right, sc, l.t)
	if l.t.Kind == Null && r.t.Kind != Null {
		// a parameter on the left takes the type of the right
		if v, ok := e.Left.(*sqlparser.SQLVal); ok && v.Type == sqlparser.ValArg {
			if p := c.params[strings.TrimPrefix(string(v.Val), ":")]; p != nil && p.Type.Kind == String {
				p.Type = Type{Kind: r.t.Kind}
			}
		}
	}
	return val{x: c.compare(op, l, r), t: Type{Kind: Boolean}, pred: true, sp: l.sp.Join(r.sp), agg: l.agg || r.agg}
}

// comparable reports operands the engines would compare differently.
func (c *compiler) comparable(a, b val) bool {
	ka, kb := a.t.Kind, b.t.Kind
	if ka == Null || kb == Null || ka == kb {
		return true
	}
	switch {
	case a.t.numeric() && b.t.numeric():
		return true
	case a.t.temporal() && b.t.Kind == String || b.t.temporal() && a.t.Kind == String:
		return true // the FHIR text against a literal: compared as text
	case (ka == Date || ka == DateTime) && (kb == Date || kb == DateTime):
		return true
	case ka == Boolean && b.t.numeric() || kb == Boolean && a.t.numeric():
		return true
	}
	sp := a.sp.Join(b.sp)
	if sp.IsZero() {
		sp = b.sp
	}
	c.report(errTypes(c.f, sp, "comparing %s with %s: T-SQL and DuckDB convert the operands differently (or fail); CAST one side", a.t, b.t))
	return false
}

// operand is the SQL of one comparison operand given the other.
func (c *compiler) operand(v, other val) sql.Expr {
	v = c.value(v)
	switch {
	case v.t.numeric() && (other.t.numeric() || other.t.Kind == Null):
		return c.num(v)
	case v.t.temporal() && v.t.Text && other.t.temporal() && !other.t.Text:
		// FHIR text against a computed date: compare as dates
		return c.dateOf(v)
	}
	return v.x
}

// compare builds a comparison: strings by code point (BIN2 in T-SQL, as
// the views compare), numbers as numbers, FHIR dates as the text they are
// unless the other side is a computed date.
func (c *compiler) compare(op string, a, b val) sql.Expr {
	a, b = c.value(a), c.value(b)
	c.comparable(a, b)
	x, y := c.operand(a, b), c.operand(b, a)
	stringy := func(t Type) bool { return t.Kind == String || t.temporal() && t.Text }
	if stringy(a.t) && stringy(b.t) {
		switch op {
		case "=":
			return c.d.StringEq(x, y)
		case "<>":
			return &sql.Not{X: c.d.StringEq(x, y)}
		default:
			return c.d.StringCmp(op, x, y)
		}
	}
	return &sql.Bin{Op: op, X: x, Y: y}
}

// dateOf is a value as a DATE: a computed date as it is, FHIR text by its
// first ten characters (a partial date gives NULL), a string parsed.
func (c *compiler) dateOf(v val) sql.Expr {
	v = c.value(v)
	switch {
	case v.t.Kind == Null:
		return v.x
	case (v.t.Kind == Date || v.t.Kind == DateTime) && v.t.Text, v.t.Kind == String:
		return c.d.Fn(sql.FnParseDate, c.d.Fn(sql.FnLeft, v.x, &sql.Num{V: "10"}))
	case v.t.Kind == Date:
		return v.x
	case v.t.Kind == DateTime:
		return &sql.Cast{X: v.x, Typ: c.d.TypeName(sql.TDate)}
	}
	c.report(errTypes(c.f, v.sp, "a date is needed here, not %s", v.t))
	return &sql.Null{}
}

// arith translates + - * / %.
func (c *compiler) arith(e *sqlparser.BinaryExpr, sc *scope, hint Type) val {
	// date + INTERVAL n DAY, date - INTERVAL n DAY
	if iv, ok := e.Right.(*sqlparser.IntervalExpr); ok && (e.Operator == "+" || e.Operator == "-") {
		d := c.expr(e.Left, sc, Type{Kind: Date})
		return c.addDays(d, iv, sc, e.Operator == "-")
	}
	l := c.value(c.expr(e.Left, sc, hint))
	r := c.value(c.expr(e.Right, sc, l.t))
	sp := l.sp.Join(r.sp)
	agg := l.agg || r.agg
	op := e.Operator
	switch op {
	case "+", "-", "*", "/", "%":
	default:
		c.report(errUnsupported(c.f, sp, "the operator "+op, ""))
		return badVal
	}
	for _, v := range []val{l, r} {
		if !v.t.numeric() && v.t.Kind != Null {
			hint := "CAST it to a number"
			if v.t.temporal() {
				hint = "use DATEDIFF or DATE_ADD for dates"
			} else if v.t.Kind == String && op == "+" {
				hint = "use CONCAT to join text"
			}
			c.report(errTypes(c.f, v.sp, "%s needs numbers, not %s: %s", op, v.t, hint))
			return badVal
		}
	}
	x, y := c.num(l), c.num(r)
	t := Type{Kind: Integer}
	if l.t.Kind == Decimal || r.t.Kind == Decimal || op == "/" {
		t = Type{Kind: Decimal}
	}
	switch op {
	case "/", "%":
		// always decimal division: T-SQL divides integers as integers,
		// DuckDB as doubles. A zero divisor gives NULL, as DuckDB does
		// (T-SQL fails the query).
		if op == "/" {
			x = &sql.Cast{X: x, Typ: c.d.TypeName(sql.TDecimal)}
		} else if t.Kind != Integer {
			c.report(errTypes(c.f, sp, "%% needs integers, not %s and %s", l.t, r.t))
		}
		y = c.d.Fn(sql.FnNullIf, y, &sql.Num{V: "0"})
	}
	return val{x: &sql.Bin{Op: op, X: x, Y: y}, t: t, sp: sp, agg: agg}
}

func (c *compiler) addDays(d val, iv *sqlparser.IntervalExpr, sc *scope, minus bool) val {
	if !strings.EqualFold(iv.Unit, "day") {
		c.report(errUnsupported(c.f, c.loc.word(strings.ToLower(iv.Unit)), "INTERVAL ... "+strings.ToUpper(iv.Unit), "add days: INTERVAL n DAY"))
		return badVal
	}
	c.loc.word("interval")
	n := c.value(c.expr(iv.Expr, sc, Type{Kind: Integer}))
	if n.t.Kind != Integer && n.t.Kind != Null {
		c.report(errTypes(c.f, n.sp, "INTERVAL needs a whole number of days, not %s", n.t))
	}
	var count sql.Expr = n.x
	if minus {
		count = &sql.Neg{X: n.x}
	}
	return val{x: c.d.Fn(sql.FnAddDays, c.dateOf(d), count), t: Type{Kind: Date}, sp: d.sp, agg: d.agg || n.agg}
}

// call translates a function of the portable set.
func (c *compiler) call(e *sqlparser.FuncExpr, sc *scope) val {
	name := strings.ToLower(e.Name.String())
	sp := c.loc.call(name)
	if !e.Qualifier.IsEmpty() {
		c.report(errFunction(c.f, sp, e.Qualifier.String()+"."+name))
		return badVal
	}
	arity, ok := funcArity[name]
	if !ok {
		c.report(errFunction(c.f, sp, name))
		return badVal
	}
	n := len(e.Exprs)
	okN := false
	for _, a := range arity {
		if a == n || a == -1 && n >= 1 {
			okN = true
		}
	}
	if !okN {
		var want []string
		for _, a := range arity {
			if a == -1 {
				want = append(want, "one or more arguments")
			} else {
				want = append(want, fmt.Sprintf("%d argument(s)", a))
			}
		}
		c.report(errArgs(c.f, sp, name, strings.Join(want, " or "), n))
		return badVal
	}
	if e.Distinct && name != "count" {
		c.report(errUnsupported(c.f, sp, strings.ToUpper(name)+"(DISTINCT ...)", "DISTINCT is supported in COUNT only"))
	}
	// COUNT(*)
	if name == "count" {
		if _, star := e.Exprs[0].(*sqlparser.StarExpr); star {
			return val{x: c.d.Fn(sql.FnCount, &sql.Star{}), t: Type{Kind: Integer}, sp: sp, agg: true}
		}
	}
	if name == "date_add" || name == "date_sub" {
		d := c.argExpr(e.Exprs[0], sc, Type{Kind: Date})
		iv, ok := exprOf(e.Exprs[1]).(*sqlparser.IntervalExpr)
		if !ok {
			c.report(errUnsupported(c.f, sp, strings.ToUpper(name)+" without INTERVAL n DAY", "write DATE_ADD(d, INTERVAL 30 DAY)"))
			return badVal
		}
		v := c.addDays(d, iv, sc, name == "date_sub")
		v.sp = sp
		return v
	}
	var args []val
	for _, a := range e.Exprs {
		args = append(args, c.value(c.argExpr(a, sc, Type{})))
	}
	arg := func(i int) val { return args[i] }
	agg := false
	for _, a := range args {
		agg = agg || a.agg
	}
	mk := func(x sql.Expr, t Type) val { return val{x: x, t: t, sp: sp, agg: agg} }
	needNum := func(v val) bool {
		if !v.t.numeric() && v.t.Kind != Null {
			c.report(errTypes(c.f, v.sp.Join(sp), "%s needs a number, not %s", strings.ToUpper(name), v.t))
			return false
		}
		return true
	}
	needText := func(v val) bool {
		if v.t.Kind != String && v.t.Kind != Null {
			c.report(errTypes(c.f, v.sp.Join(sp), "%s needs text, not %s: CAST it to CHAR first", strings.ToUpper(name), v.t))
			return false
		}
		return true
	}
	switch name {
	case "count":
		x := c.d.Fn(sql.FnCount, arg(0).x)
		if f, ok := x.(*sql.Func); ok {
			f.Distinct = e.Distinct
		}
		return val{x: x, t: Type{Kind: Integer}, sp: sp, agg: true}
	case "sum":
		needNum(arg(0))
		x := c.num(arg(0))
		if arg(0).t.Kind == Integer {
			x = &sql.Cast{X: x, Typ: c.d.TypeName(sql.TBigInt)} // T-SQL sums INT as INT and overflows
		}
		return val{x: c.d.Fn(sql.FnSum, x), t: numType(arg(0).t), sp: sp, agg: true}
	case "avg":
		needNum(arg(0))
		return val{x: c.d.Fn(sql.FnAvg, &sql.Cast{X: c.num(arg(0)), Typ: c.d.TypeName(sql.TDecimal)}), t: Type{Kind: Decimal}, sp: sp, agg: true}
	case "min", "max":
		f := sql.FnMin
		if name == "max" {
			f = sql.FnMax
		}
		x, t := arg(0).x, arg(0).t
		switch {
		case t.numeric():
			x, t = c.num(arg(0)), Type{Kind: t.Kind}
		case t.Kind == String && !t.JSON && !c.collated(sc):
			x = c.d.Fn(sql.FnBinary, x)
		}
		return val{x: c.d.Fn(f, x), t: t, sp: sp, agg: true}
	case "coalesce", "nullif":
		t := arg(0).t
		var xs []sql.Expr
		for i, a := range args {
			u, ok := unify(t, a.t)
			if !ok {
				c.report(errTypes(c.f, a.sp.Join(sp), "argument %d of %s is %s, the others %s: CAST it", i+1, strings.ToUpper(name), a.t, t))
			}
			t = u
		}
		for _, a := range args {
			if t.numeric() {
				xs = append(xs, c.num(a))
			} else {
				xs = append(xs, a.x)
			}
		}
		if t.numeric() {
			t.Text = false
		}
		if name == "nullif" {
			return mk(c.d.Fn(sql.FnNullIf, xs...), t)
		}
		return mk(c.d.Fn(sql.FnCoalesce, xs...), t)
	case "upper", "lower", "trim":
		needText(arg(0))
		f := map[string]sql.Fn{"upper": sql.FnUpper, "lower": sql.FnLower, "trim": sql.FnTrim}[name]
		return mk(c.d.Fn(f, arg(0).x), Type{Kind: String})
	case "length", "char_length":
		needText(arg(0))
		return mk(c.d.Fn(sql.FnLength, arg(0).x), Type{Kind: Integer})
	case "substring", "substr":
		return c.substring(args, sp)
	case "concat":
		var xs []sql.Expr
		for _, a := range args {
			x := a.x
			if a.t.Kind != String && a.t.Kind != Null && !a.t.Text {
				x = c.toText(a)
			}
			xs = append(xs, x)
		}
		// CONCAT treats NULL as '' on both engines
		return mk(c.d.Fn(sql.FnConcat, xs...), Type{Kind: String})
	case "round":
		needNum(arg(0))
		digits := sql.Expr(&sql.Num{V: "0"})
		if len(args) == 2 {
			if _, lit := args[1].x.(*sql.Num); !lit || args[1].t.Kind != Integer {
				c.report(errTypes(c.f, args[1].sp.Join(sp), "ROUND takes a whole number of digits written as a literal"))
			}
			digits = args[1].x
		}
		return mk(c.d.Fn(sql.FnRound, c.num(arg(0)), digits), Type{Kind: Decimal})
	case "abs":
		needNum(arg(0))
		return mk(c.d.Fn(sql.FnAbs, c.num(arg(0))), numType(arg(0).t))
	case "floor", "ceil", "ceiling":
		needNum(arg(0))
		f := sql.FnFloor
		if name != "floor" {
			f = sql.FnCeiling
		}
		return mk(c.d.Fn(f, c.num(arg(0))), numType(arg(0).t))
	case "datediff":
		// MySQL's DATEDIFF(a, b): the days from b to a
		return mk(c.d.Fn(sql.FnDaysBetween, c.dateOf(arg(1)), c.dateOf(arg(0))), Type{Kind: Integer})
	case "current_date", "curdate":
		return mk(c.d.Fn(sql.FnCurrentDate), Type{Kind: Date})
	case "year", "month", "day":
		f := map[string]sql.Fn{"year": sql.FnYear, "month": sql.FnMonth, "day": sql.FnDay}[name]
		return mk(c.d.Fn(f, c.dateOf(arg(0))), Type{Kind: Integer})
	}
	c.report(errFunction(c.f, sp, name))
	return badVal
}

func (c *compiler) collated(sc *scope) bool { return sc != nil && sc.collate }

func exprOf(se sqlparser.SelectExpr) sqlparser.Expr {
	if ae, ok := se.(*sqlparser.AliasedExpr); ok {
		return ae.Expr
	}
	return nil
}

func (c *compiler) argExpr(se sqlparser.SelectExpr, sc *scope, hint Type) val {
	ae, ok := se.(*sqlparser.AliasedExpr)
	if !ok {
		c.report(errUnsupported(c.f, source.Span{}, "* as a function argument", "only COUNT(*) takes *"))
		return badVal
	}
	return c.expr(ae.Expr, sc, hint)
}

func (c *compiler) substring(args []val, sp source.Span) val {
	s := c.value(args[0])
	if s.t.Kind != String && s.t.Kind != Null && !s.t.Text {
		c.report(errTypes(c.f, s.sp.Join(sp), "SUBSTRING needs text, not %s", s.t))
	}
	for _, a := range args[1:] {
		if a.t.Kind != Integer && a.t.Kind != Null {
			c.report(errTypes(c.f, a.sp.Join(sp), "SUBSTRING positions are whole numbers, not %s", a.t))
		}
	}
	var length sql.Expr
	if len(args) == 3 {
		length = args[2].x
	} else {
		// to the end: T-SQL's SUBSTRING needs a length
		length = c.d.Fn(sql.FnLength, s.x)
	}
	return val{x: c.d.Fn(sql.FnSubstring, s.x, args[1].x, length), t: Type{Kind: String}, sp: sp}
}

// toText is a value as text, spelled alike on every engine.
func (c *compiler) toText(v val) sql.Expr {
	switch {
	case v.t.Kind == Boolean:
		return &sql.Case{Whens: []sql.When{
			{Cond: &sql.Bin{Op: sql.OpEq, X: v.x, Y: &sql.Num{V: "1"}}, Then: &sql.Str{V: "true"}},
			{Cond: &sql.Bin{Op: sql.OpEq, X: v.x, Y: &sql.Num{V: "0"}}, Then: &sql.Str{V: "false"}},
		}}
	case v.t.Kind == Date && !v.t.Text:
		return c.d.Fn(sql.FnDateText, v.x)
	case v.t.Kind == String || v.t.Text:
		return v.x
	}
	return &sql.Cast{X: v.x, Typ: c.d.TypeName(sql.TText)}
}

// cast translates CAST(x AS type): conversions never fail, text that does
// not convert gives NULL on every engine.
func (c *compiler) cast(e *sqlparser.ConvertExpr, sc *scope) val {
	sp := c.loc.call("cast")
	if sp.IsZero() {
		sp = c.loc.call("convert")
	}
	v := c.value(c.expr(e.Expr, sc, Type{}))
	typ := strings.ToLower(e.Type.Type)
	mk := func(x sql.Expr, t Type) val { return val{x: x, t: t, sp: sp, agg: v.agg} }
	switch typ {
	case "char", "nchar", "varchar":
		if e.Type.Length != nil {
			c.report(errUnsupported(c.f, sp, "a length in CAST(... AS CHAR(n))", "write CAST(x AS CHAR) and SUBSTRING"))
		}
		return mk(c.toText(v), Type{Kind: String})
	case "signed", "signed integer", "unsigned", "unsigned integer":
		switch {
		case v.t.Kind == String || v.t.Text:
			return mk(c.d.ToNumber(v.x, true), Type{Kind: Integer})
		case v.t.numeric():
			return mk(c.d.ToInt(v.x), Type{Kind: Integer})
		case v.t.Kind == Boolean || v.t.Kind == Null:
			return mk(&sql.Cast{X: v.x, Typ: c.d.TypeName(sql.TInt)}, Type{Kind: Integer})
		}
	case "decimal":
		t := c.d.TypeName(sql.TDecimal)
		if e.Type.Length != nil {
			p, s := string(e.Type.Length.Val), "0"
			if e.Type.Scale != nil {
				s = string(e.Type.Scale.Val)
			}
			pn, _ := strconvAtoi(p)
			sn, _ := strconvAtoi(s)
			if pn < 1 || pn > 38 || sn < 0 || sn > pn {
				c.report(errTypes(c.f, sp, "DECIMAL(%s, %s) is not a decimal type every engine has (precision 1-38, scale up to the precision)", p, s))
			}
			t = fmt.Sprintf("DECIMAL(%d, %d)", pn, sn)
		}
		switch {
		case v.t.Kind == String || v.t.Text:
			return mk(&sql.Cast{X: c.d.ToNumber(v.x, false), Typ: t, Try: true}, Type{Kind: Decimal})
		case v.t.numeric() || v.t.Kind == Null:
			return mk(&sql.Cast{X: v.x, Typ: t}, Type{Kind: Decimal})
		}
	case "date":
		if v.t.Kind == String || v.t.temporal() && v.t.Kind != Time || v.t.Kind == Null {
			return mk(c.dateOf(v), Type{Kind: Date})
		}
	case "datetime":
		switch {
		case v.t.Kind == String || v.t.Text && v.t.Kind != Time:
			return mk(c.d.Fn(sql.FnParseDateTime, v.x), Type{Kind: DateTime})
		case v.t.Kind == Date || v.t.Kind == DateTime || v.t.Kind == Null:
			return mk(&sql.Cast{X: v.x, Typ: c.d.TypeName(sql.TDateTime)}, Type{Kind: DateTime})
		}
	default:
		c.report(errUnsupported(c.f, sp, "CAST to "+strings.ToUpper(typ), "cast to CHAR, SIGNED, DECIMAL(p, s), DATE or DATETIME"))
		return badVal
	}
	c.report(errTypes(c.f, sp, "cannot CAST %s to %s", v.t, strings.ToUpper(typ)))
	return badVal
}

func strconvAtoi(s string) (int, error) {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' || n > 1000 {
			return -1, fmt.Errorf("bad number")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}

func (c *compiler) caseExpr(e *sqlparser.CaseExpr, sc *scope, hint Type) val {
	sp := c.loc.word("case")
	out := &sql.Case{}
	var operand val
	if e.Expr != nil {
		operand = c.value(c.expr(e.Expr, sc, Type{}))
	}
	t := Type{Kind: Null}
	var thens []val
	agg := false
	for _, w := range e.Whens {
		var cond sql.Expr
		if e.Expr != nil {
			cond = c.compare("=", operand, c.expr(w.Cond, sc, operand.t))
		} else {
			cond = c.pred(c.expr(w.Cond, sc, Type{}))
		}
		then := c.value(c.expr(w.Val, sc, hint))
		agg = agg || then.agg
		u, ok := unify(t, then.t)
		if !ok {
			c.report(errTypes(c.f, then.sp, "the branches of CASE are %s and %s: CAST one of them", t, then.t))
		}
		t = u
		thens = append(thens, then)
		out.Whens = append(out.Whens, sql.When{Cond: cond})
	}
	var els val
	if e.Else != nil {
		els = c.value(c.expr(e.Else, sc, hint))
		u, ok := unify(t, els.t)
		if !ok {
			c.report(errTypes(c.f, els.sp, "the branches of CASE are %s and %s: CAST one of them", t, els.t))
		}
		t = u
	}
	conv := func(v val) sql.Expr {
		if t.numeric() {
			return c.num(v)
		}
		return v.x
	}
	for i := range out.Whens {
		out.Whens[i].Then = conv(thens[i])
	}
	if e.Else != nil {
		out.Else = conv(els)
	}
	if t.numeric() {
		t.Text = false
	}
	return val{x: out, t: t, sp: sp, agg: agg}
}

// unify is the type of a value that is either a or b.
func unify(a, b Type) (Type, bool) {
	switch {
	case a.Kind == Null:
		return b, true
	case b.Kind == Null:
		return a, true
	case a.Kind == b.Kind:
		if a.Text != b.Text {
			if a.numeric() {
				return Type{Kind: a.Kind}, true
			}
			return a, false // FHIR text and a computed date: CAST one
		}
		return a, true
	case a.numeric() && b.numeric():
		return Type{Kind: Decimal}, true
	case a.Kind == String && b.temporal() && b.Text, b.Kind == String && a.temporal() && a.Text:
		return Type{Kind: String}, true
	}
	return a, false
}
