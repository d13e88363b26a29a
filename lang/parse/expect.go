package parse

import (
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// CodeBadExpect: an `expect` rule that does not follow its syntax.
const CodeBadExpect diag.Code = "FQL1030"

// The text of an expectation, after the `expect` keyword (docs/expect.md):
//
//	rule     = [ "error" | "warning" ] ( named | unique | notNull | refs ) .
//	named    = NAME [ max ] ":" CEL .
//	unique   = "unique" COLS [ max ] .
//	notNull  = "not" "null" COLS [ max ] .
//	refs     = COL "references" VIEW "." COL [ max ] .
//	max      = "(" "at" "most" NUMBER [ "%" ] ")" .
//	COLS     = COL { "," COL } .
//
// NAME, COL and VIEW are names (or `quoted names`); CEL is the rest of the
// text, a CEL expression over the view's columns that compiler/expect
// checks. The same text is the valueString of the ViewDefinition
// extension that carries the rule in JSON, so both forms parse it here.

// ParseExpect parses the text of one expectation that sits inside file f.
// pos maps a byte offset in text (0 to len(text) inclusive) to an offset in
// f, as for ParseExprAt (the text of a JSON string has escapes); nil means
// text starts at offset 0 of f. The result is never nil: after an error it
// holds what was read.
func ParseExpect(f *source.File, text string, pos func(int) source.Pos) (*ast.Expect, diag.List) {
	if pos == nil {
		pos = func(i int) source.Pos { return source.Pos(i) }
	}
	e, err := parseExpect(text, pos)
	if err != nil {
		return e, diag.List{err.toDiag(f, pos)}
	}
	return e, nil
}

// parseExpect parses a rule; an error's offsets are relative to text.
func parseExpect(text string, pos func(int) source.Pos) (*ast.Expect, *synErr) {
	p := &ruleParser{text: text, pos: pos}
	e := &ast.Expect{Text: text, TextSpan: p.span(0, len(text)), Sp: p.span(0, len(text))}
	return e, p.rule(e)
}

type ruleParser struct {
	text string
	pos  func(int) source.Pos // offset in text → offset in the file
	off  int
}

func (p *ruleParser) span(a, b int) source.Span {
	return source.Span{Start: p.pos(a), End: p.pos(b)}
}

func (p *ruleParser) skip() {
	for p.off < len(p.text) && (p.text[p.off] == ' ' || p.text[p.off] == '\t') {
		p.off++
	}
}

// word reads a name (or a `quoted name`) without consuming it when peek is
// set; ok is false when none stands here.
func (p *ruleParser) word(peek bool) (w string, a, b int, ok bool) {
	p.skip()
	a = p.off
	i := p.off
	switch {
	case i < len(p.text) && p.text[i] == '`':
		j := strings.IndexByte(p.text[i+1:], '`')
		if j < 0 {
			return "", a, a, false
		}
		w, b = p.text[i+1:i+1+j], i+2+j
	case i < len(p.text) && isIdentStart(p.text[i]):
		for i < len(p.text) && isIdentChar(p.text[i]) {
			i++
		}
		w, b = p.text[a:i], i
	default:
		return "", a, a, false
	}
	if !peek {
		p.off = b
	}
	return w, a, b, true
}

// punct consumes c when it is next.
func (p *ruleParser) punct(c byte) bool {
	p.skip()
	if p.off < len(p.text) && p.text[p.off] == c {
		p.off++
		return true
	}
	return false
}

func (p *ruleParser) errHere(format string, args ...any) *synErr {
	p.skip()
	end := p.off + 1
	if end > len(p.text) {
		end = len(p.text)
	}
	return newErr(CodeBadExpect, p.off, end, format, args...).
		note("an expectation is `expect [warning] NAME: CEL`, `expect unique COL, ...`, `expect not null COL, ...` or `expect COL references VIEW.COL`, optionally with (at most N) or (at most P%%) before the colon or at the end")
}

func (p *ruleParser) rule(e *ast.Expect) *synErr {
	w, _, _, ok := p.word(true)
	if !ok {
		return p.errHere("expected a rule name, unique, not null or a column that references a view")
	}
	if w == "error" || w == "warning" {
		if next := p.after(w); next != ':' && next != '(' {
			p.word(false)
			e.Warning = w == "warning"
		}
	}
	w, a, b, ok := p.word(true)
	if !ok {
		return p.errHere("expected a rule name after the severity")
	}
	next := p.after(w)
	switch {
	case w == "unique" && next != ':' && next != '(':
		p.word(false)
		e.Kind = ast.ExpectUnique
		if err := p.columns(e); err != nil {
			return err
		}
		e.Name, e.NameSpan = "unique_"+strings.Join(e.Columns, "_"), p.span(a, b)
		return p.tail(e)
	case w == "not" && next != ':' && next != '(':
		p.word(false)
		if n, _, _, ok := p.word(false); !ok || n != "null" {
			return p.errHere("expected null after not")
		}
		e.Kind = ast.ExpectNotNull
		if err := p.columns(e); err != nil {
			return err
		}
		e.Name, e.NameSpan = "not_null_"+strings.Join(e.Columns, "_"), p.span(a, b)
		return p.tail(e)
	}
	p.word(false)
	if r, _, _, ok := p.word(true); ok && r == "references" {
		p.word(false)
		e.Kind = ast.ExpectReferences
		e.Columns, e.ColSpan = []string{w}, []source.Span{p.span(a, b)}
		view, va, _, ok := p.word(false)
		if !ok || !p.punct('.') {
			return p.errHere("expected VIEW.COLUMN after references")
		}
		col, _, cb, ok := p.word(false)
		if !ok {
			return p.errHere("expected a column name after %s.", view)
		}
		e.RefView, e.RefColumn, e.RefSpan = view, col, p.span(va, cb)
		e.Name, e.NameSpan = w+"_references_"+view, p.span(a, b)
		return p.tail(e)
	}
	e.Kind = ast.ExpectRule
	e.Name, e.NameSpan = w, p.span(a, b)
	if err := p.max(e); err != nil {
		return err
	}
	if !p.punct(':') {
		return p.errHere("expected ':' and a CEL expression after the rule name %s", w)
	}
	p.skip()
	cel := strings.TrimRight(p.text[p.off:], " \t\r")
	if cel == "" {
		return p.errHere("expected a CEL expression after ':'")
	}
	e.CEL, e.CELSpan = cel, p.span(p.off, p.off+len(cel))
	return nil
}

// after returns the first non-blank byte after the word w that starts at
// the current offset (0 at the end).
func (p *ruleParser) after(w string) byte {
	p.skip()
	i := p.off + len(w)
	if p.off < len(p.text) && p.text[p.off] == '`' {
		i += 2
	}
	for i < len(p.text) && (p.text[i] == ' ' || p.text[i] == '\t') {
		i++
	}
	if i < len(p.text) {
		return p.text[i]
	}
	return 0
}

func (p *ruleParser) columns(e *ast.Expect) *synErr {
	for {
		c, a, b, ok := p.word(false)
		if !ok {
			return p.errHere("expected a column name")
		}
		e.Columns = append(e.Columns, c)
		e.ColSpan = append(e.ColSpan, p.span(a, b))
		if !p.punct(',') {
			return nil
		}
	}
}

// tail reads an optional threshold and requires the end of the text.
func (p *ruleParser) tail(e *ast.Expect) *synErr {
	if err := p.max(e); err != nil {
		return err
	}
	p.skip()
	if p.off < len(p.text) {
		return p.errHere("unexpected %q at the end of the rule", p.text[p.off:])
	}
	return nil
}

// max reads `(at most N)` or `(at most P%)`.
func (p *ruleParser) max(e *ast.Expect) *synErr {
	if !p.punct('(') {
		return nil
	}
	if w, _, _, ok := p.word(false); !ok || w != "at" {
		return p.errHere("expected (at most N) or (at most P%%)")
	}
	if w, _, _, ok := p.word(false); !ok || w != "most" {
		return p.errHere("expected most after at")
	}
	p.skip()
	i := p.off
	for i < len(p.text) && (isDigit(p.text[i]) || p.text[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(p.text[p.off:i], 64)
	if err != nil || n < 0 {
		return p.errHere("expected a number of rows or a percentage after at most")
	}
	p.off = i
	e.Max, e.HasMax = n, true
	if p.punct('%') {
		if n > 100 {
			return p.errHere("a percentage is at most 100")
		}
		e.Percent = true
	} else if n != float64(int64(n)) {
		return p.errHere("a number of rows is a whole number; write %g%% for a percentage", n)
	}
	if !p.punct(')') {
		return p.errHere("expected ) after the threshold")
	}
	return nil
}
