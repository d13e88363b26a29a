// Package project computes, from the plans of a run, which JSON keys of
// each resource type the views can read: the projection the NDJSON
// scanner uses to skip everything else.
//
// The analysis follows the focus through the plan the way evaluation does:
// a forEach or where makes the items of its collection the focus of what
// is nested in it, a lambda argument (where, exists, select, all, iif's
// criterion) is evaluated on the items of its receiver, and a value
// argument on the same focus as the whole expression. A navigation only
// adds the key it names; an expression whose value is used whole (a
// column, a comparison operand, children(), a repeat, ...) keeps its whole
// subtree. The result may keep more than a view reads, never less: a
// missing key would silently change rows.
package project

import (
	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/ndjson"
)

// Compute returns the projection for views: one entry per resource type
// named by a view, always keeping resourceType and id. The result is
// frozen, ready for concurrent scanning.
func Compute(views []*plan.View) ndjson.Projection {
	p := ndjson.Projection{}
	for _, v := range views {
		root := p[v.Resource]
		if root == nil {
			root = ndjson.NewFields()
			root.Add("resourceType")
			root.Add("id")
			p[v.Resource] = root
		}
		View(root, v)
	}
	p.Freeze()
	return p
}

// View adds the keys view v reads to root (the fields of v's resource).
func View(root *ndjson.Fields, v *plan.View) {
	a := &analysis{root: pos{f: root}}
	rootSet := []pos{a.root}
	for _, w := range v.Where {
		a.whole(a.expr(w, rootSet, rootSet))
	}
	if v.Root != nil {
		a.sel(v.Root, rootSet)
	}
}

// pos is a place in the projection a value can come from. A primitive
// field remembers its parent and key, because FHIR keeps a primitive's id
// and extensions in the sibling "_key".
type pos struct {
	f      *ndjson.Fields
	parent *ndjson.Fields
	key    string
	prim   bool
}

type analysis struct {
	root pos
}

func (a *analysis) sel(s *plan.Select, focus []pos) {
	switch s.Kind {
	case plan.ForEach, plan.ForEachOrNull:
		focus = a.expr(s.Iter, focus, focus)
	case plan.Repeat:
		// The repeat paths are applied recursively to unknown depth: keep
		// the whole subtree of every starting point.
		var reached []pos
		for _, e := range s.Repeat {
			reached = append(reached, a.expr(e, focus, focus)...)
		}
		a.whole(reached)
		focus = reached
	}
	for _, c := range s.Columns {
		a.whole(a.expr(c.Expr, focus, focus))
	}
	for _, n := range s.Selects {
		a.sel(n, focus)
	}
	for _, n := range s.UnionAll {
		a.sel(n, focus)
	}
}

// whole marks every position as read entirely. A primitive's value is
// its JSON scalar: its "_key" sibling is not needed for that.
func (a *analysis) whole(ps []pos) {
	for _, p := range ps {
		p.f.SetAll()
	}
}

// wholeElement is whole including a primitive's "_key" sibling (its id
// and extensions), for children() and descendants().
func (a *analysis) wholeElement(ps []pos) {
	for _, p := range ps {
		p.f.SetAll()
		if p.prim && p.parent != nil {
			p.parent.Add("_" + p.key).SetAll()
		}
	}
}

// child navigates from each position to key.
func child(ps []pos, key string, prim bool) []pos {
	out := make([]pos, 0, len(ps))
	for _, p := range ps {
		from := p.f
		if p.prim && p.parent != nil {
			// Navigating below a primitive (its id or extension) reads
			// the "_key" sibling.
			from = p.parent.Add("_" + p.key)
		}
		if from.All() {
			out = append(out, pos{f: from})
			continue
		}
		out = append(out, pos{f: from.Add(key), parent: from, key: key, prim: prim})
	}
	return out
}

