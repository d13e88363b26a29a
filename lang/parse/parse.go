// Package parse turns .fview text and FHIRPath expressions into the ast tree.
//
// Input: a source.File (a .fview file), or one FHIRPath expression embedded in
// a file (a ViewDefinition's JSON string). Output: an *ast.File or ast.Expr
// whose spans point into that file, plus FQL1xxx diagnostics.
//
// participle is confined to this package. Its grammar structs (grammar.go)
// are a concrete syntax tree that convert.go turns into the clean ast; the
// FHIRPath operators are parsed by precedence climbing (expr.go) through
// participle's Parseable hook. The lexer (lexer.go) runs first, on its own,
// so lexical errors get precise messages and comments stay out of the
// grammar. participle stops at the first syntax error, so a file reports at
// most one syntax error; structural errors found while converting (statement
// order, non-literal constants, bad JSON) are all reported.
package parse

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// ParseFile parses a .fview file. The tree is never nil: after a syntax
// error it holds what was parsed before it, for the language server.
func ParseFile(f *source.File) (out *ast.File, diags diag.List) {
	c := &converter{f: f}
	defer func() {
		if r := recover(); r != nil {
			out = &ast.File{Source: f}
			diags = diag.List{errInternal(fmt.Sprint(r)).toDiag(f, c.pos)}
		}
	}()
	text := source.BlankBOM(f.Text) // a byte-order mark is whitespace
	peek, lx := scanFile(text)
	c.toks = lx.toks
	if lx.err != nil {
		c.report(lexErr(lx.err))
	} else if e := checkDepth(lx.toks); e != nil {
		return &ast.File{Source: f}, diag.List{e.toDiag(f, c.pos)}
	}
	c.docs = attachDocs(text, lx.comments, lx.toks)
	cst, perr := fileParser.ParseFromLexer(peek)
	if perr != nil && lx.err == nil {
		c.report(c.translate(perr))
	}
	if len(c.errs) > 0 {
		// After a syntax error the tree is partial: convert it for tools,
		// but its structural complaints would only be noise.
		out = c.file(cst)
		return out, c.diags(1)
	}
	out = c.file(cst)
	return out, c.diags(-1)
}

// ParseExprAt parses one FHIRPath expression whose text sits inside file f,
// such as the "path" string of a ViewDefinition. pos maps a byte offset in
// text (0 to len(text) inclusive) to an offset in f, so that spans and
// diagnostics point into the real file; nil means text starts at offset 0 of
// f and maps one to one. The result is never nil: a failed parse yields
// ast.Bad covering the text.
func ParseExprAt(f *source.File, text string, pos func(int) source.Pos) (out ast.Expr, diags diag.List) {
	c := &converter{f: f, m: pos}
	whole := c.span(0, len(text))
	defer func() {
		if r := recover(); r != nil {
			out = &ast.Bad{Sp: whole}
			diags = diag.List{errInternal(fmt.Sprint(r)).toDiag(f, c.pos)}
		}
	}()
	peek, lx := scan(text)
	c.toks = lx.toks
	fail := func(e *synErr) (ast.Expr, diag.List) {
		return &ast.Bad{Sp: whole}, diag.List{e.toDiag(f, c.pos)}
	}
	if lx.err != nil {
		return fail(lexErr(lx.err))
	}
	if e := checkDepth(lx.toks); e != nil {
		return fail(e)
	}
	p := exprParser{lex: peek, standalone: true}
	if t := p.peek(); t.EOF() {
		return fail(errExpectedExpr(t))
	}
	x, err := p.parse()
	if err != nil {
		var se *synErr
		if errors.As(err, &se) {
			return fail(se)
		}
		return fail(errInternal(err.Error()))
	}
	if t := p.peek(); !t.EOF() {
		return fail(errTrailing(t))
	}
	c.checkExponents(x)
	if len(c.errs) > 0 {
		return fail(c.errs[0])
	}
	return c.relocate(x), nil
}

