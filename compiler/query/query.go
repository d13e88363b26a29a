package query

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/xwb1989/sqlparser"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Options say what a query is compiled against and for.
type Options struct {
	// Views are the views the query may read, by name (compiler.Load's
	// result: every view of the given paths).
	Views []*plan.View
	// Dialect spells the result; nil checks the query only (DuckDB
	// spelling is used internally).
	Dialect sql.Dialect
	// Object names the object a view is in the target; nil uses the
	// view's name.
	Object func(*plan.View) sql.ObjectName
	// Params are values bound to named parameters (:name). A parameter
	// without a value stays a parameter (sql.Var) and is listed as unbound.
	Params map[string]string
	// ParamTypes declare parameters' types (a SQLQuery Library's
	// parameter.type); others take the type of what they are compared with.
	ParamTypes map[string]Kind
	// Aliases are extra table names for views (a SQLQuery Library's
	// relatedArtifact labels).
	Aliases map[string]*plan.View
}

// Column is one output column of a query.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"-"`
}

// Param is a named parameter of the query.
type Param struct {
	Name  string
	Type  Type // from the first place it is compared or combined; String otherwise
	Span  source.Span
	Bound bool
}

// Compiled is a checked query, translated for one dialect.
type Compiled struct {
	File    *source.File
	Query   sql.Query
	Columns []Column
	Params  []*Param
	// Views are the views the query reads, in order of first use, and
	// Used the columns it reads of each (for evaluating only those).
	Views []*plan.View
	Used  map[*plan.View]map[string]bool
}

// Unbound lists the parameters without a value.
func (c *Compiled) Unbound() []*Param {
	var out []*Param
	for _, p := range c.Params {
		if !p.Bound {
			out = append(out, p)
		}
	}
	return out
}

// Compile parses, checks and translates one query. Diagnostics point into
// f; the result is nil when there are errors.
func Compile(f *source.File, o Options) (*Compiled, diag.List) {
	c := &compiler{
		f: f, o: o, d: o.Dialect,
		views:  map[string]*plan.View{},
		params: map[string]*Param{},
		out:    &Compiled{File: f, Used: map[*plan.View]map[string]bool{}},
	}
	if c.d == nil {
		c.d = checkDialect
	}
	if c.o.Object == nil {
		c.o.Object = func(v *plan.View) sql.ObjectName { return sql.ObjectName{sql.ViewName(v)} }
	}
	for _, v := range o.Views {
		c.views[strings.ToLower(sql.ViewName(v))] = v
		c.viewNames = append(c.viewNames, sql.ViewName(v))
	}
	for a, v := range o.Aliases {
		c.views[strings.ToLower(a)] = v
		c.viewNames = append(c.viewNames, a)
	}
	sort.Strings(c.viewNames)
	toks := lex(f.Text)
	c.loc = newLocator(toks)
	for _, t := range toks {
		if t.kind == tIdent && t.text == "straight_join" {
			c.diags = append(c.diags, errUnsupported(f, t.sp, "STRAIGHT_JOIN", "write JOIN"))
		}
	}
	if len(toks) == 0 {
		return nil, diag.List{errSyntax(f, source.Span{}, "the query is empty")}
	}
	text, edits := prepare(f.Text, toks)
	stmt, err := sqlparser.Parse(text)
	if err != nil {
		return nil, append(c.diags, c.syntaxError(err, text, edits))
	}
	var q sqlparser.SelectStatement
	switch s := stmt.(type) {
	case *sqlparser.Select, *sqlparser.Union, *sqlparser.ParenSelect:
		q = s.(sqlparser.SelectStatement)
	default:
		return nil, diag.List{errUnsupported(f, toks[0].sp, "a statement other than SELECT", "a query reads views; it cannot change them")}
	}
	res, cols := c.selectStmt(q, nil, true)
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	c.out.Query = res
	for _, col := range cols {
		c.out.Columns = append(c.out.Columns, Column{Name: col.name, Type: col.t})
	}
	names := make([]string, 0, len(c.params))
	for n := range c.params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c.out.Params = append(c.out.Params, c.params[n])
	}
	return c.out, c.diags
}

