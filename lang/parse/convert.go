package parse

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// converter turns the participle CST into the ast tree: it resolves spans,
// attaches `///` documentation, unquotes names and enforces the rules the
// grammar leaves open (statement order, literal constants, JSON values).
// Every method accepts nil and partial nodes, because participle returns a
// best-effort tree after a syntax error and the language server still wants it.
type converter struct {
	f    *source.File
	m    func(int) source.Pos // offset in the scanned text → offset in f; nil = identity
	toks []lexer.Token
	docs map[int]string // doc text by offset of the token the doc block precedes
	errs []*synErr
}

func (c *converter) pos(off int) source.Pos {
	if c.m == nil {
		return source.Pos(off)
	}
	return c.m(off)
}

func (c *converter) span(start, end int) source.Span {
	if end < start {
		end = start
	}
	return source.Span{Start: c.pos(start), End: c.pos(end)}
}

func (c *converter) report(e *synErr) { c.errs = append(c.errs, e) }

// end returns the offset just past the last token of a node whose EndPos
// participle set to the following token. A node cut short by a syntax error
// has no EndPos; its span then ends where it starts.
func (c *converter) end(start, endPos lexer.Position) int {
	if endPos.Offset <= start.Offset {
		return start.Offset
	}
	i := sort.Search(len(c.toks), func(i int) bool { return c.toks[i].Pos.Offset >= endPos.Offset })
	if i == 0 {
		return start.Offset
	}
	return tokEnd(c.toks[i-1])
}

// attachDocs groups consecutive own-line `///` comments into blocks and
// keys each block by the token right after it, when only whitespace (no
// blank line) separates them. Declarations look their doc up by position.
func attachDocs(src string, comments []comment, toks []lexer.Token) map[int]string {
	var docs map[int]string
	for i := 0; i < len(comments); {
		if !comments[i].doc || !comments[i].ownLine {
			i++
			continue
		}
		j := i + 1
		for j < len(comments) && comments[j].doc && comments[j].ownLine && onlySpace(src[comments[j-1].end:comments[j].start], 1) {
			j++
		}
		last := comments[j-1]
		k := sort.Search(len(toks), func(k int) bool { return toks[k].Pos.Offset >= last.end })
		if k < len(toks) && !toks[k].EOF() && onlySpace(src[last.end:toks[k].Pos.Offset], 1) {
			lines := make([]string, 0, j-i)
			for _, cm := range comments[i:j] {
				t := strings.TrimPrefix(cm.text, "///")
				t = strings.TrimPrefix(t, " ")
				lines = append(lines, t)
			}
			if docs == nil {
				docs = map[int]string{}
			}
			docs[toks[k].Pos.Offset] = strings.Join(lines, "\n")
		}
		i = j
	}
	return docs
}

// onlySpace reports whether s is whitespace holding at most maxNL newlines.
func onlySpace(s string, maxNL int) bool {
	nl := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			nl++
			if nl > maxNL {
				return false
			}
		case ' ', '\t', '\r', '\f':
		default:
			return false
		}
	}
	return true
}

func (c *converter) file(cst *file) *ast.File {
	out := &ast.File{Source: c.f}
	if cst == nil {
		return out
	}
	for _, d := range cst.Decls {
		switch {
		case d == nil:
		case d.Const != nil:
			if k := c.constDecl(d.Const); k != nil {
				out.Consts = append(out.Consts, k)
			}
		case d.Group != nil:
			out.Groups = append(out.Groups, c.group(d.Group))
		case d.View != nil:
			out.Views = append(out.Views, c.view(d.View))
		}
	}
	return out
}

func (c *converter) name(n *name) (string, source.Span) {
	if n == nil {
		return "", source.Span{}
	}
	return nameText(n.Text), c.span(n.Pos.Offset, n.Pos.Offset+len(n.Text))
}

// sqlName reports a view, column or constant name that ViewDefinition JSON
// could not carry (ast.IsSQLName), so that `fhirql viewdef` output always
// passes `fhirql check`.
func (c *converter) sqlName(n *name, what string) {
	if n == nil {
		return
	}
	if text := nameText(n.Text); !ast.IsSQLName(text) {
		c.report(errInvalidName(n.Pos.Offset, n.Pos.Offset+len(n.Text), what, text))
	}
}

