package parse

import (
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types. participle matches grammar literals such as "view" or "=" by
// value, so keywords need no token type of their own: a keyword is an Ident
// whose meaning depends on where it stands, and `where(...)` keeps working as
// a FHIRPath function.
const (
	tIdent      lexer.TokenType = -(iota + 2) // name
	tQIdent                                   // `quoted name`, raw lexeme with backticks
	tString                                   // 'FHIRPath string', raw lexeme
	tJSONString                               // "JSON string", raw lexeme (attribute values)
	tNumber                                   // 12, 1.50, 1e3 (exponent only valid in JSON)
	tLong                                     // 12L
	tDate                                     // @2020-01-02
	tDateTime                                 // @2020-01-02T10:00, @2020T
	tTime                                     // @T10:00
	tVar                                      // %name, %`name`, %'name'
	tSpecial                                  // $this, $index, $total (and unknown $names, rejected by the parser)
	tPunct                                    // operators and punctuation
	tRule                                     // the text of an expectation after `expect`, to the end of its line
)

// symbols names the token types for the grammar. It is a function, not a
// package variable, because the parser is built during package
// initialisation, possibly before such a variable would be.
func symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":        lexer.EOF,
		"Ident":      tIdent,
		"QIdent":     tQIdent,
		"String":     tString,
		"JSONString": tJSONString,
		"Number":     tNumber,
		"Long":       tLong,
		"Date":       tDate,
		"DateTime":   tDateTime,
		"Time":       tTime,
		"Var":        tVar,
		"Special":    tSpecial,
		"Punct":      tPunct,
		"Rule":       tRule,
	}
}

// comment is a `//`, `///` or `/* */` comment. The lexer keeps comments out of
// the token stream (so the grammar never has to mention them) and hands them
// to the converter, which attaches `///` blocks as documentation.
type comment struct {
	start, end int
	text       string // full lexeme, e.g. "/// docs"
	doc        bool   // a `///` line comment (not `////`)
	ownLine    bool   // nothing but whitespace precedes it on its line
}

// lexError is the first lexical error; lexing stops there.
type lexError struct {
	start, end int
	kind       lexErrKind
	text       string // the offending text
}

type lexErrKind int

const (
	lexBadChar lexErrKind = iota
	lexUnterminatedString
	lexUnterminatedQIdent
	lexUnterminatedJSON
	lexUnterminatedComment
	lexBadEscape
	lexBadDate
	lexBadVar
	lexBadUTF8
)

// lexed is what scanning leaves beside the tokens: the tokens themselves
// (ending with EOF), comments, and the first lexical error if any (the
// tokens then stop before it).
type lexed struct {
	toks     []lexer.Token
	comments []comment
	err      *lexError
}

// scan tokenises src straight into a participle PeekingLexer. It never
// fails outright: on a lexical error it records the error and ends the
// tokens with EOF there, so the parser can still build a partial tree for
// the language server. lx.toks shares the PeekingLexer's token array.
func scan(src string) (*lexer.PeekingLexer, *lexed) {
	return scanWith(src, false)
}

// scanFile is scan for a whole .fview file, where a line that starts with
// `expect` holds a rule (a lone FHIRPath expression has none).
func scanFile(src string) (*lexer.PeekingLexer, *lexed) {
	return scanWith(src, true)
}

func scanWith(src string, rules bool) (*lexer.PeekingLexer, *lexed) {
	ts := &tokenStream{s: scanner{src: src, line: 1, col: 1, rules: rules}}
	peek, _ := lexer.Upgrade(ts) // tokenStream never returns an error
	ts.out.toks = peek.Range(0, lexer.RawCursor(ts.n))
	return peek, &ts.out
}

// tokenStream is the scanner as a lexer.Lexer, so lexer.Upgrade pulls
// tokens into its own array without an intermediate copy.
type tokenStream struct {
	s       scanner
	out     lexed
	n       int  // tokens returned, EOF included
	done    bool // no more tokens but EOF
	checked bool // UTF-8 validity checked
}

