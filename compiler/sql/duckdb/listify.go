package duckdb

import (
	"reflect"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// The emitter reads the elements of an array with a correlated subquery
// over json_each (first(), where(), join(), exists()), which is how T-SQL
// does it. DuckDB decorrelates every such subquery into a join that
// materializes its outer rows and hashes them back (a DELIM_JOIN) and runs
// the subquery once per distinct value it reads: cheap where values repeat,
// and most of the patient view's time where they do not (0.66 s of CPU
// against 0.26 s with list functions over 100 MB of patients with distinct
// names; docs/sql.md). So before
// printing, listify rewrites the subqueries whose shape list functions can
// express into lambdas over the array's elements, evaluated in the row
// itself:
//
//	(SELECT item FROM json_each(arr, path) AS j WHERE c ORDER BY key LIMIT 1)
//	    list_extract(list_transform(list_filter(L, lambda e: c), lambda e: item), 1)
//	(SELECT string_agg(item, sep ORDER BY key) FROM json_each(...) AS j WHERE c)
//	    list_aggregate(list_transform(list_filter(L, lambda e: c), lambda e: item), 'string_agg', sep)
//	EXISTS (SELECT 1 FROM json_each(...) AS j WHERE c)
//	    coalesce(len(list_filter(L, lambda e: c)), 0) > 0
//
// where L = json_transform(arr at path, '["JSON"]') is the list of the
// elements' JSON texts in array order (NULL for a JSON null element, and NULL
// as a whole when the value is not an array, where json_each gave no rows).
// The json_each columns become: value → e (the same JSON text, re-serialized
// by the same parser); type compared with 'VARCHAR', 'OBJECT' or 'ARRAY' →
// the text starts with '"', '{' or '['; type compared with 'NULL' → e IS NULL. A subquery that reads any other
// column, the index anywhere but its ORDER BY, or holds a subquery of its own
// (a lambda cannot) is left as it is. The rows are the same; only the plan
// changes.

// listSub rewrites a scalar subquery, or returns false.
func listSub(q sql.Query, m env) (sql.Expr, bool) {
	s, ok := q.(*sql.Select)
	if !ok || len(s.Items) != 1 || s.Distinct || len(s.GroupBy) > 0 || len(s.Having) > 0 || s.Offset != nil {
		return nil, false
	}
	alias, p, filtered, ok := filteredElements(s, m)
	if !ok {
		return nil, false
	}
	if s.Top != nil {
		// first() / last(): LIMIT 1 in index order.
		if n, isNum := s.Top.(*sql.Num); !isNum || n.V != "1" || len(s.OrderBy) != 1 || !isIndex(s.OrderBy[0].X, alias) {
			return nil, false
		}
		item, ok := elem(s.Items[0].X, alias, p)
		if !ok || !m.reads(item) {
			return nil, false
		}
		at := "1"
		if s.OrderBy[0].Desc {
			at = "-1"
		}
		return call("list_extract", call("list_transform", filtered, lambda(p, item)), num(at)), true
	}
	if len(s.OrderBy) > 0 {
		return nil, false
	}
	// join(): string_agg in index order, which ignores NULL items and is
	// NULL over no items, as list_aggregate is.
	agg := s.Items[0].X
	if w, isWG := agg.(*sql.WithinGroup); isWG {
		if len(w.OrderBy) != 1 || w.OrderBy[0].Desc || !isIndex(w.OrderBy[0].X, alias) {
			return nil, false
		}
		agg = w.Agg
	}
	f, isFunc := agg.(*sql.Func)
	if !isFunc || f.Name != "string_agg" || f.Distinct || len(f.Args) != 2 {
		return nil, false
	}
	sep, isStr := f.Args[1].(*sql.Str)
	if !isStr {
		return nil, false
	}
	item, ok := elem(f.Args[0], alias, p)
	if !ok || !m.reads(item) {
		return nil, false
	}
	return call("list_aggregate", call("list_transform", filtered, lambda(p, item)), &sql.Str{V: "string_agg"}, sep), true
}

// listRows rewrites a derived table over one json_each (the rows of a
// forEach or forEachOrNull),
//
//	(SELECT v AS value FROM json_each(arr, path) AS j WHERE c)
//
// into an unnest of the same list functions,
//
//	(SELECT unnest(list_transform(list_filter(L, lambda e: c), lambda e: v)) AS value)
//
// which gives the same rows (several items unnest side by side, the lists
// being of one length); DuckDB still joins a forEach laterally, but unnests a list
// where json_each parsed the array as a table function (about a third of
// the condition view's time over distinct arrays). A query that orders or
// numbers its rows by the index is left as it is.
func listRows(q sql.Query, m env) (sql.Query, bool) {
	s, ok := q.(*sql.Select)
	if !ok || len(s.Items) == 0 || s.Top != nil || len(s.OrderBy) > 0 || len(s.GroupBy) > 0 || len(s.Having) > 0 || s.Offset != nil || s.Distinct {
		return nil, false
	}
	alias, p, filtered, ok := filteredElements(s, m)
	if !ok {
		return nil, false
	}
	out := &sql.Select{}
	for _, it := range s.Items {
		x, ok := elem(it.X, alias, p)
		if !ok || it.Alias == "" || !m.reads(x) {
			return nil, false
		}
		out.Items = append(out.Items, sql.Item{X: call("unnest", call("list_transform", filtered, lambda(p, x))), Alias: it.Alias})
	}
	return out, true
}

// listExists rewrites EXISTS over one json_each, or returns false.
func listExists(x *sql.Exists, m env) (sql.Expr, bool) {
	s, ok := x.Q.(*sql.Select)
	if !ok || s.Top != nil || len(s.OrderBy) > 0 || len(s.GroupBy) > 0 || len(s.Having) > 0 || s.Offset != nil {
		return nil, false
	}
	_, _, filtered, ok := filteredElements(s, m)
	if !ok {
		return nil, false
	}
	op := sql.OpGt
	if x.Not {
		op = sql.OpEq
	}
	return &sql.Bin{Op: op, X: call("coalesce", call("len", filtered), num("0")), Y: num("0")}, true
}

// elements recognizes FROM json_each(arr, path) AS alias as the only source
// and returns the alias, the lambda parameter and the list of elements.
func elements(s *sql.Select) (alias, p string, list sql.Expr, ok bool) {
	if len(s.From) != 1 || s.From[0].Alias == "" || s.From[0].Join != sql.JoinNone {
		return "", "", nil, false
	}
	tf, isTF := s.From[0].Src.(*sql.TableFunc)
	if !isTF || tf.Name != "json_each" || len(tf.Args) != 2 || len(tf.With) > 0 {
		return "", "", nil, false
	}
	pth, isStr := tf.Args[1].(*sql.Str)
	if !isStr {
		return "", "", nil, false
	}
	doc := tf.Args[0]
	// JSONEach's CASE WHEN json_type(doc, path) = 'ARRAY' THEN doc END:
	// json_transform gives a value that is not an array NULL by itself.
	if c, isCase := doc.(*sql.Case); isCase && c.Operand == nil && c.Else == nil && len(c.Whens) == 1 {
		if b, isBin := c.Whens[0].Cond.(*sql.Bin); isBin && b.Op == sql.OpEq {
			if f, isFunc := b.X.(*sql.Func); isFunc && f.Name == "json_type" && len(f.Args) == 2 && reflect.DeepEqual(f.Args[0], c.Whens[0].Then) {
				if fp, isStr := f.Args[1].(*sql.Str); isStr && fp.V == pth.V {
					if a, isStr := b.Y.(*sql.Str); isStr && a.V == "ARRAY" {
						doc = c.Whens[0].Then
					}
				}
			}
		}
	}
	if pth.V != "$" {
		doc = call("json_extract", doc, pth)
	}
	alias = s.From[0].Alias
	return alias, alias + "_e", call("json_transform", doc, &sql.Str{V: `["JSON"]`}), true
}

// filteredElements is the start every rewrite shares: the select's one
// json_each source as a list, its WHERE applied to the list.
func filteredElements(s *sql.Select, m env) (alias, p string, filtered sql.Expr, ok bool) {
	alias, p, list, ok := elements(s)
	if !ok {
		return "", "", nil, false
	}
	filtered, ok = filter(s.Where, alias, p, list, m)
	return alias, p, filtered, ok
}

// filter applies the WHERE conditions to the list.
func filter(where []sql.Expr, alias, p string, list sql.Expr, m env) (sql.Expr, bool) {
	if len(where) == 0 {
		return list, true
	}
	var conds []sql.Expr
	for _, w := range where {
		c, ok := elem(w, alias, p)
		if !ok || !m.reads(c) {
			return nil, false
		}
		conds = append(conds, c)
	}
	cond := conds[0]
	for _, c := range conds[1:] {
		cond = &sql.Bin{Op: sql.OpAnd, X: cond, Y: c}
	}
	return call("list_filter", list, lambda(p, cond)), true
}

func lambda(p string, body sql.Expr) sql.Expr { return &sql.Lambda{Params: []string{p}, Body: body} }

// isIndex: TRY_CAST(alias.key AS INTEGER), the element's index.
func isIndex(x sql.Expr, alias string) bool {
	c, ok := x.(*sql.Cast)
	if !ok || !c.Try || !strings.EqualFold(c.Typ, "INTEGER") {
		return false
	}
	col, ok := c.X.(*sql.Col)
	return ok && col.Table == alias && col.Name == "key"
}

// elem is x with the json_each row of alias read from the lambda parameter
// p, or false when x reads the row in a way the element's text cannot give
// or cannot sit in a lambda.
func elem(x sql.Expr, alias, p string) (sql.Expr, bool) {
	ok := true
	var sub func(x sql.Expr) sql.Expr
	subs := func(xs []sql.Expr) []sql.Expr {
		if xs == nil {
			return nil
		}
		out := make([]sql.Expr, len(xs))
		for i, x := range xs {
			out[i] = sub(x)
		}
		return out
	}
	e := &sql.Col{Name: p}
	isType := func(x sql.Expr) bool {
		c, isCol := x.(*sql.Col)
		return isCol && c.Table == alias && c.Name == "type"
	}
	// typeIs: the element's json_each type is t ('VARCHAR', 'OBJECT',
	// 'ARRAY' or 'NULL'), told by the first character of its JSON text.
	starts := func(c string) sql.Expr {
		return call("coalesce", &sql.Bin{Op: sql.OpEq, X: call("left", e, num("1")), Y: &sql.Str{V: c}}, &sql.Bare{K: "false"})
	}
	typeIs := func(t sql.Expr) sql.Expr {
		s, isStr := t.(*sql.Str)
		switch {
		case isStr && s.V == "NULL":
			return &sql.IsNull{X: e}
		case isStr && s.V == "VARCHAR":
			return starts(`"`)
		case isStr && s.V == "OBJECT":
			return starts("{")
		case isStr && s.V == "ARRAY":
			return starts("[")
		}
		ok = false
		return t
	}
	sub = func(x sql.Expr) sql.Expr {
		if !ok {
			return x
		}
		switch x := x.(type) {
		case nil:
			return nil
		case *sql.Col:
			if x.Table != alias {
				return x
			}
			if x.Name == "value" {
				return e
			}
			ok = false
			return x
		case *sql.Str, *sql.Num, *sql.Null, *sql.ASCII, *sql.Bare:
			return x
		case *sql.Func:
			if aggregates[strings.ToLower(x.Name)] || x.Distinct {
				ok = false
				return x
			}
			return &sql.Func{Name: x.Name, Args: subs(x.Args)}
		case *sql.Cast:
			return &sql.Cast{X: sub(x.X), Typ: x.Typ, Try: x.Try}
		case *sql.Bin:
			if (x.Op == sql.OpEq || x.Op == sql.OpNe) && isType(x.X) {
				t := typeIs(x.Y)
				if x.Op == sql.OpNe {
					return &sql.Not{X: t}
				}
				return t
			}
			return &sql.Bin{Op: x.Op, X: sub(x.X), Y: sub(x.Y)}
		case *sql.Not:
			return &sql.Not{X: sub(x.X)}
		case *sql.Neg:
			return &sql.Neg{X: sub(x.X)}
		case *sql.IsNull:
			return &sql.IsNull{X: sub(x.X), Not: x.Not}
		case *sql.Case:
			n := &sql.Case{Else: sub(x.Else)}
			if isType(x.Operand) {
				// CASE type WHEN 'VARCHAR' ... becomes searched.
				for _, w := range x.Whens {
					n.Whens = append(n.Whens, sql.When{Cond: typeIs(w.Cond), Then: sub(w.Then)})
				}
				return n
			}
			n.Operand = sub(x.Operand)
			for _, w := range x.Whens {
				n.Whens = append(n.Whens, sql.When{Cond: sub(w.Cond), Then: sub(w.Then)})
			}
			return n
		case *sql.In:
			return &sql.In{X: sub(x.X), List: subs(x.List), Not: x.Not}
		case *sql.Like:
			return &sql.Like{X: sub(x.X), Pattern: sub(x.Pattern), Not: x.Not}
		case *sql.Lambda:
			return &sql.Lambda{Params: x.Params, Body: sub(x.Body)}
		}
		// Subqueries, windows, ordered aggregates and anything else.
		ok = false
		return x
	}
	out := sub(x)
	return out, ok
}
