package lsp

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// Column groups in the editor: a group's name (in its declaration or after
// `use`) hovers with its members and the columns a use expands to, jumps to
// its declaration, lists and renames every use across the directory; `use`
// completes the groups of the directory.

// groupAt returns the group declared or used at pos, and the span of the
// name under the cursor.
func (a *analysis) groupAt(pf *parsedFile, pos source.Pos) (*ast.Group, *ast.Column, source.Span) {
	path := nodeAt(pf.ast, pos)
	for i := len(path) - 1; i >= 0; i-- {
		switch n := path[i].(type) {
		case *ast.Column:
			if n.Use != "" && within(n.UseSpan, pos) {
				if a.checked == nil {
					return nil, nil, source.Span{}
				}
				g, _ := a.checked.GroupNamed(n.Use)
				return g, n, n.UseSpan
			}
		case *ast.Group:
			if within(n.NameSpan, pos) {
				return n, nil, n.NameSpan
			}
			return nil, nil, source.Span{}
		}
	}
	return nil, nil, source.Span{}
}

// fileOfGroup finds the file that declares a group.
func (a *analysis) fileOfGroup(g *ast.Group) *parsedFile {
	var found *parsedFile
	a.allFiles(func(pf *parsedFile) {
		for _, x := range pf.ast.Groups {
			if x == g && found == nil {
				found = pf
			}
		}
	})
	return found
}

// groupUses lists every column of the directory that uses group g, in
// views and in other groups.
func (a *analysis) groupUses(g *ast.Group) map[*parsedFile][]*ast.Column {
	out := map[*parsedFile][]*ast.Column{}
	if a.checked == nil {
		return out
	}
	a.allFiles(func(pf *parsedFile) {
		ast.Inspect(pf.ast, func(n ast.Node) bool {
			if c, ok := n.(*ast.Column); ok && c != nil && c.Use == g.Name {
				if d, _ := a.checked.GroupNamed(c.Use); d == g {
					out[pf] = append(out[pf], c)
				}
			}
			_, isExpr := n.(ast.Expr)
			return !isExpr
		})
	})
	return out
}

// hoverGroup shows a group's declaration and members and, for a use, the
// columns it expands to.
func (s *Server) hoverGroup(a *analysis, g *ast.Group, use *ast.Column) string {
	var b strings.Builder
	b.WriteString(code("fhirql", "group "+g.Name+" of "+g.Type))
	if g.Doc != "" {
		b.WriteString("\n\n" + g.Doc)
	}
	if pf := a.fileOfGroup(g); pf != nil {
		b.WriteString("\n\nMembers:")
		for _, m := range g.Columns {
			if m == nil {
				continue
			}
			line := fmt.Sprintf("\n- `%s` = `%s`", m.Name, snippet(pf.src, m.Path.Span()))
			if m.Use != "" {
				line += " use " + m.Use
			}
			b.WriteString(line)
		}
	}
	if use != nil && a.checked != nil {
		if exp := a.checked.Expansion(use); len(exp) > 0 {
			b.WriteString("\n\nExpands to:")
			for _, c := range exp {
				t := ""
				if cc := a.checked.ColumnOf(c); cc != nil {
					t = " " + displayType(string(cc.Type))
				}
				fmt.Fprintf(&b, "\n- `%s`%s", c.Name, t)
			}
		}
	}
	return b.String()
}

// groupNames lists the groups for completion after `use`: from the
// current analysis or, while the file does not parse, the last good one.
func (c *completion) groupNames() bool {
	checked := c.a.checked
	if checked == nil || len(checked.GroupNames()) == 0 {
		if ns := c.s.spaces[c.dirOf()]; ns != nil {
			if lg := ns.lastGood[c.src.Name]; lg != nil && lg.checked != nil {
				checked = lg.checked
			}
		}
	}
	if checked == nil {
		return false
	}
	for i, name := range checked.GroupNames() {
		g, _ := checked.GroupNamed(name)
		it := CompletionItem{Label: name, Kind: kindStruct, Detail: "group of " + g.Type, SortText: sortKey(0, i, name)}
		if g.Doc != "" {
			it.Documentation = &MarkupContent{Kind: "markdown", Value: g.Doc}
		}
		c.add(it, c.wordStart)
	}
	return true
}

// groupSymbol is a group in the outline, with its members.
func groupSymbol(f *source.File, g *ast.Group) DocumentSymbol {
	gs := DocumentSymbol{Name: g.Name, Detail: "group of " + g.Type, Kind: symStruct, Range: spanRange(f, g.Sp), SelectionRange: spanRange(f, nameOrNode(g.NameSpan, g.Sp))}
	for _, m := range g.Columns {
		if m != nil && m.Name != "" {
			gs.Children = append(gs.Children, DocumentSymbol{Name: m.Name, Detail: m.Use, Kind: symField, Range: spanRange(f, m.Sp), SelectionRange: spanRange(f, nameOrNode(m.NameSpan, m.Sp))})
		}
	}
	return fixRanges(gs)
}

// groupTypeNames offers what a group may be of: the data types, then the
// backbone elements of every resource (Patient.contact, Claim.item.detail).
func (c *completion) groupTypeNames() {
	c.typeNames()
	cat := c.s.cat
	seen := map[string]bool{}
	queue := cat.ResourceNames()
	for len(queue) > 0 {
		t := cat.Type(queue[0])
		queue = queue[1:]
		if t == nil {
			continue
		}
		for _, e := range t.Elements {
			if len(e.Types) != 1 || seen[e.Types[0]] {
				continue
			}
			if bt := cat.Type(e.Types[0]); bt != nil && bt.Kind == catalog.Backbone {
				seen[bt.Name] = true
				queue = append(queue, bt.Name)
				c.add(CompletionItem{Label: bt.Name, Kind: kindStruct, SortText: sortKey(2, 0, bt.Name), Detail: "backbone element"}, c.wordStart)
			}
		}
	}
}
