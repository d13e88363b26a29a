// Package format prints ast trees as canonical text: FHIRPath expressions
// (Expr) and whole .fview files (File, behind `fhirql fmt`).
//
// Input: an ast tree, from the .fview parser or the ViewDefinition reader.
// Output: text that parses back to the same tree (spans aside). One canonical
// form means diffs show meaning, not spacing, and lets the ViewDefinition
// writer and the language server print expressions the same way.
package format

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/lang/ast"
)

// Expr returns the canonical FHIRPath text of e: single spaces around binary
// operators, `a.b(c, d)`, strings in single quotes with escapes, and
// parentheses exactly where the tree has ast.Paren. A tree built by hand (say
// from JSON) may nest a looser operator under a tighter one without a Paren;
// Expr then adds the parentheses the text needs to mean that tree.
func Expr(e ast.Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

// Precedence levels, loosest first, as the parser climbs them.
const (
	precImplies = iota + 1
	precOr
	precAnd
	precMembership
	precEquality
	precInequality
	precUnion
	precType
	precAdditive
	precMultiplicative
	precUnary
	precPostfix // member access, calls, indexers, and every atom
)

var binaryPrec = map[string]int{
	"implies": precImplies,
	"or":      precOr, "xor": precOr,
	"and": precAnd,
	"in":  precMembership, "contains": precMembership,
	"=": precEquality, "~": precEquality, "!=": precEquality, "!~": precEquality,
	"<": precInequality, ">": precInequality, "<=": precInequality, ">=": precInequality,
	"|": precUnion,
	"+": precAdditive, "-": precAdditive, "&": precAdditive,
	"*": precMultiplicative, "/": precMultiplicative, "div": precMultiplicative, "mod": precMultiplicative,
}

func prec(e ast.Expr) int {
	switch e := e.(type) {
	case *ast.Binary:
		if p, ok := binaryPrec[e.Op]; ok {
			return p
		}
		return precImplies // unknown operator: parenthesise it everywhere
	case *ast.TypeOp:
		return precType
	case *ast.Unary:
		return precUnary
	case *ast.Literal:
		// A negative number from JSON ("-5") reads back as unary minus.
		if e != nil && e.Kind != ast.String && strings.HasPrefix(e.Value, "-") {
			return precUnary
		}
	}
	return precPostfix
}

// sub writes child x of an operator at level p, parenthesised when x binds
// looser than min.
func sub(b *strings.Builder, x ast.Expr, min int) {
	if x != nil && prec(x) < min {
		b.WriteByte('(')
		writeExpr(b, x)
		b.WriteByte(')')
		return
	}
	writeExpr(b, x)
}

func writeExpr(b *strings.Builder, e ast.Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("{}")
	case *ast.Ident:
		if e == nil {
			b.WriteString("{}")
			return
		}
		writeIdent(b, e.Name)
	case *ast.Member:
		sub(b, e.X, precPostfix)
		b.WriteByte('.')
		writeName(b, e.Name)
	case *ast.Call:
		if e.X != nil {
			sub(b, e.X, precPostfix)
			b.WriteByte('.')
		}
		writeName(b, e.Name)
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a)
		}
		b.WriteByte(')')
	case *ast.Index:
		sub(b, e.X, precPostfix)
		b.WriteByte('[')
		writeExpr(b, e.Index)
		b.WriteByte(']')
	case *ast.This:
		b.WriteString("$this")
	case *ast.Special:
		b.WriteString("$" + e.Name)
	case *ast.Var:
		b.WriteByte('%')
		if isIdent(e.Name) {
			b.WriteString(e.Name)
		} else {
			b.WriteString(quote(e.Name, '`'))
		}
	case *ast.Literal:
		writeLiteral(b, e)
	case *ast.Unary:
		b.WriteString(e.Op)
		sub(b, e.X, precUnary)
	case *ast.Binary:
		p := prec(e)
		if _, ok := e.X.(*ast.TypeOp); ok {
			// The parser keeps climbing after `a is T`, so `a is T + 1`
			// already means (a is T) + 1: no parentheses needed.
			writeExpr(b, e.X)
		} else {
			sub(b, e.X, p)
		}
		b.WriteByte(' ')
		b.WriteString(e.Op)
		b.WriteByte(' ')
		sub(b, e.Y, p+1) // left-associative: an equal level on the right needs parentheses
	case *ast.TypeOp:
		sub(b, e.X, precType)
		b.WriteByte(' ')
		b.WriteString(e.Op)
		b.WriteByte(' ')
		if e.Type.Namespace != "" {
			for _, part := range strings.Split(e.Type.Namespace, ".") {
				writeName(b, part)
				b.WriteByte('.')
			}
		}
		writeName(b, e.Type.Name)
	case *ast.Paren:
		b.WriteByte('(')
		writeExpr(b, e.X)
		b.WriteByte(')')
	case *ast.Bad:
		b.WriteString("{}")
	default:
		fmt.Fprintf(b, "{}")
	}
}

func writeLiteral(b *strings.Builder, l *ast.Literal) {
	switch l.Kind {
	case ast.Empty:
		b.WriteString("{}")
	case ast.Bool:
		b.WriteString(l.Value)
	case ast.String:
		b.WriteString(quote(l.Value, '\''))
	case ast.Integer, ast.Decimal:
		b.WriteString(l.Value)
	case ast.Long:
		b.WriteString(l.Value + "L")
	case ast.Date, ast.DateTime:
		b.WriteString("@" + l.Value)
	case ast.Time:
		b.WriteString("@T" + l.Value)
	case ast.Quantity:
		b.WriteString(l.Value)
		b.WriteByte(' ')
		if l.UnitQuoted {
			b.WriteString(quote(l.Unit, '\''))
		} else {
			b.WriteString(l.Unit)
		}
	default:
		b.WriteString(l.Value)
	}
}

// reserved are names that would parse as something else where an
// identifier stands at the start of a term; they print `quoted`.
var reserved = map[string]bool{
	"true": true, "false": true,
	"and": true, "or": true, "xor": true, "implies": true, "div": true, "mod": true,
	"in": true, "contains": true, "is": true, "as": true,
}

// writeIdent writes a leading name, quoting it when it is not a plain
// identifier or reads as a keyword.
func writeIdent(b *strings.Builder, name string) {
	if isIdent(name) && !reserved[name] {
		b.WriteString(name)
		return
	}
	b.WriteString(quote(name, '`'))
}

// writeName writes a name after "." or as a function name, where keywords
// are plain identifiers.
func writeName(b *strings.Builder, name string) {
	if isIdent(name) {
		b.WriteString(name)
		return
	}
	b.WriteString(quote(name, '`'))
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// quote writes s between q quotes with FHIRPath escapes.
func quote(s string, q byte) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r == rune(q):
				b.WriteByte('\\')
				b.WriteRune(r)
			case r < 0x20 || r == 0x7f:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte(q)
	return b.String()
}
