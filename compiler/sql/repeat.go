package sql

import (
	"fmt"

	"github.com/fhirql/fhirql/compiler/plan"
)

// repeat: every node reached by applying the paths recursively, in
// pre-order, each a focus with %rowIndex = its pre-order position.
//
// Order is carried by a text key: each step appends a segment made of the
// path's number and the zero-padded array positions along it, so sorting the
// keys as text gives pre-order (a parent's key is a prefix of its children's;
// siblings sort by path, then position), whatever the engine.
//
// Engines with recursive CTEs (Caps.RecursiveCTE) get an inline table-valued
// function per repeat; the others an unrolled expansion of Caps.RepeatDepth
// levels whose last level fails the query when the data goes deeper, rather
// than silently dropping nodes.

const ordWidth = 10

func (e *emitter) repeatItems(s *plan.Select, sc *scope) *items {
	base, path, ok := e.objectBase(sc.focus)
	if !ok || len(s.Repeat) == 0 {
		return nil
	}
	focus := base
	if len(path) > 0 {
		focus = e.query(base, path)
	}
	alias := e.alias("t")
	var src Source
	if e.caps.RecursiveCTE && simplePaths(s.Repeat) {
		src = e.repeatFunction(s, focus)
	}
	if src == nil {
		depth := e.caps.RepeatDepth
		if depth <= 0 {
			depth = 8
		}
		src = &Derived{Q: e.unroll(s, sc, focus, depth)}
	}
	t := s.Repeat[0].Type().Type
	sel := &Select{
		Items: []Item{{X: &Col{Table: alias, Name: "value"}, Alias: "value"}},
		From:  []*From{{Src: src, Alias: alias}},
	}
	var rix Expr
	if usesRowIndex(s) {
		sel.Items = append(sel.Items, Item{X: e.rowNumber([]Expr{&Col{Table: alias, Name: "ord"}}), Alias: "row_index"})
	}
	out := e.alias("f")
	if len(sel.Items) > 1 {
		rix = &Col{Table: out, Name: "row_index"}
	}
	return &items{
		src:   &Derived{Q: sel},
		alias: out,
		focus: val{x: &Col{Table: out, Name: "value"}, sh: shJSON, t: t, styp: e.d.TypeName(TTextMax)},
		rix:   rix,
	}
}

// simplePaths reports whether every repeat path is a chain of element steps
// from the node (what a recursive CTE member may contain: no subqueries).
func simplePaths(paths []plan.Expr) bool {
	for _, p := range paths {
		for {
			f, ok := p.(*plan.Field)
			if !ok {
				break
			}
			p = f.X
		}
		if _, ok := p.(*plan.Focus); !ok {
			return false
		}
	}
	return true
}

