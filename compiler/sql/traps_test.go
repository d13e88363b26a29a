package sql_test

// One test per correctness trap of the T-SQL mapping research (§5 of
// tsql-mapping.md). Each asserts the *shape* that makes the SQL correct —
// there is no SQL Server here to run it — so each fails when the emitter
// regresses to the shape the trap describes.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/types"
)

// sqlFor emits v for every target and returns the per-target SQL (the query,
// plus helper functions for targets that have them).
func sqlFor(t *testing.T, v *plan.View) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tg := range targets() {
		c, diags := sql.Emit(v, tg)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tg.Name(), diags.Err())
		}
		var b strings.Builder
		for _, h := range c.Helpers {
			b.WriteString(sql.Print(tg, []sql.Stmt{h.Stmt}))
		}
		b.WriteString(sql.PrintQuery(tg, c.Query))
		out[tg.Name()] = b.String()
		if bad := sqlcheck.AggregatesOverSubqueries(b.String()); len(bad) > 0 {
			t.Errorf("%s: aggregates over subqueries: %q", tg.Name(), bad)
		}
	}
	return out
}

// spaces collapses the printer's line breaks and indentation, so that
// patterns match a long expression the printer spread over lines (a CASE
// with one WHEN per line) as well as a short one.
var spaces = regexp.MustCompile(`\s+`)

func matches(p, s string) bool {
	re := regexp.MustCompile(p)
	return re.MatchString(s) || re.MatchString(spaces.ReplaceAllString(s, " "))
}

func must(t *testing.T, where, s string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !matches(p, s) {
			t.Errorf("%s: missing %s in:\n%s", where, p, s)
		}
	}
}

func mustNot(t *testing.T, where, s string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if matches(p, s) {
			t.Errorf("%s: unexpected %s in:\n%s", where, p, s)
		}
	}
}

func q(s string) string { return regexp.QuoteMeta(s) }

// Trap 1: every array step is its own OPENJSON expansion; a lax path never
// flattens arrays ('$.name.given' on an array name is NULL). An array is
// read AS JSON by its parent's OPENJSON ... WITH and expanded only when its
// text is an array (docs/input.md: a single value where an array belongs is
// absent).
func TestTrap1ArrayStepFlattening(t *testing.T) {
	v := view("given", "Patient", sel(plan.Plain, nil, nil,
		sel(plan.ForEach, path("Patient", "name*:HumanName", "=given*:string"), cols(
			column("given", focus("string"), "string"))),
	), nil...)
	v.Columns[0].Expr.(*plan.Focus).T = info("string", false)
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`[name] NVARCHAR(MAX) '$."name"' AS JSON`),
			q(`OPENJSON(CASE WHEN LEFT([p1].[name], 1) = N'[' THEN [p1].[name] END) AS [j1]`),
			q(`OUTER APPLY OPENJSON(CASE WHEN [j1].[type] = 5 THEN [j1].[value] END) WITH ([given] NVARCHAR(MAX) '$."given"' AS JSON) AS [p2]`),
			q(`CROSS APPLY OPENJSON(CASE WHEN LEFT([p2].[given], 1) = N'[' THEN [p2].[given] END) AS [j2]`))
		mustNot(t, name, s, q(`'$."name"."given"'`), `JSON_QUERY\(\[r\]`)
	}
	// contact is an array, contact.name a single object: one expansion, then
	// a path inside each contact.
	v = view("contact_family", "Patient", sel(plan.Plain, nil, cols(
		column("families", path("Patient", "contact*:BackboneElement", "name:HumanName", "=family:string"), "string"))))
	v.Columns[0].Collection = true
	for name, s := range sqlFor(t, v) {
		must(t, name, s, q(`OPENJSON(CASE WHEN LEFT([p1].[contact], 1) = N'[' THEN [p1].[contact] END)`), q(`'$."name"."family"'`))
		mustNot(t, name, s, q(`'$."contact"."name"`))
	}
}

