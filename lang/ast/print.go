package ast

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/lang/source"
)

// Dump renders a tree as indented text, one node per line, with every span
// written as @start-end (byte offsets). Golden tests of the parser and the
// ViewDefinition reader compare it, and `fhirql debug ast` prints it, so the
// format is stable: a field appears only when set, in declaration order.
//
//	Column "id" @2-24 name@2-4
//	  Call "getResourceKey" @7-24 name@7-21 rparen@23
func Dump(n Node) string { return dump(n, true) }

// DumpNoSpans is Dump without positions or file name: two trees that print
// the same here have the same shape and values, wherever their text came
// from. Round-trip tests (format, then parse again) compare it.
func DumpNoSpans(n Node) string { return dump(n, false) }

func dump(n Node, spans bool) string {
	p := &printer{spans: spans}
	p.node(n, 0)
	return p.b.String()
}

type printer struct {
	b     strings.Builder
	spans bool
}

// line writes one node: its label and values, then the spans when enabled.
// Each span arg is a label ("" for the node's own span) and a span.
func (p *printer) line(depth int, text string, sps ...any) {
	p.b.WriteString(strings.Repeat("  ", depth))
	p.b.WriteString(text)
	if p.spans {
		for i := 0; i+1 < len(sps); i += 2 {
			label := sps[i].(string)
			switch s := sps[i+1].(type) {
			case source.Span:
				fmt.Fprintf(&p.b, " %s@%d-%d", label, s.Start, s.End)
			case source.Pos:
				fmt.Fprintf(&p.b, " %s@%d", label, s)
			}
		}
	}
	p.b.WriteByte('\n')
}

func q(s string) string { return strconv.Quote(s) }

func (p *printer) node(n Node, d int) {
	if n != nil && reflect.ValueOf(n).Kind() == reflect.Pointer && reflect.ValueOf(n).IsNil() {
		n = nil
	}
	switch n := n.(type) {
	case nil:
		p.line(d, "<nil>")
	case *File:
		name := ""
		if n.Source != nil && p.spans {
			name = " " + q(n.Source.Name)
		}
		p.line(d, "File"+name)
		for _, c := range n.Consts {
			p.node(c, d+1)
		}
		for _, g := range n.Groups {
			p.node(g, d+1)
		}
		for _, v := range n.Views {
			p.node(v, d+1)
		}
	case *Group:
		p.line(d, "Group "+q(n.Name)+" of "+q(n.Type), "", n.Sp, "name", n.NameSpan, "type", n.TypeSpan)
		p.doc(n.Doc, d+1)
		for _, c := range n.Columns {
			p.node(c, d+1)
		}
	case *Const:
		text := "Const " + q(n.Name)
		sps := []any{"", n.Sp, "name", n.NameSpan}
		if n.Type != "" {
			text += " type=" + q(n.Type)
			sps = append(sps, "type", n.TypeSpan)
		}
		p.line(d, text, sps...)
		p.doc(n.Doc, d+1)
		if n.Value == nil {
			p.line(d+1, "<nil>")
		} else {
			p.node(n.Value, d+1)
		}
	case *View:
		p.line(d, "View "+q(n.Name)+" of "+q(n.Resource), "", n.Sp, "name", n.NameSpan, "resource", n.ResourceSpan)
		p.doc(n.Doc, d+1)
		for _, a := range n.Attrs {
			p.node(a, d+1)
		}
		for _, c := range n.Consts {
			p.node(c, d+1)
		}
		for _, w := range n.Where {
			p.node(w, d+1)
		}
		for _, s := range n.Select {
			p.node(s, d+1)
		}
		for _, e := range n.Expects {
			p.node(e, d+1)
		}
	case *Expect:
		p.line(d, "Expect "+n.Kind.String()+" "+q(n.Name)+" "+q(n.Text), "", n.Sp)
		p.doc(n.Doc, d+1)
	case *Attr:
		p.line(d, "Attr "+q(n.Key)+" "+n.JSON, "", n.Sp)
	case *Where:
		p.line(d, "Where", "", n.Sp)
		p.doc(n.Doc, d+1)
		p.expr(n.Path, d+1)
	case *Select:
		p.selectNode(n, d)
	case *Column:
		text := "Column " + q(n.Name)
		if n.Collection {
			text += " collection"
		}
		if n.HasCollection {
			text += " explicit-collection"
		}
		sps := []any{"", n.Sp, "name", n.NameSpan}
		if n.Use != "" {
			text += " use=" + q(n.Use)
			sps = append(sps, "use", n.UseSpan)
		}
		if n.Type != "" {
			text += " type=" + q(n.Type)
			sps = append(sps, "type", n.TypeSpan)
		}
		p.line(d, text, sps...)
		p.doc(n.Doc, d+1)
		p.expr(n.Path, d+1)
		for _, t := range n.Tags {
			p.node(t, d+1)
		}
	case *Tag:
		p.line(d, "Tag "+q(n.Name)+" = "+q(n.Value), "", n.Sp)
	case Expr:
		p.expr(n, d)
	default:
		p.line(d, fmt.Sprintf("<unknown %T>", n))
	}
}

