package format

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/lang/ast"
)

// File returns the canonical .fview text of f:
//
//   - file constants first, then views, one blank line between views;
//   - a view header `view name of Resource`, its @attributes indented two
//     spaces, its where clauses at the margin, then the body `{ ... }`;
//   - inside a block: constants, columns (their "=" aligned), nested selects,
//     unionAll, each indented two spaces per level;
//   - a column, where clause or forEach/forEachOrNull/repeat header wider
//     than 100 columns breaks its path's top-level chain before `.` steps,
//     continuation lines aligned under the path (see wrapExpr);
//   - `///` documentation from the tree's Doc fields, directly above its node.
//
// When f came from .fview text, its `//` and `/* */` comments and its single
// blank lines are carried over from f.Source, placed by position: a comment
// on the line of some code stays there, any other comment goes on its own
// line before the next node (a comment inside a multi-line expression moves
// above that expression's statement). A tree read from ViewDefinition JSON
// has no comments and prints without blank lines inside views; if its
// View.Select is not exactly one plain select, each select prints as a nested
// block of the body.
func File(f *ast.File) []byte {
	p := &filePrinter{}
	p.init(f)
	for _, c := range f.Consts {
		p.constDecl(c, 0)
	}
	// Groups and views in the order written (comments are placed by
	// position, so a group written after a view stays after it); a tree
	// without trusted source text prints its groups first.
	gi, vi := 0, 0
	for n := 0; gi < len(f.Groups) || vi < len(f.Views); n++ {
		separate := n > 0 || len(f.Consts) > 0
		groupNext := vi >= len(f.Views) ||
			(gi < len(f.Groups) && (p.src == "" || f.Groups[gi] == nil || f.Views[vi] == nil || f.Groups[gi].Sp.Start < f.Views[vi].Sp.Start))
		if groupNext {
			p.group(f.Groups[gi], separate)
			gi++
		} else {
			p.view(f.Views[vi], separate)
			vi++
		}
	}
	p.flush(len(p.src)+1, 0)
	out := p.b.Bytes()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}

type srcComment struct {
	start, end int
	text       string
	ownLine    bool
	doc        bool
}

type filePrinter struct {
	b        bytes.Buffer
	src      string // the source text, or "" when it cannot be trusted for comments and blank lines
	comments []srcComment
	skip     map[int]bool // comments already represented by a Doc field
	plain    map[int]bool // `///` comments inside a node, which are no doc comments
	ci       int          // next comment to place
	lastEnd  int          // source offset where the last placed thing ended
	blankOK  bool         // a blank line may be written before the next item
	trailed  bool         // the last line written ends with a comment
}

// init decides whether the spans of f point into .fview text (a JSON-derived
// tree has spans into JSON, useless for comments) and collects comments.
func (p *filePrinter) init(f *ast.File) {
	if f.Source == nil {
		return
	}
	src := f.Source.Text
	at := func(pos int, kw string) bool {
		return pos >= 0 && pos <= len(src) && strings.HasPrefix(src[pos:], kw)
	}
	for _, c := range f.Consts {
		if c == nil || !at(int(c.Sp.Start), "const") {
			return
		}
	}
	for _, g := range f.Groups {
		if g == nil || !at(int(g.Sp.Start), "group") {
			return
		}
	}
	for _, v := range f.Views {
		if v == nil || !at(int(v.Sp.Start), "view") {
			return
		}
		for _, w := range v.Where {
			if w == nil || !at(int(w.Sp.Start), "where") {
				return
			}
		}
	}
	p.src = src
	p.comments = scanComments(src)
	p.skip = map[int]bool{}
	mark := func(doc string, start int) {
		if doc == "" {
			return
		}
		j := sort.Search(len(p.comments), func(i int) bool { return p.comments[i].end > start }) - 1
		next := start
		for ; j >= 0; j-- {
			c := p.comments[j]
			if !c.doc || !c.ownLine || !onlySpace(src[c.end:next], 1) {
				break
			}
			p.skip[j] = true
			next = c.start
		}
	}
	// A `///` inside a statement is no doc comment, but printed on its own
	// line above the statement (or the next one) it would become one.
	p.plain = map[int]bool{}
	inside := func(start, end int) {
		i := sort.Search(len(p.comments), func(i int) bool { return p.comments[i].start > start })
		for ; i < len(p.comments) && p.comments[i].start < end; i++ {
			if p.comments[i].doc {
				p.plain[i] = true
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Const:
			mark(n.Doc, int(n.Sp.Start))
			inside(int(n.Sp.Start), int(n.Sp.End))
		case *ast.View:
			mark(n.Doc, int(n.Sp.Start))
			inside(int(n.Sp.Start), int(n.ResourceSpan.End))
		case *ast.Group:
			mark(n.Doc, int(n.Sp.Start))
			inside(int(n.Sp.Start), int(n.TypeSpan.End))
		case *ast.Where:
			mark(n.Doc, int(n.Sp.Start))
			inside(int(n.Sp.Start), int(n.Sp.End))
		case *ast.Column:
			mark(n.Doc, int(n.Sp.Start))
			inside(int(n.Sp.Start), int(n.Sp.End))
		case *ast.Expect:
			mark(n.Doc, int(n.Sp.Start))
		case ast.Expr:
			return false
		}
		return true
	})
}