// Trap 2: a non-collection column that meets several values fails the query
// with a message naming the column; collection columns are JSON arrays,
// '[]' when empty, with strings escaped (dedicated: without STRING_ESCAPE).
func TestTrap2MultiValuedColumns(t *testing.T) {
	fam := path("Patient", "name*:HumanName", "=family:string")
	v := view("families", "Patient", sel(plan.Plain, nil, cols(column("family", fam, "string"))))
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`CASE WHEN COUNT(*) > 1 THEN CAST(CAST(CONCAT(N'fhirql: column "family" of view "families" has ', COUNT(*), N' values`)+`.*`+q(`AS INT) AS NVARCHAR(MAX)) ELSE MAX(`))
		mustNot(t, name, s, `TOP \(1\)`) // never silently the first value
	}
	v = view("families", "Patient", sel(plan.Plain, nil, cols(column("family", path("Patient", "name*:HumanName", "=family:string"), "string"))))
	v.Columns[0].Collection = true
	out := sqlFor(t, v)
	for name, s := range out {
		// CONCAT turns the NULL of an empty aggregate into '' → '[]'.
		must(t, name, s, q(`CONCAT(N'[', (`), q(`), N']') AS [family]`),
			q(`WITHIN GROUP (ORDER BY CAST([j1].[key] AS INT))`))
		mustNot(t, name, s, `COUNT\(\*\) > 1`)
	}
	must(t, "serverless", out["serverless"], q(`CONCAT(N'"', STRING_ESCAPE([p2].[family], 'json'), N'"')`))
	must(t, "sqlserver", out["sqlserver"], q(`STRING_ESCAPE(`))
	must(t, "dedicated", out["dedicated"], q(`SUBSTRING(JSON_MODIFY(N'[]', 'append $', [p2].[family]), 2, LEN(JSON_MODIFY(N'[]', 'append $', [p2].[family])) - 2)`))
	mustNot(t, "dedicated", out["dedicated"], `STRING_ESCAPE|FOR JSON`)
}

// Trap 3: string equality is exact: BIN2 plus a length guard (= ignores
// trailing spaces on every collation), literals are N'...'.
func TestTrap3ExactStringEquality(t *testing.T) {
	v := view("eq", "Patient", sel(plan.Plain, nil, cols(
		column("male", bin("=", path("Patient", "=gender:code"), strLit("Male"), boolOne()), "boolean"),
		column("jose", bin("=", path("Patient", "=gender:code"), strLit("José"), boolOne()), "boolean"),
		column("li", bin("!=", path("Patient", "=gender:code"), strLit("李"), boolOne()), "boolean"),
	)))
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`[p1].[gender] COLLATE Latin1_General_100_BIN2 = N'Male' AND DATALENGTH([p1].[gender]) = DATALENGTH(N'Male')`),
			q(`N'José'`), q(`N'李'`))
		mustNot(t, name, s, `[^N]'Male'`)
	}
}

// Trap 4: numbers compare as numbers (never text: '10' < '9'), through
// TRY_CAST to DECIMAL(38, 18) so 12.5 < 1.2 is false rather than an
// overflow, and exponent forms go through FLOAT.
func TestTrap4NumericTyping(t *testing.T) {
	rng := func(k string) plan.Expr {
		return path("Observation", "valueRange:Range", k+":Quantity", "=value:decimal")
	}
	v := view("nums", "Observation", sel(plan.Plain, nil, cols(
		column("gt", bin(">", rng("high"), rng("low"), boolOne()), "boolean"),
		column("lt", bin("<", path("Observation", "valueQuantity:Quantity", "=value:decimal"), decLit("1.2"), boolOne()), "boolean"),
		column("eq", bin("=", path("Observation", "valueQuantity:Quantity", "=value:decimal"), decLit("1000"), boolOne()), "boolean"),
	)))
	dec := func(col string) string {
		return q(`COALESCE(TRY_CAST([p1].[` + col + `] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([p1].[` + col + `] AS FLOAT) AS DECIMAL(38, 18)))`)
	}
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			dec("valueRange.high.value")+` > `+dec("valueRange.low.value"),
			dec("valueQuantity.value")+` < 1\.2`,
			dec("valueQuantity.value")+` = 1000`)
		mustNot(t, name, s, q(`[p1].[valueRange.high.value] >`))
	}
}

