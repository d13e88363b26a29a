package lsp

import (
	"sort"
	"strings"

	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	req("textDocument/formatting", func(s *Server, p *DocumentParams) (any, error) {
		d, _, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		if isJSONName(d.name) || pf.diags.HasErrors() {
			// As `fhirql fmt`: JSON is left alone, and text that does not
			// parse cannot be printed without losing some of it.
			return []TextEdit{}, nil
		}
		out := string(format.File(pf.ast))
		return minimalEdit(pf.src, out), nil
	})
	req("textDocument/codeAction", func(s *Server, p *CodeActionParams) (any, error) {
		d, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		if len(p.Context.Only) > 0 && !wantsQuickFix(p.Context.Only) {
			return []CodeAction{}, nil
		}
		start, end := offset(pf.src, p.Range.Start), offset(pf.src, p.Range.End)
		out := []CodeAction{}
		seen := map[string]bool{}
		for _, ld := range s.convertDiags(pf.src, d.uri, a.diags[d.name]) {
			if ld.Data == nil {
				continue
			}
			ds, de := offset(pf.src, ld.Range.Start), offset(pf.src, ld.Range.End)
			// The diagnostic touches the requested range (an empty range is
			// the cursor: on or at either end of the diagnostic).
			if de < start || ds > end {
				continue
			}
			for _, fx := range ld.Data.Fixes {
				key := fx.Title + "\x00" + fx.URI + "\x00" + rangeKey(fx.Edits[0].Range)
				if seen[key] {
					continue
				}
				seen[key] = true
				diagCopy := ld
				diagCopy.Data = nil
				out = append(out, CodeAction{
					Title:       fx.Title,
					Kind:        "quickfix",
					Diagnostics: []Diagnostic{diagCopy},
					IsPreferred: len(ld.Data.Fixes) == 1,
					Edit:        &WorkspaceEdit{Changes: map[string][]TextEdit{fx.URI: fx.Edits}},
				})
			}
		}
		return out, nil
	})
	req("textDocument/semanticTokens/full", func(s *Server, p *DocumentParams) (any, error) {
		d, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		if isJSONName(d.name) {
			return SemanticTokens{Data: []uint32{}}, nil
		}
		return SemanticTokens{Data: semanticTokens(pf, a.checked)}, nil
	})
}

func wantsQuickFix(only []string) bool {
	for _, k := range only {
		if k == "quickfix" || strings.HasPrefix("quickfix", k) {
			return true
		}
	}
	return false
}