func (p *printer) doc(doc string, d int) {
	if doc != "" {
		p.line(d, "Doc "+q(doc))
	}
}

func (p *printer) selectNode(n *Select, d int) {
	if n == nil {
		p.line(d, "<nil>")
		return
	}
	p.line(d, "Select "+n.Kind.String(), "", n.Sp, "keyword", n.KeywordSpan)
	if n.Iter != nil {
		p.line(d+1, "Iter")
		p.expr(n.Iter, d+2)
	}
	for _, r := range n.Repeat {
		p.line(d+1, "Repeat")
		p.expr(r, d+2)
	}
	for _, c := range n.Columns {
		p.node(c, d+1)
	}
	for _, s := range n.Selects {
		p.selectNode(s, d+1)
	}
	if n.UnionAll != nil {
		p.line(d+1, "UnionAll")
		for _, s := range n.UnionAll {
			p.selectNode(s, d+2)
		}
	}
}

func (p *printer) expr(e Expr, d int) {
	if e != nil && reflect.ValueOf(e).IsNil() {
		e = nil // a typed nil pointer, from a tree built by hand
	}
	switch e := e.(type) {
	case nil:
		p.line(d, "<nil>")
	case *Ident:
		p.line(d, "Ident "+q(e.Name), "", e.Sp)
	case *Member:
		p.line(d, "Member "+q(e.Name), "", e.Sp, "name", e.NameSpan)
		p.expr(e.X, d+1)
	case *Call:
		p.line(d, "Call "+q(e.Name), "", e.Sp, "name", e.NameSpan, "rparen", e.RParen)
		if e.X != nil {
			p.line(d+1, "Recv")
			p.expr(e.X, d+2)
		}
		for _, a := range e.Args {
			p.expr(a, d+1)
		}
	case *Index:
		p.line(d, "Index", "", e.Sp)
		p.expr(e.X, d+1)
		p.expr(e.Index, d+1)
	case *This:
		p.line(d, "This", "", e.Sp)
	case *Special:
		p.line(d, "Special "+q(e.Name), "", e.Sp)
	case *Var:
		p.line(d, "Var "+q(e.Name), "", e.Sp)
	case *Literal:
		text := "Literal " + e.Kind.String()
		if e.Kind != Empty {
			text += " " + q(e.Value)
		}
		if e.Kind == Quantity {
			if e.UnitQuoted {
				text += " unit=" + q(e.Unit)
			} else {
				text += " unit=" + e.Unit
			}
		}
		p.line(d, text, "", e.Sp)
	case *Unary:
		p.line(d, "Unary "+q(e.Op), "", e.Sp)
		p.expr(e.X, d+1)
	case *Binary:
		p.line(d, "Binary "+q(e.Op), "", e.Sp, "op", e.OpSpan)
		p.expr(e.X, d+1)
		p.expr(e.Y, d+1)
	case *TypeOp:
		name := e.Type.Name
		if e.Type.Namespace != "" {
			name = e.Type.Namespace + "." + name
		}
		p.line(d, "TypeOp "+q(e.Op)+" "+q(name), "", e.Sp, "type", e.Type.Sp)
		p.expr(e.X, d+1)
	case *Paren:
		p.line(d, "Paren", "", e.Sp)
		p.expr(e.X, d+1)
	case *Bad:
		p.line(d, "Bad", "", e.Sp)
	default:
		p.line(d, fmt.Sprintf("<unknown %T>", e))
	}
}
