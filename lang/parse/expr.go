package parse

import (
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// expr is a FHIRPath expression inside the .fview grammar. It implements
// participle.Parseable: FHIRPath has twelve left-associative precedence
// levels, which precedence climbing handles in one loop where a struct per
// level would build twelve nested CST nodes for every leaf.
//
// The parser builds ast nodes directly, with spans as offsets into the
// scanned text; the converter relocates them when the text is embedded in
// another file (ParseExprAt).
type expr struct {
	X ast.Expr
}

// Parse implements participle.Parseable.
func (e *expr) Parse(lex *lexer.PeekingLexer) error {
	p := exprParser{lex: lex}
	if !p.startsExpr() {
		return participle.NextMatch
	}
	x, err := p.parse()
	if err != nil {
		return err
	}
	e.X = x
	return nil
}

// maxDepth bounds nesting of brackets and unary operators, so that hostile
// input cannot exhaust the stack.
const maxDepth = 200

// Binary operator precedences, highest binding last. "is" and "as" take a
// type name on the right and are handled apart from the others.
var binPrec = map[string]int{
	"implies": 1,
	"or":      2, "xor": 2,
	"and": 3,
	"in":  4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5,
	"<": 6, ">": 6, "<=": 6, ">=": 6,
	"|":  7,
	"is": 8, "as": 8,
	"+": 9, "-": 9, "&": 9,
	"*": 10, "/": 10, "div": 10, "mod": 10,
}

// wordOps are the operators spelled as identifiers.
var wordOps = map[string]bool{
	"implies": true, "or": true, "xor": true, "and": true, "in": true, "contains": true,
	"is": true, "as": true, "div": true, "mod": true,
}

// calendarUnits may follow a number without quotes to form a quantity.
var calendarUnits = map[string]bool{
	"year": true, "years": true, "month": true, "months": true, "week": true, "weeks": true,
	"day": true, "days": true, "hour": true, "hours": true, "minute": true, "minutes": true,
	"second": true, "seconds": true, "millisecond": true, "milliseconds": true,
}

// statementKeywords start a statement or clause of the .fview syntax; an
// expression may be followed by one of them on the same line.
var statementKeywords = map[string]bool{
	"view": true, "const": true, "where": true, "forEach": true, "forEachOrNull": true,
	"repeat": true, "select": true, "unionAll": true, "group": true, "use": true,
}

type exprParser struct {
	lex        *lexer.PeekingLexer
	last       lexer.Token // the last token consumed
	depth      int
	standalone bool // ParseExprAt: the text is one expression, not part of a .fview statement
}

func (p *exprParser) peek() lexer.Token { return *p.lex.Peek() }

// peekN looks n tokens past the next one.
func (p *exprParser) peekN(n int) lexer.Token {
	cp := p.lex.MakeCheckpoint()
	for i := 0; i < n; i++ {
		p.lex.Next()
	}
	t := *p.lex.Peek()
	p.lex.LoadCheckpoint(cp)
	return t
}

func (p *exprParser) next() lexer.Token {
	t := *p.lex.Next()
	p.last = t
	return t
}

func isPunct(t lexer.Token, v string) bool { return t.Type == tPunct && t.Value == v }

func isName(t lexer.Token) bool { return t.Type == tIdent || t.Type == tQIdent }

// lastLine is the line on which the last consumed token ends.
func (p *exprParser) lastLine() int {
	return p.last.Pos.Line + strings.Count(p.last.Value, "\n")
}

// startsColumn reports whether the next token begins a new column statement:
// a name first on its line followed by "=" or "[]=". This lets a column be
// named like a FHIRPath operator or calendar unit (`and`, `days`) without
// the previous column's path swallowing it, while paths still span lines.
func (p *exprParser) startsColumn() bool {
	if p.standalone {
		return false
	}
	t := p.peek()
	if !isName(t) || t.Pos.Line <= p.lastLine() {
		return false
	}
	t1 := p.peekN(1)
	if isPunct(t1, "=") {
		return true
	}
	return isPunct(t1, "[") && isPunct(p.peekN(2), "]") && isPunct(p.peekN(3), "=")
}

// startsExpr reports whether the next token can begin an expression; when it
// cannot, Parse answers NextMatch so that the grammar reports what it wanted
// (and so an optional path, as after `select`, is simply absent).
func (p *exprParser) startsExpr() bool {
	t := p.peek()
	switch t.Type {
	case lexer.EOF:
		return false
	case tPunct:
		switch t.Value {
		case "(", "+", "-", "!", "==", "&&", "||":
			return true
		case "{":
			return isPunct(p.peekN(1), "}")
		}
		return false
	}
	return true
}

// parse parses a whole expression and, inside a .fview statement, checks
// that what follows on the same line can follow an expression.
func (p *exprParser) parse() (ast.Expr, error) {
	x, err := p.binary(1)
	if err != nil {
		return nil, err
	}
	if !p.standalone {
		if err := p.checkFollower(); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// checkFollower turns "a b" on one line into an error at b: otherwise the
// grammar would fail later with a message about some other statement.
func (p *exprParser) checkFollower() error {
	t := p.peek()
	if t.EOF() || t.Pos.Line > p.lastLine() {
		return nil
	}
	switch t.Type {
	case tPunct:
		switch t.Value {
		case "}", "{", ",", ":", "@":
			return nil
		case "!":
			return errNotFHIRPath(t)
		}
	case tIdent, tQIdent:
		if t.Type == tIdent && statementKeywords[t.Value] {
			return nil
		}
		if t1 := p.peekN(1); isPunct(t1, "=") || isPunct(t1, "[") {
			return nil
		}
	}
	return errAfterExpr(t)
}

func (p *exprParser) opPrec(t lexer.Token) int {
	switch t.Type {
	case tPunct:
		return binPrec[t.Value]
	case tIdent:
		if wordOps[t.Value] && !p.startsColumn() {
			return binPrec[t.Value]
		}
	}
	return 0
}

// binary parses operators of precedence min and above (precedence climbing).
func (p *exprParser) binary(min int) (ast.Expr, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, errTooDeep(p.peek())
	}
	defer func() { p.depth-- }()
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec := p.opPrec(t)
		if prec == 0 {
			if t.Type == tPunct && (t.Value == "==" || t.Value == "&&" || t.Value == "||") {
				return nil, errNotFHIRPath(t)
			}
			return x, nil
		}
		if prec < min {
			return x, nil
		}
		op := p.next()
		if op.Value == "is" || op.Value == "as" {
			tn, err := p.typeName(op.Value)
			if err != nil {
				return nil, err
			}
			x = &ast.TypeOp{Sp: source.Span{Start: x.Span().Start, End: tn.Sp.End}, Op: op.Value, X: x, Type: tn}
			continue
		}
		y, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		x = &ast.Binary{
			Sp:     source.Span{Start: x.Span().Start, End: y.Span().End},
			Op:     op.Value,
			OpSpan: tokSpan(op),
			X:      x,
			Y:      y,
		}
	}
}

func tokSpan(t lexer.Token) source.Span {
	return source.Span{Start: source.Pos(t.Pos.Offset), End: source.Pos(tokEnd(t))}
}

func (p *exprParser) unary() (ast.Expr, error) {
	t := p.peek()
	if isPunct(t, "+") || isPunct(t, "-") {
		if p.depth++; p.depth > maxDepth {
			return nil, errTooDeep(t)
		}
		defer func() { p.depth-- }()
		op := p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &ast.Unary{Sp: source.Span{Start: source.Pos(op.Pos.Offset), End: x.Span().End}, Op: op.Value, X: x}, nil
	}
	return p.postfix()
}

// postfix parses a term followed by any number of .member, .call() and [index].
func (p *exprParser) postfix() (ast.Expr, error) {
	x, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case isPunct(t, "."):
			p.next()
			nt := p.peek()
			if !isName(nt) {
				return nil, errExpectedName(".", nt)
			}
			p.next()
			if isPunct(p.peek(), "(") {
				x, err = p.call(x, nt)
				if err != nil {
					return nil, err
				}
				continue
			}
			x = &ast.Member{
				Sp:       source.Span{Start: x.Span().Start, End: source.Pos(tokEnd(nt))},
				X:        x,
				Name:     nameText(nt.Value),
				NameSpan: tokSpan(nt),
			}
		case isPunct(t, "["):
			open := p.next()
			idx, err := p.binary(1)
			if err != nil {
				return nil, err
			}
			cl := p.peek()
			if !isPunct(cl, "]") {
				return nil, errUnclosed(open, `"]"`, cl, " to close the index")
			}
			p.next()
			x = &ast.Index{Sp: source.Span{Start: x.Span().Start, End: source.Pos(tokEnd(cl))}, X: x, Index: idx}
		default:
			return x, nil
		}
	}
}

