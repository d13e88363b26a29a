package lsp

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	req("textDocument/completion", func(s *Server, p *CompletionParams) (any, error) {
		d, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		src := source.NewFileString(d.name, d.text)
		pos := int(offset(src, p.Position))
		if p.Context != nil && p.Context.TriggerCharacter == " " && !afterTypeKeyword(src.Text, pos) {
			// A space triggers completion only where a name is all that can
			// follow; elsewhere a popup at every space would get in the way.
			return &CompletionList{Items: []CompletionItem{}}, nil
		}
		return s.complete(a, pf, src, pos), nil
	})
}

// afterTypeKeyword reports whether the word before pos is `of`, `is` or
// `as`, after which only a type name can come, or `use`, after which only
// a group name can.
func afterTypeKeyword(text string, pos int) bool {
	i := pos
	for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
		i--
	}
	j := i
	for j > 0 && isIdentByte(text[j-1]) {
		j--
	}
	switch text[j:i] {
	case "of", "is", "as", "use":
		return j == 0 || !isIdentByte(text[j-1])
	}
	return false
}

// placeholder stands in for the word being typed, so that the text around
// the cursor parses: `name.` becomes `name.zzFhirqlCompletionZz`, whose
// receiver the checker then types like any other.
const placeholder = "zzFhirqlCompletionZz"

// completion is what the cursor position asks for.
type completion struct {
	s         *Server
	a         *analysis
	pf        *parsedFile
	src       *source.File
	pos       int
	wordStart int // start of the identifier being typed (== pos when none)
	json      bool
	items     []CompletionItem
	seen      map[string]bool
}

func (s *Server) complete(a *analysis, pf *parsedFile, src *source.File, pos int) *CompletionList {
	if isSQLName(src.Name) {
		return s.completeSQL(a, src, pos)
	}
	text := src.Text
	if pos > len(text) {
		pos = len(text)
	}
	ws := pos
	for ws > 0 && isIdentByte(text[ws-1]) {
		ws--
	}
	c := &completion{s: s, a: a, pf: pf, src: src, pos: pos, wordStart: ws, json: isJSONName(src.Name), seen: map[string]bool{}}
	c.run()
	return &CompletionList{IsIncomplete: false, Items: c.items}
}

func (c *completion) run() {
	text := c.src.Text
	ws := c.wordStart
	if c.json {
		switch jsonKeyAt(text, c.wordStart) {
		case "path", "forEach", "forEachOrNull", "repeat":
		case "resource":
			c.resourceTypes("")
			return
		default:
			return // not FHIRPath
		}
	} else {
		cc := contextAt(text, c.pos, ws)
		if cc.inComment || cc.inString {
			return
		}
		if c.declarationPosition(cc) {
			return
		}
	}
	before := byte(0)
	if ws > 0 {
		before = text[ws-1]
	}
	switch before {
	case '%':
		c.constants(ws - 1)
		return
	case '.':
		j := ws - 1
		for j > 0 && isIdentByte(text[j-1]) {
			j--
		}
		if j < ws-1 && text[j] >= '0' && text[j] <= '9' {
			return // a decimal number being typed
		}
		c.afterDot()
		return
	}
	c.expressionStart()
}

