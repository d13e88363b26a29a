package tsql

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/sql"
)

// likeRE turns a T-SQL LIKE pattern (%, _, [..], [^..]; no escape
// character) into an anchored regular expression, to evaluate the
// patterns without a server.
func likeRE(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s)`)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '[':
			j := strings.IndexByte(p[i+1:], ']') + i + 1
			cls := p[i+1 : j]
			neg := strings.HasPrefix(cls, "^")
			cls = strings.TrimPrefix(cls, "^")
			b.WriteString("[")
			if neg {
				b.WriteString("^")
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, `]`, `\]`).Replace(cls))
			b.WriteString("]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// eval evaluates the AND/OR tree of LIKE tests loneSurrogate builds.
func eval(t *testing.T, e sql.Expr, s string) bool {
	switch e := e.(type) {
	case *sql.Bin:
		switch e.Op {
		case sql.OpAnd:
			return eval(t, e.X, s) && eval(t, e.Y, s)
		case sql.OpOr:
			return eval(t, e.X, s) || eval(t, e.Y, s)
		}
	case *sql.Like:
		return likeRE(e.Pattern.(*sql.ASCII).V).MatchString(s)
	}
	t.Fatalf("unexpected node %T", e)
	return false
}

// TestLoneSurrogate: the LIKE patterns find exactly the surrogate escapes
// that are not a high half directly followed by a low half (the runtime's
// BadUTF8 and DuckDB's json_valid).
func TestLoneSurrogate(t *testing.T) {
	e := loneSurrogate(&sql.Col{Name: "doc"})
	for s, want := range map[string]bool{
		`{"a":"\ud800"}`:                        true,
		`{"a":"\udc00"}`:                        true,
		`{"a":"x\udc00y"}`:                      true,
		`{"a":"\ud800\ud800"}`:                  true,
		`{"a":"\ud800\u0041"}`:                  true,
		`{"a":"\ud800\n"}`:                      true,
		`{"a":"\ude00\ud83d"}`:                  true,
		`{"a":"\ud83d\ude00\udc00"}`:            true,
		`{"a":"\ud83d\ude00"}`:                  false,
		`{"a":"\uD83D\uDE00 and \ud83c\udf89"}`: false,
		`{"a":"\uDBFF\uDFFF"}`:                  false,
		`{"a":"\u00e9 \ud7ff \ue000"}`:          false,
		`{"a":"plain"}`:                         false,
	} {
		if got := eval(t, e, s); got != want {
			t.Errorf("%s: lone surrogate = %v, want %v", s, got, want)
		}
	}
}
