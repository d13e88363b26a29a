// Package query compiles SQL queries written over views: it parses them
// with github.com/xwb1989/sqlparser (imported here only, as participle is
// in lang/parse), resolves view and column names against the plans of the
// given views, types every expression from the plan's column types, reports
// what the engines would treat differently as diagnostics at their place in
// the SQL text, and translates the query into the shared SQL AST
// (compiler/sql), which each dialect prints in its own spelling.
//
// Users write MySQL-flavoured SELECTs (sqlparser's grammar): `backquoted`
// identifiers, 'text' literals, LIMIT n OFFSET m, :name parameters, CAST(x
// AS SIGNED | DECIMAL(p, s) | CHAR | DATE | DATETIME). The portable function
// set and the typing rules are in docs/query.md; the point of both is that a
// query that compiles gives the same rows on DuckDB and on every T-SQL
// target: strings compare by code point (COLLATE Latin1_General_100_BIN2 in
// T-SQL, as the views compare), division is decimal, FHIR dates are the text
// the resource wrote unless a function needs a date.
package query