func (c *compiler) syntaxError(err error, text string, edits []rewrite) *diag.Diagnostic {
	msg := err.Error()
	sp := source.Span{}
	if m := syntaxPosRE.FindStringSubmatch(msg); m != nil {
		// sqlparser's position is one past the end of the token it
		// stopped at, counted from 1; "near" is left out for some tokens.
		pos, _ := strconv.Atoi(m[1])
		end := original(pos-1, edits)
		if end > len(c.f.Text) {
			end = len(c.f.Text)
		}
		sp = source.Span{Start: source.Pos(end), End: source.Pos(end)}
		near := ""
		if pos-1 >= len(text) && m[2] == "" {
			end = -1 // the parser ran out of input
			sp = source.Span{Start: source.Pos(len(c.f.Text)), End: source.Pos(len(c.f.Text))}
		}
		for _, t := range c.loc.toks {
			if int(t.sp.End) == end {
				sp, near = t.sp, c.f.Text[t.sp.Start:t.sp.End]
			}
		}
		switch {
		case near != "":
			msg = fmt.Sprintf("syntax error near %q", near)
		case m[2] != "":
			msg = fmt.Sprintf("syntax error near %q", m[2])
		default:
			msg = "syntax error: the query ends too early"
		}
	}
	return errSyntax(c.f, sp, msg)
}

type compiler struct {
	f         *source.File
	o         Options
	d         sql.Dialect
	loc       *locator
	views     map[string]*plan.View
	viewNames []string
	params    map[string]*Param
	diags     diag.List
	out       *Compiled
	aliases   int
}

func (c *compiler) report(d *diag.Diagnostic) { c.diags = append(c.diags, d) }

// rel is one FROM item.
type rel struct {
	alias string // the name columns are qualified with
	cols  []relCol
	view  *plan.View // nil for a derived table
}

type relCol struct {
	name string
	t    Type
}

type scope struct {
	rels   []*rel
	parent *scope
	// collate: string columns are read with the dialect's binary
	// comparison (GROUP BY and DISTINCT must group as "=" compares).
	collate bool
	grouped bool
	// where: translating WHERE or ON, where comparisons collate already
	where bool
	// broken: a FROM item did not resolve, so unknown columns are not
	// reported (they would only repeat that error)
	broken bool
}

type outCol struct {
	name string
	t    Type
	x    sql.Expr // the item's expression (GROUP BY alias, ORDER BY)
}

// val is a translated expression.
type val struct {
	x    sql.Expr
	t    Type
	sp   source.Span
	pred bool // x is a predicate (T-SQL has no boolean values)
	agg  bool // contains an aggregate
}

var badVal = val{x: &sql.Null{}, t: Type{Kind: Null}}

// selectStmt translates a SELECT or UNION; top marks the outermost query.
func (c *compiler) selectStmt(q sqlparser.SelectStatement, outer *scope, top bool) (sql.Query, []outCol) {
	switch q := q.(type) {
	case *sqlparser.ParenSelect:
		return c.selectStmt(q.Select, outer, top)
	case *sqlparser.Union:
		return c.union(q, outer, top)
	case *sqlparser.Select:
		return c.selectBlock(q, outer, top)
	}
	c.report(errUnsupported(c.f, source.Span{}, fmt.Sprintf("%T", q), ""))
	return &sql.Select{}, nil
}

func (c *compiler) union(u *sqlparser.Union, outer *scope, top bool) (sql.Query, []outCol) {
	sp := c.loc.word("union")
	var all bool
	switch strings.ToLower(u.Type) {
	case "union", "union distinct":
	case "union all":
		all = true
	default:
		c.report(errUnsupported(c.f, sp, strings.ToUpper(u.Type), "use UNION or UNION ALL"))
	}
	lq, lc := c.selectStmt(u.Left, outer, false)
	rq, rc := c.selectStmt(u.Right, outer, false)
	if len(lc) != len(rc) {
		c.report(errColumns(c.f, sp, "the queries of a UNION have %d and %d columns", len(lc), len(rc)))
		return lq, lc
	}
	cols := make([]outCol, len(lc))
	for i := range lc {
		t, ok := unify(lc[i].t, rc[i].t)
		if !ok {
			c.report(errTypes(c.f, sp, "column %d of the UNION is %s on one side and %s on the other: CAST one of them", i+1, lc[i].t, rc[i].t))
		}
		cols[i] = outCol{name: lc[i].name, t: t}
	}
	var q sql.Query = &sql.Union{Left: lq, Right: rq, All: all}
	if len(u.OrderBy) == 0 && u.Limit == nil {
		return q, cols
	}
	// ORDER BY and LIMIT of a UNION apply to its result: select from it.
	alias := c.alias("u")
	sel := &sql.Select{From: []*sql.From{{Src: &sql.Derived{Q: q}, Alias: alias}}}
	for i := range cols {
		cols[i].x = &sql.Col{Table: alias, Name: cols[i].name}
		sel.Items = append(sel.Items, sql.Item{X: cols[i].x, Alias: cols[i].name})
	}
	sc := &scope{parent: outer, rels: []*rel{{alias: alias}}}
	for _, col := range cols {
		sc.rels[0].cols = append(sc.rels[0].cols, relCol{name: col.name, t: col.t})
	}
	c.orderLimit(sel, u.OrderBy, u.Limit, cols, sc, top, false)
	return sel, cols
}

