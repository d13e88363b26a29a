package sql_test

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
	"github.com/fhirql/fhirql/lang/source"
)

// hostile is a view whose names, constants and JSON keys try every way out
// of their quotes.
func hostile() *plan.View {
	keyed := path("Patient", "=a\"b'$c`d:string")
	v := view("v]; DROP VIEW x;--", "Patient", sel(plan.Plain, nil, cols(
		column("a]b", path("Patient", "=gender:code"), "code"),
		column("x'; DROP TABLE t;--", strLit("it's ]] \"quoted\" -- not a comment"), "string"),
		column("multi\u00a0line", strLit("line1\nGO\nline2\r\n/* */"), "string"),
		column("key", keyed, "string"),
		column("eq", bin("=", path("Patient", "=gender:code"), strLit("'; DELETE FROM t; --"), boolOne()), "boolean"),
		column("[bracketed]", path("Patient", "name*:HumanName", "=$x.y:string"), "string"),
	)), bin("=", path("Patient", "=id:id"), strLit("x' OR '1'='1"), boolOne()))
	v.Columns[5].Collection = true
	v.Description = "doc with a line break\nDROP TABLE x; --"
	v.File = source.NewFileString("evil\nGO\n.fview", "")
	return v
}

// TestEscaping feeds hostile names and values through every target and
// checks that the only bare words left in the deployment script are SQL
// keywords: every identifier is bracketed, every value a literal, no line
// break inside a literal or identifier.
func TestEscaping(t *testing.T) {
	for _, tg := range targets() {
		c, diags := sql.Emit(hostile(), tg)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tg.Name(), diags.Err())
		}
		script := sql.DeployScript(tg, []*sql.Compiled{c})
		bare, err := sqlcheck.Bare(script)
		if err != nil {
			t.Errorf("%s: %v\n%s", tg.Name(), err, script)
		}
		if len(bare) > 0 {
			t.Errorf("%s: unquoted words %q in:\n%s", tg.Name(), bare, script)
		}
		for _, want := range []string{
			`[dbo].[v]]; DROP VIEW x;--]`,
			`AS [a]]b]`,
			`AS [x'; DROP TABLE t;--]`,
			`N'it''s ]] "quoted" -- not a comment'`,
			`(N'line1' + NCHAR(10) + N'GO' + NCHAR(10) + N'line2' + NCHAR(13) + NCHAR(10) + N'/* */')`,
			`'$."a\"b''$c` + "`" + `d"'`,
			`N'''; DELETE FROM t; --'`,
			`N'x'' OR ''1''=''1'`,
			`'$."$x.y"'`,
			`AS [[bracketed]]]`,
			`-- source: evil\nGO\n.fview`,
			`--   DROP TABLE x; --`,
		} {
			if !strings.Contains(script, want) {
				t.Errorf("%s: missing %s in:\n%s", tg.Name(), want, script)
			}
		}
		for _, line := range strings.Split(script, "\n") {
			if strings.TrimSpace(line) == "GO" && line != "GO" {
				t.Errorf("%s: indented batch separator %q", tg.Name(), line)
			}
		}
		if n := strings.Count(script, "\nGO\n"); tg.Name() != "dedicated" && n != 4 {
			t.Errorf("%s: %d batch separators, want 4 (around the view's and the rejects view's CREATE VIEW)", tg.Name(), n)
		}
	}
}

// TestBadNames: names no identifier can carry are diagnostics at their span.
// TestSchema: a schema name reaches CREATE SCHEMA through dynamic SQL, so it
// is quoted twice: as an identifier, then inside the literal.
func TestSchema(t *testing.T) {
	tg := serverless.New(serverless.Options{Schema: "it's]"})
	c, diags := sql.Emit(view("v", "Patient", sel(plan.Plain, nil, cols(column("id", path("Patient", "=id:id"), "id")))), tg)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	script := sql.DeployScript(tg, []*sql.Compiled{c})
	for _, want := range []string{
		`IF SCHEMA_ID(N'it''s]') IS NULL`,
		`EXEC(N'CREATE SCHEMA [it''s]]]')`,
		`CREATE OR ALTER VIEW [it's]]].[v] AS`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("missing %s in:\n%s", want, script)
		}
	}
	if bare, err := sqlcheck.Bare(script); err != nil || len(bare) > 0 {
		t.Errorf("unquoted words %q (%v)", bare, err)
	}
}