// Trap 5: long strings are read with OPENJSON ... WITH (NVARCHAR(MAX)), not
// JSON_VALUE (NULL beyond 4,000 characters); a path ending on an object is
// read as JSON text (AS JSON in the resource's OPENJSON ... WITH), never as
// a scalar that would be NULL.
func TestTrap5LongAndNonScalarValues(t *testing.T) {
	v := view("texts", "Observation", sel(plan.Plain, nil, cols(
		column("div", path("Observation", "text:Narrative", "=div:xhtml"), "xhtml"),
		column("code", path("Observation", "code:CodeableConcept"), "CodeableConcept"),
		column("status", path("Observation", "=status:code"), "code"),
	)))
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`OPENJSON([r].[doc]) WITH (`),
			q(`[text.div] NVARCHAR(MAX) '$."text"."div"'`),
			q(`[code] NVARCHAR(MAX) '$."code"' AS JSON`),
			q(`[p1].[code] AS [code]`))
		mustNot(t, name, s, `JSON_VALUE\(\[r\]\.\[doc\], '\$\."text"`, `JSON_VALUE\([^)]*'\$\."code"'\)`)
	}
	// Without a property reader (a value computed by a subquery), long
	// primitives still avoid JSON_VALUE.
	first := call("first", path("Observation", "component*:BackboneElement", "valueString:string"), info("string", false))
	first.X.(*plan.Field).Primitive = true
	v = view("first_component", "Observation", sel(plan.Plain, nil, cols(column("s", first, "string"))))
	for name, s := range sqlFor(t, v) {
		must(t, name, s, q(`[valueString] NVARCHAR(MAX) '$."valueString"'`))
	}
}

// Trap 6: %rowIndex numbers the filtered, flattened collection with
// ROW_NUMBER over every array step's ordinal, never a raw array index; the
// null row of forEachOrNull still has index 0.
func TestTrap6RowIndex(t *testing.T) {
	official := call("where", path("Patient", "name*:HumanName"), info("HumanName", true),
		bin("=", path("HumanName", "=use:code"), strLit("official"), boolOne()))
	v := view("official", "Patient", sel(plan.Plain, nil, nil,
		sel(plan.ForEach, official, cols(column("i", rowIndex(), "integer"))),
		sel(plan.ForEach, path("Patient", "contact*:BackboneElement", "telecom*:ContactPoint"), cols(column("t", rowIndex(), "integer"))),
		sel(plan.ForEachOrNull, path("Patient", "address*:Address"), cols(column("a", rowIndex(), "integer"))),
	))
	for name, s := range sqlFor(t, v) {
		// The number is computed in the same SELECT as the use filter.
		must(t, name, s,
			`(?s)CAST\(ROW_NUMBER\(\) OVER \(ORDER BY CAST\(\[j1\]\.\[key\] AS INT\)\) - 1 AS INT\) AS \[row_index\]\s+FROM OPENJSON\(CASE WHEN LEFT\(\[p1\]\.\[name\], 1\) .*? END\) AS \[j1\].*WHERE \[j1\]\.\[type\] = 5\s+AND \[p\d+\]\.\[use\] COLLATE`,
			q(`ROW_NUMBER() OVER (ORDER BY CAST([j2].[key] AS INT), CAST([j3].[key] AS INT))`),
			// forEachOrNull's empty collection is one blank row whose
			// %rowIndex column is 0 (row_index.json)
			`(?s)UNION ALL\s+SELECT\s+0 AS \[a\]\s+WHERE NOT EXISTS`,
			q(`[f3].[row_index] AS [a]`), q(`[u1].[a] AS [a]`))
		mustNot(t, name, s, q(`[key] AS [row_index]`))
	}
}

