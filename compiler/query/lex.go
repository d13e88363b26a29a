package query

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/lang/source"
)

// sqlparser gives a position for syntax errors only; its tree carries none.
// Spans for names, literals and calls are found by locating their tokens in
// the text: this small lexer splits the query into tokens with byte spans,
// and each lookup of a token text takes the next occurrence not yet taken by
// an earlier lookup of the same text. The checker walks each SELECT in the
// order its clauses are written (FROM first, for scope, then the select
// list, WHERE, GROUP BY, HAVING, ORDER BY), so the n-th reference to a name
// is its n-th occurrence in almost every query; when a name is used in a
// different order, a diagnostic may point at another use of the same name,
// never at an unrelated place.

type tokKind int

const (
	tIdent  tokKind = iota // bare word, compared case-insensitively
	tQuoted                // `backquoted identifier`
	tString                // 'text' or "text"
	tNumber
	tParam // :name
	tPunct
)

type token struct {
	kind tokKind
	text string // identifiers lower-cased and unquoted; strings unescaped
	sp   source.Span
}

// lex splits SQL text into tokens; comments and white space are skipped,
// and text it does not understand becomes one-character punctuation (the
// parser reports the error).
func lex(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 4
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, strings.ToLower(s[i:j]), span(i, j)})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.' || (s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			toks = append(toks, token{tNumber, s[i:j], span(i, j)})
			i = j
		case c == '\'' || c == '"' || c == '`':
			var b strings.Builder
			j := i + 1
			for j < len(s) {
				if s[j] == '\\' && c != '`' && j+1 < len(s) {
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			k := tString
			if c == '`' {
				k = tQuoted
			}
			toks = append(toks, token{k, b.String(), span(i, j)})
			i = j
		case c == ':' && i+1 < len(s) && isIdentStart(s[i+1]):
			j := i + 1
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tParam, s[i+1 : j], span(i, j)})
			i = j
		default:
			j := i + 1
			if j < len(s) && strings.Contains("<>!=|&", string(c)) && strings.Contains("=>|&", string(s[j])) {
				j++
			}
			toks = append(toks, token{tPunct, s[i:j], span(i, j)})
			i = j
		}
	}
	return toks
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

func span(i, j int) source.Span { return source.Span{Start: source.Pos(i), End: source.Pos(j)} }

// locator hands out token spans, each occurrence once per kind of lookup.
type locator struct {
	toks []token
	used map[string]int
}

func newLocator(toks []token) *locator { return &locator{toks: toks, used: map[string]int{}} }

func isName(t token) bool { return t.kind == tIdent || t.kind == tQuoted }

// name locates a possibly qualified name (q.n), matched case-insensitively.
func (l *locator) name(qual, name string) source.Span {
	qual, name = strings.ToLower(qual), strings.ToLower(name)
	key := "n\x00" + qual + "\x00" + name
	want := l.used[key]
	l.used[key]++
	n := 0
	for i := range l.toks {
		if !isName(l.toks[i]) || strings.ToLower(l.toks[i].text) != name {
			continue
		}
		sp := l.toks[i].sp
		if qual != "" {
			if i < 2 || l.toks[i-1].text != "." || !isName(l.toks[i-2]) || strings.ToLower(l.toks[i-2].text) != qual {
				continue
			}
			sp.Start = l.toks[i-2].sp.Start
		} else if i >= 1 && l.toks[i-1].text == "." {
			continue
		}
		if n == want {
			return sp
		}
		n++
	}
	return l.fallback(name)
}

// call locates a function call, name through its closing parenthesis.
func (l *locator) call(name string) source.Span {
	name = strings.ToLower(name)
	key := "c\x00" + name
	want := l.used[key]
	l.used[key]++
	n := 0
	for i := range l.toks {
		if l.toks[i].kind != tIdent || l.toks[i].text != name || i+1 >= len(l.toks) || l.toks[i+1].text != "(" {
			continue
		}
		if n < want {
			n++
			continue
		}
		depth := 0
		for j := i + 1; j < len(l.toks); j++ {
			switch l.toks[j].text {
			case "(":
				depth++
			case ")":
				depth--
				if depth == 0 {
					return l.toks[i].sp.Join(l.toks[j].sp)
				}
			}
		}
		return l.toks[i].sp
	}
	return l.fallback(name)
}

// lit locates a literal or parameter token by kind and text.
func (l *locator) lit(kind tokKind, text string) source.Span {
	key := "l\x00" + strconv.Itoa(int(kind)) + "\x00" + text
	want := l.used[key]
	l.used[key]++
	n := 0
	for _, t := range l.toks {
		if t.kind != kind || t.text != text {
			continue
		}
		if n == want {
			return t.sp
		}
		n++
	}
	return l.fallback(text)
}

// word locates a keyword (LIMIT, JOIN, ...).
func (l *locator) word(w string) source.Span {
	return l.lit(tIdent, strings.ToLower(w))
}

// fallback is the first token with the text, else the start of the query.
func (l *locator) fallback(text string) source.Span {
	for _, t := range l.toks {
		if strings.EqualFold(t.text, text) {
			return t.sp
		}
	}
	if len(l.toks) > 0 {
		return l.toks[0].sp
	}
	return source.Span{}
}

// rewrite is one edit made to the text before sqlparser sees it.
type rewrite struct {
	at, oldLen, newLen int
}

// prepare rewrites what sqlparser does not parse but fhirql supports:
// FULL [OUTER] JOIN becomes STRAIGHT_JOIN (a MySQL join sqlparser keeps
// as written, and which users may not write themselves), so the join kind
// survives into the tree. It returns the text to parse and the edits, which
// map parser positions back to the user's text.
func prepare(text string, toks []token) (string, []rewrite) {
	var b strings.Builder
	var edits []rewrite
	last := 0
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tIdent || toks[i].text != "full" {
			continue
		}
		j := i + 1
		if j < len(toks) && toks[j].kind == tIdent && toks[j].text == "outer" {
			j++
		}
		if j >= len(toks) || toks[j].kind != tIdent || toks[j].text != "join" {
			continue
		}
		start, end := int(toks[i].sp.Start), int(toks[j].sp.End)
		b.WriteString(text[last:start])
		b.WriteString("straight_join")
		edits = append(edits, rewrite{at: start, oldLen: end - start, newLen: len("straight_join")})
		last = end
		i = j
	}
	b.WriteString(text[last:])
	return b.String(), edits
}

// original maps a position in the rewritten text back to the user's text.
func original(pos int, edits []rewrite) int {
	shift := 0
	for _, e := range edits {
		newAt := e.at + shift
		if pos <= newAt {
			break
		}
		if pos < newAt+e.newLen {
			return e.at
		}
		shift += e.newLen - e.oldLen
	}
	return pos - shift
}

var syntaxPosRE = regexp.MustCompile(`at position (\d+)(?: near '(.*)')?$`)