func (c *compiler) alias(base string) string {
	c.aliases++
	return fmt.Sprintf("%s%d", base, c.aliases)
}

func (c *compiler) selectBlock(s *sqlparser.Select, outer *scope, top bool) (sql.Query, []outCol) {
	out := &sql.Select{Distinct: s.Distinct != ""}
	if s.Distinct != "" && strings.TrimSpace(strings.ToLower(s.Distinct)) != "distinct" {
		c.report(errUnsupported(c.f, c.loc.word("select"), strings.ToUpper(strings.TrimSpace(s.Distinct)), ""))
	}
	sc := &scope{parent: outer}
	for i, te := range s.From {
		c.fromItem(te, sc, out, i == 0)
	}
	sc.grouped = len(s.GroupBy) > 0 || hasAggregate(s.SelectExprs) || (s.Having != nil)
	sc.collate = sc.grouped || out.Distinct
	// select list
	var cols []outCol
	seen := map[string]bool{}
	for i, se := range s.SelectExprs {
		switch se := se.(type) {
		case *sqlparser.StarExpr:
			q := se.TableName.Name.String()
			found := false
			for _, r := range sc.rels {
				if q != "" && !strings.EqualFold(r.alias, q) {
					continue
				}
				found = true
				for _, rc := range r.cols {
					x := c.colExpr(r, rc, sc)
					cols = append(cols, outCol{name: rc.name, t: rc.t, x: x})
				}
			}
			if q != "" && !found {
				c.report(errUnknownAlias(c.f, c.loc.name("", q), q, aliasesOf(sc)))
			}
		case *sqlparser.AliasedExpr:
			v := c.value(c.expr(se.Expr, sc, Type{}))
			name := se.As.String()
			if name == "" {
				name = defaultName(se.Expr, i)
			}
			cols = append(cols, outCol{name: name, t: v.t, x: v.x})
		default:
			c.report(errUnsupported(c.f, source.Span{}, "this select item", ""))
		}
	}
	for _, col := range cols {
		if seen[strings.ToLower(col.name)] {
			c.report(errDuplicateCol(c.f, c.loc.fallback(col.name), col.name))
		}
		seen[strings.ToLower(col.name)] = true
		if !sql.ValidIdent(col.name) {
			c.report(errUnsupported(c.f, c.loc.fallback(col.name), fmt.Sprintf("the column name %q", col.name), "names are 1 to 128 characters without control characters"))
		}
		out.Items = append(out.Items, sql.Item{X: col.x, Alias: col.name})
	}
	if s.Where != nil {
		sc.where = true
		out.Where = append(out.Where, c.pred(c.expr(s.Where.Expr, sc, Type{})))
		sc.where = false
	}
	for _, g := range s.GroupBy {
		if col, ok := c.itemRef(g, cols); ok {
			out.GroupBy = append(out.GroupBy, col.x)
			continue
		}
		v := c.value(c.expr(g, sc, Type{}))
		out.GroupBy = append(out.GroupBy, v.x)
	}
	if s.Having != nil {
		out.Having = append(out.Having, c.pred(c.expr(s.Having.Expr, sc, Type{})))
	}
	c.orderLimit(out, s.OrderBy, s.Limit, cols, sc, top, true)
	return out, cols
}

// itemRef resolves a GROUP BY or ORDER BY key written as a select-list
// alias or a 1-based position.
func (c *compiler) itemRef(e sqlparser.Expr, cols []outCol) (outCol, bool) {
	switch e := e.(type) {
	case *sqlparser.SQLVal:
		if e.Type == sqlparser.IntVal {
			n, err := strconv.Atoi(string(e.Val))
			sp := c.loc.lit(tNumber, string(e.Val))
			if err != nil || n < 1 || n > len(cols) {
				c.report(errColumns(c.f, sp, "position %s is not a column of the select list (1 to %d)", e.Val, len(cols)))
				return outCol{x: &sql.Null{}}, true
			}
			return cols[n-1], true
		}
	case *sqlparser.ColName:
		if !e.Qualifier.IsEmpty() {
			return outCol{}, false
		}
		for _, col := range cols {
			if strings.EqualFold(col.name, e.Name.String()) {
				if _, isCol := col.x.(*sql.Col); isCol {
					return outCol{}, false // a column of a FROM item: resolve it as such
				}
				c.loc.name("", e.Name.String())
				return col, true
			}
		}
	}
	return outCol{}, false
}

