package ast

// Inspect walks the tree rooted at n in depth-first source order, calling f
// for each node; when f returns false the node's children are skipped. It
// visits File, Const, Group, View, Attr, Where, Select, Column, Tag, Expect and
// every Expr.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	switch n := n.(type) {
	case *File:
		for _, c := range n.Consts {
			Inspect(c, f)
		}
		for _, g := range n.Groups {
			Inspect(g, f)
		}
		for _, v := range n.Views {
			Inspect(v, f)
		}
	case *Group:
		for _, c := range n.Columns {
			Inspect(c, f)
		}
	case *Const:
		if n.Value != nil {
			Inspect(n.Value, f)
		}
	case *View:
		for _, a := range n.Attrs {
			Inspect(a, f)
		}
		for _, c := range n.Consts {
			Inspect(c, f)
		}
		for _, w := range n.Where {
			Inspect(w, f)
		}
		for _, s := range n.Select {
			Inspect(s, f)
		}
		for _, e := range n.Expects {
			Inspect(e, f)
		}
	case *Where:
		inspectExpr(n.Path, f)
	case *Select:
		inspectExpr(n.Iter, f)
		for _, e := range n.Repeat {
			inspectExpr(e, f)
		}
		for _, c := range n.Columns {
			Inspect(c, f)
		}
		for _, s := range n.Selects {
			Inspect(s, f)
		}
		for _, s := range n.UnionAll {
			Inspect(s, f)
		}
	case *Column:
		inspectExpr(n.Path, f)
		for _, t := range n.Tags {
			Inspect(t, f)
		}
	case *Member:
		inspectExpr(n.X, f)
	case *Call:
		inspectExpr(n.X, f)
		for _, a := range n.Args {
			inspectExpr(a, f)
		}
	case *Index:
		inspectExpr(n.X, f)
		inspectExpr(n.Index, f)
	case *Unary:
		inspectExpr(n.X, f)
	case *Binary:
		inspectExpr(n.X, f)
		inspectExpr(n.Y, f)
	case *TypeOp:
		inspectExpr(n.X, f)
	case *Paren:
		inspectExpr(n.X, f)
	}
}

// inspectExpr skips nil interfaces and typed nil pointers alike.
func inspectExpr(e Expr, f func(Node) bool) {
	if e == nil {
		return
	}
	Inspect(e, f)
}
