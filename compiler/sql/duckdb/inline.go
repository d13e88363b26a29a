package duckdb

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// The emitter names intermediate values with one-row derived tables joined
// laterally — CROSS APPLY (SELECT x AS [v]) AS [b1] — which is how T-SQL
// evaluates an expression once. DuckDB decorrelates each of them into a
// join, which costs more than evaluating a small expression twice (a
// declared dateTime column runs about 25 % slower). So before printing,
// inline substitutes such projections into the expressions that read them
// when they are small scalar expressions (no subquery, aggregate or window,
// so repeating them changes neither the result nor, much, the cost), and a
// scalar subquery left with neither FROM nor WHERE becomes its expression.
// The rows are the same; only the plan changes.

type colRef struct{ table, name string }

// inlineQuery returns q with one-row projections inlined; q is not modified.
func inlineQuery(q sql.Query) sql.Query {
	return rewriteQuery(q, env{})
}

func rewriteQuery(q sql.Query, m env) sql.Query {
	switch q := q.(type) {
	case *sql.Select:
		return rewriteSelect(q, m)
	case *sql.UnionAll:
		out := &sql.UnionAll{Queries: make([]sql.Query, len(q.Queries))}
		for i, x := range q.Queries {
			out.Queries[i] = rewriteQuery(x, m)
		}
		return out
	case *sql.Union:
		return &sql.Union{Left: rewriteQuery(q.Left, m), Right: rewriteQuery(q.Right, m), All: q.All}
	case *sql.With:
		out := &sql.With{Body: rewriteQuery(q.Body, m)}
		for _, c := range q.CTEs {
			out.CTEs = append(out.CTEs, sql.CTE{Name: c.Name, Columns: c.Columns, Q: rewriteQuery(c.Q, m)})
		}
		return out
	}
	return q
}

func rewriteSelect(s *sql.Select, outer env) *sql.Select {
	m := env{cols: outer.cols, local: map[string]bool{}}
	for _, f := range s.From {
		m.local[f.Alias] = true
	}
	out := &sql.Select{Distinct: s.Distinct}
	for _, f := range s.From {
		src := rewriteSource(f.Src, m)
		if d, ok := src.(*sql.Derived); ok {
			if q, ok := listRows(d.Q, env{}); ok {
				src = &sql.Derived{Q: q}
			}
		}
		if d, ok := src.(*sql.Derived); ok && f.Alias != "" {
			if proj, ok := d.Q.(*sql.Select); ok && oneRowProjection(proj) {
				m = extend(m, f.Alias, proj)
				continue
			}
		}
		join := f.Join
		if len(out.From) == 0 && join != sql.JoinNone {
			// The first remaining item was a lateral join on a projection
			// that is now inlined. It starts the FROM clause, unless it is
			// an outer join, whose null row needs a row to join to.
			if join == sql.OuterApply {
				out.From = append(out.From, &sql.From{Src: &sql.Derived{Q: &sql.Select{Items: []sql.Item{{X: &sql.Num{V: "1"}, Alias: "one"}}}}, Alias: "seed"})
			} else {
				join = sql.JoinNone
			}
		}
		out.From = append(out.From, &sql.From{Join: join, Src: src, Alias: f.Alias, On: rewriteExpr(f.On, m)})
	}
	for _, it := range s.Items {
		out.Items = append(out.Items, sql.Item{X: rewriteExpr(it.X, m), Alias: it.Alias})
	}
	for _, w := range s.Where {
		out.Where = append(out.Where, rewriteExpr(w, m))
	}
	for _, g := range s.GroupBy {
		out.GroupBy = append(out.GroupBy, rewriteExpr(g, m))
	}
	for _, h := range s.Having {
		out.Having = append(out.Having, rewriteExpr(h, m))
	}
	out.OrderBy = rewriteOrders(s.OrderBy, m)
	if s.Top != nil {
		out.Top = rewriteExpr(s.Top, m)
	}
	out.Offset = rewriteExpr(s.Offset, m)
	return out
}

// oneRowProjection: SELECT x AS a, y AS b with nothing else, whose
// expressions can be repeated.
func oneRowProjection(s *sql.Select) bool {
	if len(s.From) > 0 || len(s.Where) > 0 || len(s.GroupBy) > 0 || len(s.OrderBy) > 0 || s.Top != nil || len(s.Items) == 0 ||
		s.Distinct || len(s.Having) > 0 || s.Offset != nil {
		return false
	}
	for _, it := range s.Items {
		if it.Alias == "" || !repeatable(it.X) || size(it.X) > maxInline {
			return false
		}
	}
	return true
}

// maxInline bounds the expressions inlined (in nodes): a JSON read or a
// small conversion of one. A chain of projections that each use the
// previous one several times (getReferenceKey) would otherwise grow
// exponentially into unreadable SQL; what is larger stays a derived table.
const maxInline = 8

