package duckdb

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/sql"
)

// TestTypedReader: what the STRUCT holds, and what falls back to the JSON
// path (typed.go).
func TestTypedReader(t *testing.T) {
	tg := New(Options{})
	from, doc := tg.Source("Patient", "r")
	typed := func(x sql.Expr) bool {
		c, ok := x.(*sql.Col)
		return ok && c.Table == "r"
	}
	read := func(keys ...string) sql.Expr { return tg.JSONValue(doc, keys, false) }
	each := func(keys ...string) bool {
		src, _ := tg.JSONEach(doc, keys, "j")
		return !strings.Contains(sql.PrintExpr(tg, src.(*sql.TableFunc).Args[0]), `"r"."doc"`)
	}
	for _, c := range []struct {
		what  string
		typed bool
	}{
		{"gender", typed(read("gender"))},
		{"gender again", typed(read("gender"))},
		{"subject.reference", typed(read("subject", "reference"))},
		{"name as an array", each("name")},
		{"name again as an array", each("name")},
		{"name as a primitive too", !typed(read("name"))},
		{"subject as a whole too", !typed(read("subject"))},
		{"subject.reference as an array too", !each("subject", "reference")},
		{"Gender beside gender", !typed(read("Gender"))},
		{"a key with a dash", !typed(read("a-b"))},
		{"doc (the source's own column)", !typed(read("doc"))},
		{"another document", !typed(tg.JSONValue(&sql.Col{Table: "r", Name: "doc"}, []string{"id"}, false))},
	} {
		if !c.typed {
			t.Errorf("%s: read on the wrong path", c.what)
		}
	}
	got := sql.PrintQuery(tg, &sql.Select{Items: []sql.Item{{X: &sql.Star{}}}, From: []*sql.From{from}})
	for _, want := range []string{
		`try(json_transform("l"."doc", '{"gender":"VARCHAR","subject":{"reference":"VARCHAR"},"name":"JSON"}')) AS "t"`,
		// the JSON test is the parse, and json_valid is gone
		`CASE WHEN "p"."t" IS NOT NULL THEN "p"."doc" END AS "doc"`,
		// an array or object where text is expected is read on the JSON path
		`WHEN left(struct_extract("p"."t", 'gender'), 1) IN ('[', '{') THEN json_extract_string(json_value("p"."doc", '$."gender"'), '$')`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("source lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "json_valid") {
		t.Errorf("source still tests with json_valid:\n%s", got)
	}
}

// TestUntypedSource: a view that reads nothing through the STRUCT keeps
// json_valid and makes no STRUCT.
func TestUntypedSource(t *testing.T) {
	tg := New(Options{})
	from, _ := tg.Source("Patient", "r")
	got := sql.PrintQuery(tg, &sql.Select{Items: []sql.Item{{X: &sql.Star{}}}, From: []*sql.From{from}})
	if !strings.Contains(got, "json_valid") || strings.Contains(got, "json_transform") {
		t.Errorf("untyped source:\n%s", got)
	}
}