func (c *converter) constDecl(k *constDecl) *ast.Const {
	out := &ast.Const{Sp: c.span(k.Pos.Offset, c.end(k.Pos, k.EndPos)), Doc: c.docs[k.Pos.Offset]}
	out.Name, out.NameSpan = c.name(k.Name)
	c.sqlName(k.Name, "constant")
	if k.Type != nil {
		out.Type, out.TypeSpan = c.name(k.Type)
	}
	if k.Value == nil || k.Value.X == nil {
		return out
	}
	x := k.Value.X
	switch v := x.(type) {
	case *ast.Literal:
		if v.Kind != ast.Empty {
			out.Value = v
		}
	case *ast.Unary:
		// A negative number is one literal in a constant, as in ViewDefinition JSON.
		if lit, ok := v.X.(*ast.Literal); ok && (lit.Kind == ast.Integer || lit.Kind == ast.Decimal || lit.Kind == ast.Long || lit.Kind == ast.Quantity) {
			folded := *lit
			folded.Sp = v.Sp
			if v.Op == "-" {
				folded.Value = "-" + lit.Value
			}
			out.Value = &folded
		}
	}
	if out.Value == nil {
		sp := x.Span()
		c.report(errConstNotLiteral(int(sp.Start), int(sp.End)))
		return out
	}
	c.relocate(out.Value)
	return out
}

// group converts a column group; its body holds columns only.
func (c *converter) group(g *groupDecl) *ast.Group {
	out := &ast.Group{Sp: c.span(g.Pos.Offset, c.end(g.Pos, g.EndPos)), Doc: c.docs[g.Pos.Offset]}
	out.Name, out.NameSpan = c.name(g.Name)
	c.sqlName(g.Name, "group")
	var parts []string
	for _, n := range g.Type {
		t, sp := c.name(n)
		parts = append(parts, t)
		out.TypeSpan = out.TypeSpan.Join(sp)
	}
	out.Type = strings.Join(parts, ".")
	if g.Body == nil {
		return out
	}
	for _, s := range g.Body.Stmts {
		if s == nil {
			continue
		}
		if s.Column != nil {
			out.Columns = append(out.Columns, c.column(s.Column))
			continue
		}
		_, start, end := stmtRank(c, s)
		c.report(errGroupStmt(start, end))
	}
	return out
}

// reservedAttrs are ViewDefinition properties the .fview syntax spells
// itself; as @attributes they would say the same thing twice.
var reservedAttrs = map[string]string{
	"name":        "the view name follows \"view\"",
	"resource":    "the resource type follows \"of\"",
	"description": "write the description as a /// comment above the view",
	"constant":    "declare constants with const",
	"where":       "write filters as where clauses",
	"select":      "write columns and selects in the view body",
}

func (c *converter) view(v *view) *ast.View {
	out := &ast.View{Sp: c.span(v.Pos.Offset, c.end(v.Pos, v.EndPos)), Doc: c.docs[v.Pos.Offset]}
	out.Name, out.NameSpan = c.name(v.Name)
	c.sqlName(v.Name, "view")
	out.Resource, out.ResourceSpan = c.name(v.Resource)
	seen := map[string]*attr{}
	for _, a := range v.Attrs {
		if a == nil || a.Key == nil {
			continue
		}
		key, _ := c.name(a.Key)
		start, end := a.Pos.Offset, c.end(a.Pos, a.EndPos)
		if why, ok := reservedAttrs[key]; ok {
			c.report(errReservedAttr(start, a.Key.Pos.Offset+len(a.Key.Text), key, why))
		}
		if prev, ok := seen[key]; ok {
			c.report(errDuplicateAttr(start, end, key, prev.Pos.Offset, c.end(prev.Pos, prev.EndPos)))
		}
		seen[key] = a
		js := c.json(a.Value, key)
		out.Attrs = append(out.Attrs, &ast.Attr{Sp: c.span(start, end), Key: key, JSON: js})
	}
	for _, w := range v.Where {
		if w == nil {
			continue
		}
		out.Where = append(out.Where, &ast.Where{
			Sp:   c.span(w.Pos.Offset, c.end(w.Pos, w.EndPos)),
			Doc:  c.docs[w.Pos.Offset],
			Path: c.expr(w.Path),
		})
	}
	if v.Body != nil {
		body := &ast.Select{
			Sp:          c.span(v.Body.Pos.Offset, c.end(v.Body.Pos, v.Body.EndPos)),
			KeywordSpan: c.span(v.Body.Pos.Offset, v.Body.Pos.Offset+1),
			Kind:        ast.Plain,
		}
		c.fillBlock(v.Body, body, &out.Consts, &out.Expects)
		out.Select = []*ast.Select{body}
	}
	return out
}