// scanComments finds comments outside strings and quoted names.
func scanComments(src string) []srcComment {
	var out []srcComment
	lineHasCode := false
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			lineHasCode = false
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			text := strings.TrimRight(src[i:i+end], "\r")
			doc := strings.HasPrefix(text, "///") && !strings.HasPrefix(text, "////")
			out = append(out, srcComment{start: i, end: i + len(text), text: text, ownLine: !lineHasCode, doc: doc})
			i += len(text)
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return out
			}
			n := end + 4
			out = append(out, srcComment{start: i, end: i + n, text: src[i : i+n], ownLine: !lineHasCode})
			i += n
			lineHasCode = true // what follows on this line is not on a line of its own
		case c == '\'' || c == '`' || c == '"':
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' {
					i++
				}
				if c == '"' && i < len(src) && src[i] == '\n' {
					break
				}
				i++
			}
			i++
			lineHasCode = true
		default:
			i++
			lineHasCode = true
		}
	}
	return out
}

// onlySpace reports whether s is whitespace holding at most maxNL newlines.
func onlySpace(s string, maxNL int) bool {
	nl := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			if nl++; nl > maxNL {
				return false
			}
		case ' ', '\t', '\r', '\f':
		default:
			return false
		}
	}
	return true
}

// hasBlankLine reports whether the source between two offsets holds an
// empty line.
func (p *filePrinter) hasBlankLine(from, to int) bool {
	if p.src == "" || from >= to || to > len(p.src) || from < 0 {
		return false
	}
	s := p.src[from:to]
	nl := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			if nl++; nl >= 2 {
				return true
			}
		case ' ', '\t', '\r', '\f':
		default:
			nl = 0
		}
	}
	return false
}

func (p *filePrinter) indent(depth int) {
	for i := 0; i < depth; i++ {
		p.b.WriteString("  ")
	}
}

// blankBefore writes a blank line when the source had one before offset at.
func (p *filePrinter) blankBefore(at int) {
	if p.blankOK && p.hasBlankLine(p.lastEnd, at) {
		p.b.WriteByte('\n')
	}
	p.blankOK = true
}

// flush places every comment that starts before offset upto on its own line
// at the given depth.
func (p *filePrinter) flush(upto, depth int) {
	for p.ci < len(p.comments) && p.comments[p.ci].start < upto {
		c := p.comments[p.ci]
		p.ci++
		if p.skip[p.ci-1] {
			continue
		}
		p.blankBefore(c.start)
		p.indent(depth)
		text := c.text
		p.trailed = false
		if c.doc && (!c.ownLine || p.plain[p.ci-1]) {
			// A `///` after code or inside a statement is no doc comment;
			// on a line of its own it would become one, so it moves as a
			// plain comment.
			text = "//" + text[3:]
		}
		p.b.WriteString(text)
		p.lastEnd = c.end
		p.endLine(c.end) // comments that shared its line stay on it
	}
}

