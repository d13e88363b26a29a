// Package verify checks that fhirql's engines agree: it runs a view on the
// embedded runtime and on a SQL engine over the same NDJSON, and compares
// the rows as multisets with FHIR-aware equality (decimal text compared
// numerically, booleans whatever their SQL spelling, collection columns and
// complex values as JSON). DESIGN.md's promise — the local result and the
// warehouse result are the same rows — is only as good as this comparison,
// so it never papers over a difference: a cell that does not fit its
// column's type is itself reported, and both row sets are shown.
//
// The SQL engines live in their own packages (verify/duckdbengine needs cgo,
// verify/mssqlengine a SQL Server), so that this package and everything
// importing it builds anywhere.
package verify