// declarationPosition handles the places of a .fview file where a keyword,
// a resource type or a new name goes, and reports whether it did.
func (c *completion) declarationPosition(cc cursorContext) bool {
	text := c.src.Text
	prevWord := func(i int) string {
		if i < len(cc.prev) && cc.prev[i].kind == tokIdent {
			return text[cc.prev[i].start:cc.prev[i].end]
		}
		return ""
	}
	prevPunct := func(i int) byte {
		if i < len(cc.prev) && cc.prev[i].kind == tokPunct {
			return text[cc.prev[i].start]
		}
		return 0
	}
	if prevWord(0) == "of" && cc.braces == 0 && len(cc.parens) == 0 {
		if prevWord(2) == "group" {
			c.groupTypeNames()
			return true
		}
		c.resourceTypes("")
		return true
	}
	if prevWord(0) == "use" && cc.braces > 0 && len(cc.parens) == 0 && len(cc.prev) > 1 && !atLineStart(text, cc.prev[0].start) {
		return c.groupNames()
	}
	if prevWord(0) == "view" || prevWord(0) == "const" || prevWord(0) == "group" {
		return true // a new name: nothing to suggest
	}
	if len(cc.parens) > 0 || !atLineStart(text, c.wordStart) {
		return false
	}
	// The first word on a line, outside parentheses: a statement starts here,
	// unless the previous line left an expression open (`a and` / `x =`).
	switch prevPunct(0) {
	case '=', '+', '-', '*', '/', '&', '|', '<', '>', ',', '(', '~':
		return false
	}
	switch prevWord(0) {
	case "and", "or", "xor", "implies", "in", "contains", "div", "mod", "is", "as":
		return false
	case "where":
		if cc.braces == 0 {
			return false // `where` then a line break: the filter follows
		}
	}
	if cc.braces == 0 {
		c.keyword("view", "view ${1:name} of ${2:Patient}\n{\n\t$0\n}", "a view: one output table", 0)
		c.keyword("const", "const ${1:name} = $0", "a constant shared by every view of the directory", 1)
		c.keyword("where", "where $0", "a filter on the view's resources", 2)
		c.keyword("group", "group ${1:name} of ${2:HumanName} {\n\t$0\n}", "a column group: columns written once for a FHIR type, used as `name = path use group`", 3)
		return true
	}
	c.keyword("forEach", "forEach $1 {\n\t$0\n}", "one row per item of a collection", 0)
	c.keyword("forEachOrNull", "forEachOrNull $1 {\n\t$0\n}", "one row per item, or one row of nulls when there is none", 1)
	c.keyword("select", "select {\n\t$0\n}", "a nested group of columns", 2)
	c.keyword("unionAll", "unionAll {\n\tselect {\n\t\t$0\n\t}\n}", "rows of several selects, one after another", 3)
	c.keyword("repeat", "repeat $1 {\n\t$0\n}", "one row per node reached by following paths recursively", 4)
	return true
}

