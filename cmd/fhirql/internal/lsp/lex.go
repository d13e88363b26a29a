package lsp

// A small lexer of .fview text for the editor features that must work on
// text the parser cannot make sense of: deciding whether the cursor sits in
// a comment or a string, how deeply braces and parentheses nest there, and
// which words are keywords for semantic highlighting. It never fails; it
// only classifies bytes.

type tokKind int

const (
	tokIdent tokKind = iota
	tokQIdent
	tokString     // 'FHIRPath string'
	tokJSONString // "JSON string" (.fview attribute values)
	tokNumber
	tokVar     // %name
	tokSpecial // $this
	tokDate    // @2020-01-01
	tokComment // // or /* */
	tokPunct
)

type tok struct {
	kind       tokKind
	start, end int
	closed     bool // strings, quoted names and block comments: the closing delimiter was found
}

func isIdentStartByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentByte(c byte) bool { return isIdentStartByte(c) || (c >= '0' && c <= '9') }

// lexText splits src into tokens; whitespace is dropped.
func lexText(src string) []tok {
	var out []tok
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			i++
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			out = append(out, tok{tokComment, start, i, true})
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i += 2
			closed := false
			for i < len(src) {
				if src[i] == '*' && i+1 < len(src) && src[i+1] == '/' {
					i += 2
					closed = true
					break
				}
				i++
			}
			out = append(out, tok{tokComment, start, i, closed})
			continue
		case isIdentStartByte(c):
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
			out = append(out, tok{tokIdent, start, i, true})
			continue
		case c >= '0' && c <= '9':
			for i < len(src) && (isIdentByte(src[i]) || (src[i] == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9')) {
				i++
			}
			out = append(out, tok{tokNumber, start, i, true})
			continue
		case c == '\'' || c == '`' || c == '"':
			end, closed := quotedEnd(src, i, c)
			kind := tokString
			if c == '`' {
				kind = tokQIdent
			} else if c == '"' {
				kind = tokJSONString
			}
			i = end
			out = append(out, tok{kind, start, i, closed})
			continue
		case c == '%' || c == '$':
			i++
			closed := true
			if i < len(src) && (src[i] == '`' || src[i] == '\'') {
				i, closed = quotedEnd(src, i, src[i])
			} else {
				for i < len(src) && isIdentByte(src[i]) {
					i++
				}
			}
			kind := tokVar
			if c == '$' {
				kind = tokSpecial
			}
			out = append(out, tok{kind, start, i, closed})
			continue
		case c == '@' && i+1 < len(src) && (src[i+1] == 'T' || (src[i+1] >= '0' && src[i+1] <= '9')):
			i++
			for i < len(src) && (isIdentByte(src[i]) || src[i] == '-' || src[i] == ':' || src[i] == '.' || src[i] == '+') {
				i++
			}
			out = append(out, tok{tokDate, start, i, true})
			continue
		}
		// Punctuation: one byte, or one whole UTF-8 character.
		i++
		for i < len(src) && src[i]&0xC0 == 0x80 {
			i++
		}
		out = append(out, tok{tokPunct, start, i, true})
	}
	return out
}

// quotedEnd finds the end of a quoted lexeme starting at src[i] == q. A
// string never spans lines in .fview, so an unclosed one ends at the newline.
func quotedEnd(src string, i int, q byte) (int, bool) {
	i++
	for i < len(src) {
		switch src[i] {
		case '\\':
			i += 2
			continue
		case q:
			return i + 1, true
		case '\n':
			return i, false
		}
		i++
	}
	if i > len(src) {
		i = len(src)
	}
	return i, false
}

// cursorContext is what the text alone says about a position.
type cursorContext struct {
	inComment bool
	inString  bool
	braces    int   // open { before the position
	braceAt   []int // offsets of those braces, outermost first
	parens    []int // offsets of unclosed ( and [ before the position, innermost last
	prev      []tok // up to three tokens before the word at the position, nearest first
}

// contextAt lexes src up to pos. wordStart is where the identifier being
// typed at pos begins (pos itself when there is none).
func contextAt(src string, pos, wordStart int) cursorContext {
	var cc cursorContext
	toks := lexText(src[:pos])
	for _, t := range toks {
		if t.end >= pos && t.start < pos {
			switch t.kind {
			case tokComment:
				if !(t.closed && t.end <= pos && src[t.start+1] == '*') {
					cc.inComment = true
				}
			case tokString, tokJSONString, tokQIdent:
				if !t.closed {
					cc.inString = true
				}
			}
		}
		if t.kind != tokPunct {
			continue
		}
		switch src[t.start] {
		case '{':
			cc.braces++
			cc.braceAt = append(cc.braceAt, t.start)
		case '}':
			if cc.braces > 0 {
				cc.braces--
				cc.braceAt = cc.braceAt[:len(cc.braceAt)-1]
			}
		case '(', '[':
			cc.parens = append(cc.parens, t.start)
		case ')', ']':
			if len(cc.parens) > 0 {
				cc.parens = cc.parens[:len(cc.parens)-1]
			}
		}
	}
	for i := len(toks) - 1; i >= 0 && len(cc.prev) < 3; i-- {
		t := toks[i]
		if t.start >= wordStart || t.kind == tokComment {
			continue
		}
		cc.prev = append(cc.prev, t)
	}
	return cc
}
