package viewdef

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fhirql/fhirql/lang/parse"
)

// fhirpathSyntax is the code lang/parse gives "@@": no expression where one
// must start.
const fhirpathSyntax = parse.CodeExpectedExpr

// exprKeys are the ViewDefinition properties that hold FHIRPath.
var exprKeys = map[string]bool{"path": true, "forEach": true, "forEachOrNull": true, "repeat": true}

// fhirpathEqual compares FHIRPath strings modulo the whitespace the canonical
// printer may add or remove between tokens, and everything else exactly.
var fhirpathEqual = cmp.FilterPath(func(p cmp.Path) bool {
	// The nearest map key above the string, through array indexes and
	// interface assertions, says what the string is.
	for i := len(p) - 1; i >= 0; i-- {
		switch s := p[i].(type) {
		case cmp.MapIndex:
			k, _ := s.Key().Interface().(string)
			return exprKeys[k]
		case cmp.SliceIndex, cmp.TypeAssertion:
		default:
			return false
		}
	}
	return false
}, cmp.Comparer(func(a, b string) bool { return squeeze(a) == squeeze(b) }))

// squeeze drops whitespace outside FHIRPath string literals and
// backtick-quoted identifiers.
func squeeze(s string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`':
			quote = c
			b.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestFhirpathEqual(t *testing.T) {
	doc := func(path, name string, repeat ...any) any {
		return map[string]any{"select": []any{map[string]any{
			"column": []any{map[string]any{"path": path, "name": name}},
			"repeat": repeat,
		}}}
	}
	for _, tc := range []struct {
		a, b any
		eq   bool
	}{
		{doc("a.where(x='y z')", "n", "item"), doc("a.where(x = 'y z')", "n", "item"), true},
		{doc("a.where(x='y z')", "n"), doc("a.where(x = 'yz')", "n"), false}, // inside a string
		{doc("a.b", "n"), doc("a.c", "n"), false},
		{doc("a", "n x"), doc("a", "nx"), false}, // not FHIRPath
		{doc("a", "n", "item . answer"), doc("a", "n", "item.answer"), true},
		{doc("a", "n", "item.answer"), doc("a", "n", "item.answers"), false},
	} {
		if got := cmp.Equal(tc.a, tc.b, fhirpathEqual); got != tc.eq {
			t.Errorf("Equal(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.eq)
		}
	}
}
