package check

import (
	"slices"

	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Column groups (`group NAME of TYPE { ... }`) are checked where they are
// declared — each member's path against one value of TYPE — and where they
// are used: the using column's path must be of TYPE. A use then expands into
// ordinary columns, one per member, named by ast.ExpandedName, whose paths
// are the member's path read from the using column's path. The checked view
// (View.AST) holds the expanded columns, so lowering, the plan and the
// exported ViewDefinition never see a group; View.Written keeps the view as
// written for tools that point into the text.

// groupDef is a declared group with what checking its declaration found.
type groupDef struct {
	g    *ast.Group
	file *ast.File
	typ  types.Type // the resolved type; Unknown when the declaration is in error
	ok   bool       // the declaration checked cleanly: its uses may expand
}

// GroupNamed returns the group of the namespace with this name and the file
// declaring it, or nils.
func (c *Checked) GroupNamed(name string) (*ast.Group, *ast.File) {
	if d := c.groups[name]; d != nil {
		return d.g, d.file
	}
	return nil, nil
}

// GroupNames lists the namespace's groups in declaration order.
func (c *Checked) GroupNames() []string { return c.groupNames }

// Expansion returns the columns a column that uses a group expands to, or
// nil when it uses none (or the use is in error).
func (c *Checked) Expansion(col *ast.Column) []*ast.Column { return c.expanded[col] }

// checkGroups registers the namespace's groups and checks their
// declarations: the type, the members' paths, the groups the members use,
// and that no group uses itself.
func (ch *checker) checkGroups() {
	for _, f := range ch.c.Files {
		if f == nil {
			continue
		}
		r := ch.reporter(f)
		for _, g := range f.Groups {
			if g == nil || g.Name == "" {
				continue
			}
			if prev, ok := ch.c.groups[g.Name]; ok {
				r.duplicateGroup(nameSpan(g.NameSpan, g.Sp), g.Name, prev.file.Source, nameSpan(prev.g.NameSpan, prev.g.Sp))
				continue
			}
			ch.c.groups[g.Name] = &groupDef{g: g, file: f}
			ch.c.groupNames = append(ch.c.groupNames, g.Name)
		}
	}
	for _, name := range ch.c.groupNames {
		d := ch.c.groups[name]
		r := ch.reporter(d.file)
		if t := ch.cat.Type(d.g.Type); t != nil && !t.Abstract {
			d.typ, d.ok = types.Type(t.Name), true
		} else {
			r.unknownGroupType(nameSpan(d.g.TypeSpan, d.g.Sp), d.g.Name, d.g.Type, ch.allTypeNames())
		}
	}
	// Cycles: a depth-first walk over the uses; every group on a cycle is
	// in error, and the cycle is reported once, at the use that closes it.
	state := map[string]int{} // 0 unseen, 1 on the stack, 2 done
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		d := ch.c.groups[name]
		if d == nil || state[name] == 2 {
			return
		}
		state[name] = 1
		stack = append(stack, name)
		for _, m := range d.g.Columns {
			if m == nil || m.Use == "" {
				continue
			}
			switch state[m.Use] {
			case 1:
				i := slices.Index(stack, m.Use)
				cycle := append(append([]string(nil), stack[i:]...), m.Use)
				ch.reporter(d.file).groupCycle(nameSpan(m.UseSpan, m.Sp), cycle)
				for _, n := range stack[i:] {
					ch.c.groups[n].ok = false
				}
			case 0:
				visit(m.Use)
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = 2
	}
	for _, name := range ch.c.groupNames {
		visit(name)
	}
	for _, name := range ch.c.groupNames {
		d := ch.c.groups[name]
		vc := &viewCtx{r: ch.reporter(d.file), file: d.file, consts: map[string]*ast.Const{}}
		for n, k := range ch.fileConsts {
			vc.consts[n] = k.c
		}
		vc.names = ch.constNames
		sc := &scope{v: vc, focus: types.One(d.typ)}
		seen := map[string]*ast.Column{}
		before := len(ch.diags)
		for _, m := range d.g.Columns {
			if m == nil {
				continue
			}
			c := ch.checkColumn(m, sc)
			if m.Use != "" {
				ch.useGroup(m, c, vc.r)
			}
			if prev, ok := seen[m.Name]; ok {
				vc.r.duplicateColumn(nameSpan(m.NameSpan, m.Sp), m.Name, vc.r.file, nameSpan(prev.NameSpan, prev.Sp))
			}
			seen[m.Name] = m
		}
		if ch.diags[before:].HasErrors() {
			d.ok = false
		}
	}
	// A group whose members use a group in error cannot expand either.
	for changed := true; changed; {
		changed = false
		for _, name := range ch.c.groupNames {
			d := ch.c.groups[name]
			if !d.ok {
				continue
			}
			for _, m := range d.g.Columns {
				if u := ch.c.groups[m.Use]; m != nil && m.Use != "" && (u == nil || !u.ok) {
					d.ok, changed = false, true
					break
				}
			}
		}
	}
}

// useGroup checks a column's use of a group against the column's checked
// path and returns the group when the use may expand.
func (ch *checker) useGroup(col *ast.Column, c *Column, r *reporter) *groupDef {
	d := ch.c.groups[col.Use]
	if d == nil {
		r.unknownGroup(nameSpan(col.UseSpan, col.Sp), col.Use, ch.c.groupNames)
		return nil
	}
	if col.Type != "" || len(col.Tags) > 0 {
		r.groupUseType(nameSpan(col.UseSpan, col.Sp), col.Name, col.Use)
		return nil
	}
	if d.typ == types.Unknown {
		return nil
	}
	switch got := c.Expr.Type; {
	case got == types.Unknown || got == types.Any || got == d.typ:
	case ch.cat.Type(string(got)) != nil && ch.cat.Derives(string(got), string(d.typ)):
	default:
		r.groupTypeMismatch(col.Path.Span(), col.Name, col.Use, d.typ, got, d.file.Source, nameSpan(d.g.TypeSpan, d.g.Sp))
		return nil
	}
	if !d.ok {
		return nil
	}
	return d
}

// checkUse checks a column that uses a group in a view and returns the
// checked columns it expands to. Their diagnostics are dropped: the
// members were checked where the group is declared and the path here, so
// anything more would repeat a diagnostic at a place that cannot fix it.
func (ch *checker) checkUse(col *ast.Column, c *Column, sc *scope) []*Column {
	d := ch.useGroup(col, c, sc.v.r)
	if d == nil {
		return nil
	}
	exp := ch.expand(col, col.Path, col.Name, col.Collection, d.g, col.UseSpan)
	ch.c.expanded[col] = exp
	var scratch diag.List
	quiet := *sc.v
	quiet.r = &reporter{file: sc.v.r.file, json: sc.v.r.json, out: &scratch}
	qs := &scope{v: &quiet, focus: sc.focus, lambda: sc.lambda}
	out := make([]*Column, 0, len(exp))
	for _, e := range exp {
		out = append(out, ch.checkColumn(e, qs))
	}
	return out
}

// expand builds the columns a use of g expands to: each member's path read
// from base, nested uses expanded in turn (the declarations were checked
// free of cycles). Every new node spans sp, the `use` in the view, so that
// whatever points at an expanded column points at the use.
func (ch *checker) expand(col *ast.Column, base ast.Expr, prefix string, collection bool, g *ast.Group, sp source.Span) []*ast.Column {
	var out []*ast.Column
	for _, m := range g.Columns {
		if m == nil {
			continue
		}
		name := ast.ExpandedName(prefix, m.Name)
		path := rebase(m.Path, base, sp)
		if m.Use != "" {
			if d := ch.c.groups[m.Use]; d != nil && d.ok {
				out = append(out, ch.expand(col, path, name, collection || m.Collection, d.g, sp)...)
			}
			continue
		}
		out = append(out, &ast.Column{
			Sp:            col.Sp,
			Doc:           m.Doc,
			Name:          name,
			NameSpan:      col.NameSpan,
			Path:          path,
			Collection:    collection || m.Collection,
			HasCollection: collection || m.HasCollection,
			Type:          m.Type,
			TypeSpan:      sp,
			Tags:          m.Tags,
		})
	}
	return out
}

// rebase copies a member's path so that it reads from base instead of the
// group's focus: a leading name becomes a step on base, $this becomes base,
// and a call without a receiver gets base as its receiver. Function
// arguments keep their own focus (the items of their receiver) and are
// only copied. Copies span sp.
func rebase(e ast.Expr, base ast.Expr, sp source.Span) ast.Expr {
	if _, ok := base.(*ast.This); ok {
		// `$this use G`: the members read from the focus as written.
		return copyExpr(e, sp)
	}
	switch n := e.(type) {
	case *ast.Ident:
		return &ast.Member{Sp: sp, X: base, Name: n.Name, NameSpan: sp}
	case *ast.This:
		return base
	case *ast.Member:
		return &ast.Member{Sp: sp, X: rebase(n.X, base, sp), Name: n.Name, NameSpan: sp}
	case *ast.Call:
		x := base
		if n.X != nil {
			x = rebase(n.X, base, sp)
		}
		return &ast.Call{Sp: sp, X: x, Name: n.Name, NameSpan: sp, Args: copyExprs(n.Args, sp), RParen: sp.End}
	case *ast.Index:
		return &ast.Index{Sp: sp, X: rebase(n.X, base, sp), Index: copyExpr(n.Index, sp)}
	case *ast.Unary:
		return &ast.Unary{Sp: sp, Op: n.Op, X: rebase(n.X, base, sp)}
	case *ast.Binary:
		return &ast.Binary{Sp: sp, Op: n.Op, OpSpan: sp, X: rebase(n.X, base, sp), Y: rebase(n.Y, base, sp)}
	case *ast.TypeOp:
		t := n.Type
		t.Sp = sp
		return &ast.TypeOp{Sp: sp, Op: n.Op, X: rebase(n.X, base, sp), Type: t}
	case *ast.Paren:
		return &ast.Paren{Sp: sp, X: rebase(n.X, base, sp)}
	}
	return copyExpr(e, sp)
}

func copyExprs(es []ast.Expr, sp source.Span) []ast.Expr {
	if es == nil {
		return nil
	}
	out := make([]ast.Expr, len(es))
	for i, e := range es {
		out[i] = copyExpr(e, sp)
	}
	return out
}

// copyExpr copies an expression with every span set to sp, so that the
// checker's side tables keep one entry per expanded column.
func copyExpr(e ast.Expr, sp source.Span) ast.Expr {
	switch n := e.(type) {
	case nil:
		return nil
	case *ast.Ident:
		return &ast.Ident{Sp: sp, Name: n.Name}
	case *ast.Member:
		return &ast.Member{Sp: sp, X: copyExpr(n.X, sp), Name: n.Name, NameSpan: sp}
	case *ast.Call:
		var x ast.Expr
		if n.X != nil {
			x = copyExpr(n.X, sp)
		}
		return &ast.Call{Sp: sp, X: x, Name: n.Name, NameSpan: sp, Args: copyExprs(n.Args, sp), RParen: sp.End}
	case *ast.Index:
		return &ast.Index{Sp: sp, X: copyExpr(n.X, sp), Index: copyExpr(n.Index, sp)}
	case *ast.This:
		return &ast.This{Sp: sp}
	case *ast.Special:
		return &ast.Special{Sp: sp, Name: n.Name}
	case *ast.Var:
		return &ast.Var{Sp: sp, Name: n.Name}
	case *ast.Literal:
		l := *n
		l.Sp = sp
		return &l
	case *ast.Unary:
		return &ast.Unary{Sp: sp, Op: n.Op, X: copyExpr(n.X, sp)}
	case *ast.Binary:
		return &ast.Binary{Sp: sp, Op: n.Op, OpSpan: sp, X: copyExpr(n.X, sp), Y: copyExpr(n.Y, sp)}
	case *ast.TypeOp:
		t := n.Type
		t.Sp = sp
		return &ast.TypeOp{Sp: sp, Op: n.Op, X: copyExpr(n.X, sp), Type: t}
	case *ast.Paren:
		return &ast.Paren{Sp: sp, X: copyExpr(n.X, sp)}
	case *ast.Bad:
		return &ast.Bad{Sp: sp}
	}
	return e
}

// expandedView returns v with every column that uses a group replaced by
// its expansion; v itself when it uses none.
func (ch *checker) expandedView(v *ast.View) *ast.View {
	var uses func(ss []*ast.Select) bool
	uses = func(ss []*ast.Select) bool {
		for _, s := range ss {
			if s == nil {
				continue
			}
			for _, c := range s.Columns {
				if c != nil && c.Use != "" {
					return true
				}
			}
			if uses(s.Selects) || uses(s.UnionAll) {
				return true
			}
		}
		return false
	}
	if !uses(v.Select) {
		return v
	}
	out := *v
	out.Select = ch.expandSelects(v.Select)
	return &out
}

func (ch *checker) expandSelects(ss []*ast.Select) []*ast.Select {
	if ss == nil {
		return nil
	}
	out := make([]*ast.Select, len(ss))
	for i, s := range ss {
		if s == nil {
			continue
		}
		c := *s
		c.Columns = nil
		for _, col := range s.Columns {
			if col != nil && col.Use != "" {
				c.Columns = append(c.Columns, ch.c.expanded[col]...)
				continue
			}
			c.Columns = append(c.Columns, col)
		}
		c.Selects = ch.expandSelects(s.Selects)
		c.UnionAll = ch.expandSelects(s.UnionAll)
		if s.UnionAll != nil && c.UnionAll == nil {
			c.UnionAll = []*ast.Select{}
		}
		out[i] = &c
	}
	return out
}