// nameText unquotes a `delimited` identifier; plain names pass through.
func nameText(v string) string {
	if len(v) >= 2 && v[0] == '`' {
		return unescape(v[1 : len(v)-1])
	}
	return v
}

// call parses the argument list of name( ... ); x is the receiver or nil.
func (p *exprParser) call(x ast.Expr, nameTok lexer.Token) (ast.Expr, error) {
	open := p.next()
	name := nameText(nameTok.Value)
	c := &ast.Call{X: x, Name: name, NameSpan: tokSpan(nameTok)}
	if !isPunct(p.peek(), ")") {
		for {
			a, err := p.binary(1)
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, a)
			t := p.peek()
			if isPunct(t, ",") {
				p.next()
				continue
			}
			if isPunct(t, ")") {
				break
			}
			return nil, errUnclosed(open, `"," or ")"`, t, " in the arguments of "+name+"()")
		}
	}
	rp := p.next()
	c.RParen = source.Pos(rp.Pos.Offset)
	start := source.Pos(nameTok.Pos.Offset)
	if x != nil {
		start = x.Span().Start
	}
	c.Sp = source.Span{Start: start, End: c.RParen + 1}
	return c, nil
}

func (p *exprParser) term() (ast.Expr, error) {
	t := p.peek()
	sp := tokSpan(t)
	switch t.Type {
	case tIdent, tQIdent:
		p.next()
		if isPunct(p.peek(), "(") {
			return p.call(nil, t)
		}
		if t.Type == tIdent && (t.Value == "true" || t.Value == "false") {
			return &ast.Literal{Sp: sp, Kind: ast.Bool, Value: t.Value}, nil
		}
		return &ast.Ident{Sp: sp, Name: nameText(t.Value)}, nil
	case tString:
		p.next()
		return &ast.Literal{Sp: sp, Kind: ast.String, Value: unescape(t.Value[1 : len(t.Value)-1])}, nil
	case tNumber:
		p.next()
		kind := ast.Integer
		if strings.ContainsAny(t.Value, ".eE") {
			kind = ast.Decimal
		}
		lit := &ast.Literal{Sp: sp, Kind: kind, Value: t.Value}
		switch u := p.peek(); {
		case u.Type == tString:
			p.next()
			lit.Kind, lit.Unit, lit.UnitQuoted = ast.Quantity, unescape(u.Value[1:len(u.Value)-1]), true
			lit.Sp.End = source.Pos(tokEnd(u))
		case u.Type == tIdent && calendarUnits[u.Value] && !p.startsColumn():
			p.next()
			lit.Kind, lit.Unit = ast.Quantity, u.Value
			lit.Sp.End = source.Pos(tokEnd(u))
		}
		return lit, nil
	case tLong:
		p.next()
		return &ast.Literal{Sp: sp, Kind: ast.Long, Value: strings.TrimSuffix(t.Value, "L")}, nil
	case tDate:
		p.next()
		return &ast.Literal{Sp: sp, Kind: ast.Date, Value: t.Value[1:]}, nil
	case tDateTime:
		p.next()
		return &ast.Literal{Sp: sp, Kind: ast.DateTime, Value: t.Value[1:]}, nil
	case tTime:
		p.next()
		return &ast.Literal{Sp: sp, Kind: ast.Time, Value: t.Value[2:]}, nil
	case tVar:
		p.next()
		v := t.Value[1:]
		if len(v) >= 2 && (v[0] == '`' || v[0] == '\'') {
			v = unescape(v[1 : len(v)-1])
		}
		return &ast.Var{Sp: sp, Name: v}, nil
	case tSpecial:
		p.next()
		switch t.Value {
		case "$this":
			return &ast.This{Sp: sp}, nil
		case "$index", "$total":
			return &ast.Special{Sp: sp, Name: t.Value[1:]}, nil
		}
		return nil, errUnknownSpecial(t)
	case tPunct:
		switch t.Value {
		case "(":
			open := p.next()
			x, err := p.binary(1)
			if err != nil {
				return nil, err
			}
			cl := p.peek()
			if !isPunct(cl, ")") {
				return nil, errUnclosed(open, `")"`, cl, "")
			}
			p.next()
			return &ast.Paren{Sp: source.Span{Start: sp.Start, End: source.Pos(tokEnd(cl))}, X: x}, nil
		case "{":
			open := p.next()
			cl := p.peek()
			if !isPunct(cl, "}") {
				return nil, errEmptyBraces(open, cl)
			}
			p.next()
			return &ast.Literal{Sp: source.Span{Start: sp.Start, End: source.Pos(tokEnd(cl))}, Kind: ast.Empty}, nil
		case "!", "==", "&&", "||":
			return nil, errNotFHIRPath(t)
		}
	}
	return nil, errExpectedExpr(t)
}

// typeName parses the type after is/as: Name or Namespace.Name (or deeper).
func (p *exprParser) typeName(op string) (ast.TypeName, error) {
	t := p.peek()
	if !isName(t) {
		return ast.TypeName{}, errExpectedType(op, t)
	}
	p.next()
	parts := []string{nameText(t.Value)}
	end := tokEnd(t)
	for isPunct(p.peek(), ".") && isName(p.peekN(1)) {
		p.next()
		nt := p.next()
		parts = append(parts, nameText(nt.Value))
		end = tokEnd(nt)
	}
	return ast.TypeName{
		Sp:        source.Span{Start: source.Pos(t.Pos.Offset), End: source.Pos(end)},
		Namespace: strings.Join(parts[:len(parts)-1], "."),
		Name:      parts[len(parts)-1],
	}, nil
}
