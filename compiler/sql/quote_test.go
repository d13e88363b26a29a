package sql

import (
	"fmt"
	"testing"
)

func TestQuoteLiteral(t *testing.T) {
	nchar := func(r rune) string { return fmt.Sprintf("NCHAR(%d)", r) }
	cases := []struct{ in, want string }{
		{"", "N''"},
		{"O'Neil", "N'O''Neil'"},
		{"a\nGO\nb", "(N'a' + NCHAR(10) + N'GO' + NCHAR(10) + N'b')"},
		{"x\u2028", "(N'x' + NCHAR(8232))"},
		{"\r", "NCHAR(13)"},
		{"bad\xffbyte", "N'bad\uFFFDbyte'"},
	}
	for _, c := range cases {
		if got := QuoteLiteral(c.in, "N", nchar, "+"); got != c.want {
			t.Errorf("QuoteLiteral(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