// Next implements lexer.Lexer.
func (ts *tokenStream) Next() (lexer.Token, error) {
	s := &ts.s
	if !ts.checked {
		ts.checked = true
		if !utf8.ValidString(s.src) {
			// Reject the whole text: a string or name holding broken
			// bytes could not be printed back faithfully.
			for i := 0; i < len(s.src); {
				r, n := utf8.DecodeRuneInString(s.src[i:])
				if r == utf8.RuneError && n == 1 {
					ts.out.err = &lexError{start: i, end: i + 1, kind: lexBadUTF8, text: s.src[i : i+1]}
					break
				}
				i += n
			}
			ts.done = true
		}
	}
	if !ts.done {
		s.skipSpace(&ts.out)
		if s.err == nil && s.off < len(s.src) {
			if t, ok := s.next(); ok {
				s.lineHasCode = true
				ts.n++
				return t, nil
			}
		}
		ts.out.err = s.err
		ts.done = true
	}
	ts.n++ // lexer.Upgrade stops at the first EOF, so this counts it once
	return lexer.Token{Type: lexer.EOF, Pos: s.pos()}, nil
}

type scanner struct {
	src         string
	off         int
	line, col   int
	lineHasCode bool
	err         *lexError
	// rule is set after an `expect` that starts a line: the rest of the
	// line is one Rule token (its syntax and its CEL are not FHIRPath).
	// rules says whether rules exist at all (a file, not an expression).
	rule, rules bool
}

func (s *scanner) pos() lexer.Position {
	return lexer.Position{Offset: s.off, Line: s.line, Column: s.col}
}

// advance moves over n bytes, keeping line and column (columns count bytes,
// like source.Position).
func (s *scanner) advance(n int) {
	for i := 0; i < n && s.off < len(s.src); i++ {
		if s.src[s.off] == '\n' {
			s.line++
			s.col = 1
			s.lineHasCode = false
		} else {
			s.col++
		}
		s.off++
	}
}

func (s *scanner) peekAt(i int) byte {
	if s.off+i < len(s.src) {
		return s.src[s.off+i]
	}
	return 0
}

