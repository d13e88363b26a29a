// Package sql compiles plans (compiler/plan) to SQL: a small SQL AST, one
// printer, the Dialect interface with its capability flags, and the emitter
// that turns a view's plan into one SELECT.
//
// The emitter decides what to compute — which JSON arrays to expand (from
// plan.Field.Array, never from element names), which rows to multiply, the
// FHIRPath order of every collection, what must fail loudly — and each
// dialect decides how it is spelled. The T-SQL spellings shared by the three
// Microsoft targets live in compiler/sql/tsql; each target package
// (serverless, dedicated, sqlserver) adds its capability flags, where rows
// come from and the DDL that deploys a view (Target). A new engine (DuckDB)
// is a new Dialect, not a branch in this package.
//
// The shape of the SQL, for a view over Patient:
//
//	SELECT <one line per column>
//	FROM (<one row per NDJSON line; NULL doc when not valid JSON>) AS r
//	OUTER APPLY OPENJSON(r.doc) WITH (<every primitive, array and object read from the resource>) AS p1
//	CROSS APPLY (<forEach items, numbered with ROW_NUMBER for %rowIndex>) AS f1
//	OUTER APPLY (<forEachOrNull subtree>) AS s1
//	CROSS APPLY (<unionAll branches>) AS u1
//	WHERE <resourceType = 'Patient'> AND <view filters>
//
// Collections inside expressions are correlated subqueries over OPENJSON
// chains, closed with EXISTS, TOP (1) ... ORDER BY, COUNT, or STRING_AGG ...
// WITHIN GROUP. An array is expanded from its parent's property reader
// (an AS JSON column), so each object is parsed once per row, however many
// columns read it (docs/sql.md, "How many times the JSON is parsed"). Every identifier and literal reaches the output through the
// printer's quoting; there is no raw SQL node.
package sql
