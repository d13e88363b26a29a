package duckdb

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/sql"
)

func TestQuoting(t *testing.T) {
	tg := New(Options{})
	strs := []struct{ in, want string }{
		{"abc", "'abc'"},
		{"", "''"},
		{"it's", "'it''s'"},
		{`back\slash`, `'back\slash'`},
		{"a\nb", "('a' || chr(10) || 'b')"},
		{"\r\n", "(chr(13) || chr(10))"},
		{"é\u2028", "('é' || chr(8232))"},
	}
	for _, c := range strs {
		if got := tg.QuoteString(c.in, true); got != c.want {
			t.Errorf("QuoteString(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := tg.QuoteIdent(`a"b`); got != `"a""b"` {
		t.Errorf("QuoteIdent = %s", got)
	}
	if got := JSONPath([]string{"a.b", `q"uo\te`, "$x"}); got != `$."a.b"."q\"uo\\te"."$x"` {
		t.Errorf("JSONPath = %s", got)
	}
}

func TestTypeName(t *testing.T) {
	for in, want := range map[string]string{
		"NVARCHAR(100)":     "VARCHAR",
		"nvarchar(max)":     "VARCHAR",
		"BIT":               "BOOLEAN",
		"DATETIMEOFFSET(7)": "TIMESTAMPTZ",
		"DATETIME2(3)":      "TIMESTAMP",
		"DECIMAL(10, 2)":    "DECIMAL(10, 2)",
		"INTEGER":           "INTEGER",
		"UNIQUEIDENTIFIER":  "UUID",
	} {
		if got := typeName(in); got != want {
			t.Errorf("typeName(%s) = %s, want %s", in, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a type name with SQL in it was printed")
		}
	}()
	typeName("INT); DROP TABLE x; --")
}

func col(t, n string) sql.Expr { return &sql.Col{Table: t, Name: n} }

// TestInline: a small one-row projection is substituted, a large or
// aggregating one is kept, and an outer join keeps a row to join to.
func TestInline(t *testing.T) {
	tg := New(Options{})
	proj := func(alias string, x sql.Expr) *sql.From {
		return &sql.From{Src: &sql.Derived{Q: &sql.Select{Items: []sql.Item{{X: x, Alias: "v"}}}}, Alias: alias}
	}
	read := &sql.Func{Name: "json_extract_string", Args: []sql.Expr{col("r", "doc"), &sql.Str{V: "$.a"}}}
	q := &sql.Select{
		Items: []sql.Item{{X: &sql.Sub{Q: &sql.Select{
			Items: []sql.Item{{X: &sql.Func{Name: "length", Args: []sql.Expr{col("b1", "v")}}}},
			From:  []*sql.From{proj("b1", read)},
		}}, Alias: "n"}},
		From: []*sql.From{{Src: &sql.Table{Name: sql.ObjectName{"t"}}, Alias: "r"}},
	}
	got := sql.PrintQuery(tg, q)
	want := "SELECT\n    length(json_extract_string(\"r\".\"doc\", '$.a')) AS \"n\"\nFROM \"t\" AS \"r\""
	if got != want {
		t.Errorf("let:\n%s\nwant:\n%s", got, want)
	}

	agg := &sql.Select{
		Items: []sql.Item{{X: col("b1", "v")}},
		From:  []*sql.From{proj("b1", &sql.Func{Name: "count", Args: []sql.Expr{&sql.Star{}}})},
	}
	if got := sql.PrintQuery(tg, agg); !strings.Contains(got, `AS "b1"`) {
		t.Errorf("an aggregate was inlined:\n%s", got)
	}

	outer := &sql.Select{
		Items: []sql.Item{{X: col("j", "value")}},
		From: []*sql.From{
			proj("b1", read),
			{Join: sql.OuterApply, Src: &sql.TableFunc{Name: "json_each", Args: []sql.Expr{col("b1", "v")}}, Alias: "j"},
		},
	}
	got = sql.PrintQuery(tg, outer)
	if !strings.Contains(got, `FROM (`) || !strings.Contains(got, `AS "seed"`) || !strings.Contains(got, "LEFT JOIN LATERAL json_each(json_extract_string(") || !strings.Contains(got, "ON TRUE") {
		t.Errorf("outer join lost its seed row:\n%s", got)
	}
}

// TestRecursiveCTE: members that read the CTE are grouped after the
// anchor, as DuckDB requires.
func TestRecursiveCTE(t *testing.T) {
	tg := New(Options{})
	member := func(from sql.Source) sql.Query {
		return &sql.Select{Items: []sql.Item{{X: &sql.Num{V: "1"}, Alias: "value"}}, From: []*sql.From{{Src: from, Alias: "x"}}}
	}
	tree := &sql.Table{Name: sql.ObjectName{"tree"}}
	base := &sql.Table{Name: sql.ObjectName{"base"}}
	q := &sql.With{
		CTEs: []sql.CTE{{Name: "tree", Columns: []string{"value"}, Q: &sql.UnionAll{Queries: []sql.Query{member(base), member(base), member(tree), member(tree)}}}},
		Body: &sql.Select{Items: []sql.Item{{X: &sql.Col{Name: "value"}}}, From: []*sql.From{{Src: tree}}},
	}
	got := sql.PrintQuery(tg, q)
	for _, want := range []string{"WITH RECURSIVE \"tree\" (\"value\") AS (\n    (\n", "    )\n    UNION ALL\n    (\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
}