// endLine ends a line of code that ended at source offset end, first
// appending the comments that followed it on the same source line.
func (p *filePrinter) endLine(end int) {
	if end > p.lastEnd {
		p.lastEnd = end
	}
	p.trailed = false
	// Only comments before the next code belong to this line: in
	// "view v of P { // x", the comment trails the brace, not the header.
	limit := p.nextCode(p.lastEnd)
	for p.ci < len(p.comments) {
		c := p.comments[p.ci]
		if c.ownLine || c.start < p.lastEnd || c.start >= limit || strings.IndexByte(p.src[p.lastEnd:c.start], '\n') >= 0 {
			break
		}
		p.ci++
		p.b.WriteByte(' ')
		p.b.WriteString(c.text)
		p.lastEnd = c.end
		p.trailed = true
	}
	p.b.WriteByte('\n')
}

func (p *filePrinter) doc(doc string, depth int) {
	if doc == "" {
		return
	}
	for _, line := range strings.Split(doc, "\n") {
		p.indent(depth)
		if line == "" {
			p.b.WriteString("///\n")
			continue
		}
		p.b.WriteString("/// ")
		p.b.WriteString(line)
		p.b.WriteByte('\n')
	}
}

// leading places what comes before a node: comments before it and inside
// it (up to end), a blank line if the source had one, and its doc.
func (p *filePrinter) leading(start, end, depth int, doc string) {
	p.flush(start, depth)
	p.blankBefore(start)
	p.flushInside(start, end, depth)
	p.doc(doc, depth)
}

// flushInside places, above a node starting at start, the comments inside
// it up to offset upto. They get no blank lines from the node's own text: a
// blank line inside a path is no blank line between statements (and one
// after `{` would not survive formatting again).
func (p *filePrinter) flushInside(start, upto, depth int) {
	if start > p.lastEnd {
		p.lastEnd = start
	}
	ok := p.blankOK
	p.blankOK = false
	p.flush(upto, depth)
	p.blankOK = ok
}

func (p *filePrinter) constDecl(c *ast.Const, depth int) {
	if c == nil {
		return
	}
	p.leading(int(c.Sp.Start), int(c.Sp.End), depth, c.Doc)
	p.indent(depth)
	p.b.WriteString("const ")
	p.b.WriteString(stmtName(c.Name))
	if c.Type != "" {
		p.b.WriteString(" : ")
		p.b.WriteString(stmtName(c.Type))
	}
	p.b.WriteString(" = ")
	if c.Value == nil {
		p.b.WriteString("{}")
	} else {
		p.b.WriteString(Expr(c.Value))
	}
	p.endLine(int(c.Sp.End))
}

// group prints a column group: its header and its columns, aligned as in a
// view body. Groups print after the file's constants and before its views.
func (p *filePrinter) group(g *ast.Group, separate bool) {
	if g == nil {
		return
	}
	start, end := int(g.Sp.Start), int(g.Sp.End)
	if separate {
		if b := p.b.Bytes(); len(b) > 0 && !bytes.HasSuffix(b, []byte("\n\n")) {
			p.b.WriteByte('\n')
		}
		p.blankOK = false
	}
	p.flush(start, 0)
	p.blankBefore(start)
	p.doc(g.Doc, 0)
	p.b.WriteString("group ")
	p.b.WriteString(stmtName(g.Name))
	p.b.WriteString(" of ")
	for i, part := range strings.Split(g.Type, ".") {
		if i > 0 {
			p.b.WriteByte('.')
		}
		p.b.WriteString(stmtName(part))
	}
	if len(g.Columns) == 0 && !p.commentBefore(end) {
		p.b.WriteString(" {}")
		p.endLine(end)
		return
	}
	p.b.WriteString(" {")
	p.endLine(int(g.TypeSpan.End))
	p.blankOK = false
	p.selectContents(&ast.Select{Columns: g.Columns}, 1)
	if end > 0 {
		p.flush(end-1, 1)
	}
	p.b.WriteString("}")
	p.endLine(end)
}

