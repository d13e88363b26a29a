package sql_test

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
)

// officialFirst is name.where(use = 'official').first(), a fresh plan each
// call, as the front end gives each column its own nodes.
func officialFirst() plan.Expr {
	official := call("where", path("Patient", "name*:HumanName"), info("HumanName", true),
		bin("=", path("HumanName", "=use:code"), strLit("official"), boolOne()))
	return call("first", official, info("HumanName", false))
}

// Two columns that start from the same first() object pick it once, in the
// FROM chain, and read their members from one OPENJSON ... WITH of it; a
// first() only one column uses stays in that column's subquery.
func TestSharedFirstObject(t *testing.T) {
	given := call("join", from(officialFirst(), "=given*:string"), info("System.String", false), strLit(" "))
	v := view("names", "Patient", sel(plan.Plain, nil, cols(
		column("family", from(officialFirst(), "=family:string"), "string"),
		column("given", given, "string"),
		column("first_use", from(call("first", path("Patient", "name*:HumanName"), info("HumanName", false)), "=use:code"), "code"),
	)))
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			`(?s)OUTER APPLY \(\s+SELECT TOP \(1\)\s+CASE WHEN \[j1\]\.\[type\] = 5 THEN \[j1\]\.\[value\] END AS \[value\]\s+FROM OPENJSON\(CASE WHEN LEFT\(\[p1\]\.\[name\], 1\) = N'\[' THEN \[p1\]\.\[name\] END\) AS \[j1\].*?ORDER BY CAST\(\[j1\]\.\[key\] AS INT\)\s+\) AS \[o1\]`,
			`(?s)OUTER APPLY OPENJSON\(\[o1\]\.\[value\]\) WITH \(\s+\[family\] NVARCHAR\(MAX\) '\$\."family"',\s+\[given\] NVARCHAR\(MAX\) '\$\."given"' AS JSON\s+\) AS \[p3\]`,
			q(`[p3].[family] AS [family]`),
			q(`OPENJSON(CASE WHEN LEFT([p3].[given], 1) = N'[' THEN [p3].[given] END)`))
		// The official name is picked once; name.first().use has its own pick.
		if n := strings.Count(s, `THEN [p1].[name] END)`); n != 2 {
			t.Errorf("%s: name expanded %d times, want 2 (the shared pick and first_use)\n%s", name, n, s)
		}
		if n := strings.Count(s, `N'official'`); n != 2 { // StringEq names the literal twice
			t.Errorf("%s: the official filter appears %d times, want 2 (once)", name, n)
		}
	}
	// DuckDB has no property reader: each column keeps its own subquery.
	s, _, err := emit(duckdb.New(duckdb.Options{}), v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, `AS o1`) || strings.Contains(s, `"o1"`) {
		t.Errorf("duckdb: shared pick in\n%s", s)
	}
}
