package lsp

import (
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// pathAt returns the nodes whose spans hold pos, outermost first. Sibling
// spans never overlap, so the result is a chain from the file down to the
// innermost node; hover and navigation read it from the end.
func pathAt(f *ast.File, pos source.Pos) []ast.Node {
	var out []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil || isNilNode(n) {
			return false
		}
		if _, ok := n.(*ast.File); ok {
			out = append(out, n)
			return true
		}
		sp := n.Span()
		if sp.IsZero() || !sp.Contains(pos) {
			return false
		}
		out = append(out, n)
		return true
	})
	return out
}

// isNilNode guards against typed nil pointers in optional fields of a
// partial tree.
func isNilNode(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.Const:
		return n == nil
	case *ast.View:
		return n == nil
	case *ast.Group:
		return n == nil
	case *ast.Where:
		return n == nil
	case *ast.Select:
		return n == nil
	case *ast.Column:
		return n == nil
	case *ast.Attr:
		return n == nil
	case *ast.Tag:
		return n == nil
	case *ast.Ident:
		return n == nil
	case *ast.Member:
		return n == nil
	case *ast.Call:
		return n == nil
	case *ast.Index:
		return n == nil
	case *ast.Var:
		return n == nil
	case *ast.Literal:
		return n == nil
	case *ast.Unary:
		return n == nil
	case *ast.Binary:
		return n == nil
	case *ast.TypeOp:
		return n == nil
	case *ast.Paren:
		return n == nil
	case *ast.This:
		return n == nil
	case *ast.Special:
		return n == nil
	case *ast.Bad:
		return n == nil
	}
	return false
}

// nodeAt is pathAt for the character under the cursor, falling back to the
// one before it: editors put the cursor after a word as often as on it.
func nodeAt(f *ast.File, pos source.Pos) []ast.Node {
	p := pathAt(f, pos)
	if len(p) <= 1 && pos > 0 {
		p = pathAt(f, pos-1)
	} else if pos > 0 {
		// The cursor right after a name (`name|.given`) is on the '.', which
		// belongs to the outer member; prefer the name when it ends here.
		if q := pathAt(f, pos-1); len(q) > len(p) {
			if inner := q[len(q)-1]; nameEndsAt(inner, pos) {
				p = q
			}
		}
	}
	return p
}

func nameEndsAt(n ast.Node, pos source.Pos) bool {
	switch n := n.(type) {
	case *ast.Ident:
		return n.Sp.End == pos
	case *ast.Member:
		return n.NameSpan.End == pos
	case *ast.Call:
		return n.NameSpan.End == pos
	case *ast.Var:
		return n.Sp.End == pos
	}
	return false
}

// within reports whether pos is inside sp, its end included (a cursor right
// after a name is still "on" it).
func within(sp source.Span, pos source.Pos) bool {
	return !sp.IsZero() && pos >= sp.Start && pos <= sp.End
}

// enclosingView returns the view of f that holds pos, or nil.
func enclosingView(f *ast.File, pos source.Pos) *ast.View {
	for _, v := range f.Views {
		if v != nil && within(v.Sp, pos) {
			return v
		}
	}
	return nil
}

// innermostSelect returns the deepest select holding pos, or nil.
func innermostSelect(path []ast.Node) *ast.Select {
	for i := len(path) - 1; i >= 0; i-- {
		if s, ok := path[i].(*ast.Select); ok {
			return s
		}
	}
	return nil
}

// allFiles walks every file of an analysis with its source.
func (a *analysis) allFiles(fn func(pf *parsedFile)) {
	for _, name := range a.order {
		if pf := a.files[name]; pf != nil && pf.ast != nil {
			fn(pf)
		}
	}
}

// fileOfConst finds the file that declares a constant.
func (a *analysis) fileOfConst(k *ast.Const) *parsedFile {
	var found *parsedFile
	a.allFiles(func(pf *parsedFile) {
		if found != nil {
			return
		}
		ast.Inspect(pf.ast, func(n ast.Node) bool {
			if found != nil {
				return false
			}
			switch n := n.(type) {
			case *ast.Const:
				if n == k {
					found = pf
				}
				return false
			case *ast.File, *ast.View:
				return true
			}
			return false
		})
	})
	return found
}

// varRefs lists every %name node that refers to constant k.
func (a *analysis) varRefs(k *ast.Const) map[*parsedFile][]*ast.Var {
	out := map[*parsedFile][]*ast.Var{}
	if a.checked == nil {
		return out
	}
	a.allFiles(func(pf *parsedFile) {
		ast.Inspect(pf.ast, func(n ast.Node) bool {
			if v, ok := n.(*ast.Var); ok && v != nil && a.checked.ConstOf(v) == k {
				out[pf] = append(out[pf], v)
			}
			return true
		})
	})
	return out
}

// constAt returns the constant named or referenced at pos.
func (a *analysis) constAt(pf *parsedFile, pos source.Pos) (*ast.Const, source.Span) {
	path := nodeAt(pf.ast, pos)
	for i := len(path) - 1; i >= 0; i-- {
		switch n := path[i].(type) {
		case *ast.Var:
			if a.checked != nil {
				if k := a.checked.ConstOf(n); k != nil {
					return k, n.Sp
				}
			}
			return nil, source.Span{}
		case *ast.Const:
			if within(n.NameSpan, pos) {
				return n, n.NameSpan
			}
			return nil, source.Span{}
		}
	}
	return nil, source.Span{}
}

// columnAt returns the column whose name is at pos.
func columnAt(pf *parsedFile, pos source.Pos) (*ast.View, *ast.Column) {
	path := nodeAt(pf.ast, pos)
	var view *ast.View
	for _, n := range path {
		switch n := n.(type) {
		case *ast.View:
			view = n
		case *ast.Column:
			if within(n.NameSpan, pos) {
				return view, n
			}
		}
	}
	return nil, nil
}