func (c *compiler) orderLimit(out *sql.Select, order sqlparser.OrderBy, lim *sqlparser.Limit, cols []outCol, sc *scope, top, block bool) {
	for _, o := range order {
		desc := strings.EqualFold(o.Direction, sqlparser.DescScr)
		if col, ok := c.itemRef(o.Expr, cols); ok {
			x := col.x
			if col.t.Kind == String && !col.t.JSON && !sc.collate {
				x = c.d.Fn(sql.FnBinary, x)
			} else if sc.collate || out.Distinct {
				x = &sql.Col{Name: col.name}
			}
			out.OrderBy = append(out.OrderBy, sql.Order{X: x, Desc: desc, NullsLow: true})
			continue
		}
		v := c.value(c.expr(o.Expr, sc, Type{}))
		x := v.x
		if v.t.Kind == String && !sc.collate {
			x = c.d.Fn(sql.FnBinary, x)
		}
		out.OrderBy = append(out.OrderBy, sql.Order{X: x, Desc: desc, NullsLow: true})
	}
	if lim == nil {
		if len(order) > 0 && !top {
			c.report(errUnsupported(c.f, c.loc.word("order"), "ORDER BY in a subquery without LIMIT", "T-SQL rejects it and no engine keeps the order: order the outer query"))
		}
		return
	}
	sp := c.loc.word("limit")
	if lim.Rowcount != nil {
		out.Top = c.count(lim.Rowcount, sc, "LIMIT")
	}
	if lim.Offset != nil {
		out.Offset = c.count(lim.Offset, sc, "OFFSET")
		if c.d.Caps().NoOffset {
			c.report(errTarget(c.f, sp, "OFFSET", c.d.Name()))
		}
	}
	if len(order) == 0 {
		c.diags = append(c.diags, warnLimitOrder(c.f, sp))
	}
}

// count is a LIMIT or OFFSET value: an integer literal or parameter.
func (c *compiler) count(e sqlparser.Expr, sc *scope, what string) sql.Expr {
	if v, ok := e.(*sqlparser.SQLVal); ok && (v.Type == sqlparser.IntVal || v.Type == sqlparser.ValArg) {
		return c.value(c.expr(e, sc, Type{Kind: Integer})).x
	}
	c.report(errUnsupported(c.f, c.loc.word(strings.ToLower(what)), what+" with an expression", "write a whole number or a :parameter"))
	return &sql.Num{V: "0"}
}

func aliasesOf(sc *scope) []string {
	var out []string
	for _, r := range sc.rels {
		out = append(out, r.alias)
	}
	return out
}

func defaultName(e sqlparser.Expr, i int) string {
	switch e := e.(type) {
	case *sqlparser.ColName:
		return e.Name.String()
	case *sqlparser.FuncExpr:
		return strings.ToLower(e.Name.String())
	}
	return fmt.Sprintf("column_%d", i+1)
}

func hasAggregate(exprs sqlparser.SelectExprs) bool {
	found := false
	for _, se := range exprs {
		ae, ok := se.(*sqlparser.AliasedExpr)
		if !ok {
			continue
		}
		_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
			switch n := n.(type) {
			case *sqlparser.Subquery:
				return false, nil
			case *sqlparser.FuncExpr:
				if n.IsAggregate() {
					found = true
				}
			}
			return true, nil
		}, ae.Expr)
	}
	return found
}

