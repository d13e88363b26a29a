package viewdef

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small JSON reader that keeps the byte offset of every key and
// value. encoding/json forgets where things were once a value is decoded, and
// every diagnostic and every FHIRPath span must point into the JSON text, so
// the reader builds its own tree of jvals over the original bytes.

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// kindNoun names a JSON kind the way messages talk about it.
func (k jkind) noun() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// jval is one JSON value with its raw extent [start, end) in the file.
type jval struct {
	kind    jkind
	start   int
	end     int
	text    string // jString: the decoded text; jNumber: the lexeme; jBool: "true"/"false"
	elems   []*jval
	members []*jmember
}

// jmember is one "key": value pair of an object.
type jmember struct {
	key *jval // always a jString
	val *jval
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 500

// jsonError is where and why the text stops being JSON.
type jsonError struct {
	off int
	msg string
}

type jscanner struct {
	src   string
	i     int
	depth int
	err   *jsonError
}

// parseJSON reads one JSON document. On failure it returns the offset of the
// offending byte and a message saying what was expected there.
func parseJSON(src string) (*jval, *jsonError) {
	s := &jscanner{src: src}
	if strings.HasPrefix(src, "\uFEFF") {
		s.i = 3
	}
	s.skipSpace()
	if s.i >= len(s.src) {
		return nil, &jsonError{off: s.i, msg: "the file is empty; a ViewDefinition is a JSON object"}
	}
	v := s.value()
	if s.err != nil {
		return nil, s.err
	}
	s.skipSpace()
	if s.i < len(s.src) {
		return nil, &jsonError{off: s.i, msg: "unexpected text after the end of the JSON value; a file holds one ViewDefinition object or an array of them"}
	}
	return v, nil
}

func (s *jscanner) fail(off int, format string, args ...any) {
	if s.err == nil {
		s.err = &jsonError{off: off, msg: fmt.Sprintf(format, args...)}
	}
}

func (s *jscanner) skipSpace() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// describe names the byte at i for a message: a quoted character or "end of file".
func (s *jscanner) describe(i int) string {
	if i >= len(s.src) {
		return "the end of the file"
	}
	r, _ := utf8.DecodeRuneInString(s.src[i:])
	return strconv.QuoteRune(r)
}

func (s *jscanner) value() *jval {
	if s.err != nil {
		return nil
	}
	if s.i >= len(s.src) {
		s.fail(s.i, "unexpected end of the file; expected a JSON value")
		return nil
	}
	switch c := s.src[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		return s.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true", jBool)
	case c == 'f':
		return s.literal("false", jBool)
	case c == 'n':
		return s.literal("null", jNull)
	case c == '/' && s.i+1 < len(s.src) && (s.src[s.i+1] == '/' || s.src[s.i+1] == '*'):
		s.fail(s.i, "JSON does not allow comments; remove it")
	case c == '\'':
		s.fail(s.i, "JSON strings are written in double quotes, not single quotes")
	default:
		s.fail(s.i, "unexpected %s; expected a JSON value", s.describe(s.i))
	}
	return nil
}

func (s *jscanner) literal(word string, k jkind) *jval {
	if !strings.HasPrefix(s.src[s.i:], word) {
		s.fail(s.i, "unexpected %s; expected a JSON value (did you mean %s?)", s.describe(s.i), word)
		return nil
	}
	v := &jval{kind: k, start: s.i, end: s.i + len(word), text: word}
	s.i += len(word)
	return v
}

func (s *jscanner) enter() bool {
	s.depth++
	if s.depth > maxDepth {
		s.fail(s.i, "JSON nested more than %d levels deep", maxDepth)
		return false
	}
	return true
}

func (s *jscanner) object() *jval {
	v := &jval{kind: jObject, start: s.i}
	if !s.enter() {
		return nil
	}
	defer func() { s.depth-- }()
	s.i++ // {
	s.skipSpace()
	if s.i < len(s.src) && s.src[s.i] == '}' {
		s.i++
		v.end = s.i
		return v
	}
	for {
		s.skipSpace()
		if s.i >= len(s.src) {
			s.fail(s.i, "unexpected end of the file inside an object; expected a property name in double quotes")
			return nil
		}
		if s.src[s.i] != '"' {
			if s.src[s.i] == '}' && len(v.members) > 0 {
				s.fail(s.i, "JSON does not allow a comma before '}'; remove the trailing comma")
			} else {
				s.fail(s.i, "unexpected %s; expected a property name in double quotes", s.describe(s.i))
			}
			return nil
		}
		key := s.string()
		if s.err != nil {
			return nil
		}
		s.skipSpace()
		if s.i >= len(s.src) || s.src[s.i] != ':' {
			s.fail(s.i, "unexpected %s; expected ':' after property name %q", s.describe(s.i), key.text)
			return nil
		}
		s.i++
		s.skipSpace()
		val := s.value()
		if s.err != nil {
			return nil
		}
		v.members = append(v.members, &jmember{key: key, val: val})
		s.skipSpace()
		if s.i >= len(s.src) {
			s.fail(s.i, "unexpected end of the file; expected ',' or '}' to continue the object")
			return nil
		}
		switch s.src[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			v.end = s.i
			return v
		default:
			s.fail(s.i, "unexpected %s; expected ',' or '}' after the value of %q", s.describe(s.i), key.text)
			return nil
		}
	}
}

func (s *jscanner) array() *jval {
	v := &jval{kind: jArray, start: s.i}
	if !s.enter() {
		return nil
	}
	defer func() { s.depth-- }()
	s.i++ // [
	s.skipSpace()
	if s.i < len(s.src) && s.src[s.i] == ']' {
		s.i++
		v.end = s.i
		return v
	}
	for {
		s.skipSpace()
		if s.i < len(s.src) && s.src[s.i] == ']' && len(v.elems) > 0 {
			s.fail(s.i, "JSON does not allow a comma before ']'; remove the trailing comma")
			return nil
		}
		e := s.value()
		if s.err != nil {
			return nil
		}
		v.elems = append(v.elems, e)
		s.skipSpace()
		if s.i >= len(s.src) {
			s.fail(s.i, "unexpected end of the file; expected ',' or ']' to continue the array")
			return nil
		}
		switch s.src[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			v.end = s.i
			return v
		default:
			s.fail(s.i, "unexpected %s; expected ',' or ']' after an array element", s.describe(s.i))
			return nil
		}
	}
}

func (s *jscanner) number() *jval {
	start := s.i
	i := s.i
	digits := func() int {
		n := 0
		for i < len(s.src) && s.src[i] >= '0' && s.src[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if s.src[i] == '-' {
		i++
	}
	if i < len(s.src) && s.src[i] == '0' {
		i++
		if i < len(s.src) && s.src[i] >= '0' && s.src[i] <= '9' {
			s.fail(i-1, "JSON numbers cannot have leading zeros")
			return nil
		}
	} else if digits() == 0 {
		s.fail(i, "unexpected %s; expected a digit", s.describe(i))
		return nil
	}
	if i < len(s.src) && s.src[i] == '.' {
		i++
		if digits() == 0 {
			s.fail(i, "unexpected %s; expected a digit after the decimal point", s.describe(i))
			return nil
		}
	}
	if i < len(s.src) && (s.src[i] == 'e' || s.src[i] == 'E') {
		i++
		if i < len(s.src) && (s.src[i] == '+' || s.src[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.fail(i, "unexpected %s; expected a digit in the exponent", s.describe(i))
			return nil
		}
	}
	s.i = i
	return &jval{kind: jNumber, start: start, end: i, text: s.src[start:i]}
}

// string scans a string token and decodes it the way encoding/json does:
// invalid UTF-8 and lone surrogates become U+FFFD.
func (s *jscanner) string() *jval {
	start := s.i
	i := s.i + 1
	var b strings.Builder
	plain := i // start of the pending run of bytes copied verbatim
	for {
		if i >= len(s.src) {
			s.fail(start, "string is not closed; add the closing '\"'")
			return nil
		}
		c := s.src[i]
		switch {
		case c == '"':
			b.WriteString(s.src[plain:i])
			i++
			s.i = i
			return &jval{kind: jString, start: start, end: i, text: b.String()}
		case c == '\\':
			b.WriteString(s.src[plain:i])
			r, n, msg := decodeEscape(s.src, i)
			if msg != "" {
				s.fail(i, "%s", msg)
				return nil
			}
			b.WriteRune(r)
			i += n
			plain = i
		case c < 0x20:
			if c == '\n' {
				s.fail(i, "string is not closed before the end of the line; add the closing '\"' (a line break inside a string is written \\n)")
			} else {
				s.fail(i, "control character %U inside a string; escape it", rune(c))
			}
			return nil
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRuneInString(s.src[i:])
			if r == utf8.RuneError && n == 1 {
				b.WriteString(s.src[plain:i])
				b.WriteRune(utf8.RuneError)
				plain = i + 1
			}
			i += n
		}
	}
}

// decodeEscape decodes the escape sequence at src[i] (a backslash) and says
// how many bytes it used; msg is set when the escape is invalid.
func decodeEscape(src string, i int) (r rune, n int, msg string) {
	if i+1 >= len(src) {
		return 0, 0, "string is not closed; add the closing '\"'"
	}
	switch src[i+1] {
	case '"':
		return '"', 2, ""
	case '\\':
		return '\\', 2, ""
	case '/':
		return '/', 2, ""
	case 'b':
		return '\b', 2, ""
	case 'f':
		return '\f', 2, ""
	case 'n':
		return '\n', 2, ""
	case 'r':
		return '\r', 2, ""
	case 't':
		return '\t', 2, ""
	case 'u':
		r, ok := hex4(src, i+2)
		if !ok {
			return 0, 0, `invalid \u escape; write four hex digits, e.g. \u00e9`
		}
		if utf16.IsSurrogate(r) {
			if r < 0xDC00 && i+11 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
				if r2, ok := hex4(src, i+8); ok {
					if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
						return c, 12, ""
					}
				}
			}
			return utf8.RuneError, 6, ""
		}
		return r, 6, ""
	default:
		return 0, 0, fmt.Sprintf(`invalid escape "\%c" in a string; a backslash is written \\`, rune(src[i+1]))
	}
}

func hex4(src string, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(src[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// stringOffsets maps each byte offset of a string's decoded text (0 through
// len(text)) to the file offset of the raw JSON that produced it. A byte that
// comes from an escape maps to the escape's backslash, and len(text) maps to
// the closing quote, so a span inside the decoded text becomes a span inside
// the JSON string token whatever escapes it holds.
func stringOffsets(src string, v *jval) []int {
	offs := make([]int, 0, len(v.text)+1)
	i := v.start + 1
	for i < v.end-1 {
		c := src[i]
		switch {
		case c == '\\':
			r, n, _ := decodeEscape(src, i)
			if n == 0 { // cannot happen on a scanned token; stay safe
				n = 1
			}
			for range utf8.RuneLen(r) {
				offs = append(offs, i)
			}
			i += n
		case c < utf8.RuneSelf:
			offs = append(offs, i)
			i++
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n == 1 {
				for range utf8.RuneLen(utf8.RuneError) {
					offs = append(offs, i)
				}
			} else {
				for k := range n {
					offs = append(offs, i+k)
				}
			}
			i += n
		}
	}
	offs = append(offs, v.end-1)
	return offs
}

// compactJSON returns the raw text of v without insignificant whitespace.
// Strings and numbers are copied byte for byte, so escapes and number
// lexemes survive exactly.
func compactJSON(src string, v *jval) string {
	raw := src[v.start:v.end]
	var b strings.Builder
	b.Grow(len(raw))
	inStr := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inStr {
			b.WriteByte(c)
			switch c {
			case '\\':
				if i+1 < len(raw) {
					i++
					b.WriteByte(raw[i])
				}
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inStr = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
