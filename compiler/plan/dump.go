package plan

import (
	"fmt"
	"strings"
)

// Dump prints a view as stable, indented text: the format of `fhirql debug
// plan` and of the plan golden files. Array fields are marked with `*`,
// choice elements list their keys, and each top-level expression ends with its
// type (`[*]` = collection).
func Dump(v *View) string {
	var b strings.Builder
	fmt.Fprintf(&b, "view %s of %s\n", v.Name, v.Resource)
	for _, w := range v.Where {
		fmt.Fprintf(&b, "  where %s : %s\n", ExprString(w), w.Type())
	}
	dumpSelect(&b, v.Root, 1)
	return b.String()
}

func dumpSelect(b *strings.Builder, s *Select, depth int) {
	ind := strings.Repeat("  ", depth)
	switch s.Kind {
	case Plain:
		fmt.Fprintf(b, "%sselect\n", ind)
	case ForEach, ForEachOrNull:
		fmt.Fprintf(b, "%s%s %s : %s\n", ind, s.Kind, ExprString(s.Iter), s.Iter.Type())
	case Repeat:
		parts := make([]string, len(s.Repeat))
		for i, e := range s.Repeat {
			parts[i] = ExprString(e)
		}
		fmt.Fprintf(b, "%srepeat %s\n", ind, strings.Join(parts, ", "))
	}
	for _, c := range s.Columns {
		mark := ""
		if c.Collection {
			mark = "[]"
		}
		extra := ""
		if c.MaybeMany {
			extra += " maybe-many"
		}
		if c.Declared != "" {
			extra += " declared=" + c.Declared
		}
		if c.MaxLen > 0 {
			extra += fmt.Sprintf(" max=%d", c.MaxLen)
		}
		for _, t := range c.Tags {
			extra += fmt.Sprintf(" tag(%s=%q)", t.Name, t.Value)
		}
		fmt.Fprintf(b, "%s  #%d %s%s = %s : %s -> %s%s\n", ind, c.Index, c.Name, mark, ExprString(c.Expr), c.Expr.Type(), c.Type, extra)
	}
	for _, n := range s.Selects {
		dumpSelect(b, n, depth+1)
	}
	if len(s.UnionAll) > 0 {
		fmt.Fprintf(b, "%s  unionAll\n", ind)
		for _, n := range s.UnionAll {
			dumpSelect(b, n, depth+2)
		}
	}
}

// ExprString renders an expression in a FHIRPath-like notation that shows the
// plan's resolutions (implicit focus, array fields, choice keys).
func ExprString(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *Lit:
		switch e.Kind {
		case Empty:
			return "{}"
		case String:
			return "'" + strings.ReplaceAll(strings.ReplaceAll(e.Value, `\`, `\\`), "'", `\'`) + "'"
		case Date, DateTime:
			return "@" + e.Value
		case Time:
			return "@T" + e.Value
		case Quantity:
			return e.Value + " '" + e.Unit + "'"
		case Long:
			return e.Value + "L"
		default:
			return e.Value
		}
	case *Focus:
		return "$this"
	case *Root:
		return "%resource"
	case *RowIndex:
		return "%rowIndex"
	case *IndexVar:
		return "$index"
	case *TotalVar:
		return "$total"
	case *Field:
		star := ""
		if e.Array {
			star = "*"
		}
		return ExprString(e.X) + "." + e.Key + star
	case *Choice:
		keys := make([]string, len(e.Keys))
		for i, k := range e.Keys {
			keys[i] = k.Key
		}
		return ExprString(e.X) + "." + e.Name + "{" + strings.Join(keys, "|") + "}"
	case *Call:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = ExprString(a)
		}
		return ExprString(e.X) + "." + e.Func.Name + "(" + strings.Join(args, ", ") + ")"
	case *TypeArg:
		if e.Namespace != "" {
			return e.Namespace + "." + e.Name
		}
		return e.Name
	case *Unary:
		return e.Op + ExprString(e.X)
	case *Binary:
		return "(" + ExprString(e.X) + " " + e.Op + " " + ExprString(e.Y) + ")"
	case *TypeOp:
		n := e.Name
		if e.Namespace != "" {
			n = e.Namespace + "." + n
		}
		return "(" + ExprString(e.X) + " " + e.Op + " " + n + ")"
	case *Subscript:
		return ExprString(e.X) + "[" + ExprString(e.Index) + "]"
	}
	return fmt.Sprintf("<%T>", e)
}

// Walk calls f for e and every sub-expression, depth first; returning false
// skips a node's children. Backends use it to collect the JSON paths a view reads.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *Field:
		Walk(e.X, f)
	case *Choice:
		Walk(e.X, f)
	case *Call:
		Walk(e.X, f)
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *Unary:
		Walk(e.X, f)
	case *Binary:
		Walk(e.X, f)
		Walk(e.Y, f)
	case *TypeOp:
		Walk(e.X, f)
	case *Subscript:
		Walk(e.X, f)
		Walk(e.Index, f)
	}
}

// Selects calls f for s and every select below it, depth first, in output order.
func Selects(s *Select, f func(*Select)) {
	f(s)
	for _, n := range s.Selects {
		Selects(n, f)
	}
	for _, n := range s.UnionAll {
		Selects(n, f)
	}
}
