package lsp

import (
	"regexp"
	"sort"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	req("textDocument/definition", func(s *Server, p *TextDocumentPositionParams) (any, error) {
		_, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		pos := offset(pf.src, p.Position)
		if g, _, _ := a.groupAt(pf, pos); g != nil {
			if gf := a.fileOfGroup(g); gf != nil {
				return []Location{{URI: s.uriOf(gf.src.Name), Range: spanRange(gf.src, nameOrNode(g.NameSpan, g.Sp))}}, nil
			}
		}
		if k, _ := a.constAt(pf, pos); k != nil {
			if kf := a.fileOfConst(k); kf != nil {
				return []Location{{URI: s.uriOf(kf.src.Name), Range: spanRange(kf.src, nameOrNode(k.NameSpan, k.Sp))}}, nil
			}
		}
		if _, col := columnAt(pf, pos); col != nil {
			return []Location{{URI: s.uriOf(pf.src.Name), Range: spanRange(pf.src, col.NameSpan)}}, nil
		}
		return []Location{}, nil
	})
	req("textDocument/references", func(s *Server, p *ReferenceParams) (any, error) {
		_, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		pos := offset(pf.src, p.Position)
		out := []Location{}
		if g, _, _ := a.groupAt(pf, pos); g != nil {
			if gf := a.fileOfGroup(g); gf != nil && p.Context.IncludeDeclaration {
				out = append(out, Location{URI: s.uriOf(gf.src.Name), Range: spanRange(gf.src, nameOrNode(g.NameSpan, g.Sp))})
			}
			uses := a.groupUses(g)
			a.allFiles(func(uf *parsedFile) {
				for _, c := range uses[uf] {
					out = append(out, Location{URI: s.uriOf(uf.src.Name), Range: spanRange(uf.src, c.UseSpan)})
				}
			})
			return out, nil
		}
		if k, _ := a.constAt(pf, pos); k != nil {
			if p.Context.IncludeDeclaration {
				if kf := a.fileOfConst(k); kf != nil {
					out = append(out, Location{URI: s.uriOf(kf.src.Name), Range: spanRange(kf.src, nameOrNode(k.NameSpan, k.Sp))})
				}
			}
			for _, ref := range sortedRefs(a.varRefs(k)) {
				out = append(out, Location{URI: s.uriOf(ref.pf.src.Name), Range: spanRange(ref.pf.src, ref.v.Sp)})
			}
			return out, nil
		}
		if v, col := columnAt(pf, pos); col != nil {
			for _, c := range unionPeers(a, v, col) {
				out = append(out, Location{URI: s.uriOf(pf.src.Name), Range: spanRange(pf.src, c.NameSpan)})
			}
		}
		return out, nil
	})
	req("textDocument/prepareRename", func(s *Server, p *TextDocumentPositionParams) (any, error) {
		_, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		pos := offset(pf.src, p.Position)
		if g, _, sp := a.groupAt(pf, pos); g != nil {
			return PrepareRenameResult{Range: spanRange(pf.src, sp), Placeholder: g.Name}, nil
		}
		if k, sp := a.constAt(pf, pos); k != nil {
			return PrepareRenameResult{Range: spanRange(pf.src, sp), Placeholder: k.Name}, nil
		}
		if _, col := columnAt(pf, pos); col != nil {
			return PrepareRenameResult{Range: spanRange(pf.src, col.NameSpan), Placeholder: col.Name}, nil
		}
		return nil, nil
	})
	req("textDocument/rename", func(s *Server, p *RenameParams) (any, error) {
		_, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		if !validName.MatchString(p.NewName) {
			return nil, &rpcError{Code: codeInvalidParams, Message: "not a valid name: " + p.NewName}
		}
		pos := offset(pf.src, p.Position)
		edit := WorkspaceEdit{Changes: map[string][]TextEdit{}}
		addEdit := func(f *source.File, sp source.Span, text string) {
			uri := s.uriOf(f.Name)
			edit.Changes[uri] = append(edit.Changes[uri], TextEdit{Range: spanRange(f, sp), NewText: text})
		}
		if g, _, _ := a.groupAt(pf, pos); g != nil {
			if gf := a.fileOfGroup(g); gf != nil {
				addEdit(gf.src, nameOrNode(g.NameSpan, g.Sp), p.NewName)
			}
			uses := a.groupUses(g)
			a.allFiles(func(uf *parsedFile) {
				for _, c := range uses[uf] {
					addEdit(uf.src, c.UseSpan, p.NewName)
				}
			})
			return edit, nil
		}
		if k, _ := a.constAt(pf, pos); k != nil {
			if kf := a.fileOfConst(k); kf != nil {
				addEdit(kf.src, nameOrNode(k.NameSpan, k.Sp), p.NewName)
			}
			for _, ref := range sortedRefs(a.varRefs(k)) {
				addEdit(ref.pf.src, ref.v.Sp, "%"+p.NewName)
			}
			return edit, nil
		}
		if v, col := columnAt(pf, pos); col != nil {
			for _, c := range unionPeers(a, v, col) {
				addEdit(pf.src, c.NameSpan, p.NewName)
			}
			return edit, nil
		}
		return nil, &rpcError{Code: codeInvalidParams, Message: "only constants, columns and groups can be renamed"}
	})
	req("textDocument/documentSymbol", func(s *Server, p *DocumentParams) (any, error) {
		_, _, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		return documentSymbols(pf), nil
	})
}

// validName is a name that needs no quoting in .fview and FHIRPath.
var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func nameOrNode(name, node source.Span) source.Span {
	if name.IsZero() {
		return node
	}
	return name
}

type varRef struct {
	pf *parsedFile
	v  *ast.Var
}