func size(e sql.Expr) int {
	n := 0
	sql.WalkExpr(e, func(sql.Expr) { n++ })
	return n
}

// aggregates are the aggregate functions the dialect spells.
var aggregates = map[string]bool{"count": true, "max": true, "min": true, "string_agg": true, "sum": true, "avg": true}

// repeatable: no subquery, aggregate or window function inside.
func repeatable(e sql.Expr) bool {
	ok := true
	sql.WalkExpr(e, func(x sql.Expr) {
		switch x := x.(type) {
		case *sql.Sub, *sql.Exists, *sql.Over, *sql.WithinGroup:
			ok = false
		case *sql.Func:
			if aggregates[strings.ToLower(x.Name)] {
				ok = false
			}
		}
	})
	return ok
}

func extend(m env, alias string, proj *sql.Select) env {
	n := m.with(len(proj.Items))
	for _, it := range proj.Items {
		n.cols[colRef{alias, it.Alias}] = it.X // already rewritten with m
	}
	return n
}

// env is what a rewrite knows of its place in the query: the inlined
// columns, and the aliases of the FROM clause of the SELECT it is in, which
// alone a lambda written there may read (DuckDB binds no outer query's
// column inside a lambda in a subquery).
type env struct {
	cols  map[colRef]sql.Expr
	local map[string]bool
}

// with copies the inlined columns, for extra more.
func (m env) with(extra int) env {
	n := env{cols: make(map[colRef]sql.Expr, len(m.cols)+extra), local: m.local}
	for k, v := range m.cols {
		n.cols[k] = v
	}
	return n
}

// reads reports whether x reads only columns of the local FROM clause (and
// lambda parameters), so it can be a lambda's body there.
func (m env) reads(x sql.Expr) bool {
	ok := true
	sql.WalkExpr(x, func(x sql.Expr) {
		if c, isCol := x.(*sql.Col); isCol && c.Table != "" && !m.local[c.Table] {
			ok = false
		}
	})
	return ok
}

func rewriteOrders(os []sql.Order, m env) []sql.Order {
	if os == nil {
		return nil
	}
	out := make([]sql.Order, len(os))
	for i, o := range os {
		out[i] = sql.Order{X: rewriteExpr(o.X, m), Desc: o.Desc, NullsLow: o.NullsLow}
	}
	return out
}

func rewriteSource(s sql.Source, m env) sql.Source {
	switch s := s.(type) {
	case *sql.Derived:
		return &sql.Derived{Q: rewriteQuery(s.Q, m)}
	case *sql.TableFunc:
		n := *s
		n.Args = rewriteExprs(s.Args, m)
		return &n
	}
	return s
}

func rewriteExprs(xs []sql.Expr, m env) []sql.Expr {
	if xs == nil {
		return nil
	}
	out := make([]sql.Expr, len(xs))
	for i, x := range xs {
		out[i] = rewriteExpr(x, m)
	}
	return out
}