// fromItem adds one FROM item (and the joins it holds) to the select.
func (c *compiler) fromItem(te sqlparser.TableExpr, sc *scope, out *sql.Select, first bool) {
	switch te := te.(type) {
	case *sqlparser.AliasedTableExpr:
		f := c.source(te, sc)
		if f == nil {
			return
		}
		if !first {
			f.Join = sql.CrossJoin
		}
		out.From = append(out.From, f)
	case *sqlparser.JoinTableExpr:
		if _, ok := te.RightExpr.(*sqlparser.JoinTableExpr); ok {
			c.report(errUnsupported(c.f, c.loc.word("join"), "a join nested on the right", "write the joins one after the other: a JOIN b ON ... JOIN c ON ..."))
			return
		}
		c.fromItem(te.LeftExpr, sc, out, first)
		at, ok := te.RightExpr.(*sqlparser.AliasedTableExpr)
		if !ok {
			c.report(errUnsupported(c.f, c.loc.word("join"), "a parenthesised join", "write the joins one after the other"))
			return
		}
		f := c.source(at, sc)
		if f == nil {
			return
		}
		switch strings.ToLower(te.Join) {
		case sqlparser.JoinStr:
			f.Join = sql.InnerJoin
			if te.Condition.On == nil && len(te.Condition.Using) == 0 {
				f.Join = sql.CrossJoin
			}
		case sqlparser.LeftJoinStr:
			f.Join = sql.LeftJoin
		case sqlparser.RightJoinStr:
			f.Join = sql.RightJoin
		case sqlparser.StraightJoinStr:
			f.Join = sql.FullJoin // FULL [OUTER] JOIN, see prepare
		default:
			c.report(errUnsupported(c.f, c.loc.word("join"), strings.ToUpper(te.Join), "write JOIN, LEFT JOIN, RIGHT JOIN, FULL JOIN or CROSS JOIN with ON"))
		}
		if len(te.Condition.Using) > 0 {
			c.report(errUnsupported(c.f, c.loc.word("using"), "JOIN ... USING", "write ON a.col = b.col"))
		}
		out.From = append(out.From, f)
		if te.Condition.On != nil {
			sc.where = true
			f.On = c.pred(c.expr(te.Condition.On, sc, Type{}))
			sc.where = false
		} else if f.Join != sql.CrossJoin && len(te.Condition.Using) == 0 {
			c.report(errUnsupported(c.f, c.loc.word("join"), "an outer join without ON", "add ON a.col = b.col"))
		}
	case *sqlparser.ParenTableExpr:
		if len(te.Exprs) != 1 {
			c.report(errUnsupported(c.f, source.Span{}, "a parenthesised FROM list", ""))
			return
		}
		c.fromItem(te.Exprs[0], sc, out, first)
	}
}

// source resolves a view name or derived table.
func (c *compiler) source(te *sqlparser.AliasedTableExpr, sc *scope) *sql.From {
	alias := te.As.String()
	switch src := te.Expr.(type) {
	case sqlparser.TableName:
		name := src.Name.String()
		sp := c.loc.name(src.Qualifier.String(), name)
		if !src.Qualifier.IsEmpty() {
			c.report(errUnsupported(c.f, sp, "a schema-qualified name", "name the view alone: the target's schema is added for you"))
			return nil
		}
		v, ok := c.views[strings.ToLower(name)]
		if !ok {
			c.report(errUnknownView(c.f, sp, name, c.viewNames))
			sc.broken = true
			return nil
		}
		if alias == "" {
			alias = name // as written: a Library label may differ from the view's name
		}
		r := &rel{alias: alias, view: v}
		for _, col := range v.Columns {
			r.cols = append(r.cols, relCol{name: col.Name, t: ColumnType(col)})
		}
		c.addRel(sc, r, sp)
		c.useView(v)
		return &sql.From{Src: &sql.Table{Name: c.o.Object(v)}, Alias: alias}
	case *sqlparser.Subquery:
		q, cols := c.selectStmt(src.Select, sc.parent, false)
		if alias == "" {
			c.report(errUnsupported(c.f, c.loc.word("from"), "a subquery in FROM without an alias", "add AS name after the parenthesis"))
			alias = c.alias("q")
		}
		r := &rel{alias: alias}
		for _, col := range cols {
			r.cols = append(r.cols, relCol{name: col.name, t: col.t})
		}
		c.addRel(sc, r, c.loc.name("", alias))
		return &sql.From{Src: &sql.Derived{Q: q}, Alias: alias}
	}
	c.report(errUnsupported(c.f, source.Span{}, "this FROM item", ""))
	return nil
}

func (c *compiler) addRel(sc *scope, r *rel, sp source.Span) {
	for _, o := range sc.rels {
		if strings.EqualFold(o.alias, r.alias) {
			c.report(errDuplicateCol(c.f, sp, r.alias).WithNote(source.Span{}, "two FROM items are called %q: alias one with AS", r.alias))
		}
	}
	sc.rels = append(sc.rels, r)
}

func (c *compiler) useView(v *plan.View) {
	if _, ok := c.out.Used[v]; !ok {
		c.out.Used[v] = map[string]bool{}
		c.out.Views = append(c.out.Views, v)
	}
}