func sortedRefs(m map[*parsedFile][]*ast.Var) []varRef {
	var out []varRef
	for pf, vs := range m {
		for _, v := range vs {
			out = append(out, varRef{pf, v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].pf.src.Name != out[j].pf.src.Name {
			return out[i].pf.src.Name < out[j].pf.src.Name
		}
		return out[i].v.Sp.Start < out[j].v.Sp.Start
	})
	return out
}

// unionPeers returns a column and its counterparts in the other branches of
// a unionAll: they must keep one name, so renaming one renames all.
func unionPeers(a *analysis, v *ast.View, col *ast.Column) []*ast.Column {
	out := []*ast.Column{col}
	if a.checked == nil || v == nil {
		return out
	}
	cc := a.checked.ColumnOf(col)
	if cc == nil {
		return out
	}
	ast.Inspect(v, func(n ast.Node) bool {
		if c, ok := n.(*ast.Column); ok && c != nil && c != col && c.Name == col.Name {
			if o := a.checked.ColumnOf(c); o != nil && o.Index == cc.Index {
				out = append(out, c)
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].NameSpan.Start < out[j].NameSpan.Start })
	return out
}

// documentSymbols is the outline: constants, groups, then views with their columns
// and nested selects.
func documentSymbols(pf *parsedFile) []DocumentSymbol {
	f := pf.src
	out := []DocumentSymbol{}
	for _, k := range pf.ast.Consts {
		if k == nil || k.Name == "" {
			continue
		}
		out = append(out, constSymbol(f, k))
	}
	for _, g := range pf.ast.Groups {
		if g != nil && g.Name != "" {
			out = append(out, groupSymbol(f, g))
		}
	}
	for _, v := range pf.ast.Views {
		if v == nil {
			continue
		}
		name := v.Name
		if name == "" {
			name = "(unnamed view)"
		}
		vs := DocumentSymbol{Name: name, Detail: "of " + v.Resource, Kind: symClass, Range: spanRange(f, v.Sp), SelectionRange: spanRange(f, nameOrNode(v.NameSpan, v.Sp))}
		for _, k := range v.Consts {
			if k != nil && k.Name != "" {
				vs.Children = append(vs.Children, constSymbol(f, k))
			}
		}
		for _, s := range v.Select {
			vs.Children = append(vs.Children, selectSymbols(f, s, true)...)
		}
		out = append(out, fixRanges(vs))
	}
	return out
}

func constSymbol(f *source.File, k *ast.Const) DocumentSymbol {
	return fixRanges(DocumentSymbol{Name: "%" + k.Name, Detail: k.Type, Kind: symConstant, Range: spanRange(f, k.Sp), SelectionRange: spanRange(f, nameOrNode(k.NameSpan, k.Sp))})
}

// selectSymbols flattens a view's top-level plain selects into the view (a
// .fview body is one) and nests the others.
func selectSymbols(f *source.File, s *ast.Select, top bool) []DocumentSymbol {
	if s == nil {
		return nil
	}
	var kids []DocumentSymbol
	for _, c := range s.Columns {
		if c == nil {
			continue
		}
		detail := c.Type
		if c.Collection {
			detail += "[]"
		}
		kind := symField
		if c.Collection {
			kind = symArray
		}
		kids = append(kids, fixRanges(DocumentSymbol{Name: c.Name, Detail: detail, Kind: kind, Range: spanRange(f, c.Sp), SelectionRange: spanRange(f, nameOrNode(c.NameSpan, c.Sp))}))
	}
	for _, sub := range s.Selects {
		kids = append(kids, selectSymbols(f, sub, false)...)
	}
	if len(s.UnionAll) > 0 {
		u := DocumentSymbol{Name: "unionAll", Kind: symModule, Range: spanRange(f, s.Sp), SelectionRange: spanRange(f, nameOrNode(s.KeywordSpan, s.Sp))}
		for _, b := range s.UnionAll {
			u.Children = append(u.Children, selectSymbols(f, b, false)...)
		}
		kids = append(kids, fixRanges(u))
	}
	if s.Kind == ast.Plain {
		if top || s.KeywordSpan.IsZero() {
			return kids
		}
		return []DocumentSymbol{fixRanges(DocumentSymbol{Name: "select", Kind: symStruct, Range: spanRange(f, s.Sp), SelectionRange: spanRange(f, s.KeywordSpan), Children: kids})}
	}
	name := s.Kind.String()
	switch {
	case s.Iter != nil:
		name += " " + snippet(f, s.Iter.Span())
	case len(s.Repeat) > 0:
		for i, e := range s.Repeat {
			if i > 0 {
				name += ","
			}
			name += " " + snippet(f, e.Span())
		}
	}
	return []DocumentSymbol{fixRanges(DocumentSymbol{Name: name, Kind: symArray, Range: spanRange(f, s.Sp), SelectionRange: spanRange(f, nameOrNode(s.KeywordSpan, s.Sp)), Children: kids})}
}

// fixRanges keeps the selection range inside the full range, which clients
// require, even for nodes a partial parse left with odd spans.
func fixRanges(d DocumentSymbol) DocumentSymbol {
	if before(d.SelectionRange.Start, d.Range.Start) || before(d.Range.End, d.SelectionRange.End) {
		d.Range = Range{Start: minPos(d.Range.Start, d.SelectionRange.Start), End: maxPos(d.Range.End, d.SelectionRange.End)}
	}
	return d
}

func before(a, b Position) bool {
	return a.Line < b.Line || (a.Line == b.Line && a.Character < b.Character)
}

func minPos(a, b Position) Position {
	if before(a, b) {
		return a
	}
	return b
}

func maxPos(a, b Position) Position {
	if before(a, b) {
		return b
	}
	return a
}