func (s *scanner) skipSpace(out *lexed) {
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			s.advance(1)
		case c == '/' && s.peekAt(1) == '/':
			end := strings.IndexByte(s.src[s.off:], '\n')
			if end < 0 {
				end = len(s.src) - s.off
			}
			text := strings.TrimRight(s.src[s.off:s.off+end], "\r")
			doc := strings.HasPrefix(text, "///") && !strings.HasPrefix(text, "////")
			out.comments = append(out.comments, comment{start: s.off, end: s.off + len(text), text: text, doc: doc, ownLine: !s.lineHasCode})
			s.advance(len(text))
		case c == '/' && s.peekAt(1) == '*':
			end := strings.Index(s.src[s.off+2:], "*/")
			if end < 0 {
				s.err = &lexError{start: s.off, end: s.off + 2, kind: lexUnterminatedComment, text: "/*"}
				return
			}
			n := end + 4
			out.comments = append(out.comments, comment{start: s.off, end: s.off + n, text: s.src[s.off : s.off+n], ownLine: !s.lineHasCode})
			s.advance(n)
			// Whatever follows on the line of a block comment's end does
			// not stand on a line of its own (so `/* */ ///` is no doc).
			s.lineHasCode = true
		default:
			return
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// threeCharOps and twoCharOps are matched before single characters. "==",
// "&&", "||" are not FHIRPath; they are tokens so the parser can say so.
var twoCharOps = []string{"!=", "!~", "<=", ">=", "==", "&&", "||"}

const singleCharOps = ".,()[]{}=~<>+-*/&|:@!"

func (s *scanner) next() (lexer.Token, bool) {
	start := s.pos()
	c := s.src[s.off]
	tok := func(typ lexer.TokenType, n int) (lexer.Token, bool) {
		t := lexer.Token{Type: typ, Value: s.src[s.off : s.off+n], Pos: start}
		s.advance(n)
		return t, true
	}
	if s.rule {
		s.rule = false
		return tok(tRule, s.ruleLen())
	}
	switch {
	case isIdentStart(c):
		n := 1
		for s.off+n < len(s.src) && isIdentChar(s.src[s.off+n]) {
			n++
		}
		if n == 6 && s.rules && s.src[s.off:s.off+6] == "expect" && !s.lineHasCode {
			s.rule = s.ruleFollows(6)
		}
		return tok(tIdent, n)
	case isDigit(c):
		return s.number(tok)
	case c == '\'':
		n, ok := s.quoted(0, '\'', lexUnterminatedString)
		if !ok {
			return lexer.Token{}, false
		}
		return tok(tString, n)
	case c == '`':
		n, ok := s.quoted(0, '`', lexUnterminatedQIdent)
		if !ok {
			return lexer.Token{}, false
		}
		return tok(tQIdent, n)
	case c == '"':
		n, ok := s.jsonString()
		if !ok {
			return lexer.Token{}, false
		}
		return tok(tJSONString, n)
	case c == '@':
		if isDigit(s.peekAt(1)) {
			return s.dateTime(tok)
		}
		if s.peekAt(1) == 'T' && isDigit(s.peekAt(2)) {
			n := 2 + s.timeFormat(2)
			if n == 2 {
				s.err = &lexError{start: s.off, end: s.off + 3, kind: lexBadDate, text: s.src[s.off : s.off+3]}
				return lexer.Token{}, false
			}
			return tok(tTime, n)
		}
		return tok(tPunct, 1)
	case c == '%':
		switch d := s.peekAt(1); {
		case isIdentStart(d):
			n := 2
			for s.off+n < len(s.src) && isIdentChar(s.src[s.off+n]) {
				n++
			}
			return tok(tVar, n)
		case d == '`':
			n, ok := s.quoted(1, '`', lexUnterminatedQIdent)
			if !ok {
				return lexer.Token{}, false
			}
			return tok(tVar, n)
		case d == '\'':
			n, ok := s.quoted(1, '\'', lexUnterminatedString)
			if !ok {
				return lexer.Token{}, false
			}
			return tok(tVar, n)
		}
		s.err = &lexError{start: s.off, end: s.off + 1, kind: lexBadVar, text: "%"}
		return lexer.Token{}, false
	case c == '$':
		if isIdentStart(s.peekAt(1)) {
			n := 2
			for s.off+n < len(s.src) && isIdentChar(s.src[s.off+n]) {
				n++
			}
			return tok(tSpecial, n)
		}
		s.err = &lexError{start: s.off, end: s.off + 1, kind: lexBadVar, text: "$"}
		return lexer.Token{}, false
	}
	for _, op := range twoCharOps {
		if strings.HasPrefix(s.src[s.off:], op) {
			return tok(tPunct, 2)
		}
	}
	if strings.IndexByte(singleCharOps, c) >= 0 {
		return tok(tPunct, 1)
	}
	// One whole UTF-8 character, for the message.
	n := 1
	for s.off+n < len(s.src) && s.src[s.off+n]&0xC0 == 0x80 {
		n++
	}
	s.err = &lexError{start: s.off, end: s.off + n, kind: lexBadChar, text: s.src[s.off : s.off+n]}
	return lexer.Token{}, false
}

// ruleFollows reports whether the keyword of n bytes at the current offset
// is followed, on its line, by the text of a rule: something that is not
// a column's `=` or `[` (a column may be named expect).
func (s *scanner) ruleFollows(n int) bool {
	i := s.off + n
	for i < len(s.src) && (s.src[i] == ' ' || s.src[i] == '\t') {
		i++
	}
	if i == s.off+n || i >= len(s.src) {
		return false
	}
	switch s.src[i] {
	case '=', '[', '\n', '\r':
		return false
	case '/':
		return i+1 >= len(s.src) || (s.src[i+1] != '/' && s.src[i+1] != '*')
	}
	return true
}

// ruleLen is the length of a rule's text: to the end of the line or a
// `//` comment outside CEL's quoted strings, trailing blanks excluded.
func (s *scanner) ruleLen() int {
	var quote byte
	end := 0
	for i := s.off; i < len(s.src); i++ {
		c := s.src[i]
		if c == '\n' {
			break
		}
		if quote != 0 {
			if c == '\\' && i+1 < len(s.src) && s.src[i+1] != '\n' {
				i++
			} else if c == quote {
				quote = 0
			}
		} else if c == '"' || c == '\'' || c == '`' {
			quote = c
		} else if c == '/' && i+1 < len(s.src) && s.src[i+1] == '/' {
			break
		}
		if c != ' ' && c != '\t' && c != '\r' {
			end = i - s.off + 1
		}
	}
	return end
}

// number lexes 12, 1.5, 12L and, for JSON attribute values, an exponent.
// A '.' only belongs to the number when a digit follows, so 1.toString() works.
func (s *scanner) number(tok func(lexer.TokenType, int) (lexer.Token, bool)) (lexer.Token, bool) {
	n := s.digits(0)
	frac := false
	if s.peekAt(n) == '.' && isDigit(s.peekAt(n+1)) {
		n = s.digits(n + 1)
		frac = true
	}
	if e := s.peekAt(n); e == 'e' || e == 'E' {
		m := n + 1
		if sg := s.peekAt(m); sg == '+' || sg == '-' {
			m++
		}
		if isDigit(s.peekAt(m)) {
			return tok(tNumber, s.digits(m))
		}
	}
	if !frac && s.peekAt(n) == 'L' && !isIdentChar(s.peekAt(n+1)) {
		return tok(tLong, n+1)
	}
	return tok(tNumber, n)
}

func (s *scanner) digits(i int) int {
	for isDigit(s.peekAt(i)) {
		i++
	}
	return i
}

func (s *scanner) digitsN(i, n int) bool {
	for k := 0; k < n; k++ {
		if !isDigit(s.peekAt(i + k)) {
			return false
		}
	}
	return true
}

// dateTime lexes the FHIRPath DATE / DATETIME forms after '@':
// YYYY(-MM(-DD)?)? ('T' (TIME TZ?)?)?.
func (s *scanner) dateTime(tok func(lexer.TokenType, int) (lexer.Token, bool)) (lexer.Token, bool) {
	if !s.digitsN(1, 4) {
		n := s.digits(1)
		s.err = &lexError{start: s.off, end: s.off + n, kind: lexBadDate, text: s.src[s.off : s.off+n]}
		return lexer.Token{}, false
	}
	n := 5
	if s.peekAt(n) == '-' && s.digitsN(n+1, 2) {
		n += 3
		if s.peekAt(n) == '-' && s.digitsN(n+1, 2) {
			n += 3
		}
	}
	if s.peekAt(n) != 'T' {
		return tok(tDate, n)
	}
	n++
	if t := s.timeFormat(n); t > 0 {
		n += t
		n += s.zone(n)
	}
	return tok(tDateTime, n)
}

// timeFormat matches HH(:mm(:ss(.fff)?)?)? at offset i, returning its length.
func (s *scanner) timeFormat(i int) int {
	if !s.digitsN(i, 2) {
		return 0
	}
	n := 2
	if s.peekAt(i+n) == ':' && s.digitsN(i+n+1, 2) {
		n += 3
		if s.peekAt(i+n) == ':' && s.digitsN(i+n+1, 2) {
			n += 3
			if s.peekAt(i+n) == '.' && isDigit(s.peekAt(i+n+1)) {
				n = s.digits(i+n+1) - i
			}
		}
	}
	return n
}

// zone matches Z or (+|-)HH:mm at offset i.
func (s *scanner) zone(i int) int {
	switch s.peekAt(i) {
	case 'Z':
		return 1
	case '+', '-':
		if s.digitsN(i+1, 2) && s.peekAt(i+3) == ':' && s.digitsN(i+4, 2) {
			return 6
		}
	}
	return 0
}

// quoted scans a FHIRPath string or delimited identifier whose opening quote
// is at offset skip, returning the lexeme length. Escapes are only checked
// for shape here; unescape decodes them.
func (s *scanner) quoted(skip int, q byte, kind lexErrKind) (int, bool) {
	i := skip + 1
	for s.off+i < len(s.src) {
		c := s.src[s.off+i]
		switch c {
		case '\\':
			if s.off+i+1 >= len(s.src) {
				break
			}
			if n := escapeLen(s.src[s.off+i:]); n > 0 {
				i += n
				continue
			}
			end := s.off + i + 2
			if end > len(s.src) {
				end = len(s.src)
			}
			s.err = &lexError{start: s.off + i, end: end, kind: lexBadEscape, text: s.src[s.off+i : end]}
			return 0, false
		case q:
			return i + 1, true
		}
		i++
	}
	s.err = &lexError{start: s.off, end: s.off + skip + 1, kind: kind, text: s.src[s.off : s.off+skip+1]}
	return 0, false
}

// escapeLen is the length of a valid FHIRPath escape at the start of s, or 0.
func escapeLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '\'', '"', '`', '\\', '/', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(s) >= 6 && isHex(s[2]) && isHex(s[3]) && isHex(s[4]) && isHex(s[5]) {
			return 6
		}
	}
	return 0
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// jsonString scans a double-quoted JSON string (attribute and annotation
// values). Raw newlines end it with an error, as JSON forbids them.
func (s *scanner) jsonString() (int, bool) {
	i := 1
	for s.off+i < len(s.src) {
		switch s.src[s.off+i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i + 1, true
		case '\n':
			i = len(s.src)
			continue
		}
		i++
	}
	s.err = &lexError{start: s.off, end: s.off + 1, kind: lexUnterminatedJSON, text: `"`}
	return 0, false
}

