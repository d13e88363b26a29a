package query

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/lang/source"
)

// TestDiagnostics checks each kind of error at its line and column.
func TestDiagnostics(t *testing.T) {
	views := exampleViews(t)
	for _, tc := range []struct {
		sql, want string // want: "line:col CODE message part"
	}{
		{"SELECT gendr FROM patient_demographics", `1:8 FQL5003 no column "gendr" in "patient_demographics"`},
		{"SELECT id FROM patient_demographic", `1:16 FQL5002 no view named "patient_demographic"`},
		{"SELECT p.id FROM patient_demographics AS p\nWHERE p.birth_date > 1970", "2:7 FQL5006 comparing date (as text) with integer"},
		{"SELECT id\nFROM encounters AS a JOIN encounters AS b ON a.id = b.id", `1:8 FQL5004 column "id" is in a and b`},
		{"SELECT soundex(id) FROM encounters", `1:8 FQL5005 function "soundex" is not in the portable set`},
		{"SELECT id FROM encounters WHERE", "1:32 FQL5001 syntax error: the query ends too early"},
		{"SELECT id FROM encounters WHERE id = ) 1", `1:38 FQL5001 syntax error near ")"`},
		{"SELECT id FRM encounters", `1:15 FQL5001 syntax error near "encounters"`},
		{"SELECT id FROM encounters AS e FULL JOIN encounters AS f ON e.id = f.id WHERE e.id = = 1", `1:86 FQL5001 syntax error near "="`},
		{"SELECT x.id FROM encounters AS e", `1:8 FQL5003 no view or alias "x"`},
		{"SELECT UPPER(id, 2) FROM encounters", "1:8 FQL5008 UPPER takes 1 argument(s), not 2"},
		{"SELECT id + 1 FROM encounters", "1:8 FQL5006 + needs numbers, not string"},
		{"SELECT id FROM encounters LIMIT 3", "1:27 FQL5011 LIMIT without ORDER BY"},
		{"SELECT e.id FROM encounters AS e\n  JOIN patient_demographics AS p USING (id)", "2:34 FQL5007 JOIN ... USING"},
		{"DELETE FROM encounters", "1:1 FQL5007 a statement other than SELECT"},
		{"SELECT id FROM (SELECT id FROM encounters ORDER BY id) AS x", "1:43 FQL5007 ORDER BY in a subquery without LIMIT"},
		{"SELECT id FROM encounters UNION SELECT id, status FROM encounters", "1:27 FQL5013 the queries of a UNION have 1 and 2 columns"},
		{"SELECT id, id FROM encounters", `FQL5012 two output columns are named "id"`},
		{"SELECT id FROM encounters WHERE status LIKE '[a]%'", "1:45 FQL5007 a LIKE pattern with [ or ]"},
	} {
		f := source.NewFileString("q.sql", tc.sql)
		_, diags := Compile(f, Options{Views: views})
		var got []string
		for _, d := range diags {
			p := f.Position(d.Span.Start)
			got = append(got, strings.Join([]string{itoa(p.Line) + ":" + itoa(p.Col), string(d.Code), d.Message}, " "))
		}
		found := false
		for _, g := range got {
			if strings.Contains(g, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%q:\n got %q\nwant %q", tc.sql, got, tc.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSuggestion: a misspelt view or column suggests the right name and a fix.
func TestSuggestion(t *testing.T) {
	views := exampleViews(t)
	f := source.NewFileString("q.sql", "SELECT gendr FROM patient_demographcs")
	_, diags := Compile(f, Options{Views: views})
	if len(diags) != 1 || len(diags[0].Edits) != 1 || diags[0].Edits[0].NewText != "patient_demographics" {
		t.Fatalf("want one diagnostic with an edit to patient_demographics, got %v", diags)
	}
	f = source.NewFileString("q.sql", "SELECT gendr FROM patient_demographics")
	_, diags = Compile(f, Options{Views: views})
	if len(diags) != 1 || len(diags[0].Edits) != 1 || diags[0].Edits[0].NewText != "gender" ||
		f.Text[diags[0].Span.Start:diags[0].Span.End] != "gendr" {
		t.Fatalf("want a fix of gendr to gender, got %v", diags)
	}
}

// FuzzCompile: any text gives diagnostics or a query, never a panic, and
// a query prints.
func FuzzCompile(f *testing.F) {
	views := exampleViews(f)
	for _, s := range []string{
		"SELECT id FROM encounters", "SELECT COUNT(*) FROM encounters GROUP BY status",
		"SELECT a.id FROM encounters a FULL JOIN encounters b ON a.id = b.id",
		"SELECT CAST(start AS DATE) FROM encounters WHERE start > :s LIMIT 1 OFFSET 2",
		"SELECT `id` FROM encounters UNION ALL SELECT 'x' ORDER BY 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		watch := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("slow input %q", s)) })
		defer watch.Stop()
		c, _ := Compile(source.NewFileString("q.sql", s), Options{Views: views, Params: map[string]string{"s": "2020-01-01"}})
		if c != nil {
			for _, tg := range targets() {
				c2, _ := Compile(source.NewFileString("q.sql", s), Options{Views: views, Dialect: tg, Object: tg.Object, Params: map[string]string{"s": "2020-01-01"}})
				if c2 != nil {
					_ = printQuery(tg, c2)
				}
			}
		}
	})
}

// TestDocsListFunctions keeps docs/query.md's function table and the
// portable set in step.
func TestDocsListFunctions(t *testing.T) {
	b, err := os.ReadFile("../../docs/query.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range FunctionNames() {
		u := strings.ToUpper(f)
		if !strings.Contains(doc, "`"+u+"(") && !strings.Contains(doc, "`"+u+"`") && !strings.Contains(doc, ", "+u+"`") && !strings.Contains(doc, "`"+u+",") {
			t.Errorf("docs/query.md does not list %s", u)
		}
	}
}
