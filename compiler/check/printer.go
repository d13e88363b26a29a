package check

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/lang/ast"
)

// Dump lists every view with the type of each of its where, iteration and
// column expressions, cel-go style (`name.given ~ string[*]`): the format of
// `fhirql debug check` and of the checker's golden files, so a reviewer sees
// what the checker concluded without reading side tables.
func (c *Checked) Dump() string {
	var b strings.Builder
	for _, v := range c.Views {
		text := func(e ast.Expr) string { return exprText(v.File, e) }
		fmt.Fprintf(&b, "view %s of %s\n", v.AST.Name, v.AST.Resource)
		for _, w := range v.AST.Where {
			if w != nil && w.Path != nil {
				fmt.Fprintf(&b, "  where %s ~ %s\n", text(w.Path), c.TypeOf(w.Path))
			}
		}
		for _, s := range v.AST.Select {
			c.dumpSelect(&b, s, 1, text)
		}
	}
	return b.String()
}

func (c *Checked) dumpSelect(b *strings.Builder, s *ast.Select, depth int, text func(ast.Expr) string) {
	if s == nil {
		return
	}
	ind := strings.Repeat("  ", depth)
	switch s.Kind {
	case ast.ForEach, ast.ForEachOrNull:
		fmt.Fprintf(b, "%s%s %s ~ %s\n", ind, s.Kind, text(s.Iter), c.TypeOf(s.Iter))
	case ast.Repeat:
		parts := make([]string, len(s.Repeat))
		for i, e := range s.Repeat {
			parts[i] = fmt.Sprintf("%s ~ %s", text(e), c.TypeOf(e))
		}
		fmt.Fprintf(b, "%srepeat %s => %s\n", ind, strings.Join(parts, ", "), c.SelectFocus(s))
	default:
		fmt.Fprintf(b, "%sselect\n", ind)
	}
	for _, col := range s.Columns {
		if col == nil {
			continue
		}
		cc := c.ColumnOf(col)
		mark := ""
		if col.Collection {
			mark = "[]"
		}
		extra := ""
		if cc != nil {
			extra = fmt.Sprintf(" -> #%d %s", cc.Index, orUnknown(string(cc.Type)))
			if cc.MaybeMany {
				extra += " maybe-many"
			}
		}
		fmt.Fprintf(b, "%s  %s%s = %s ~ %s%s\n", ind, col.Name, mark, text(col.Path), c.TypeOf(col.Path), extra)
	}
	for _, n := range s.Selects {
		c.dumpSelect(b, n, depth+1, text)
	}
	if len(s.UnionAll) > 0 {
		fmt.Fprintf(b, "%s  unionAll\n", ind)
		for _, n := range s.UnionAll {
			c.dumpSelect(b, n, depth+2, text)
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// exprText is an expression's source text when its span is usable, else a
// rendering of the tree (for hand-built trees in tests).
func exprText(f *ast.File, e ast.Expr) string {
	if e == nil {
		return "<nil>"
	}
	if f != nil && f.Source != nil {
		sp := e.Span()
		if sp.Start >= 0 && sp.Start < sp.End && int(sp.End) <= len(f.Source.Text) {
			return f.Source.Text[sp.Start:sp.End]
		}
	}
	return render(e, 0)
}

// render prints an expression in FHIRPath syntax.
func render(e ast.Expr, depth int) string {
	if depth > maxDepth {
		return "..."
	}
	d := depth + 1
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.Member:
		return render(e.X, d) + "." + e.Name
	case *ast.Call:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = render(a, d)
		}
		s := e.Name + "(" + strings.Join(args, ", ") + ")"
		if e.X != nil {
			s = render(e.X, d) + "." + s
		}
		return s
	case *ast.Index:
		return render(e.X, d) + "[" + render(e.Index, d) + "]"
	case *ast.This:
		return "$this"
	case *ast.Special:
		return "$" + e.Name
	case *ast.Var:
		return "%" + e.Name
	case *ast.Literal:
		switch e.Kind {
		case ast.Empty:
			return "{}"
		case ast.String:
			return "'" + strings.ReplaceAll(strings.ReplaceAll(e.Value, `\`, `\\`), "'", `\'`) + "'"
		case ast.Date, ast.DateTime:
			return "@" + e.Value
		case ast.Time:
			return "@T" + e.Value
		case ast.Long:
			return e.Value + "L"
		case ast.Quantity:
			if e.UnitQuoted {
				return e.Value + " '" + e.Unit + "'"
			}
			return e.Value + " " + e.Unit
		}
		return e.Value
	case *ast.Unary:
		return e.Op + render(e.X, d)
	case *ast.Binary:
		return render(e.X, d) + " " + e.Op + " " + render(e.Y, d)
	case *ast.TypeOp:
		n := e.Type.Name
		if e.Type.Namespace != "" {
			n = e.Type.Namespace + "." + n
		}
		return render(e.X, d) + " " + e.Op + " " + n
	case *ast.Paren:
		return "(" + render(e.X, d) + ")"
	case nil:
		return "<nil>"
	}
	return "<bad>"
}
