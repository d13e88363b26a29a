// Package duckdbengine runs fhirql's DuckDB SQL (compiler/sql/duckdb) in an
// embedded DuckDB (github.com/duckdb/duckdb-go/v2), as a verify.Engine.
//
// DuckDB is the SQL engine every test run has: the SQL on FHIR suite and the
// example views run through it on each `go test ./...`, so the shared SQL
// emitter is checked against the runtime without a SQL Server. The engine
// needs cgo; without it this package is empty and Available is false.
package duckdbengine