// unescape decodes a FHIRPath string or delimited identifier lexeme body
// (without its quotes). The lexer has already checked every escape.
func unescape(body string) string {
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 < len(body) && isHex(body[i+1]) && isHex(body[i+2]) && isHex(body[i+3]) && isHex(body[i+4]) {
				r := rune(hex4(body[i+1:]))
				i += 4
				// A UTF-16 surrogate pair (\uD83D\uDE00) is one character.
				if utf16.IsSurrogate(r) && i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' && isHex4(body[i+3:]) {
					if pair := utf16.DecodeRune(r, rune(hex4(body[i+3:]))); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
				b.WriteRune(r)
				continue
			}
			b.WriteString(`\u`)
		default:
			b.WriteByte(body[i])
		}
	}
	return b.String()
}

func isHex4(s string) bool {
	return len(s) >= 4 && isHex(s[0]) && isHex(s[1]) && isHex(s[2]) && isHex(s[3])
}

func hex4(s string) int {
	return hexVal(s[0])<<12 | hexVal(s[1])<<8 | hexVal(s[2])<<4 | hexVal(s[3])
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

// lexDef tells participle the token types. fhirql scans with its own
// scanner (scan), so lexical errors get fhirql's own messages and comments
// never reach the grammar.
type lexDef struct{}

// Symbols implements lexer.Definition.
func (lexDef) Symbols() map[string]lexer.TokenType { return symbols() }

// Lex is required by lexer.Definition; fhirql itself scans through scan,
// so this path only serves participle's own tooling.
func (lexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return &tokenStream{s: scanner{src: string(b), line: 1, col: 1}}, nil
}