// colExpr reads a column of a FROM item.
func (c *compiler) colExpr(r *rel, rc relCol, sc *scope) sql.Expr {
	if r.view != nil {
		c.out.Used[r.view][rc.name] = true
	}
	var x sql.Expr = &sql.Col{Table: r.alias, Name: rc.name}
	if sc != nil && sc.collate && !sc.where && rc.t.Kind == String && !rc.t.JSON {
		x = c.d.Fn(sql.FnBinary, x)
	}
	return x
}

// column resolves a column reference.
func (c *compiler) column(e *sqlparser.ColName, sc *scope) val {
	name, qual := e.Name.String(), e.Qualifier.Name.String()
	sp := c.loc.name(qual, name)
	if !e.Qualifier.Qualifier.IsEmpty() {
		c.report(errUnsupported(c.f, sp, "a schema-qualified column", "qualify columns with the view name or alias only"))
		return badVal
	}
	for s := sc; s != nil; s = s.parent {
		var hits []*rel
		var cols []relCol
		for _, r := range s.rels {
			if qual != "" && !strings.EqualFold(r.alias, qual) {
				continue
			}
			for _, rc := range r.cols {
				if strings.EqualFold(rc.name, name) {
					hits = append(hits, r)
					cols = append(cols, rc)
				}
			}
		}
		if len(hits) > 1 {
			var owners []string
			for _, h := range hits {
				owners = append(owners, h.alias)
			}
			c.report(errAmbiguous(c.f, sp, name, owners))
			return badVal
		}
		if len(hits) == 1 {
			return val{x: c.colExpr(hits[0], cols[0], s), t: cols[0].t, sp: sp}
		}
		if qual != "" {
			for _, r := range s.rels {
				if strings.EqualFold(r.alias, qual) {
					var names []string
					for _, rc := range r.cols {
						names = append(names, rc.name)
					}
					where := fmt.Sprintf("%q", r.alias)
					if r.view != nil {
						where = fmt.Sprintf("view %q", sql.ViewName(r.view))
					}
					c.report(errUnknownCol(c.f, sp, name, where, names))
					return badVal
				}
			}
		}
	}
	for s := sc; s != nil; s = s.parent {
		if s.broken {
			return badVal
		}
	}
	if qual != "" {
		c.report(errUnknownAlias(c.f, sp, qual, aliasesOf(sc)))
		return badVal
	}
	var names, owners []string
	for _, r := range sc.rels {
		owners = append(owners, fmt.Sprintf("%q", r.alias))
		for _, rc := range r.cols {
			names = append(names, rc.name)
		}
	}
	where := "the FROM clause"
	if len(owners) > 0 {
		where = strings.Join(owners, ", ")
	}
	c.report(errUnknownCol(c.f, sp, name, where, names))
	return badVal
}

// value turns a predicate into a value (1, 0 or NULL: T-SQL has no
// boolean values).
func (c *compiler) value(v val) val {
	if !v.pred {
		return v
	}
	return val{x: c.d.BoolValue(v.x, false), t: Type{Kind: Boolean}, sp: v.sp, agg: v.agg}
}

// pred turns a value into a predicate: a boolean column is true when 1.
func (c *compiler) pred(v val) sql.Expr {
	if v.pred {
		return v.x
	}
	switch v.t.Kind {
	case Boolean:
		return &sql.Bin{Op: sql.OpEq, X: v.x, Y: &sql.Num{V: "1"}}
	case Null:
		return &sql.Bin{Op: sql.OpEq, X: &sql.Num{V: "1"}, Y: &sql.Null{}}
	}
	c.report(errTypes(c.f, v.sp, "a condition must be true or false, not %s", v.t))
	return &sql.Bin{Op: sql.OpEq, X: &sql.Num{V: "1"}, Y: &sql.Num{V: "1"}}
}

// num reads a numeric value, converting decimal text.
func (c *compiler) num(v val) sql.Expr {
	v = c.value(v)
	if v.t.Kind == Decimal && v.t.Text {
		return c.d.ToNumber(v.x, false)
	}
	return v.x
}

var numberRE = regexp.MustCompile(`^[0-9]*\.?[0-9]*([eE][+-]?[0-9]+)?$`)