func (p *filePrinter) view(v *ast.View, separate bool) {
	if v == nil {
		return
	}
	start := int(v.Sp.Start)
	if separate {
		// Exactly one blank line between views, and after file constants,
		// before any comments that lead the view.
		if b := p.b.Bytes(); len(b) > 0 && !bytes.HasSuffix(b, []byte("\n\n")) {
			p.b.WriteByte('\n')
		}
		p.blankOK = false
	}
	p.flush(start, 0)
	p.blankBefore(start)
	p.doc(v.Doc, 0)
	p.b.WriteString("view ")
	p.b.WriteString(stmtName(v.Name))
	p.b.WriteString(" of ")
	p.b.WriteString(stmtName(v.Resource))
	p.endLine(int(v.ResourceSpan.End))
	headerLen, headerTrailed := p.b.Len(), p.trailed
	p.blankOK = false
	for _, a := range v.Attrs {
		if a == nil {
			continue
		}
		p.flush(int(a.Sp.End), 1)
		p.indent(1)
		p.b.WriteString("@")
		p.b.WriteString(stmtName(a.Key))
		p.b.WriteByte(' ')
		if a.JSON == "" {
			p.b.WriteString("null")
		} else {
			p.b.WriteString(a.JSON)
		}
		p.endLine(int(a.Sp.End))
	}
	for _, w := range v.Where {
		if w == nil {
			continue
		}
		p.flush(int(w.Sp.End), 0)
		p.doc(w.Doc, 0)
		p.b.WriteString("where ")
		p.b.WriteString(wrapExpr(w.Path, p.col(), ""))
		p.endLine(int(w.Sp.End))
	}
	// The body: one plain select is the body itself; anything else (from
	// JSON) becomes nested blocks of an otherwise empty body.
	var body *ast.Select
	nested := v.Select
	if len(v.Select) == 1 && v.Select[0] != nil && v.Select[0].Kind == ast.Plain {
		body, nested = v.Select[0], nil
	}
	bodyStart, bodyEnd := int(v.Sp.End), int(v.Sp.End)
	if body != nil && p.src != "" {
		bodyStart, bodyEnd = int(body.Sp.Start), int(body.Sp.End)
	}
	p.flush(bodyStart, 0)
	// The brace goes on the header line unless @attributes or where
	// clauses stand between them.
	if p.b.Len() == headerLen && !headerTrailed {
		p.b.Truncate(p.b.Len() - 1) // the header's newline
		p.b.WriteByte(' ')
	}
	empty := len(v.Consts) == 0 && len(nested) == 0 && len(v.Expects) == 0 && (body == nil || isEmptySelect(body)) && !p.commentBefore(bodyEnd)
	if empty {
		p.b.WriteString("{}")
		p.endLine(bodyEnd)
		return
	}
	p.b.WriteString("{")
	p.endLine(bodyStart + 1)
	p.blankOK = false
	for _, c := range v.Consts {
		p.constDecl(c, 1)
	}
	if body != nil {
		p.selectContents(body, 1)
	}
	for _, s := range nested {
		p.selectStmt(s, 1)
	}
	for _, e := range v.Expects {
		p.expect(e)
	}
	p.flush(bodyEnd-1, 1)
	p.b.WriteString("}")
	p.endLine(bodyEnd)
}

// expect prints an expectation: its text as written, which ParseExpect
// reads back (the rule's syntax is not reflowed).
func (p *filePrinter) expect(e *ast.Expect) {
	if e == nil {
		return
	}
	p.leading(int(e.Sp.Start), int(e.Sp.End), 1, e.Doc)
	p.indent(1)
	p.b.WriteString("expect ")
	p.b.WriteString(strings.TrimSpace(e.Text))
	p.endLine(int(e.Sp.End))
}

func isEmptySelect(s *ast.Select) bool {
	return len(s.Columns) == 0 && len(s.Selects) == 0 && s.UnionAll == nil
}