func rangeKey(r Range) string {
	return strings.Join([]string{itoa(r.Start.Line), itoa(r.Start.Character), itoa(r.End.Line), itoa(r.End.Character)}, ":")
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// minimalEdit replaces only the lines between the common prefix and suffix
// of the old and new text, so the editor keeps the cursor and folds of the
// untouched parts.
func minimalEdit(f *source.File, out string) []TextEdit {
	old := f.Text
	if old == out {
		return []TextEdit{}
	}
	p := 0
	for p < len(old) && p < len(out) && old[p] == out[p] {
		p++
	}
	// Back to a line start, so the edit covers whole lines.
	for p > 0 && old[p-1] != '\n' {
		p--
	}
	sOld, sNew := len(old), len(out)
	for sOld > p && sNew > p && old[sOld-1] == out[sNew-1] {
		sOld--
		sNew--
	}
	for sOld < len(old) && sOld > p && old[sOld-1] != '\n' {
		sOld++
		sNew++
	}
	return []TextEdit{{Range: spanRange(f, source.Span{Start: source.Pos(p), End: source.Pos(sOld)}), NewText: out[p:sNew]}}
}

// Token type indexes into tokenTypes.
const (
	stKeyword = iota
	stType
	stProperty
	stFunction
	stVariable
	stString
	stNumber
	stComment
)

const (
	smDeclaration = 1 << iota
	smDocumentation
	smDefaultLibrary
)

var fviewKeywords = map[string]bool{
	"view": true, "of": true, "const": true, "where": true, "forEach": true, "forEachOrNull": true,
	"repeat": true, "unionAll": true, "select": true, "group": true, "use": true,
	"and": true, "or": true, "xor": true, "implies": true, "in": true, "contains": true,
	"is": true, "as": true, "div": true, "mod": true, "true": true, "false": true,
}

type semTok struct {
	start, end int
	typ, mods  int
}

// semanticTokens classifies the tokens of a .fview file: the lexer says what
// is a comment, string or number, the tree says which names are elements,
// functions, types, columns and constants. Names the tree does not know
// (in a part that did not parse) fall back to keyword or nothing.
func semanticTokens(pf *parsedFile, c *check.Checked) []uint32 {
	text := pf.src.Text
	byStart := map[int]semTok{}
	mark := func(sp source.Span, typ, mods int) {
		if sp.IsZero() || sp.End <= sp.Start || int(sp.End) > len(text) {
			return
		}
		byStart[int(sp.Start)] = semTok{int(sp.Start), int(sp.End), typ, mods}
	}
	ast.Inspect(pf.ast, func(n ast.Node) bool {
		if n == nil || isNilNode(n) {
			return false
		}
		switch n := n.(type) {
		case *ast.View:
			mark(n.NameSpan, stType, smDeclaration)
			mark(n.ResourceSpan, stType, 0)
		case *ast.Const:
			mark(n.NameSpan, stVariable, smDeclaration)
			mark(n.TypeSpan, stType, 0)
		case *ast.Group:
			mark(n.NameSpan, stType, smDeclaration)
			mark(n.TypeSpan, stType, 0)
		case *ast.Column:
			mark(n.NameSpan, stProperty, smDeclaration)
			mark(n.TypeSpan, stType, 0)
			mark(n.UseSpan, stType, 0)
		case *ast.Ident:
			switch {
			case c != nil && c.IsRoot(n):
				mark(n.Sp, stType, 0)
			case c != nil && isTypeArg(c, n):
				mark(n.Sp, stType, 0)
			default:
				mark(n.Sp, stProperty, 0)
			}
		case *ast.Member:
			mark(n.NameSpan, stProperty, 0)
		case *ast.Call:
			mark(n.NameSpan, stFunction, smDefaultLibrary)
		case *ast.Var:
			mods := 0
			if c == nil || c.ConstOf(n) == nil {
				mods = smDefaultLibrary
			}
			mark(n.Sp, stVariable, mods)
		case *ast.TypeOp:
			mark(n.Type.Sp, stType, 0)
		case *ast.This, *ast.Special:
			mark(n.Span(), stVariable, smDefaultLibrary)
		}
		return true
	})
	var toks []semTok
	for _, t := range lexText(text) {
		if st, ok := byStart[t.start]; ok && st.end == t.end {
			toks = append(toks, st)
			continue
		}
		if st, ok := byStart[t.start]; ok && t.kind == tokQIdent {
			toks = append(toks, st)
			continue
		}
		switch t.kind {
		case tokComment:
			mods := 0
			if strings.HasPrefix(text[t.start:], "///") {
				mods = smDocumentation
			}
			toks = append(toks, semTok{t.start, t.end, stComment, mods})
		case tokString, tokJSONString:
			toks = append(toks, semTok{t.start, t.end, stString, 0})
		case tokNumber, tokDate:
			toks = append(toks, semTok{t.start, t.end, stNumber, 0})
		case tokVar, tokSpecial:
			toks = append(toks, semTok{t.start, t.end, stVariable, smDefaultLibrary})
		case tokIdent:
			w := text[t.start:t.end]
			if fviewKeywords[w] && !(t.end < len(text) && text[t.end] == '(') {
				toks = append(toks, semTok{t.start, t.end, stKeyword, 0})
			}
		case tokPunct:
			if text[t.start] == '@' {
				toks = append(toks, semTok{t.start, t.end, stKeyword, 0})
			}
		}
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].start < toks[j].start })
	return encodeTokens(pf.src, toks)
}

func isTypeArg(c *check.Checked, id *ast.Ident) bool {
	_, ok := c.TypeArgOf(id)
	return ok
}

// encodeTokens writes the LSP relative encoding, splitting tokens that span
// lines (block comments), which clients do not accept whole.
func encodeTokens(f *source.File, toks []semTok) []uint32 {
	out := make([]uint32, 0, len(toks)*5)
	prevLine, prevCol := 0, 0
	last := -1
	emit := func(start, end, typ, mods int) {
		l, c := f.UTF16Col(source.Pos(start))
		_, ce := f.UTF16Col(source.Pos(end))
		if ce <= c {
			return
		}
		dl := l - prevLine
		dc := c
		if dl == 0 {
			dc = c - prevCol
		}
		out = append(out, uint32(dl), uint32(dc), uint32(ce-c), uint32(typ), uint32(mods))
		prevLine, prevCol = l, c
	}
	for _, t := range toks {
		if t.start < last {
			continue // overlapping: keep the first
		}
		last = t.end
		s := t.start
		for s < t.end {
			nl := strings.IndexByte(f.Text[s:t.end], '\n')
			if nl < 0 {
				emit(s, t.end, t.typ, t.mods)
				break
			}
			e := s + nl
			if e > s && f.Text[e-1] == '\r' {
				e--
			}
			emit(s, e, t.typ, t.mods)
			s = s + nl + 1
		}
	}
	return out
}