func TestBadNames(t *testing.T) {
	v := view("ok", "Patient", sel(plan.Plain, nil, cols(
		column("line\nbreak", path("Patient", "=gender:code"), "code"),
		column(strings.Repeat("x", 129), path("Patient", "=gender:code"), "code"),
	)))
	for _, tg := range targets() {
		_, diags := sql.Emit(v, tg)
		if len(diags) != 2 {
			t.Fatalf("%s: %d diagnostics, want 2: %v", tg.Name(), len(diags), diags)
		}
		for _, d := range diags {
			if d.Code != sql.CodeBadName || !strings.Contains(d.Message, tg.Name()) {
				t.Errorf("%s: %s[%s] %s", tg.Name(), d.Severity, d.Code, d.Message)
			}
		}
	}
}

// TestTypeTag: a tsql/type tag is used only when it is shaped like a type.
func TestTypeTag(t *testing.T) {
	good := column("n", path("Patient", "=gender:code"), "code")
	good.Tags = []plan.Tag{{Name: "tsql/type", Value: "nvarchar(64)"}}
	bad := column("m", path("Patient", "=gender:code"), "code")
	bad.Tags = []plan.Tag{{Name: "tsql/type", Value: "INT) ; DROP TABLE t; --"}}
	v := view("tags", "Patient", sel(plan.Plain, nil, cols(good)))
	for _, tg := range targets() {
		s, c, err := emit(tg, v)
		if err != nil {
			t.Fatal(err)
		}
		// The tag is applied, behind a length check: TRY_CONVERT alone
		// would cut a longer value.
		if !strings.Contains(s, "WHEN DATALENGTH([p1].[gender]) / 2 > 64 THEN CAST(CAST(CONCAT(N'fhirql: column \"n\" of view \"tags\" is sized for 64 characters but Patient/', [p1].[id]") ||
			!strings.Contains(s, "ELSE TRY_CONVERT(NVARCHAR(64), [p1].[gender])") || c.Columns[0].SQLType != "NVARCHAR(64)" {
			t.Errorf("%s: tag not applied:\n%s", tg.Name(), s)
		}
	}
	v = view("tags", "Patient", sel(plan.Plain, nil, cols(bad)))
	for _, tg := range targets() {
		_, diags := sql.Emit(v, tg)
		if len(diags) != 1 || diags[0].Code != sql.CodeBadTypeTag {
			t.Errorf("%s: want one %s, got %v", tg.Name(), sql.CodeBadTypeTag, diags)
		}
	}
}

func TestQuoteString(t *testing.T) {
	b := tsql.Base{}
	for in, want := range map[string]string{
		"":          "N''",
		"a'b":       "N'a''b'",
		"\n":        "NCHAR(10)",
		"a\tb":      "(N'a' + NCHAR(9) + N'b')",
		"李":         "N'李'",
		"\xff":      "N'\uFFFD'",
		"x\u2028y":  "(N'x' + NCHAR(8232) + N'y')",
		"its\u0000": "(N'its' + NCHAR(0))",
	} {
		if got := b.QuoteString(in, true); got != want {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := b.QuoteString("$.\"é\"", false); got != `N'$."é"'` {
		t.Errorf("non-ASCII path literal = %s, want the N prefix", got)
	}
	if got := b.QuoteIdent("a]]b"); got != "[a]]]]b]" {
		t.Errorf("QuoteIdent = %s", got)
	}
	if got := tsql.JSONPath([]string{"a\"b\\c\nd"}); got != `$."a\"b\\c\u000ad"` {
		t.Errorf("JSONPath = %s", got)
	}
}

func TestParseObjectName(t *testing.T) {
	for in, want := range map[string]string{
		"dbo.fhir_raw":       "dbo|fhir_raw",
		"fhir_raw":           "fhir_raw",
		"[my schema].[a]]b]": "my schema|a]b",
		"db.dbo.t":           "db|dbo|t",
	} {
		got, err := sql.ParseObjectName(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("ParseObjectName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a..b", "[a", "a.b.c.d", "a.", "[a]x"} {
		if _, err := sql.ParseObjectName(bad); err == nil {
			t.Errorf("ParseObjectName(%q): no error", bad)
		}
	}
}