// commentBefore reports whether a comment remains to be placed before end.
func (p *filePrinter) commentBefore(end int) bool {
	for i := p.ci; i < len(p.comments) && p.comments[i].start < end; i++ {
		if !p.skip[i] {
			return true
		}
	}
	return false
}

// selectContents prints the statements of a block: columns aligned on "=",
// then nested selects, then unionAll.
func (p *filePrinter) selectContents(s *ast.Select, depth int) {
	width := 0
	for _, c := range s.Columns {
		if c != nil {
			if n := utf8.RuneCountInString(columnName(c)); n > width {
				width = n
			}
		}
	}
	for _, c := range s.Columns {
		if c != nil {
			p.column(c, depth, width)
		}
	}
	for _, sub := range s.Selects {
		p.selectStmt(sub, depth)
	}
	if s.UnionAll != nil {
		start, end := p.unionSpan(s)
		brace := start + len("unionAll")
		if b := p.nextCode(brace); p.src != "" && b < len(p.src) && p.src[b] == '{' {
			brace = b
		}
		p.flush(start, depth)
		p.blankBefore(start)
		p.flushInside(start, brace, depth)
		p.indent(depth)
		if len(s.UnionAll) == 0 && !p.commentBefore(end) {
			p.b.WriteString("unionAll {}")
			p.endLine(end)
			return
		}
		p.b.WriteString("unionAll {")
		p.endLine(brace + 1)
		p.blankOK = false
		for _, b := range s.UnionAll {
			p.selectStmt(b, depth+1)
		}
		if end > 0 {
			p.flush(end-1, depth+1)
		}
		p.indent(depth)
		p.b.WriteString("}")
		p.endLine(end)
	}
}

// unionSpan finds the source span of a select's unionAll statement, which
// the tree does not record: the keyword after the select's last column or
// nested select, and the brace closing its branches.
func (p *filePrinter) unionSpan(s *ast.Select) (start, end int) {
	if p.src == "" {
		return 0, 0
	}
	lo := int(s.KeywordSpan.End)
	if n := len(s.Columns); n > 0 && s.Columns[n-1] != nil {
		lo = int(s.Columns[n-1].Sp.End)
	}
	if n := len(s.Selects); n > 0 && s.Selects[n-1] != nil {
		lo = int(s.Selects[n-1].Sp.End)
	}
	hi := int(s.Sp.End)
	if len(s.UnionAll) > 0 && s.UnionAll[0] != nil {
		hi = int(s.UnionAll[0].Sp.Start)
	}
	if lo < 0 || hi > len(p.src) || lo > hi {
		return 0, 0
	}
	i := strings.LastIndex(p.src[lo:hi], "unionAll")
	if i < 0 {
		return 0, 0
	}
	start = lo + i
	from := start + len("unionAll")
	if n := len(s.UnionAll); n > 0 && s.UnionAll[n-1] != nil {
		from = int(s.UnionAll[n-1].Sp.End)
	} else if b := p.nextCode(from); b < len(p.src) && p.src[b] == '{' {
		from = b + 1
	}
	if b := p.nextCode(from); b < len(p.src) && p.src[b] == '}' {
		return start, b + 1
	}
	return start, from
}

// nextCode returns the offset of the first byte at or after i that is not
// whitespace or comment.
func (p *filePrinter) nextCode(i int) int {
	for i < len(p.src) {
		switch {
		case p.src[i] == ' ' || p.src[i] == '\t' || p.src[i] == '\r' || p.src[i] == '\n' || p.src[i] == '\f':
			i++
		case strings.HasPrefix(p.src[i:], "//"):
			j := strings.IndexByte(p.src[i:], '\n')
			if j < 0 {
				return len(p.src)
			}
			i += j
		case strings.HasPrefix(p.src[i:], "/*"):
			j := strings.Index(p.src[i+2:], "*/")
			if j < 0 {
				return len(p.src)
			}
			i += j + 4
		default:
			return i
		}
	}
	return i
}