// rewriteExpr substitutes inlined columns and simplifies scalar subqueries,
// copying every node it changes.
func rewriteExpr(e sql.Expr, m env) sql.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *sql.Col:
		if x, ok := m.cols[colRef{e.Table, e.Name}]; ok && e.Table != "" {
			return x
		}
		return e
	case *sql.Func:
		return &sql.Func{Name: e.Name, Args: rewriteExprs(e.Args, m), Distinct: e.Distinct}
	case *sql.Cast:
		return &sql.Cast{X: rewriteExpr(e.X, m), Typ: e.Typ, Try: e.Try}
	case *sql.Convert:
		return &sql.Convert{Typ: e.Typ, X: rewriteExpr(e.X, m), Style: e.Style, Try: e.Try}
	case *sql.Bin:
		return &sql.Bin{Op: e.Op, X: rewriteExpr(e.X, m), Y: rewriteExpr(e.Y, m)}
	case *sql.Not:
		return &sql.Not{X: rewriteExpr(e.X, m)}
	case *sql.Neg:
		return &sql.Neg{X: rewriteExpr(e.X, m)}
	case *sql.IsNull:
		return &sql.IsNull{X: rewriteExpr(e.X, m), Not: e.Not}
	case *sql.Case:
		n := &sql.Case{Operand: rewriteExpr(e.Operand, m), Else: rewriteExpr(e.Else, m)}
		for _, w := range e.Whens {
			n.Whens = append(n.Whens, sql.When{Cond: rewriteExpr(w.Cond, m), Then: rewriteExpr(w.Then, m)})
		}
		return n
	case *sql.Exists:
		x := &sql.Exists{Q: rewriteQuery(e.Q, m), Not: e.Not}
		if l, ok := listExists(x, m); ok {
			return l
		}
		return x
	case *sql.Lambda:
		return &sql.Lambda{Params: e.Params, Body: rewriteExpr(e.Body, m)}
	case *sql.Sub:
		if x, ok := letSub(e, m); ok {
			return x
		}
		q := rewriteQuery(e.Q, m)
		if l, ok := listSub(q, m); ok {
			return l
		}
		if s, ok := q.(*sql.Select); ok && len(s.From) == 0 && len(s.Where) == 0 && len(s.GroupBy) == 0 &&
			len(s.OrderBy) == 0 && s.Top == nil && len(s.Items) == 1 && repeatable(s.Items[0].X) &&
			!s.Distinct && len(s.Having) == 0 && s.Offset == nil {
			return s.Items[0].X
		}
		return &sql.Sub{Q: q}
	case *sql.In:
		return &sql.In{X: rewriteExpr(e.X, m), List: rewriteExprs(e.List, m), Not: e.Not}
	case *sql.InQuery:
		return &sql.InQuery{X: rewriteExpr(e.X, m), Q: rewriteQuery(e.Q, m), Not: e.Not}
	case *sql.Like:
		return &sql.Like{X: rewriteExpr(e.X, m), Pattern: rewriteExpr(e.Pattern, m), Not: e.Not}
	case *sql.Collate:
		return &sql.Collate{X: rewriteExpr(e.X, m), Name: e.Name}
	case *sql.Over:
		return &sql.Over{Fn: rewriteExpr(e.Fn, m), PartitionBy: rewriteExprs(e.PartitionBy, m), OrderBy: rewriteOrders(e.OrderBy, m)}
	case *sql.WithinGroup:
		return &sql.WithinGroup{Agg: rewriteExpr(e.Agg, m), OrderBy: rewriteOrders(e.OrderBy, m)}
	case *sql.OptionArg:
		return &sql.OptionArg{Option: sql.Option{Name: e.Name, Value: rewriteExpr(e.Value, m)}}
	}
	return e
}

// letSub rewrites a scalar subquery that only names values,
//
//	(SELECT f(b.v, c.w) FROM (SELECT x AS v) AS b CROSS JOIN LATERAL (SELECT g(b.v) AS w) AS c)
//
// into an expression: the small values inlined as rewriteSelect does, the
// others bound by a lambda over a one-item list,
//
//	list_extract(list_transform([x], lambda "b.v": f(...)), 1)
//
// which evaluates x once in the row itself, where the subquery was a join
// DuckDB decorrelates (materializing and hashing its outer rows: most of the
// cost of a view whose values repeat little, such as getReferenceKey() or a
// sized column's length check). Each projection has one row whatever the
// join (CROSS or OUTER), and a lambda holds no subquery, so only a query of
// such projections and an item without subqueries qualify; the result is
// the same value.
func letSub(e *sql.Sub, m env) (sql.Expr, bool) {
	s, ok := e.Q.(*sql.Select)
	if !ok || len(s.From) == 0 || len(s.Items) != 1 || len(s.Where) > 0 || len(s.GroupBy) > 0 || len(s.OrderBy) > 0 ||
		s.Top != nil || s.Distinct || len(s.Having) > 0 || s.Offset != nil {
		return nil, false
	}
	type let struct {
		param string
		x     sql.Expr
	}
	var lets []let
	for _, f := range s.From {
		d, isDerived := f.Src.(*sql.Derived)
		if !isDerived || f.Alias == "" || f.On != nil {
			return nil, false
		}
		proj, isSel := d.Q.(*sql.Select)
		if !isSel || len(proj.From) > 0 || len(proj.Where) > 0 || len(proj.GroupBy) > 0 || len(proj.OrderBy) > 0 ||
			proj.Top != nil || len(proj.Items) == 0 || proj.Distinct || len(proj.Having) > 0 || proj.Offset != nil {
			return nil, false
		}
		n := m.with(len(proj.Items))
		for _, it := range proj.Items {
			x := rewriteExpr(it.X, m)
			if it.Alias == "" || !repeatable(x) || !m.reads(x) {
				return nil, false
			}
			if size(x) <= maxInline {
				n.cols[colRef{f.Alias, it.Alias}] = x
				continue
			}
			p := f.Alias + "." + it.Alias
			lets = append(lets, let{param: p, x: x})
			n.cols[colRef{f.Alias, it.Alias}] = &sql.Col{Name: p}
		}
		m = n
	}
	body := rewriteExpr(s.Items[0].X, m)
	if !repeatable(body) || !m.reads(body) {
		return nil, false
	}
	for i := len(lets) - 1; i >= 0; i-- {
		l := lets[i]
		body = call("list_extract", call("list_transform", call("list_value", l.x), &sql.Lambda{Params: []string{l.param}, Body: body}), num("1"))
	}
	return body, true
}