// expr records what e reads when evaluated with focus ($this) and ctx (the
// focus of the whole expression, for value arguments), and returns the
// positions its result values come from (nil for computed values).
func (a *analysis) expr(e plan.Expr, focus, ctx []pos) []pos {
	switch e := e.(type) {
	case nil:
		return nil
	case *plan.Focus:
		return focus
	case *plan.Root:
		return []pos{a.root}
	case *plan.Field:
		return child(a.expr(e.X, focus, ctx), e.Key, e.Primitive)
	case *plan.Choice:
		from := a.expr(e.X, focus, ctx)
		var out []pos
		for _, k := range e.Keys {
			out = append(out, child(from, k.Key, k.Primitive)...)
		}
		return out
	case *plan.Subscript:
		a.whole(a.expr(e.Index, ctx, ctx))
		return a.expr(e.X, focus, ctx)
	case *plan.TypeOp:
		x := a.expr(e.X, focus, ctx)
		a.whole(child(x, "resourceType", true)) // the type of a contained resource
		if e.Op == "as" {
			return x
		}
		a.whole(x)
		return nil
	case *plan.Unary:
		a.whole(a.expr(e.X, focus, ctx))
		return nil
	case *plan.Binary:
		a.whole(a.expr(e.X, focus, ctx))
		a.whole(a.expr(e.Y, focus, ctx))
		return nil
	case *plan.Call:
		return a.call(e, focus, ctx)
	}
	// Literals, %rowIndex, $index, $total, type names: no input read. An
	// expression kind added later falls back to reading its operands whole.
	plan.Walk(e, func(x plan.Expr) bool {
		if x == e {
			return true
		}
		a.whole(a.expr(x, focus, ctx))
		return false
	})
	return nil
}

func (a *analysis) call(e *plan.Call, focus, ctx []pos) []pos {
	x := a.expr(e.X, focus, ctx)
	name := ""
	if e.Func != nil {
		name = e.Func.Name
	}
	// lambda evaluates argument i on the items of the receiver; value
	// evaluates it on the expression's own focus.
	lambda := func(i int) []pos {
		if i >= len(e.Args) {
			return nil
		}
		return a.expr(e.Args[i], x, ctx)
	}
	value := func(i int) []pos {
		if i >= len(e.Args) {
			return nil
		}
		return a.expr(e.Args[i], ctx, ctx)
	}
	switch name {
	case "where":
		a.whole(lambda(0))
		return x
	case "exists", "all":
		a.whole(lambda(0))
		return nil
	case "select":
		return lambda(0)
	case "ofType":
		a.whole(child(x, "resourceType", true)) // the type of a contained resource
		return x
	case "first", "last", "single", "tail", "skip", "take":
		for i := range e.Args {
			a.whole(value(i))
		}
		return x
	case "combine":
		return append(x, value(0)...)
	case "empty", "count":
		// Existence and counting need the element, not its content.
		return nil
	case "iif":
		a.whole(lambda(0))
		return append(value(1), value(2)...)
	case "extension":
		a.whole(value(0))
		ext := child(x, "extension", false)
		for _, p := range ext {
			if !p.f.All() {
				p.f.Add("url").SetAll()
			}
		}
		return ext
	case "getResourceKey":
		a.whole(child(x, "id", true))
		return nil
	case "getReferenceKey":
		a.whole(child(x, "reference", true))
		a.whole(child(x, "type", true))
		return nil
	case "children", "descendants":
		a.wholeElement(x)
		return wholeOf(x)
	}
	// Every other function reads its receiver's values (strings, numbers,
	// equality for distinct/union, ...) and its arguments whole.
	a.whole(x)
	if e.Func != nil {
		for i, k := range e.Func.Args {
			if i >= len(e.Args) {
				break
			}
			if k == funcs.Lambda {
				a.whole(lambda(i))
			} else {
				a.whole(value(i))
			}
		}
	} else {
		for i := range e.Args {
			a.whole(value(i))
		}
	}
	return nil
}

// wholeOf returns positions below which everything is already kept.
func wholeOf(ps []pos) []pos {
	out := make([]pos, len(ps))
	for i, p := range ps {
		out[i] = pos{f: p.f}
	}
	return out
}
