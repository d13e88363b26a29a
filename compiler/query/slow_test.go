package query

import (
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/lang/source"
)

// TestDeepNesting: deeply nested input compiles and prints in time linear
// or quadratic in its size; nested CASEs once took 2^depth (the printer's
// one-line attempt), which the fuzzer found as a hang.
func TestDeepNesting(t *testing.T) {
	views := exampleViews(t)
	for _, s := range []string{
		"SELECT " + strings.Repeat("(", 2000) + "1" + strings.Repeat(")", 2000) + " FROM encounters",
		"SELECT " + strings.Repeat("id + ", 3000) + "1 FROM encounters",
		"SELECT " + strings.Repeat("(SELECT ", 200) + "1" + strings.Repeat(")", 200),
		strings.Repeat("SELECT id FROM encounters UNION ", 300) + "SELECT id FROM encounters",
		"SELECT id FROM encounters WHERE " + strings.Repeat("NOT ", 3000) + "id = 'a'",
		"SELECT " + strings.Repeat("CASE WHEN id = 'a' THEN ", 300) + "1" + strings.Repeat(" END", 300) + " FROM encounters",
	} {
		start := time.Now()
		c, _ := Compile(source.NewFileString("q.sql", s), Options{Views: views})
		if c != nil {
			for _, tg := range targets() {
				c2, _ := Compile(source.NewFileString("q.sql", s), Options{Views: views, Dialect: tg, Object: tg.Object})
				if c2 != nil {
					printQuery(tg, c2)
				}
			}
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%d bytes took %v", len(s), d)
		}
	}
}