// Trap 7: order is numeric, not the text order of OPENJSON's [key]
// (g0, g1, g10, g11, g2...), for join(), collection columns and repeat.
func TestTrap7OrderingBeyondTen(t *testing.T) {
	given := path("Patient", "name*:HumanName", "=given*:string")
	v := view("joined", "Patient", sel(plan.Plain, nil, cols(
		column("given", call("join", given, info("System.String", false), strLit(",")), "string"),
		column("all", path("Patient", "name*:HumanName", "=given*:string"), "string"),
	), sel(plan.Repeat, nil, cols(column("link", path("Item", "=linkId:string"), "string")))))
	v.Columns[1].Collection = true
	v.Root.Selects[0].Repeat = []plan.Expr{path("QuestionnaireResponse", "item*:Item")}
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`WITHIN GROUP (ORDER BY CAST([j1].[key] AS INT), CAST([j2].[key] AS INT))`),
			q(`RIGHT(CONCAT(N'0000000000', CAST([j`)+`\d+`+q(`].[key] AS INT)), 10)`))
		mustNot(t, name, s, `ORDER BY \[j\d+\]\.\[key\]`, `ORDER BY \[key\]`)
	}
}

// Trap 8: partial dates keep their precision: boundaries pad by length (with
// EOMONTH for months), a declared date keeps a partial date as text, a
// column typed DATE by its ansi/type tag converts only a full date, and
// instants compare in UTC so +02:00 and Z agree: as whole seconds computed
// from the text (a literal's here) and the fraction apart, never through
// the engine's parser, which knows neither partial clocks nor FHIRPath's
// precision rules.
func TestTrap8PartialDatesAndZones(t *testing.T) {
	bd := path("Patient", "=birthDate:date")
	lo := call("lowBoundary", bd, info("date", false))
	hi := call("highBoundary", path("Patient", "=birthDate:date"), info("date", false))
	typed := column("typed", path("Patient", "=birthDate:date"), "date")
	typed.Declared = "date"
	typed.Tags = []plan.Tag{{Name: "ansi/type", Value: "DATE"}}
	fhir := column("fhir", path("Patient", "=birthDate:date"), "date")
	fhir.Declared = "date"
	v := view("dates", "Patient", sel(plan.Plain, nil, cols(
		column("lo", lo, "date"), column("hi", hi, "date"), typed, fhir,
		column("same", bin("=", path("Observation", "=effectiveInstant:instant"), dtLit("2015-02-07T13:28:17.239+02:00"), boolOne()), "boolean"),
	)))
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`CASE DATALENGTH([p1].[birthDate]) / 2 WHEN 4 THEN CONCAT([p1].[birthDate], N'-01-01') WHEN 7 THEN CONCAT([p1].[birthDate], N'-01') ELSE [p1].[birthDate] END`),
			q(`WHEN 7 THEN CONVERT(NVARCHAR(10), EOMONTH(TRY_CONVERT(DATE, CONCAT([p1].[birthDate], N'-01'), 23)), 23)`),
			q(`CASE WHEN DATALENGTH([p1].[birthDate]) / 2 = 10 THEN TRY_CONVERT(DATE, [p1].[birthDate], 23) END AS [typed]`),
			`(?s)WHEN DATALENGTH\(\[p1\]\.\[birthDate\]\) / 2 IN \(4, 7, 10\) AND .* THEN \[p1\]\.\[birthDate\]\s+END AS \[fhir\]`,
			q(`CAST(76208210897 AS BIGINT) / CASE`), q(`[frac] < 0.239 THEN`))
		mustNot(t, name, s, q(`CAST([p1].[birthDate] AS DATE)`), q(`TRY_CONVERT(DATETIMEOFFSET(7), [p1].[effectiveInstant]`))
	}
}