func atLineStart(text string, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch text[j] {
		case ' ', '\t':
			continue
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

// jsonKeyAt returns the key of the JSON property whose string value (or
// array of strings) holds pos, or "" when pos is not inside a string value.
func jsonKeyAt(text string, pos int) string {
	// Find the string around pos: the quotes before pos must be odd.
	in, open := false, -1
	for i := 0; i < pos && i < len(text); i++ {
		switch text[i] {
		case '\\':
			if in {
				i++
			}
		case '"':
			in = !in
			if in {
				open = i
			}
		}
	}
	if !in {
		return ""
	}
	i := skipSpaceBack(text, open)
	if i > 0 && (text[i-1] == ',' || text[i-1] == '[') {
		// An element of an array of strings ("repeat": ["a", "b"]): find its '['.
		for i > 0 && text[i-1] != '[' {
			if text[i-1] == ':' || text[i-1] == '{' || text[i-1] == ']' {
				return ""
			}
			i--
		}
		i = skipSpaceBack(text, i-1)
	}
	if i == 0 || text[i-1] != ':' {
		return ""
	}
	end := skipSpaceBack(text, i-1)
	if end == 0 || text[end-1] != '"' {
		return ""
	}
	start := strings.LastIndexByte(text[:end-1], '"')
	if start < 0 {
		return ""
	}
	return text[start+1 : end-1]
}

// skipSpaceBack returns the offset after the last non-space byte before i.
func skipSpaceBack(text string, i int) int {
	for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n' || text[i-1] == '\r') {
		i--
	}
	return i
}

// add appends an item once per label.
func (c *completion) add(it CompletionItem, replaceFrom int) {
	if c.seen[it.Label] {
		return
	}
	c.seen[it.Label] = true
	if it.TextEdit == nil {
		text := it.InsertText
		if text == "" {
			text = it.Label
		}
		it.TextEdit = &TextEdit{Range: spanRange(c.src, source.Span{Start: source.Pos(replaceFrom), End: source.Pos(c.pos)}), NewText: text}
		it.InsertText = ""
	}
	c.items = append(c.items, it)
}

func sortKey(tier, rank int, label string) string {
	return fmt.Sprintf("%d%04d%s", tier, rank, label)
}

func (c *completion) keyword(name, snippet, doc string, rank int) {
	c.add(CompletionItem{
		Label: name, Kind: kindKeyword, Detail: doc,
		InsertText: snippet, InsertTextFormat: formatSnippet,
		SortText: sortKey(0, rank, name),
	}, c.wordStart)
}

// commonResources are ranked first after `of`: the resources analytics views
// are mostly written over.
var commonResources = []string{"Patient", "Observation", "Condition", "Encounter", "MedicationRequest", "Procedure", "DiagnosticReport", "Immunization", "AllergyIntolerance", "Practitioner", "Organization", "Claim", "ExplanationOfBenefit", "Coverage", "QuestionnaireResponse", "CarePlan", "Location", "Medication", "MedicationAdministration", "ServiceRequest"}

func (c *completion) resourceTypes(first string) {
	rank := map[string]int{}
	for i, r := range commonResources {
		rank[r] = i + 1
	}
	if first != "" {
		rank[first] = 0
	}
	for _, r := range c.s.cat.ResourceNames() {
		it := CompletionItem{Label: r, Kind: kindClass, Detail: "resource"}
		if t := c.s.cat.Type(r); t != nil && t.Short != "" {
			it.Documentation = &MarkupContent{Kind: "markdown", Value: t.Short}
		}
		if n, ok := rank[r]; ok {
			it.SortText = sortKey(0, n, r)
		} else {
			it.SortText = sortKey(1, 0, r)
		}
		c.add(it, c.wordStart)
	}
}

// constants offers %names: the namespace's constants and the built-in
// variables, %rowIndex first inside a forEach.
func (c *completion) constants(from int) {
	for i, k := range c.constsInScope() {
		it := CompletionItem{Label: "%" + k.Name, Kind: kindConstant, SortText: sortKey(0, i, k.Name), FilterText: "%" + k.Name}
		if k.Value != nil {
			if pf := c.a.fileOfConst(k); pf != nil {
				it.Detail = "= " + snippet(pf.src, k.Value.Sp)
			} else if k.Value != nil {
				it.Detail = "= " + k.Value.Value
			}
		}
		if k.Doc != "" {
			it.Documentation = &MarkupContent{Kind: "markdown", Value: k.Doc}
		}
		c.add(it, from)
	}
	inIter := c.inIteration()
	for i, b := range builtinVars {
		tier, rank := 2, i
		if b.name == "rowIndex" && inIter {
			tier, rank = 0, 9999 // right after the user's constants
		}
		c.add(CompletionItem{
			Label: "%" + b.name, Kind: kindVariable, Detail: b.typ, FilterText: "%" + b.name,
			Documentation: &MarkupContent{Kind: "markdown", Value: b.doc},
			SortText:      sortKey(tier, rank, b.name),
		}, from)
	}
}

// constsInScope lists the directory's constants and those of the view at
// the cursor, from the last analysis.
func (c *completion) constsInScope() []*ast.Const {
	var out []*ast.Const
	seen := map[string]bool{}
	if v := enclosingView(c.pf.ast, source.Pos(c.pos)); v != nil {
		for _, k := range v.Consts {
			if k != nil && !seen[k.Name] {
				seen[k.Name] = true
				out = append(out, k)
			}
		}
	}
	c.a.allFiles(func(pf *parsedFile) {
		for _, k := range pf.ast.Consts {
			if k != nil && !seen[k.Name] {
				seen[k.Name] = true
				out = append(out, k)
			}
		}
	})
	return out
}

// inIteration reports whether the cursor is inside a forEach, forEachOrNull
// or repeat, where %rowIndex counts something.
func (c *completion) inIteration() bool {
	for _, n := range pathAt(c.pf.ast, source.Pos(c.pos)) {
		if s, ok := n.(*ast.Select); ok && s.Kind != ast.Plain {
			return true
		}
	}
	toks := lexText(c.src.Text[:c.wordStart])
	depth := 0
	for i := len(toks) - 1; i >= 0; i-- {
		t := toks[i]
		if t.kind == tokPunct {
			switch c.src.Text[t.start] {
			case '}':
				depth++
			case '{':
				if depth > 0 {
					depth--
					continue
				}
				// The block opened here: is it an iteration?
				for j := i - 1; j >= 0 && j >= i-40; j-- {
					tj := toks[j]
					if tj.kind == tokPunct && (c.src.Text[tj.start] == '{' || c.src.Text[tj.start] == '}') {
						break
					}
					if tj.kind == tokIdent {
						switch c.src.Text[tj.start:tj.end] {
						case "forEach", "forEachOrNull", "repeat":
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// probe is what the checker says about the placeholder put at the cursor.
type probe struct {
	checked *check.Checked
	path    []ast.Node // from the file down to the placeholder node
	node    ast.Expr   // the Ident, Member or Call named by the placeholder
}

// receiver is the expression before the dot, for a Member or Call placeholder.
func (p *probe) receiver() ast.Expr {
	switch n := p.node.(type) {
	case *ast.Member:
		return n.X
	case *ast.Call:
		return n.X
	}
	return nil
}

// parent returns the node right above the placeholder.
func (p *probe) parent() ast.Node {
	for i := len(p.path) - 1; i >= 0; i-- {
		if p.path[i] == p.node && i > 0 {
			return p.path[i-1]
		}
	}
	return nil
}

// runProbe re-parses the file with the placeholder in place of the word at
// the cursor and checks it with the rest of its namespace. When the text
// around the cursor is too broken for that, it tries again with the rest of
// the line dropped and open brackets closed.
func (c *completion) runProbe(accept func(*probe) bool) *probe {
	text := c.src.Text
	// The placeholder replaces the whole word around the cursor.
	we := c.pos
	for we < len(text) && isIdentByte(text[we]) {
		we++
	}
	if !c.json {
		text = otherViewsBlanked(text, c.pos)
	}
	head := text[:c.wordStart] + placeholder
	target := c.wordStart
	try := func(text string, at int) *probe {
		if p := c.probeText(text, at); p != nil && accept(p) {
			return p
		}
		return nil
	}
	if p := try(head+text[we:], target); p != nil {
		return p
	}
	if c.json {
		return nil
	}
	afterLine := ""
	if eol := strings.IndexByte(text[we:], '\n'); eol >= 0 {
		afterLine = text[we+eol:]
	}
	cc := contextAt(text, c.pos, c.wordStart)
	closers := closersFor(text, cc.parens)
	if p := try(head+closers+afterLine, target); p != nil {
		return p
	}
	if p := try(head+closers+"\n"+strings.Repeat("}\n", cc.braces), target); p != nil {
		return p
	}
	// The text before the cursor is broken too: keep only the headers of the
	// blocks around the cursor and the statement being typed.
	if synth, at, ok := skeleton(text, c.wordStart, cc); ok {
		return try(synth, at)
	}
	return nil
}

// skeleton rebuilds a minimal file around the cursor: the header of each
// enclosing block (`view v of R {`, `forEach x {`), the statement being typed
// with the placeholder and its brackets closed, and the closing braces. It
// returns the text and the placeholder's offset in it.
func skeleton(text string, wordStart int, cc cursorContext) (string, int, bool) {
	if len(cc.braceAt) == 0 {
		return "", 0, false
	}
	var b strings.Builder
	for i, br := range cc.braceAt {
		start := lineStart(text, br)
		if i == 0 {
			// A view's header may span lines (where clauses, annotations):
			// start at its `view` keyword.
			toks := lexText(text[:br])
			for j := len(toks) - 1; j >= 0; j-- {
				if toks[j].kind == tokIdent && text[toks[j].start:toks[j].end] == "view" {
					start = toks[j].start
					break
				}
			}
		}
		b.WriteString(text[start : br+1])
		b.WriteByte('\n')
	}
	// The statement: the cursor's line, and the lines it continues.
	st := lineStart(text, wordStart)
	for st > 0 {
		line := strings.TrimSpace(text[st:wordStart])
		if !strings.HasPrefix(line, ".") {
			break
		}
		st = lineStart(text, st-1)
	}
	if st < cc.braceAt[len(cc.braceAt)-1] {
		st = cc.braceAt[len(cc.braceAt)-1] + 1
	}
	at := b.Len() + (wordStart - st)
	b.WriteString(text[st:wordStart])
	b.WriteString(placeholder)
	var inStmt []int
	for _, p := range cc.parens {
		if p >= st {
			inStmt = append(inStmt, p)
		}
	}
	b.WriteString(closersFor(text, inStmt))
	b.WriteString("\n" + strings.Repeat("}\n", len(cc.braceAt)))
	return b.String(), at, true
}

func lineStart(text string, i int) int {
	for i > 0 && text[i-1] != '\n' {
		i--
	}
	return i
}

// otherViewsBlanked replaces the views that do not hold pos with spaces
// (keeping line breaks, so every offset stays put): the probe then parses one
// view instead of the whole file, which is most of completion's cost.
func otherViewsBlanked(text string, pos int) string {
	toks := lexText(text)
	var b []byte
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tokPunct {
			switch text[t.start] {
			case '{':
				depth++
			case '}':
				depth--
			}
			continue
		}
		if depth != 0 || t.kind != tokIdent || text[t.start:t.end] != "view" {
			continue
		}
		// The view runs to the brace that closes its first '{'.
		end, d := -1, 0
		for j := i + 1; j < len(toks) && end < 0; j++ {
			if toks[j].kind != tokPunct {
				continue
			}
			switch text[toks[j].start] {
			case '{':
				d++
			case '}':
				d--
				if d == 0 {
					end = toks[j].end
					i = j
				}
			}
		}
		if end < 0 {
			break // unclosed: the rest of the file belongs to it
		}
		if pos >= t.start && pos <= end {
			continue
		}
		if b == nil {
			b = []byte(text)
		}
		for k := t.start; k < end; k++ {
			if b[k] != '\n' && b[k] != '\r' {
				b[k] = ' '
			}
		}
	}
	if b == nil {
		return text
	}
	return string(b)
}

// closersFor returns the brackets that close the unclosed ones on the
// cursor's line (a multi-line expression keeps its earlier lines' brackets).
func closersFor(text string, open []int) string {
	var b strings.Builder
	for i := len(open) - 1; i >= 0; i-- {
		if text[open[i]] == '[' {
			b.WriteByte(']')
		} else {
			b.WriteByte(')')
		}
	}
	return b.String()
}

func (c *completion) probeText(text string, at int) *probe {
	f := source.NewFileString(c.src.Name, text)
	af, dl := compiler.ParseSource(f)
	if af == nil || (dl.HasErrors() && !c.json) {
		// A tree cut short by a syntax error may hold the placeholder in the
		// wrong place; the next, more repaired, attempt is more reliable.
		return nil
	}
	target := source.Pos(at)
	var found ast.Expr
	ast.Inspect(af, func(n ast.Node) bool {
		if found != nil || n == nil || isNilNode(n) {
			return false
		}
		switch n := n.(type) {
		case *ast.Ident:
			if n.Name == placeholder {
				found = n
			}
		case *ast.Member:
			if n.Name == placeholder && n.NameSpan.Start == target {
				found = n
			}
		case *ast.Call:
			if n.Name == placeholder && n.NameSpan.Start == target {
				found = n
			}
		}
		return true
	})
	if found == nil {
		return nil
	}
	// Check only the view at the cursor, with the constants of its file and of
	// the other files: no other view can affect the cursor's expression.
	for _, v := range af.Views {
		if v != nil && within(v.Sp, target) {
			af = &ast.File{Source: af.Source, Consts: af.Consts, Views: []*ast.View{v}}
			break
		}
	}
	files := []*ast.File{af}
	c.a.allFiles(func(pf *parsedFile) {
		if pf.src.Name != c.src.Name && len(pf.ast.Consts) > 0 {
			files = append(files, &ast.File{Source: pf.src, Consts: pf.ast.Consts})
		}
	})
	checked, _ := check.Check(files, c.s.cat)
	return &probe{checked: checked, path: pathAt(af, found.Span().Start), node: found}
}

// afterDot completes the step after `receiver.`.
func (c *completion) afterDot() {
	p := c.runProbe(func(p *probe) bool {
		recv := p.receiver()
		return recv != nil && (p.checked.TypeOf(recv).Type != types.Unknown || p.checked.ElementOf(recv) != nil)
	})
	if p != nil {
		recv := p.receiver()
		c.members(p.checked.TypeOf(recv), p.checked.ElementOf(recv), p.checked)
		return
	}
	// The probe failed: the last analysis in which this file parsed may have
	// typed the same receiver, which ends at the same offset.
	if t, el, ok := c.lastGoodReceiver(); ok {
		c.members(t, el, nil)
		return
	}
	c.functions(types.Info{}, nil, 2)
}

// lastGoodReceiver finds the expression that ended at the dot in the last
// analysis where this file parsed cleanly. Text before the cursor is usually
// unchanged since then, so its offsets still hold.
func (c *completion) lastGoodReceiver() (types.Info, *catalog.Element, bool) {
	ns := c.s.spaces[c.dirOf()]
	if ns == nil {
		return types.Info{}, nil, false
	}
	lg := ns.lastGood[c.src.Name]
	if lg == nil || lg.checked == nil {
		return types.Info{}, nil, false
	}
	pf := lg.files[c.src.Name]
	if pf == nil {
		return types.Info{}, nil, false
	}
	end := source.Pos(c.wordStart - 1)
	if int(end) > len(pf.src.Text) || !strings.HasPrefix(pf.src.Text, c.src.Text[:end]) {
		return types.Info{}, nil, false
	}
	var best ast.Expr
	ast.Inspect(pf.ast, func(n ast.Node) bool {
		if n == nil || isNilNode(n) {
			return false
		}
		if e, ok := n.(ast.Expr); ok && e.Span().End == end {
			if best == nil || e.Span().Start < best.Span().Start {
				best = e
			}
		}
		return true
	})
	if best == nil {
		return types.Info{}, nil, false
	}
	return lg.checked.TypeOf(best), lg.checked.ElementOf(best), true
}

func (c *completion) dirOf() string {
	for _, d := range c.s.docs {
		if d.name == c.src.Name {
			return d.dir
		}
	}
	return ""
}

// members offers the elements of the receiver's type, its choice forms and
// the functions that apply to it.
func (c *completion) members(t types.Info, el *catalog.Element, checked *check.Checked) {
	if el != nil && el.Choice && (t.Type == types.Unknown || len(el.Types) > 1) {
		for i, ty := range el.Types {
			label := "ofType(" + ty + ")"
			c.add(CompletionItem{
				Label: label, Kind: kindMethod, Detail: el.Path + " as " + ty,
				FilterText: "ofType" + ty,
				SortText:   sortKey(0, i, label),
				Documentation: &MarkupContent{Kind: "markdown", Value: fmt.Sprintf("Picks the %s form of the choice element %s (JSON key `%s`).",
					ty, el.Path, el.ChoiceKey(ty))},
			}, c.wordStart)
		}
		c.functions(types.Info{Many: t.Many}, el, 2)
		return
	}
	c.elements(string(t.Type), 1)
	c.functions(t, el, 2)
}

// resourceBase and elementBase are inherited by every resource and every
// data type; they are rarely what a view reads, so they sort last.
var resourceBase = map[string]bool{"id": true, "meta": true, "implicitRules": true, "language": true, "text": true, "contained": true, "extension": true, "modifierExtension": true}
var elementBase = map[string]bool{"id": true, "extension": true, "modifierExtension": true}

// elements offers the children of type name.
func (c *completion) elements(name string, tier int) {
	t := c.s.cat.Type(name)
	if t == nil {
		return
	}
	for i, e := range t.Elements {
		rank := i
		switch {
		case t.Kind == catalog.Resource && resourceBase[e.Name],
			t.Kind != catalog.Resource && t.Kind != catalog.Primitive && elementBase[e.Name]:
			rank += 5000
		case e.Summary || e.Min > 0:
		default:
			rank += 1000
		}
		it := CompletionItem{
			Label: e.Name, Kind: kindField,
			Detail:   elementTypes(e) + " " + cardinality(e),
			SortText: sortKey(tier, rank, e.Name),
		}
		doc := code("fhirql", elementSignature(e))
		if e.Short != "" {
			doc += "\n\n" + e.Short
		}
		it.Documentation = &MarkupContent{Kind: "markdown", Value: doc}
		c.add(it, c.wordStart)
		if e.Choice {
			for j, ty := range e.Types {
				label := e.Name + ".ofType(" + ty + ")"
				c.add(CompletionItem{
					Label: label, Kind: kindField, Detail: ty + " " + cardinality(e),
					FilterText:    e.ChoiceKey(ty),
					SortText:      sortKey(tier, rank+j+1, e.Name),
					Documentation: &MarkupContent{Kind: "markdown", Value: fmt.Sprintf("The %s form of %s (JSON key `%s`).\n\n%s", ty, e.Path, e.ChoiceKey(ty), e.Short)},
				}, c.wordStart)
			}
		}
	}
}

// functions offers FHIRPath functions, the ones most used on a receiver of
// type t ranked first.
func (c *completion) functions(t types.Info, el *catalog.Element, tier int) {
	likely := map[string]int{}
	order := func(names ...string) {
		for _, n := range names {
			if _, ok := likely[n]; !ok {
				likely[n] = len(likely)
			}
		}
	}
	typ := string(t.Type)
	switch {
	case typ == "Reference":
		order("getReferenceKey")
	case el != nil && el.Choice:
		order("ofType")
	}
	if t.Many {
		order("first", "where", "exists", "join", "count", "select", "empty", "last", "distinct")
	}
	switch types.Primitive(typ) {
	case types.String:
		order("startsWith", "contains", "lower", "upper", "substring", "length", "matches", "replace", "endsWith", "toString")
	case types.Integer, types.Decimal:
		order("toString", "round", "abs", "toDecimal", "toInteger")
	case types.Date, types.DateTime:
		order("toString", "lowBoundary", "highBoundary")
	}
	order("exists", "first", "where", "extension", "ofType", "not", "empty")
	for _, f := range funcs.All() {
		it := functionItem(f)
		if r, ok := likely[f.Name]; ok {
			it.SortText = sortKey(tier, r, f.Name)
		} else {
			it.SortText = sortKey(tier+1, 0, f.Name)
		}
		c.add(it, c.wordStart)
	}
}

func functionItem(f *funcs.Func) CompletionItem {
	insert := f.Name + "()"
	if f.MaxArgs() > 0 {
		insert = f.Name + "($1)"
	}
	return CompletionItem{
		Label: f.Name, Kind: kindFunction, Detail: f.Signature,
		Documentation:    &MarkupContent{Kind: "markdown", Value: funcDoc(f)},
		InsertText:       insert,
		InsertTextFormat: formatSnippet,
	}
}

// expressionStart completes a name at the start of an expression or of a
// function argument: elements of the focus, functions, constants, and type
// names where a type is expected.
func (c *completion) expressionStart() {
	// `x is T` / `x as T`: the parser reads a type name there, never an
	// expression, so the probe cannot help; the words before the cursor can.
	if !c.json {
		if j := skipSpaceBack(c.src.Text, c.wordStart); j < c.wordStart && afterTypeKeyword(c.src.Text, j) {
			if w := c.src.Text[max(0, j-2):j]; w == "is" || w == "as" {
				c.typeNames()
				return
			}
		}
	}
	p := c.runProbe(func(p *probe) bool {
		if call, ok := p.parent().(*ast.Call); ok && (call.Name == "ofType" || call.Name == "getReferenceKey") {
			return true
		}
		return p.checked.FocusOf(p.node).Type != types.Unknown || c.focusFromTree(p).Type != types.Unknown
	})
	if p != nil {
		if c.typeArgument(p) {
			return
		}
		focus := p.checked.FocusOf(p.node)
		if focus.Type == types.Unknown {
			focus = c.focusFromTree(p)
		}
		c.startItems(focus, c.columnName(p))
		return
	}
	c.startItems(c.lastGoodFocus(), "")
}

// typeArgument handles the argument of ofType, getReferenceKey and the right
// side of is/as, where a type name goes; it reports whether it applied.
func (c *completion) typeArgument(p *probe) bool {
	switch par := p.parent().(type) {
	case *ast.Call:
		if len(par.Args) == 0 || par.Args[0] != p.node {
			return false
		}
		switch par.Name {
		case "ofType":
			var recv *catalog.Element
			var t types.Info
			if par.X != nil {
				recv = p.checked.ElementOf(par.X)
				t = p.checked.TypeOf(par.X)
			}
			if recv != nil && recv.Choice {
				for i, ty := range recv.Types {
					c.add(CompletionItem{
						Label: ty, Kind: kindTypeParam, Detail: recv.Path + " as " + ty,
						SortText:      sortKey(0, i, ty),
						Documentation: &MarkupContent{Kind: "markdown", Value: fmt.Sprintf("JSON key `%s`", recv.ChoiceKey(ty))},
					}, c.wordStart)
				}
				return true
			}
			if string(t.Type) == "Resource" || string(t.Type) == "DomainResource" {
				c.resourceTypes("")
				return true
			}
			c.typeNames()
			return true
		case "getReferenceKey":
			first := ""
			if par.X != nil {
				if el := p.checked.ElementOf(par.X); el != nil {
					for i, tp := range el.TargetProfiles {
						if tp == "Resource" {
							continue
						}
						if i == 0 {
							first = tp
						}
						c.add(CompletionItem{Label: tp, Kind: kindClass, Detail: "target of " + el.Path, SortText: sortKey(0, i, tp)}, c.wordStart)
					}
				}
			}
			c.resourceTypes(first)
			return true
		}
	}
	return false
}

func (c *completion) typeNames() {
	for _, n := range c.s.cat.TypeNames() {
		it := CompletionItem{Label: n, Kind: kindStruct, SortText: sortKey(1, 0, n)}
		if t := c.s.cat.Type(n); t != nil && t.Short != "" {
			it.Documentation = &MarkupContent{Kind: "markdown", Value: t.Short}
		}
		c.add(it, c.wordStart)
	}
}

// focusFromTree derives the focus from the enclosing select or view when the
// checker left the placeholder untyped.
func (c *completion) focusFromTree(p *probe) types.Info {
	for i := len(p.path) - 1; i >= 0; i-- {
		switch n := p.path[i].(type) {
		case *ast.Select:
			if t := p.checked.SelectFocus(n); t.Type != types.Unknown {
				return types.One(t.Type)
			}
		case *ast.View:
			if n.Resource != "" {
				return types.One(types.Type(n.Resource))
			}
		}
	}
	return types.Info{}
}

// lastGoodFocus is the focus at the cursor from the last clean analysis, or
// the resource of the view being written.
func (c *completion) lastGoodFocus() types.Info {
	if ns := c.s.spaces[c.dirOf()]; ns != nil {
		if lg := ns.lastGood[c.src.Name]; lg != nil && lg.checked != nil {
			if pf := lg.files[c.src.Name]; pf != nil {
				path := pathAt(pf.ast, source.Pos(c.pos))
				if s := innermostSelect(path); s != nil {
					if t := lg.checked.SelectFocus(s); t.Type != types.Unknown {
						return types.One(t.Type)
					}
				}
			}
		}
	}
	// The text: the resource of the last `view x of R` before the cursor.
	toks := lexText(c.src.Text[:c.wordStart])
	for i := len(toks) - 2; i >= 0; i-- {
		if toks[i].kind == tokIdent && c.src.Text[toks[i].start:toks[i].end] == "of" && toks[i+1].kind == tokIdent {
			return types.One(types.Type(c.src.Text[toks[i+1].start:toks[i+1].end]))
		}
	}
	return types.Info{}
}

// columnName is the name of the column whose expression holds the
// placeholder, to rank getResourceKey() first for an "id" column.
func (c *completion) columnName(p *probe) string {
	for i := len(p.path) - 1; i >= 0; i-- {
		if col, ok := p.path[i].(*ast.Column); ok {
			if col.Path == p.node {
				return col.Name
			}
			return ""
		}
	}
	return ""
}

func (c *completion) startItems(focus types.Info, column string) {
	if column == "id" || strings.HasSuffix(column, "_key") {
		if f := funcs.Lookup("getResourceKey"); f != nil {
			it := functionItem(f)
			it.SortText = sortKey(0, 0, f.Name)
			it.Preselect = true
			c.add(it, c.wordStart)
		}
	}
	if focus.Type != types.Unknown {
		c.elements(string(focus.Type), 1)
	}
	for i, k := range c.constsInScope() {
		it := CompletionItem{Label: "%" + k.Name, Kind: kindConstant, FilterText: k.Name, InsertText: "%" + k.Name, SortText: sortKey(3, i, k.Name)}
		if k.Doc != "" {
			it.Documentation = &MarkupContent{Kind: "markdown", Value: k.Doc}
		}
		c.add(it, c.wordStart)
	}
	if c.inIteration() {
		c.add(CompletionItem{Label: "%rowIndex", Kind: kindVariable, Detail: "integer", FilterText: "rowIndex", InsertText: "%rowIndex", SortText: sortKey(3, 99, "rowIndex")}, c.wordStart)
	}
	c.functions(types.Info{}, nil, 4)
	for i, kw := range []string{"true", "false", "and", "or", "not", "implies", "xor", "in", "contains", "is", "as"} {
		if kw == "not" {
			continue // a function, offered above
		}
		c.add(CompletionItem{Label: kw, Kind: kindKeyword, SortText: sortKey(7, i, kw)}, c.wordStart)
	}
}