// expr translates an expression; hint types parameters and NULLs from
// their context.
func (c *compiler) expr(e sqlparser.Expr, sc *scope, hint Type) val {
	switch e := e.(type) {
	case *sqlparser.AndExpr:
		l, r := c.pred(c.expr(e.Left, sc, Type{})), c.pred(c.expr(e.Right, sc, Type{}))
		return val{x: &sql.Bin{Op: sql.OpAnd, X: l, Y: r}, t: Type{Kind: Boolean}, pred: true}
	case *sqlparser.OrExpr:
		l, r := c.pred(c.expr(e.Left, sc, Type{})), c.pred(c.expr(e.Right, sc, Type{}))
		return val{x: &sql.Bin{Op: sql.OpOr, X: l, Y: r}, t: Type{Kind: Boolean}, pred: true}
	case *sqlparser.NotExpr:
		return val{x: &sql.Not{X: c.pred(c.expr(e.Expr, sc, Type{}))}, t: Type{Kind: Boolean}, pred: true}
	case *sqlparser.ParenExpr:
		return c.expr(e.Expr, sc, hint)
	case *sqlparser.ComparisonExpr:
		return c.comparison(e, sc)
	case *sqlparser.RangeCond:
		x := c.expr(e.Left, sc, Type{})
		lo := c.expr(e.From, sc, x.t)
		hi := c.expr(e.To, sc, x.t)
		p := &sql.Bin{Op: sql.OpAnd, X: c.compare(">=", x, lo), Y: c.compare("<=", x, hi)}
		if e.Operator == sqlparser.NotBetweenStr {
			return val{x: &sql.Not{X: p}, t: Type{Kind: Boolean}, pred: true}
		}
		return val{x: p, t: Type{Kind: Boolean}, pred: true}
	case *sqlparser.IsExpr:
		x := c.value(c.expr(e.Expr, sc, Type{}))
		switch e.Operator {
		case sqlparser.IsNullStr:
			return val{x: &sql.IsNull{X: x.x}, t: Type{Kind: Boolean}, pred: true, sp: x.sp}
		case sqlparser.IsNotNullStr:
			return val{x: &sql.IsNull{X: x.x, Not: true}, t: Type{Kind: Boolean}, pred: true, sp: x.sp}
		}
		c.report(errUnsupported(c.f, x.sp, strings.ToUpper(e.Operator), "compare with = TRUE or = FALSE"))
		return badVal
	case *sqlparser.ExistsExpr:
		q, _ := c.selectStmt(e.Subquery.Select, sc, false)
		return val{x: &sql.Exists{Q: q}, t: Type{Kind: Boolean}, pred: true}
	case *sqlparser.SQLVal:
		return c.literal(e, hint)
	case *sqlparser.NullVal:
		return val{x: &sql.Null{}, t: Type{Kind: Null}, sp: c.loc.word("null")}
	case sqlparser.BoolVal:
		word := "false"
		n := "0"
		if e {
			word, n = "true", "1"
		}
		return val{x: &sql.Num{V: n}, t: Type{Kind: Boolean}, sp: c.loc.word(word)}
	case *sqlparser.ColName:
		return c.column(e, sc)
	case *sqlparser.Subquery:
		q, cols := c.selectStmt(e.Select, sc, false)
		if len(cols) != 1 {
			c.report(errColumns(c.f, c.loc.word("select"), "a subquery used as a value must return one column, not %d", len(cols)))
			return badVal
		}
		return val{x: &sql.Sub{Q: q}, t: cols[0].t}
	case *sqlparser.BinaryExpr:
		return c.arith(e, sc, hint)
	case *sqlparser.UnaryExpr:
		x := c.expr(e.Expr, sc, hint)
		switch e.Operator {
		case sqlparser.UMinusStr:
			if !x.t.numeric() && x.t.Kind != Null {
				c.report(errTypes(c.f, x.sp, "cannot negate %s", x.t))
			}
			return val{x: &sql.Neg{X: c.num(x)}, t: numType(x.t), sp: x.sp, agg: x.agg}
		case sqlparser.UPlusStr:
			return x
		}
		c.report(errUnsupported(c.f, x.sp, "the operator "+e.Operator, ""))
		return badVal
	case *sqlparser.FuncExpr:
		return c.call(e, sc)
	case *sqlparser.SubstrExpr:
		sp := c.loc.call("substring")
		s := c.value(c.column(e.Name, sc))
		args := []val{s, c.expr(e.From, sc, Type{Kind: Integer})}
		if e.To != nil {
			args = append(args, c.expr(e.To, sc, Type{Kind: Integer}))
		}
		return c.substring(args, sp)
	case *sqlparser.ConvertExpr:
		return c.cast(e, sc)
	case *sqlparser.CaseExpr:
		return c.caseExpr(e, sc, hint)
	case *sqlparser.IntervalExpr:
		c.report(errUnsupported(c.f, c.loc.word("interval"), "INTERVAL outside DATE_ADD, DATE_SUB or date + INTERVAL n DAY", ""))
		return badVal
	case *sqlparser.GroupConcatExpr:
		c.report(errFunction(c.f, c.loc.call("group_concat"), "group_concat"))
		return badVal
	}
	c.report(errUnsupported(c.f, source.Span{}, "the expression "+sqlparser.String(e), ""))
	return badVal
}