// json re-serialises an attribute value compactly and checks it is JSON
// (string escapes and number forms are only checked here).
func (c *converter) json(v *jsonValue, key string) string {
	if v == nil {
		return ""
	}
	var b strings.Builder
	writeJSON(&b, v)
	s := b.String()
	var x any
	if err := json.Unmarshal([]byte(s), &x); err != nil {
		c.report(errBadJSON(v.Pos.Offset, c.end(v.Pos, v.EndPos), key, err))
	}
	return s
}

func writeJSON(b *strings.Builder, v *jsonValue) {
	switch {
	case v == nil:
		b.WriteString("null")
	case v.Str != nil:
		b.WriteString(*v.Str)
	case v.Num != nil:
		if v.Neg {
			b.WriteByte('-')
		}
		b.WriteString(*v.Num)
	case v.Word != nil:
		b.WriteString(*v.Word)
	case v.Array != nil:
		b.WriteByte('[')
		for i, it := range v.Array.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, it)
		}
		b.WriteByte(']')
	case v.Object != nil:
		b.WriteByte('{')
		for i, m := range v.Object.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			if m == nil {
				continue
			}
			b.WriteString(m.Key)
			b.WriteByte(':')
			writeJSON(b, m.Value)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}

// Statement ranks: the order a block must list them in.
const (
	rankConst = iota
	rankColumn
	rankSelect
	rankUnion
	rankExpect
)

// fillBlock converts a block's statements into sel. consts receives
// constants; it is nil for nested blocks, where constants are not allowed.
func (c *converter) fillBlock(b *block, sel *ast.Select, consts *[]*ast.Const, expects *[]*ast.Expect) {
	if b == nil {
		return
	}
	maxRank, maxStart, maxEnd := -1, 0, 0
	var union *unionAll
	for _, s := range b.Stmts {
		if s == nil {
			continue
		}
		rank, start, end := stmtRank(c, s)
		if rank < 0 {
			continue
		}
		if rank < maxRank {
			c.report(errOrder(start, end, rank, maxRank, maxStart, maxEnd))
		} else if rank > maxRank {
			maxRank, maxStart, maxEnd = rank, start, end
		}
		switch {
		case s.Const != nil:
			k := c.constDecl(s.Const)
			if consts == nil {
				c.report(errMisplacedConst(start, end))
			} else {
				*consts = append(*consts, k)
			}
		case s.Column != nil:
			sel.Columns = append(sel.Columns, c.column(s.Column))
		case s.Expect != nil:
			if expects == nil {
				c.report(errMisplacedExpect(start, end))
			} else if e := c.expect(s.Expect); e != nil {
				*expects = append(*expects, e)
			}
		case s.Select != nil:
			sel.Selects = append(sel.Selects, c.selectStmt(s.Select))
		case s.UnionAll != nil:
			if union != nil {
				c.report(errDuplicateUnion(start, start+len("unionAll"), union.Pos.Offset, union.Pos.Offset+len("unionAll")))
			}
			union = s.UnionAll
			if sel.UnionAll == nil {
				sel.UnionAll = []*ast.Select{}
			}
			sel.UnionAll = append(sel.UnionAll, c.unionBranches(s.UnionAll)...)
		}
	}
}