func columnName(c *ast.Column) string {
	n := stmtName(c.Name)
	if c.Collection {
		n += "[]"
	}
	return n
}

func (p *filePrinter) column(c *ast.Column, depth, width int) {
	p.leading(int(c.Sp.Start), int(c.Sp.End), depth, c.Doc)
	p.indent(depth)
	name := columnName(c)
	p.b.WriteString(name)
	p.b.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(name)))
	p.b.WriteString(" = ")
	var tail strings.Builder
	if c.Use != "" {
		tail.WriteString(" use ")
		tail.WriteString(stmtName(c.Use))
	}
	if c.Type != "" {
		tail.WriteString(" : ")
		tail.WriteString(stmtName(c.Type))
	}
	for _, t := range c.Tags {
		if t == nil {
			continue
		}
		tail.WriteString(" @tag(")
		tail.WriteString(jsonString(t.Name))
		tail.WriteString(", ")
		tail.WriteString(jsonString(t.Value))
		tail.WriteString(")")
	}
	if c.HasCollection && !c.Collection {
		tail.WriteString(" @collection(false)")
	}
	p.b.WriteString(wrapExpr(c.Path, p.col(), tail.String()))
	p.b.WriteString(tail.String())
	p.endLine(int(c.Sp.End))
}

func (p *filePrinter) selectStmt(s *ast.Select, depth int) {
	if s == nil {
		return
	}
	start, end := int(s.Sp.Start), int(s.Sp.End)
	if p.src == "" {
		start, end = 0, 0
	}
	headerEnd := int(s.KeywordSpan.End)
	if s.Iter != nil {
		headerEnd = int(s.Iter.Span().End)
	}
	if n := len(s.Repeat); n > 0 && s.Repeat[n-1] != nil {
		headerEnd = int(s.Repeat[n-1].Span().End)
	}
	if p.src == "" {
		headerEnd = 0
	}
	brace := headerEnd
	if b := p.nextCode(headerEnd); p.src != "" && b < len(p.src) && p.src[b] == '{' {
		brace = b
	}
	p.flush(start, depth)
	p.blankBefore(start)
	p.flushInside(start, brace, depth) // comments inside the header go above it
	p.indent(depth)
	empty := isEmptySelect(s) && !p.commentBefore(end)
	openTail := " {"
	if empty {
		openTail = " {}"
	}
	switch s.Kind {
	case ast.ForEach, ast.ForEachOrNull:
		p.b.WriteString(s.Kind.String())
		p.b.WriteByte(' ')
		p.b.WriteString(wrapExpr(s.Iter, p.col(), openTail))
	case ast.Repeat:
		p.b.WriteString("repeat ")
		var one strings.Builder
		for i, r := range s.Repeat {
			if i > 0 {
				one.WriteString(", ")
			}
			one.WriteString(Expr(r))
		}
		if p.col()+utf8.RuneCountInString(one.String()+openTail) <= maxWidth {
			p.b.WriteString(one.String())
			break
		}
		// Too wide: break each path's chain, the paths still following
		// one another after ", ".
		for i, r := range s.Repeat {
			tail := ","
			if i > 0 {
				p.b.WriteString(", ")
			}
			if i == len(s.Repeat)-1 {
				tail = openTail
			}
			p.b.WriteString(wrapExpr(r, p.col(), tail))
		}
	default:
		p.b.WriteString("select")
	}
	if empty {
		p.b.WriteString(" {}")
		p.endLine(end)
		return
	}
	p.b.WriteString(" {")
	p.endLine(brace + 1)
	p.blankOK = false
	p.selectContents(s, depth+1)
	if end > 0 {
		p.flush(end-1, depth+1)
	}
	p.indent(depth)
	p.b.WriteString("}")
	p.endLine(end)
}

// stmtName writes a view, column, constant, type or attribute name: bare
// when it is an identifier, `quoted` otherwise.
func stmtName(s string) string {
	if isIdent(s) {
		return s
	}
	return quote(s, '`')
}

// jsonString quotes s as a JSON string without HTML escaping.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