// ParseExpr parses a standalone FHIRPath expression, for tests and tools;
// its diagnostics refer to a file named "<expr>" holding just text.
func ParseExpr(text string) (ast.Expr, diag.List) {
	return ParseExprAt(source.NewFileString("<expr>", text), text, nil)
}

// diags converts the collected errors; limit < 0 keeps them all.
func (c *converter) diags(limit int) diag.List {
	var out diag.List
	for i, e := range c.errs {
		if limit >= 0 && i >= limit {
			break
		}
		out = append(out, e.toDiag(c.f, c.pos))
	}
	return out
}

// checkDepth rejects bracket nesting beyond maxDepth before any recursive
// parsing starts, so deep input cannot exhaust the stack.
func checkDepth(toks []lexer.Token) *synErr {
	d := 0
	for _, t := range toks {
		if t.Type != tPunct {
			continue
		}
		switch t.Value {
		case "(", "[", "{":
			if d++; d > maxDepth {
				return errTooDeep(t)
			}
		case ")", "]", "}":
			d--
		}
	}
	return nil
}

// translate turns participle's error into a diagnostic-ready synErr: the
// expression parser's own errors pass through; an unexpected token becomes
// "found X, expected Y" in words, with a hint where a common mistake fits.
func (c *converter) translate(err error) *synErr {
	var se *synErr
	if errors.As(err, &se) {
		return se
	}
	var ute *participle.UnexpectedTokenError
	if errors.As(err, &ute) {
		return c.unexpected(ute.Unexpected, expectedOf(ute.Message()))
	}
	var pe participle.Error
	if errors.As(err, &pe) {
		t := c.tokenAt(pe.Position().Offset)
		return errParticiple(t, pe.Message())
	}
	return errInternal(err.Error())
}

// expectedOf extracts the "(expected ...)" part of participle's message.
func expectedOf(msg string) string {
	i := strings.Index(msg, "(expected ")
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return ""
	}
	return msg[i+len("(expected ") : len(msg)-1]
}

// tokenAt returns the token starting at or after offset.
func (c *converter) tokenAt(off int) lexer.Token {
	i := sort.Search(len(c.toks), func(i int) bool { return c.toks[i].Pos.Offset >= off })
	if i >= len(c.toks) {
		i = len(c.toks) - 1
	}
	return c.toks[i]
}

// prevToken returns the token before t, or an EOF token.
func (c *converter) prevToken(t lexer.Token) lexer.Token {
	i := sort.Search(len(c.toks), func(i int) bool { return c.toks[i].Pos.Offset >= t.Pos.Offset })
	if i == 0 {
		return lexer.Token{Type: lexer.EOF}
	}
	return c.toks[i-1]
}

// expectations turns participle's EBNF fragment into words.
var expectations = []struct{ ebnf, words string }{
	{`"const" Name`, `"const", "view" or end of input`},
	{`"view" Name`, `"view" or "const"`},
	{`"of"`, `"of" and the resource type, as in "view name of Patient"`},
	{`Name`, "a name"},
	{`"=" expr`, `"="`},
	{`"="`, `"="`},
	{`"[" "]"`, `"=" or "[]"`},
	{`expr`, "an expression"},
	{`Block`, `"{"`},
	{`"{"`, `"{"`},
	{`"}"`, `"}"`},
	{`")"`, `"," or ")"`},
	{`"]"`, `"," or "]"`},
	{`":"`, `":"`},
	{`"("`, `"("`},
	{`JsonValue`, jsonWords},
	{`<number>`, jsonWords},
	{`<jsonstring>`, "a JSON string"},
}

const jsonWords = `a JSON value ("text", 1, true, false, null, [...] or {...})`

// blockKeywords start the statements of a block, for "did you mean".
var blockKeywords = []string{"const", "select", "forEach", "forEachOrNull", "repeat", "unionAll"}

