package sql

import (
	"fmt"
	"sort"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Compiled is one view compiled for one dialect: the SELECT that produces its
// rows, the helper objects it needs, and the description of its columns.
// Targets wrap it in CREATE VIEW, CTAS, CETAS... (see Target).
type Compiled struct {
	View *plan.View
	// Query yields the view's rows; its select list is the view's columns
	// in order, each aliased with the column's name.
	Query Query
	// Helpers must be created before the view (repeat functions on engines
	// with recursive CTEs), in order.
	Helpers []Helper
	// Columns describes the output columns, in order.
	Columns []ColumnInfo
	// Tests create the view's expectation tests (compiler/expect.Stmts),
	// after the view itself; empty when it has none.
	Tests []Stmt
}

// HelperView names a helper view a target creates per resource type beside
// the user's views: fhirql_<Type>_<kind>, kind "current" (the current
// state over exports), "deleted" (ids an export's deletion lists remove)
// or "rejects" (lines no view could read). One spelling for every
// dialect, so that docs, scripts and verify name the same objects.
func HelperView(resource, kind string) string {
	return "fhirql_" + resource + "_" + kind
}

// ViewName is the name of the object a view becomes.
func ViewName(v *plan.View) string {
	return v.Name // lowering names views without one after their file
}

// Helper is a named object a view depends on.
type Helper struct {
	Name ObjectName
	Stmt Stmt
	Kind string // "FUNCTION"
}

// ColumnInfo describes one output column (for manifest.json and CTAS).
type ColumnInfo struct {
	Name        string `json:"name"`
	SQLType     string `json:"sqlType"`
	Nullable    bool   `json:"nullable"`
	FHIRType    string `json:"fhirType"`
	Collection  bool   `json:"collection,omitempty"`
	Path        string `json:"fhirPath"`
	Description string `json:"description,omitempty"`
}

// Emit compiles one view for one dialect. Constructs the dialect cannot
// express are reported as errors at their span, naming the target; the
// returned Compiled is nil when there are errors.
func Emit(v *plan.View, d Dialect) (c *Compiled, diags diag.List) {
	e := &emitter{d: d, v: v, name: ViewName(v), caps: d.Caps(), counters: map[string]int{}}
	if !ValidIdent(e.name) {
		e.diags = append(e.diags, errBadName(v.File, v.Span, "view", e.name, d.Name()))
	}
	for _, col := range v.Columns {
		if !ValidIdent(col.Name) {
			e.diags = append(e.diags, errBadName(v.File, col.Span, "column", col.Name, d.Name()))
		}
	}
	q, cols := e.view()
	if e.diags.HasErrors() {
		return nil, e.diags
	}
	c = &Compiled{View: v, Query: q, Helpers: e.helpers, Columns: cols}
	if val, ok := d.(Validator); ok {
		e.diags = append(e.diags, val.Validate(c)...)
		if e.diags.HasErrors() {
			return nil, e.diags
		}
	}
	return c, e.diags
}

type emitter struct {
	d        Dialect
	v        *plan.View
	name     string // ViewName(v)
	caps     Caps
	diags    diag.List
	counters map[string]int
	helpers  []Helper
	// failed marks nodes already reported, so one bad call is one diagnostic
	// even when the emitter visits it twice.
	failed map[source.Span]bool
	// rootDoc is the resource's JSON text.
	rootDoc Expr
	// props are the property readers of the objects that have one, keyed
	// by the expression holding the object (r.doc, j1.value, f1.value).
	props map[Expr]PropReader
	// bits are predicates of the form v = 1 whose v is already 1, 0 or
	// NULL (temporal comparisons), so that their value is v itself.
	bits map[*Bin]Expr
	// shared are the first() calls several columns of a select start
	// from, each compiled once into the select's FROM chain (share.go).
	shared map[plan.Expr]val
}

// hoist gives the object doc a property reader joined right after its
// source, so every primitive read from it becomes a column of one OPENJSON
// WITH; it returns the FROM item to append, or nil.
func (e *emitter) hoist(doc Expr) *From {
	alias := e.alias("p")
	pr := e.d.JSONProps(doc, alias)
	if pr == nil {
		return nil
	}
	if e.props == nil {
		e.props = map[Expr]PropReader{}
	}
	e.props[doc] = pr
	return &From{Join: OuterApply, Src: pr.Source(), Alias: alias}
}

// read reads a primitive below an object, through its property reader when
// it has one.
func (e *emitter) read(base Expr, path []string, long bool) Expr {
	if pr := e.props[base]; pr != nil {
		return pr.Read(path, long)
	}
	return e.d.JSONValue(base, path, long)
}

// query reads an object or array below an object as JSON text, through
// the object's property reader when it has one: the object is then parsed
// once for all the reads, and what consumes the text (an array's
// expansion, a choice's members) parses only the child.
func (e *emitter) query(base Expr, path []string) Expr {
	if pr := e.props[base]; pr != nil && len(path) > 0 {
		return pr.ReadJSON(path)
	}
	return e.d.JSONQuery(base, path)
}

// each expands the array at path below base (JSONEach), reading the array's
// text through base's property reader when it has one.
func (e *emitter) each(base Expr, path []string, alias string) (Source, EachCols) {
	if pr := e.props[base]; pr != nil && len(path) > 0 {
		return e.d.JSONEach(pr.ReadJSON(path), nil, alias)
	}
	return e.d.JSONEach(base, path, alias)
}

// alias returns a fresh, deterministic table alias: j1, j2, f1...
func (e *emitter) alias(prefix string) string {
	e.counters[prefix]++
	return fmt.Sprintf("%s%d", prefix, e.counters[prefix])
}

func (e *emitter) report(d *diag.Diagnostic) {
	if e.failed == nil {
		e.failed = map[source.Span]bool{}
	}
	if e.failed[d.Span] {
		return
	}
	e.failed[d.Span] = true
	e.diags = append(e.diags, d)
}

// scope is the evaluation context of an expression.
type scope struct {
	focus    val
	root     val
	rowIndex Expr // %rowIndex (an INT expression)
	index    Expr // $index inside a lambda; nil elsewhere
	what     string
}

func (sc *scope) withFocus(v val) *scope {
	n := *sc
	n.focus = v
	n.index = nil
	return &n
}

// colOut is a column's value as visible in the current FROM scope.
type colOut struct {
	col     *plan.Column
	x       Expr
	typ     string
	notNull bool
	// rowIndexOf is the select whose %rowIndex this column is exactly,
	// so that a forEachOrNull's null row can still give it 0.
	rowIndexOf *plan.Select
}

func (e *emitter) view() (Query, []ColumnInfo) {
	v := e.v
	from, doc := e.d.Source(v.Resource, "r")
	e.rootDoc = doc
	root := val{x: doc, sh: shJSON, t: types.Type(v.Resource), styp: e.d.TypeName(TTextMax)}
	sc := &scope{focus: root, root: root, rowIndex: &Num{V: "0"}, what: "view " + quoteMsg(e.name)}
	chain := []*From{from}
	if h := e.hoist(doc); h != nil {
		chain = append(chain, h)
	}
	outs := e.selectRows(v.Root, nil, sc, &chain)
	where := []Expr{e.d.StringEq(e.read(doc, []string{"resourceType"}, false), &Str{V: v.Resource})}
	for _, w := range v.Where {
		wsc := *sc
		wsc.what = "the where filter of view " + quoteMsg(e.name)
		where = append(where, e.pred(w, &wsc))
	}
	byIndex := map[int]colOut{}
	for _, o := range outs {
		if _, dup := byIndex[o.col.Index]; !dup {
			byIndex[o.col.Index] = o
		}
	}
	sel := &Select{From: chain, Where: where}
	var infos []ColumnInfo
	for _, col := range v.Columns {
		o, ok := byIndex[col.Index]
		if !ok {
			// A plan whose column list and select tree disagree is a
			// front-end bug; emit NULL rather than crash.
			o = colOut{col: col, x: &Null{}, typ: e.d.TypeName(TTextMax)}
		}
		sel.Items = append(sel.Items, Item{X: o.x, Alias: col.Name})
		infos = append(infos, ColumnInfo{
			Name:        col.Name,
			SQLType:     o.typ,
			Nullable:    !o.notNull,
			FHIRType:    fhirTypeName(col),
			Collection:  col.Collection,
			Path:        exprText(v.File, col),
			Description: col.Description,
		})
	}
	return sel, infos
}

func fhirTypeName(c *plan.Column) string {
	if c.Declared != "" {
		return c.Declared
	}
	return string(c.Type)
}

// exprText is the FHIRPath of a column as written in the view's source.
func exprText(f *source.File, c *plan.Column) string {
	if f != nil && c.Expr != nil {
		sp := c.Expr.Span()
		if sp.End > sp.Start && int(sp.End) <= len(f.Text) {
			return f.Text[sp.Start:sp.End]
		}
	}
	if c.Expr != nil {
		return plan.ExprString(c.Expr)
	}
	return ""
}

func quoteMsg(s string) string { return fmt.Sprintf("%q", s) }

// selectRows compiles a select for the current focus: it appends to chain
// the FROM items that multiply the rows, and returns the values of every
// column of the select's subtree, in output order. owner is the nearest
// enclosing iterating select (whose %rowIndex is in scope).
func (e *emitter) selectRows(s *plan.Select, owner *plan.Select, sc *scope, chain *[]*From) []colOut {
	switch s.Kind {
	case plan.ForEach:
		items := e.iterItems(s, s.Iter, sc, "f")
		*chain = append(*chain, &From{Join: CrossApply, Src: items.src, Alias: items.alias})
		e.hoistItems(items, chain)
		return e.selectBody(s, s, sc.withRow(items.focus, items.rix), chain)
	case plan.Repeat:
		items := e.repeatItems(s, sc)
		if items == nil {
			return e.nullColumns(s)
		}
		*chain = append(*chain, &From{Join: CrossApply, Src: items.src, Alias: items.alias})
		e.hoistItems(*items, chain)
		return e.selectBody(s, s, sc.withRow(items.focus, items.rix), chain)
	case plan.ForEachOrNull:
		return e.forEachOrNull(s, sc, chain)
	}
	return e.selectBody(s, owner, sc, chain)
}

func (sc *scope) withRow(focus val, rix Expr) *scope {
	n := *sc
	n.focus = focus
	n.index = nil
	if rix != nil {
		n.rowIndex = rix
	}
	return &n
}

// selectBody compiles a select's own columns, nested selects and unionAll
// for the focus already in sc.
func (e *emitter) selectBody(s *plan.Select, owner *plan.Select, sc *scope, chain *[]*From) []colOut {
	var outs []colOut
	shared := e.shareObjects(s, sc, chain)
	for _, c := range s.Columns {
		outs = append(outs, e.column(c, owner, sc))
	}
	// The picks are columns of this select's chain: a plan node met again
	// elsewhere (another scope) is compiled afresh.
	for _, x := range shared {
		delete(e.shared, x)
	}
	for _, n := range s.Selects {
		outs = append(outs, e.selectRows(n, owner, sc, chain)...)
	}
	if len(s.UnionAll) > 0 {
		outs = append(outs, e.unionAll(s, owner, sc, chain)...)
	}
	return outs
}

// unionAll concatenates the branches' rows in one correlated derived table.
// Branch columns are matched by output index (the checker gives a later
// branch's column the index of the first branch's).
func (e *emitter) unionAll(s *plan.Select, owner *plan.Select, sc *scope, chain *[]*From) []colOut {
	var branches []map[int]colOut
	var first []colOut
	var chains [][]*From
	for i, b := range s.UnionAll {
		var bchain []*From
		outs := distinct(e.selectRows(b, owner, sc, &bchain))
		if i == 0 {
			first = outs
		}
		m := map[int]colOut{}
		for _, o := range outs {
			m[o.col.Index] = o
		}
		branches = append(branches, m)
		chains = append(chains, bchain)
	}
	var qs []Query
	for bi := range branches {
		qs = append(qs, &Select{From: startChain(chains[bi])})
	}
	alias := e.alias("u")
	var outs []colOut
	for _, o := range first {
		idx := o.col.Index
		typ := o.typ
		same, notNull := true, true
		rowOwner := o.rowIndexOf
		for _, br := range branches {
			b, ok := br[idx]
			if !ok || b.typ != typ {
				same = false
			}
			if !ok || !b.notNull {
				notNull = false
			}
			if !ok || b.rowIndexOf != rowOwner {
				rowOwner = nil
			}
		}
		if !same {
			// Unify the type across branches, so that the union's type (and
			// the manifest) does not depend on which branch is widest.
			typ = e.d.TypeName(TTextMax)
		}
		for bi, br := range branches {
			var x Expr = &Null{}
			if b, ok := br[idx]; ok {
				x = b.x
			}
			if !same {
				x = &Cast{X: x, Typ: typ}
			}
			q := qs[bi].(*Select)
			q.Items = append(q.Items, Item{X: x, Alias: o.col.Name})
		}
		outs = append(outs, colOut{col: o.col, x: &Col{Table: alias, Name: o.col.Name}, typ: typ, notNull: notNull, rowIndexOf: rowOwner})
	}
	*chain = append(*chain, &From{Join: CrossApply, Src: &Derived{Q: &UnionAll{Queries: qs}}, Alias: alias})
	return outs
}

// distinct keeps the first value per output index.
func distinct(outs []colOut) []colOut {
	seen := map[int]bool{}
	var res []colOut
	for _, o := range outs {
		if !seen[o.col.Index] {
			seen[o.col.Index] = true
			res = append(res, o)
		}
	}
	return res
}

// startChain turns a chain built for APPLY into a stand-alone FROM list: the
// first CROSS APPLY becomes the FROM item; a leading OUTER APPLY needs a
// one-row seed so that its null row survives.
func startChain(ch []*From) []*From {
	if len(ch) == 0 {
		return nil
	}
	out := make([]*From, 0, len(ch)+1)
	if ch[0].Join == OuterApply {
		out = append(out, &From{Src: &Derived{Q: &Select{Items: []Item{{X: &Num{V: "1"}, Alias: "one"}}}}, Alias: "seed"})
		out = append(out, ch...)
		return out
	}
	out = append(out, &From{Src: ch[0].Src, Alias: ch[0].Alias})
	return append(out, ch[1:]...)
}

// forEachOrNull is forEach over its collection, plus one blank row when
// the collection is empty: every column of the subtree (nested selects and
// unionAll branches included) NULL, a %rowIndex column 0, and the body not
// evaluated — the specification's processing algorithm, and the runtime's
// blankRow. Both parts are branches of one correlated derived table:
//
//	CROSS APPLY (SELECT <subtree> FROM <items> ...
//	             UNION ALL
//	             SELECT NULL, ..., 0 WHERE NOT EXISTS (<items>)) AS u
//
// An OUTER APPLY over the forEach part alone would be wrong when the
// collection has items but the nested selects give none of them a row:
// then the spec gives no row, not a blank one.
func (e *emitter) forEachOrNull(s *plan.Select, sc *scope, chain *[]*From) []colOut {
	items := e.iterItems(s, s.Iter, sc, "f")
	var body []*From
	body = append(body, &From{Join: CrossApply, Src: items.src, Alias: items.alias})
	e.hoistItems(items, &body)
	outs := distinct(e.selectBody(s, s, sc.withRow(items.focus, items.rix), &body))
	each := &Select{From: startChain(body)}
	probe := &Select{Items: []Item{{X: &Num{V: "1"}}}, From: []*From{{Src: items.src, Alias: e.alias("e")}}}
	blank := &Select{Where: []Expr{&Exists{Not: true, Q: probe}}}
	alias := e.alias("u")
	res := make([]colOut, 0, len(outs))
	for _, o := range outs {
		each.Items = append(each.Items, Item{X: o.x, Alias: o.col.Name})
		var x Expr = &Null{}
		_, zero := o.col.Expr.(*plan.RowIndex)
		if zero {
			x = &Num{V: "0"}
		}
		blank.Items = append(blank.Items, Item{X: x, Alias: o.col.Name})
		res = append(res, colOut{col: o.col, x: &Col{Table: alias, Name: o.col.Name}, typ: o.typ, notNull: o.notNull && zero})
	}
	if len(outs) == 0 {
		// no column: the branches still need an item each
		each.Items = []Item{{X: &Num{V: "1"}, Alias: "one"}}
		blank.Items = []Item{{X: &Num{V: "1"}, Alias: "one"}}
	}
	*chain = append(*chain, &From{Join: CrossApply, Src: &Derived{Q: &UnionAll{Queries: []Query{each, blank}}}, Alias: alias})
	return res
}

// nullColumns gives NULL for every column of a subtree (after an error).
func (e *emitter) nullColumns(s *plan.Select) []colOut {
	var outs []colOut
	plan.Selects(s, func(n *plan.Select) {
		for _, c := range n.Columns {
			outs = append(outs, colOut{col: c, x: &Null{}, typ: e.d.TypeName(TTextMax)})
		}
	})
	return outs
}

// hoistItems joins a property reader for object items.
func (e *emitter) hoistItems(it items, chain *[]*From) {
	if it.focus.sh != shJSON {
		return
	}
	if h := e.hoist(it.focus.x); h != nil {
		*chain = append(*chain, h)
	}
}

// items is an iteration source: a derived table with the focus values and
// (when the subtree needs it) their %rowIndex.
type items struct {
	src   Source
	alias string
	focus val
	rix   Expr
}

// iterItems builds the derived table over a forEach/forEachOrNull
// collection: %rowIndex counts the filtered, flattened collection (ROW_NUMBER
// over the ordinals of every array step), never a raw array index.
func (e *emitter) iterItems(s *plan.Select, iter plan.Expr, sc *scope, prefix string) items {
	isc := *sc
	isc.what = "the forEach of view " + quoteMsg(e.name)
	c := e.fin(e.coll(iter, &isc))
	return e.itemsFrom(c, usesRowIndex(s), prefix)
}

func (e *emitter) itemsFrom(c *coll, needRix bool, prefix string) items {
	alias := e.alias(prefix)
	sel := &Select{From: c.from, Where: c.where}
	sel.Items = append(sel.Items, Item{X: c.item.x, Alias: "value"})
	focus := c.item
	focus.x = &Col{Table: alias, Name: "value"}
	focus.isStr = nil
	if c.item.isStr != nil && c.item.sh == shAny {
		sel.Items = append(sel.Items, Item{X: e.boolValue(c.item.isStr), Alias: "is_string"})
		focus.isStr = &Bin{Op: OpEq, X: &Col{Table: alias, Name: "is_string"}, Y: &Num{V: "1"}}
	}
	var rix Expr
	if needRix {
		sel.Items = append(sel.Items, Item{X: e.rowNumber(c.ord), Alias: "row_index"})
		rix = &Col{Table: alias, Name: "row_index"}
	}
	return items{src: &Derived{Q: sel}, alias: alias, focus: focus, rix: rix}
}

// rowNumber is the 0-based position in an ordering, as INT.
func (e *emitter) rowNumber(ord []Expr) Expr {
	var os []Order
	for _, o := range ord {
		os = append(os, Order{X: o})
	}
	if len(os) == 0 {
		os = []Order{{X: e.d.NoOrder()}}
	}
	rn := &Over{Fn: e.d.Fn(FnRowNumber), OrderBy: os}
	return e.d.ToInt(&Bin{Op: OpSub, X: rn, Y: &Num{V: "1"}})
}

// usesRowIndex reports whether %rowIndex is read at this iteration level:
// in the select's columns, in nested non-iterating selects and union
// branches, or in the collections nested forEach selects iterate over.
func usesRowIndex(s *plan.Select) bool {
	found := false
	var visit func(n *plan.Select, top bool)
	visit = func(n *plan.Select, top bool) {
		if !top {
			switch n.Kind {
			case plan.ForEach, plan.ForEachOrNull:
				if exprUses(n.Iter) {
					found = true
				}
				return
			case plan.Repeat:
				for _, r := range n.Repeat {
					if exprUses(r) {
						found = true
					}
				}
				return
			}
		}
		for _, c := range n.Columns {
			if exprUses(c.Expr) {
				found = true
			}
		}
		for _, x := range n.Selects {
			visit(x, false)
		}
		for _, x := range n.UnionAll {
			visit(x, false)
		}
	}
	visit(s, true)
	return found
}

func exprUses(x plan.Expr) bool {
	found := false
	plan.Walk(x, func(n plan.Expr) bool {
		if _, ok := n.(*plan.RowIndex); ok {
			found = true
		}
		return !found
	})
	return found
}

// sortedKeys is a helper for deterministic output.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