func stmtRank(c *converter, s *stmt) (rank, start, end int) {
	switch {
	case s.Const != nil:
		return rankConst, s.Const.Pos.Offset, c.end(s.Const.Pos, s.Const.EndPos)
	case s.Column != nil:
		return rankColumn, s.Column.Pos.Offset, c.end(s.Column.Pos, s.Column.EndPos)
	case s.Select != nil:
		kw := s.Select.Kind
		if kw == "" {
			kw = "select"
		}
		return rankSelect, s.Select.Pos.Offset, s.Select.Pos.Offset + len(kw)
	case s.UnionAll != nil:
		return rankUnion, s.UnionAll.Pos.Offset, s.UnionAll.Pos.Offset + len("unionAll")
	case s.Expect != nil:
		return rankExpect, s.Expect.Pos.Offset, c.end(s.Expect.Pos, s.Expect.EndPos)
	}
	return -1, 0, 0
}

// expect converts an `expect` statement; its text is parsed by ParseExpect.
func (c *converter) expect(k *expectStmt) *ast.Expect {
	if k.Rule == nil {
		return nil
	}
	start := k.Rule.Pos.Offset
	e, err := parseExpect(k.Rule.Text, func(i int) source.Pos { return c.pos(start + i) })
	if err != nil {
		c.report(err.shift(start))
	}
	e.Sp = c.span(k.Pos.Offset, start+len(k.Rule.Text))
	e.Doc = c.docs[k.Pos.Offset]
	return e
}

func (c *converter) unionBranches(u *unionAll) []*ast.Select {
	out := []*ast.Select{}
	if u.Body == nil {
		return out
	}
	for _, s := range u.Body.Stmts {
		switch {
		case s == nil:
		case s.Select != nil:
			out = append(out, c.selectStmt(s.Select))
		case s.Column != nil:
			c.report(errUnionBranch(s.Column.Pos.Offset, c.end(s.Column.Pos, s.Column.EndPos), "column"))
		case s.Const != nil:
			c.report(errUnionBranch(s.Const.Pos.Offset, c.end(s.Const.Pos, s.Const.EndPos), "constant"))
		case s.UnionAll != nil:
			c.report(errUnionBranch(s.UnionAll.Pos.Offset, s.UnionAll.Pos.Offset+len("unionAll"), "unionAll"))
		case s.Expect != nil:
			c.report(errMisplacedExpect(s.Expect.Pos.Offset, c.end(s.Expect.Pos, s.Expect.EndPos)))
		}
	}
	return out
}

func (c *converter) selectStmt(s *selectStmt) *ast.Select {
	kw := s.Kind
	if s.Plain || kw == "" {
		kw = "select"
	}
	start := s.Pos.Offset
	out := &ast.Select{
		Sp:          c.span(start, c.end(s.Pos, s.EndPos)),
		KeywordSpan: c.span(start, start+len(kw)),
	}
	switch kw {
	case "forEach", "forEachOrNull":
		out.Kind = ast.ForEach
		if kw == "forEachOrNull" {
			out.Kind = ast.ForEachOrNull
		}
		if len(s.Paths) != 1 {
			c.report(errSelectPaths(start, start+len(kw), kw, len(s.Paths)))
		}
		if len(s.Paths) > 0 {
			out.Iter = c.expr(s.Paths[0])
		} else {
			out.Iter = &ast.Bad{Sp: out.KeywordSpan}
		}
	case "repeat":
		out.Kind = ast.Repeat
		if len(s.Paths) == 0 {
			c.report(errSelectPaths(start, start+len(kw), kw, 0))
		}
		for _, p := range s.Paths {
			out.Repeat = append(out.Repeat, c.expr(p))
		}
	}
	c.fillBlock(s.Body, out, nil, nil)
	return out
}

func (c *converter) column(k *column) *ast.Column {
	start := k.Pos.Offset
	out := &ast.Column{
		Sp:            c.span(start, c.end(k.Pos, k.EndPos)),
		Doc:           c.docs[start],
		Collection:    k.Collection,
		HasCollection: k.Collection,
		Path:          c.expr(k.Path),
	}
	out.Name, out.NameSpan = c.name(k.Name)
	c.sqlName(k.Name, "column")
	if k.Use != nil {
		out.Use, out.UseSpan = c.name(k.Use)
	}
	if k.Type != nil {
		out.Type, out.TypeSpan = c.name(k.Type)
	}
	for _, a := range k.Annotations {
		if a == nil || a.Name == nil {
			continue
		}
		c.annotation(a, out)
	}
	return out
}