func numType(t Type) Type {
	if t.Kind == Integer {
		return Type{Kind: Integer}
	}
	return Type{Kind: Decimal}
}

// literal translates a constant or a parameter.
func (c *compiler) literal(e *sqlparser.SQLVal, hint Type) val {
	switch e.Type {
	case sqlparser.StrVal:
		sp := c.loc.lit(tString, string(e.Val))
		return val{x: &sql.Str{V: string(e.Val)}, t: Type{Kind: String}, sp: sp}
	case sqlparser.IntVal, sqlparser.FloatVal:
		s := string(e.Val)
		sp := c.loc.lit(tNumber, s)
		if !numberRE.MatchString(s) {
			c.report(errUnsupported(c.f, sp, "the number "+s, "write decimal numbers"))
			return badVal
		}
		if strings.HasPrefix(s, ".") {
			s = "0" + s
		}
		s = strings.TrimSuffix(s, ".")
		if !sql.ValidNumber(s) {
			c.report(errUnsupported(c.f, sp, "the number "+string(e.Val), "write decimal numbers"))
			return badVal
		}
		k := Integer
		if strings.ContainsAny(s, ".eE") {
			k = Decimal
		}
		return val{x: &sql.Num{V: s}, t: Type{Kind: k}, sp: sp}
	case sqlparser.ValArg:
		return c.param(strings.TrimPrefix(string(e.Val), ":"), hint)
	}
	sp := c.loc.lit(tNumber, string(e.Val))
	c.report(errUnsupported(c.f, sp, "a hexadecimal or bit literal", "write decimal numbers or 'text'"))
	return badVal
}

var paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// param translates :name: its value when bound (a literal of the type the
// context gives it), else a parameter.
func (c *compiler) param(name string, hint Type) val {
	sp := c.loc.lit(tParam, name)
	if !paramNameRE.MatchString(name) {
		c.report(errParam(c.f, sp, "parameter name %q must be letters, digits and _", name))
		return badVal
	}
	p, ok := c.params[name]
	if !ok {
		p = &Param{Name: name, Type: Type{Kind: String}, Span: sp}
		if k, ok := c.o.ParamTypes[name]; ok {
			p.Type = Type{Kind: k}
		} else if hint.Kind != Null {
			p.Type = Type{Kind: hint.Kind}
		}
		c.params[name] = p
	}
	t := p.Type
	raw, bound := c.o.Params[name]
	if !bound {
		// typed as its value would be: dates stay text (see below)
		if t.temporal() {
			t.Text = true
		}
		return val{x: &sql.Var{Name: name}, t: t, sp: sp}
	}
	p.Bound = true
	switch t.Kind {
	case Integer:
		if !regexp.MustCompile(`^-?[0-9]{1,18}$`).MatchString(raw) {
			c.report(errParam(c.f, sp, "parameter :%s is an integer here, not %q", name, raw))
			return badVal
		}
		return val{x: &sql.Num{V: raw}, t: t, sp: sp}
	case Decimal:
		if !sql.ValidNumber(raw) || len(raw) > 40 {
			c.report(errParam(c.f, sp, "parameter :%s is a number here, not %q", name, raw))
			return badVal
		}
		return val{x: &sql.Num{V: raw}, t: t, sp: sp}
	case Boolean:
		switch strings.ToLower(raw) {
		case "true", "1":
			return val{x: &sql.Num{V: "1"}, t: t, sp: sp}
		case "false", "0":
			return val{x: &sql.Num{V: "0"}, t: t, sp: sp}
		}
		c.report(errParam(c.f, sp, "parameter :%s is true or false here, not %q", name, raw))
		return badVal
	case Date:
		if !dateRE.MatchString(raw) {
			c.report(errParam(c.f, sp, "parameter :%s is a date here (YYYY-MM-DD), not %q", name, raw))
			return badVal
		}
	case DateTime:
		if !dateTimeRE.MatchString(raw) {
			c.report(errParam(c.f, sp, "parameter :%s is a dateTime here (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff]+zz:zz), not %q", name, raw))
			return badVal
		}
	}
	// Dates and text stay text: compared with a date column, which holds
	// the FHIR text, they compare as text; date functions parse them.
	return val{x: &sql.Str{V: raw}, t: Type{Kind: t.Kind, Text: true}, sp: sp}
}

var (
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	dateTimeRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$`)
)