// Trap 9: choice elements read their typed keys (from the plan, not from
// a list of names); an unqualified choice reads whichever key is present;
// getReferenceKey parses relative, absolute and versioned references and
// rejects other types and contained references.
func TestTrap9ChoiceTypesAndKeys(t *testing.T) {
	choice := &plan.Choice{Base: plan.Base{T: info("System.Any", false)}, X: focus("Observation"), Name: "value", Keys: []plan.ChoiceKey{
		{Key: "valueQuantity", Type: "Quantity"}, {Key: "valueCodeableConcept", Type: "CodeableConcept"}, {Key: "valueString", Type: "string", Primitive: true},
	}}
	ref := call("getReferenceKey", path("Observation", "subject:Reference"), info("System.String", false),
		&plan.TypeArg{Name: "Patient"})
	v := view("choices", "Observation", sel(plan.Plain, nil, cols(
		column("multiple", path("Patient", "=multipleBirthBoolean:boolean"), "boolean"),
		column("has_value", call("exists", choice, boolOne()), "boolean"),
		column("patient", ref, "string"),
	)))
	for name, s := range sqlFor(t, v) {
		must(t, name, s,
			q(`'$."multipleBirthBoolean"'`),
			q(`[c1].[key] IN (N'valueQuantity', N'valueCodeableConcept', N'valueString')`),
			q(`CHARINDEX(N'/_history/', [k1].[ref] COLLATE Latin1_General_100_BIN2)`),
			q(`CHARINDEX(N'/', REVERSE([k2].[base]) COLLATE Latin1_General_100_BIN2) AS [slash]`),
			q(`[k3].[slash] > 1 AND [k5].[type] COLLATE Latin1_General_100_BIN2 LIKE N'[A-Z]%'`),
			q(`[k5].[type] COLLATE Latin1_General_100_BIN2 = N'Patient'`),
			q(`THEN [k4].[id] END`))
		mustNot(t, name, s, q(`'$."value"'`), q(`'$."multipleBirth"'`))
	}
}

// Trap 10: repeat without recursion on Synapse: a bounded unrolling whose
// last level fails the query when the data goes deeper; SQL Server uses a
// recursive CTE.
func TestTrap10RepeatWithoutRecursion(t *testing.T) {
	mk := func() *plan.View {
		r := sel(plan.Repeat, nil, cols(column("link", path("Item", "=linkId:string"), "string"), column("i", rowIndex(), "integer")))
		r.Repeat = []plan.Expr{path("QuestionnaireResponse", "item*:Item"), path("Item", "answer*:Answer", "item*:Item")}
		return view("items", "QuestionnaireResponse", sel(plan.Plain, nil, nil, r))
	}
	out := sqlFor(t, mk())
	for _, name := range []string{"serverless", "dedicated"} {
		s := out[name]
		must(t, name, s,
			q(`fhirql: view "items": repeat goes deeper than 8 levels (node `),
			q(`AS INT) AS NVARCHAR(MAX)) AS [value]`),
			q(`ORDER BY [t1].[ord]`))
		mustNot(t, name, s, `(?i)\bWITH \[`, `FUNCTION`)
		// Eight levels, each with both paths, plus the guard level (each
		// level reads answer once, AS JSON in its node's OPENJSON ... WITH).
		if n := strings.Count(s, `'$."answer"'`); n != 9 {
			t.Errorf("%s: %d answer expansions, want 9 (8 levels + guard)", name, n)
		}
	}
	must(t, "sqlserver", out["sqlserver"],
		q(`CREATE OR ALTER FUNCTION [dbo].[items__repeat1](@node NVARCHAR(MAX))`),
		q(`FROM [tree] AS [n1]`),
		q(`FROM OPENJSON(@node) WITH (`),
		q(`FROM [tree] AS [n1]
    CROSS APPLY OPENJSON([n1].[value]) WITH (`),
		q(`CROSS APPLY OPENJSON(CASE WHEN LEFT([p6].[item], 1) = N'[' THEN [p6].[item] END) AS [j4]`),
		q(`FROM [dbo].[items__repeat1]([r].[doc]) AS [t1]`))
	mustNot(t, "sqlserver", out["sqlserver"], `deeper than`, `JSON_QUERY`)
	// SQL Server allows no outer join in a recursive member (error 462).
	fn := out["sqlserver"][:strings.Index(out["sqlserver"], "FROM [tree];")]
	mustNot(t, "sqlserver function", fn[strings.Index(fn, "FROM [tree] AS"):], `OUTER APPLY`)

	// --repeat-depth bounds the unrolling.
	tg := serverless.New(serverless.Options{RepeatDepth: 3})
	c, diags := sql.Emit(mk(), tg)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	s := sql.PrintQuery(tg, c.Query)
	must(t, "depth 3", s, q(`deeper than 3 levels`))
	if n := strings.Count(s, `'$."answer"'`); n != 4 {
		t.Errorf("depth 3: %d answer expansions, want 4", n)
	}
}

var _ = types.Boolean
