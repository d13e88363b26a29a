package sql

import (
	"strings"
)

// QuoteLiteral writes s as a string literal of a dialect: prefix + '...'
// with "'" doubled. Characters that could break a line (controls, U+0085,
// U+2028, U+2029) are never written raw: each becomes char(rune) (NCHAR(n),
// chr(n)), and the pieces are joined with concat (+, ||) inside parentheses.
// So a literal never spans lines and no value can forge a batch separator or
// end a comment. Every dialect's QuoteString goes through here, so this
// escaping exists once.
func QuoteLiteral(s, prefix string, char func(rune) string, concat string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var parts []string
	var cur strings.Builder
	flush := func(force bool) {
		if cur.Len() > 0 || force {
			parts = append(parts, prefix+"'"+strings.ReplaceAll(cur.String(), "'", "''")+"'")
			cur.Reset()
		}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			flush(false)
			parts = append(parts, char(r))
			continue
		}
		cur.WriteRune(r)
	}
	flush(len(parts) == 0)
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " "+concat+" ") + ")"
}