// annotations are the column annotations, for "did you mean".
var annotations = []string{"tag", "collection"}

func (c *converter) annotation(a *annotation, col *ast.Column) {
	name, _ := c.name(a.Name)
	start, end := a.Pos.Offset, c.end(a.Pos, a.EndPos)
	switch name {
	case "tag":
		if len(a.Args) != 2 || a.Args[0] == nil || a.Args[1] == nil || a.Args[0].Str == nil || a.Args[1].Str == nil {
			c.report(errAnnotationArgs(start, end, name, `two strings, @tag("name", "value")`))
			return
		}
		var k, v string
		if json.Unmarshal([]byte(*a.Args[0].Str), &k) != nil || json.Unmarshal([]byte(*a.Args[1].Str), &v) != nil {
			c.report(errAnnotationArgs(start, end, name, "two valid JSON strings"))
			return
		}
		col.Tags = append(col.Tags, &ast.Tag{Sp: c.span(start, end), Name: k, Value: v})
	case "collection":
		if len(a.Args) != 1 || a.Args[0] == nil || a.Args[0].Word == nil || *a.Args[0].Word == "null" {
			c.report(errAnnotationArgs(start, end, name, "true or false, e.g. @collection(false)"))
			return
		}
		v := *a.Args[0].Word == "true"
		if !v && col.Collection {
			c.report(errCollectionConflict(start, end))
			return
		}
		col.Collection, col.HasCollection = v, true
	default:
		c.report(errUnknownAnnotation(start, a.Name.Pos.Offset+len(a.Name.Text), name, annotations))
	}
}

// expr relocates a parsed expression; a missing one becomes ast.Bad.
func (c *converter) expr(e *expr) ast.Expr {
	if e == nil || e.X == nil {
		return &ast.Bad{}
	}
	c.checkExponents(e.X)
	return c.relocate(e.X)
}

// checkExponents rejects JSON-style exponents (1e3) in FHIRPath numbers; the
// lexer accepts them because attribute values and constants use them.
func (c *converter) checkExponents(x ast.Expr) {
	ast.Inspect(x, func(n ast.Node) bool {
		if l, ok := n.(*ast.Literal); ok && (l.Kind == ast.Decimal || l.Kind == ast.Quantity) && strings.ContainsAny(l.Value, "eE") {
			c.report(errExponent(lexer.Token{Value: l.Value, Pos: lexer.Position{Offset: int(l.Sp.Start)}}))
		}
		return true
	})
}

// relocate maps every span of x through c.m (a no-op for ParseFile).
func (c *converter) relocate(x ast.Expr) ast.Expr {
	if c.m == nil || x == nil {
		return x
	}
	sp := func(s source.Span) source.Span { return source.Span{Start: c.m(int(s.Start)), End: c.m(int(s.End))} }
	ast.Inspect(x, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			n.Sp = sp(n.Sp)
		case *ast.Member:
			n.Sp, n.NameSpan = sp(n.Sp), sp(n.NameSpan)
		case *ast.Call:
			n.Sp, n.NameSpan, n.RParen = sp(n.Sp), sp(n.NameSpan), c.m(int(n.RParen))
		case *ast.Index:
			n.Sp = sp(n.Sp)
		case *ast.This:
			n.Sp = sp(n.Sp)
		case *ast.Special:
			n.Sp = sp(n.Sp)
		case *ast.Var:
			n.Sp = sp(n.Sp)
		case *ast.Literal:
			n.Sp = sp(n.Sp)
		case *ast.Unary:
			n.Sp = sp(n.Sp)
		case *ast.Binary:
			n.Sp, n.OpSpan = sp(n.Sp), sp(n.OpSpan)
		case *ast.TypeOp:
			n.Sp, n.Type.Sp = sp(n.Sp), sp(n.Type.Sp)
		case *ast.Paren:
			n.Sp = sp(n.Sp)
		case *ast.Bad:
			n.Sp = sp(n.Sp)
		}
		return true
	})
	return x
}