// children is the union of the paths applied to node: rows of (value, seg).
func (e *emitter) children(s *plan.Select, sc *scope, node Expr, prefix Expr) Query {
	var qs []Query
	for i, p := range s.Repeat {
		c := e.fin(e.coll(p, sc.withFocus(val{x: node, sh: shJSON, t: p.Type().Type})))
		parts := []Expr{&Str{V: fmt.Sprintf("%02d", i+1)}}
		if prefix != nil {
			parts = append([]Expr{prefix}, parts...)
		}
		for _, o := range c.ord {
			parts = append(parts, e.d.Fn(FnRight, e.d.Fn(FnConcat, &Str{V: "0000000000"}, o), &Num{V: fmt.Sprint(ordWidth)}))
		}
		seg := Expr(e.d.Fn(FnConcat, parts...))
		if len(parts) == 1 {
			seg = parts[0]
		}
		q := c.query(Item{X: c.item.x, Alias: "value"}, Item{X: seg, Alias: "ord"})
		q.From = startChain(q.From)
		qs = append(qs, q)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return &UnionAll{Queries: qs}
}

// unroll expands depth levels of the repeat below focus:
//
//	R(d, x) = SELECT u.value, u.ord FROM children(x) AS c
//	          CROSS APPLY (SELECT c.value, c.ord
//	                       UNION ALL
//	                       SELECT r.value, c.ord + r.ord FROM R(d-1, c.value) AS r) AS u
//	R(0, x) = a row that fails the query for every child of x.
//
// Each level's children() appears once, so the SQL grows linearly with depth.
//
// A node below the first level is read with its own property reader, so
// that all the paths' arrays come from one parse of the node (OPENJSON
// ... WITH ... AS JSON) rather than two per path (JSON_QUERY and OPENJSON
// with a path).
func (e *emitter) unroll(s *plan.Select, sc *scope, focus Expr, depth int) Query {
	var props *From
	if _, has := e.props[focus]; !has {
		props = e.hoist(focus)
	}
	c := e.alias("c")
	kids := &From{Src: &Derived{Q: e.children(s, sc, focus, nil)}, Alias: c}
	start := func(fs ...*From) []*From {
		if props == nil {
			return fs
		}
		// The reader comes first: OPENJSON ... WITH over an object is one
		// row (none for a NULL node, which has no children either).
		k := *fs[0]
		k.Join = CrossApply
		return append([]*From{props, &k}, fs[1:]...)
	}
	cv, co := &Col{Table: c, Name: "value"}, &Col{Table: c, Name: "ord"}
	if depth == 0 {
		msg := e.d.Fn(FnConcat,
			&Str{V: fmt.Sprintf("fhirql: view %q: repeat goes deeper than %d levels (node ", e.name, e.caps.RepeatDepth)},
			co,
			&Str{V: "); raise --repeat-depth"})
		return &Select{
			Items: []Item{{X: e.d.Fail(msg, e.d.TypeName(TTextMax)), Alias: "value"}, {X: co, Alias: "ord"}},
			From:  start(kids),
		}
	}
	r := e.alias("r")
	u := e.alias("u")
	self := &Select{Items: []Item{{X: cv, Alias: "value"}, {X: co, Alias: "ord"}}}
	deeper := &Select{
		Items: []Item{{X: &Col{Table: r, Name: "value"}, Alias: "value"}, {X: e.d.Fn(FnConcat, co, &Col{Table: r, Name: "ord"}), Alias: "ord"}},
		From:  []*From{{Src: &Derived{Q: e.unroll(s, sc, cv, depth-1)}, Alias: r}},
	}
	return &Select{
		Items: []Item{{X: &Col{Table: u, Name: "value"}, Alias: "value"}, {X: &Col{Table: u, Name: "ord"}, Alias: "ord"}},
		From: start(
			kids,
			&From{Join: CrossApply, Src: &Derived{Q: &UnionAll{Queries: []Query{self, deeper}}}, Alias: u},
		),
	}
}

// repeatFunction creates an inline table-valued function holding a
// recursive CTE over the repeat paths and returns the call on focus. It
// returns nil when no valid function name can be formed.
func (e *emitter) repeatFunction(s *plan.Select, focus Expr) Source {
	name := fmt.Sprintf("%s__repeat%d", e.name, len(e.helpers)+1)
	if !ValidIdent(name) {
		return nil
	}
	obj := ObjectName{name}
	if e.caps.Schema != "" {
		obj = ObjectName{e.caps.Schema, name}
	}
	ordType := e.d.TypeName(TText)
	sc := &scope{what: fmt.Sprintf("the repeat of view %q", e.name)}
	var node Expr = &Var{Name: "node"}
	tree := "tree"
	if e.caps.LateralRecursiveCTE {
		// The anchor reads the focus directly; a fresh CTE name keeps
		// nested repeats apart.
		node = focus
		tree = e.alias("tree")
	}
	// Each node is read by one property reader (as in unroll): first in
	// the anchor's FROM, right after the tree in the recursive member.
	var anchorProps *From
	if e.propReaders() {
		anchorProps = e.hoist(node)
	}
	anchor := e.children(s, sc, node, nil)
	if anchorProps != nil {
		for _, sel := range selects(anchor) {
			sel.From = append([]*From{anchorProps}, withJoin(sel.From)...)
		}
	}
	t := e.alias("n")
	var members []Query
	castOrd := func(q Query) {
		for _, sel := range selects(q) {
			sel.Items[1].X = &Cast{X: sel.Items[1].X, Typ: ordType}
		}
	}
	castOrd(anchor)
	members = append(members, anchor)
	nodeCol := &Col{Table: t, Name: "value"}
	var recProps *From
	if e.propReaders() {
		recProps = e.hoist(nodeCol)
	}
	rec := e.children(s, sc, nodeCol, &Col{Table: t, Name: "ord"})
	for _, sel := range selects(rec) {
		head := []*From{{Src: &Table{Name: ObjectName{tree}}, Alias: t}}
		if recProps != nil {
			head = append(head, recProps)
		}
		sel.From = innerApplies(append(head, withJoin(sel.From)...))
	}
	castOrd(rec)
	members = append(members, rec)
	body := &With{
		CTEs: []CTE{{Name: tree, Columns: []string{"value", "ord"}, Q: &UnionAll{Queries: flatten(members)}}},
		Body: &Select{Items: []Item{{X: &Col{Name: "value"}}, {X: &Col{Name: "ord"}}}, From: []*From{{Src: &Table{Name: ObjectName{tree}}}}},
	}
	if e.caps.LateralRecursiveCTE {
		return &Derived{Q: body}
	}
	e.helpers = append(e.helpers, Helper{
		Name: obj,
		Kind: "FUNCTION",
		Stmt: &CreateFunction{Name: obj, OrAlter: true, Params: []Param{{Name: "node", Typ: e.d.TypeName(TTextMax)}}, Q: body},
	})
	return &TableFunc{Object: obj, Args: []Expr{focus}}
}

func selects(q Query) []*Select {
	switch q := q.(type) {
	case *Select:
		return []*Select{q}
	case *UnionAll:
		var out []*Select
		for _, x := range q.Queries {
			out = append(out, selects(x)...)
		}
		return out
	}
	return nil
}

func flatten(qs []Query) []Query {
	var out []Query
	for _, q := range qs {
		for _, s := range selects(q) {
			out = append(out, s)
		}
	}
	return out
}

// innerApplies turns the OUTER APPLYs of a recursive CTE member into CROSS
// APPLYs: SQL Server allows no outer join in the recursive part (error 462).
// They are property readers of a non-null object (a node, or an array
// element whose type is not null), which give exactly one row either way.
func innerApplies(fs []*From) []*From {
	out := make([]*From, len(fs))
	for i, f := range fs {
		g := *f
		if g.Join == OuterApply {
			g.Join = CrossApply
		}
		out[i] = &g
	}
	return out
}

// withJoin makes a stand-alone FROM list continue a chain.
func withJoin(fs []*From) []*From {
	out := make([]*From, len(fs))
	for i, f := range fs {
		g := *f
		if g.Join == JoinNone {
			g.Join = CrossApply
		}
		out[i] = &g
	}
	return out
}