func (c *converter) unexpected(t lexer.Token, expected string) *synErr {
	if t.Type == tPunct && (t.Value == "==" || t.Value == "&&" || t.Value == "||" || t.Value == "!") {
		return errNotFHIRPath(t)
	}
	words := ""
	for _, e := range expectations {
		if strings.HasPrefix(expected, e.ebnf) {
			words = e.words
			break
		}
	}
	prev := c.prevToken(t)
	open, inJSON := c.innermostBrace(t)
	if words == "" {
		switch {
		case expected != "":
			words = expected
		default:
			words = "something else"
		}
	}
	if open.EOF() && (words == `"}"` || prev.EOF()) {
		words = `"view" or "const"`
	}
	if words == "an expression" {
		return errExpectedExpr(t)
	}
	if words == `"}"` && !open.EOF() && !inJSON {
		return c.badStatement(t, open)
	}
	e := errUnexpected(t, words)
	switch {
	case t.Type == tIdent && t.Value == "where" && isPunct(prev, "}"):
		e.note(`where clauses go in the view header, before "{"`)
	case words == jsonWords && t.Type == tIdent:
		e.note(`attribute values are JSON; write text in double quotes: "%s"`, t.Value).
			edit("quote it", t.Pos.Offset, tokEnd(t), `"`+t.Value+`"`)
	case words == jsonWords && t.Type == tString:
		e.note("JSON strings use double quotes")
	case words == `"{"` && isPunct(t, "="):
		e.note(`"=" is comparison in FHIRPath paths; columns are written "name = path" inside "{ }"`)
	}
	return e
}

// badStatement explains a token that starts no statement inside a block.
// Most often it is a column without "=", so the error points at what
// follows the name.
func (c *converter) badStatement(t, open lexer.Token) *synErr {
	switch {
	case t.EOF():
		return errUnclosedBlock(t, open)
	case t.Type == tIdent && t.Value == "where":
		return errWhereInBlock(t)
	case !isName(t):
		return errUnexpected(t, blockStatements)
	}
	n := c.nextToken(t)
	e := errColumnNoEq(n, nameText(t.Value))
	switch {
	case isPunct(n, "=="):
		e.note(`columns are written "name = path"; "==" is not FHIRPath`).edit(`use "="`, n.Pos.Offset, tokEnd(n), "=")
	case isPunct(n, ":"):
		e.note(`columns are written "name = path"; a type follows the path, as in "name = path : string"`).
			edit(`use "="`, n.Pos.Offset, tokEnd(n), "=")
	case isPunct(n, "."):
		e.note(`a column name is one name; the path goes right of "=", as in "given = name.given"`)
	case isPunct(n, "("):
		e.note(`a block holds columns, not bare paths; name the value, as in "key = %s()"`, t.Value)
	default:
		if kw, ok := diag.Suggest(t.Value, blockKeywords); ok && t.Type == tIdent {
			e.note("did you mean %q?", kw).edit("change to "+kw, t.Pos.Offset, tokEnd(t), kw)
		} else {
			e.note(`columns are written "name = path"`)
		}
	}
	return e
}

// nextToken returns the token after t.
func (c *converter) nextToken(t lexer.Token) lexer.Token {
	i := sort.Search(len(c.toks), func(i int) bool { return c.toks[i].Pos.Offset > t.Pos.Offset })
	if i >= len(c.toks) {
		return c.toks[len(c.toks)-1]
	}
	return c.toks[i]
}

// innermostBrace finds the unclosed "{" around t (EOF when there is none)
// and whether it opens a JSON object rather than a block.
func (c *converter) innermostBrace(t lexer.Token) (lexer.Token, bool) {
	var stack []int
	for i, k := range c.toks {
		if k.Pos.Offset >= t.Pos.Offset || k.EOF() {
			break
		}
		if k.Type == tPunct {
			switch k.Value {
			case "{":
				stack = append(stack, i)
			case "}":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	if len(stack) == 0 {
		return lexer.Token{Type: lexer.EOF}, false
	}
	i := stack[len(stack)-1]
	json := false
	if i > 0 {
		switch p := c.toks[i-1]; {
		case isPunct(p, ":"), isPunct(p, ","), isPunct(p, "["):
			json = true
		case isName(p) && i > 1 && isPunct(c.toks[i-2], "@"):
			json = true
		}
	}
	return c.toks[i], json
}
