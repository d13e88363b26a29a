package query

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/source"
)

// TestHostileParams: parameter values reach the SQL only as literals
// quoted and escaped by the target's printer; values that do not fit the
// parameter's type are errors, never text pasted into the query.
func TestHostileParams(t *testing.T) {
	views := exampleViews(t)
	q := "SELECT id FROM encounters WHERE status = :s AND id <> :s2 ORDER BY id"
	for _, v := range []string{"x'; DROP TABLE t; --", "a\nGO\nDROP TABLE t", "]]\"'`", "Ω\u2028\u0000end", "' OR 1=1 --"} {
		for name, tg := range targets() {
			c, diags := Compile(source.NewFileString("q.sql", q), Options{Views: views, Dialect: tg, Object: tg.Object, Params: map[string]string{"s": v, "s2": v}})
			if c == nil {
				t.Fatalf("%s %q: %v", name, v, diags.Err())
			}
			out := printQuery(tg, c)
			for _, line := range strings.Split(out, "\n") {
				if strings.TrimSpace(line) == "GO" || strings.Contains(line, "DROP") && !strings.Contains(line, "'") {
					t.Errorf("%s: %q escaped the literal:\n%s", name, v, out)
				}
			}
			want := tg.QuoteString(v, true)
			if !strings.Contains(out, want) {
				t.Errorf("%s: the value %q is not the literal %s:\n%s", name, v, want, out)
			}
		}
	}
	// a number parameter takes numbers only
	_, diags := Compile(source.NewFileString("q.sql", "SELECT patient_id FROM patient_addresses WHERE address_index = :n"),
		Options{Views: views, Params: map[string]string{"n": "1 OR 1=1"}})
	if len(diags) != 1 || diags[0].Code != CodeParam || !strings.Contains(diags[0].Message, "is an integer here") {
		t.Errorf("integer parameter: %v", diags)
	}
	_, diags = Compile(source.NewFileString("q.sql", "SELECT id FROM encounters WHERE DATEDIFF(start, :d) > 1"),
		Options{Views: views, Params: map[string]string{"d": "2020-01-01'"}})
	if diags.HasErrors() {
		t.Errorf("a string used as a date stays a literal: %v", diags)
	}
}

// TestHostileNames: output and FROM names with brackets, quotes and
// backquotes are quoted identifiers on every target.
func TestHostileNames(t *testing.T) {
	views := exampleViews(t)
	q := "SELECT e.id AS `a]b\"c` FROM encounters AS `we]ird` JOIN encounters AS e ON e.id = `we]ird`.id ORDER BY 1"
	for name, tg := range targets() {
		c, diags := Compile(source.NewFileString("q.sql", q), Options{Views: views, Dialect: tg, Object: tg.Object})
		if c == nil {
			t.Fatalf("%s: %v", name, diags.Err())
		}
		out := printQuery(tg, c)
		for _, want := range []string{tg.QuoteIdent(`a]b"c`), tg.QuoteIdent("we]ird")} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: want %s in\n%s", name, want, out)
			}
		}
	}
	// a parameter name is letters, digits and _ (sqlparser's lexer allows dots)
	_, diags := Compile(source.NewFileString("q.sql", "SELECT id FROM encounters WHERE status = :a.b"), Options{Views: views})
	if len(diags) == 0 || diags[0].Code != CodeParam {
		t.Errorf("parameter name with a dot: %v", diags)
	}
}
