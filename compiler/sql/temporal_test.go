package sql_test

import (
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
)

// TestTemporalComparisonShape: date, dateTime and time comparisons on the
// T-SQL targets compare the parts of each value computed from its text (the
// differential tests in verify/duckdbengine check the answers): no engine
// date parser (DATETIMEOFFSET knows neither partial clocks nor UTC instants
// before the year 1), integer division on BIGINT instants, a literal's parts
// folded, and a collection compared with one value keeps an unknown answer
// unknown instead of false.
func TestTemporalComparisonShape(t *testing.T) {
	effective := func() plan.Expr { return path("Observation", "=effectiveDateTime:dateTime") }
	timeLit := &plan.Lit{Base: plan.Base{T: info("System.Time", false)}, Kind: plan.Time, Value: "10:00"}
	v := view("temporal", "Observation", sel(plan.Plain, nil, cols(
		column("lt", bin("<", effective(), path("Observation", "=issued:instant"), boolOne()), "boolean"),
		column("t_ge", bin(">=", path("Observation", "=valueTime:time"), timeLit, boolOne()), "boolean"),
		column("any_eq", bin("=", path("Observation", "component*:BackboneElement", "=valueDateTime:dateTime"), dtLit("2020-05-01T10:00Z"), boolOne()), "boolean"),
		column("bad", bin("=", effective(), strLit("2020-13"), boolOne()), "boolean"),
	)), bin("!=", effective(), dtLit("2020-05-01T12:00+02:00"), boolOne()))
	for name, s := range sqlFor(t, v) {
		if bare, err := sqlcheck.Bare(s); err != nil || len(bare) > 0 {
			t.Errorf("%s: unquoted words %q (%v)", name, bare, err)
		}
		must(t, name, s,
			// the literal's UTC instant (2020-05-01T10:00Z), folded
			q(`CAST(76373229600 AS BIGINT) / CASE`),
			// instants truncated to the common precision
			q(`CAST([b`)+`\d+`+q(`].[instant] AS BIGINT) / CASE [b`)+`\d+`+q(`].[v] WHEN 4 THEN 3600 WHEN 5 THEN 60 ELSE 1 END`),
			// times compare their text at the common precision
			q(`CASE [b`)+`\d+`+q(`].[v] WHEN 4 THEN 2 WHEN 5 THEN 5 ELSE 8 END`),
			// the collection's single item: its answer, unknown included,
			// compared outside the aggregate
			q(`WHEN [a1].[n] > 1 THEN 0 ELSE (`), q(`COUNT(*) AS [n]`), q(`MAX([p2].[valueDateTime]) AS [v]`),
			// a literal that is not a dateTime: text equality only
			q(`[p1].[effectiveDateTime] COLLATE Latin1_General_100_BIN2 = N'2020-13'`),
		)
		mustNot(t, name, s, `DATETIMEOFFSET`, `TRY_CONVERT`)
	}
}
