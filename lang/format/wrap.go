package format

import (
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/lang/ast"
)

// maxWidth is the line width past which File breaks a path's top-level
// invocation chain before its `.` steps.
const maxWidth = 100

// chainParts splits the canonical text of e at the `.` steps of its
// top-level invocation chain: the first part is the chain's base, every
// other part starts with `.`; indexers stay with the step they follow, and
// argument lists, strings and brackets are never split. Joined, the parts
// are Expr(e); an expression that is no chain is one part.
func chainParts(e ast.Expr) []string {
	base := func(x ast.Expr) []string {
		if x != nil && prec(x) < precPostfix {
			var b strings.Builder
			sub(&b, x, precPostfix)
			return []string{b.String()}
		}
		return chainParts(x)
	}
	switch e := e.(type) {
	case *ast.Member:
		if e == nil {
			break
		}
		var b strings.Builder
		b.WriteByte('.')
		writeName(&b, e.Name)
		return append(base(e.X), b.String())
	case *ast.Call:
		if e == nil || e.X == nil {
			break
		}
		var b strings.Builder
		writeExpr(&b, &ast.Call{Name: e.Name, Args: e.Args})
		return append(base(e.X), "."+b.String())
	case *ast.Index:
		if e == nil {
			break
		}
		parts := base(e.X)
		var b strings.Builder
		b.WriteByte('[')
		writeExpr(&b, e.Index)
		b.WriteByte(']')
		parts[len(parts)-1] += b.String()
		return parts
	}
	return []string{Expr(e)}
}

// wrapExpr returns the text of e for a line whose text before e is col
// columns wide and after which tail follows on the same line. When that line
// would be wider than maxWidth, the top-level chain of e is broken before
// `.` steps, each continuation line indented to col, packing steps greedily
// while lines stay within maxWidth; a step too long for any line stands
// alone on its line.
func wrapExpr(e ast.Expr, col int, tail string) string {
	text := Expr(e)
	tailW := utf8.RuneCountInString(tail)
	if col+utf8.RuneCountInString(text)+tailW <= maxWidth {
		return text
	}
	parts := chainParts(e)
	if len(parts) < 2 || strings.Join(parts, "") != text {
		return text
	}
	var b strings.Builder
	indent := strings.Repeat(" ", col)
	b.WriteString(parts[0])
	w := col + utf8.RuneCountInString(parts[0])
	for i, part := range parts[1:] {
		n := utf8.RuneCountInString(part)
		need := n
		if i == len(parts)-2 {
			need += tailW
		}
		if w+need > maxWidth {
			b.WriteByte('\n')
			b.WriteString(indent)
			w = col
		}
		b.WriteString(part)
		w += n
	}
	return b.String()
}

// col returns the width of the line being written.
func (p *filePrinter) col() int {
	b := p.b.Bytes()
	i := len(b)
	for i > 0 && b[i-1] != '\n' {
		i--
	}
	return utf8.RuneCount(b[i:])
}
