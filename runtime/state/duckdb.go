package state

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/write"
)

// duckdbSQL is a generation's duckdb.sql: per view, a DuckDB view over
// its segments that leaves out dead rows (a row of segment g whose key a
// touched list of a later generation names). gen is the generation's
// absolute directory: the script reads that generation's files wherever
// it is run from, and is written anew by each apply.
func duckdbSQL(gen string, info *stateInfo, views []*plan.View) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "-- DuckDB views over the tables of fhirql state generation %d (docs/versions.md).\n", info.Generation)
	fmt.Fprintf(&b, "-- Run it after each apply (duckdb -cmd \".read %s\", or the state's current/duckdb.sql); then query the views.\n", sqlPath(filepath.Join(gen, "duckdb.sql")))
	fmt.Fprintf(&b, "-- A row of part-<g> is live unless a touched list of a later generation names its %s.\n\n", KeyColumn)
	touched := ""
	if len(info.Touched) > 0 {
		var files []string
		for _, g := range info.Touched {
			files = append(files, sqlString(sqlPath(filepath.Join(gen, touchedName(g)))))
		}
		touched = fmt.Sprintf("read_csv([%s], header = true, columns = {%s: 'VARCHAR', 'generation': 'INTEGER'})", strings.Join(files, ", "), sqlString(KeyColumn))
	}
	key := sqlIdent(KeyColumn)
	for i, v := range views {
		var cols []string
		for _, c := range v.Columns {
			cols = append(cols, sqlString(c.Name)+": "+sqlString(duckdbType(c, info.Format)))
		}
		colSpec := "{" + strings.Join(cols, ", ") + "}"
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\n", sqlIdent(v.Name))
		for j, g := range info.Segments[i] {
			if j > 0 {
				b.WriteString("UNION ALL\n")
			}
			path := sqlString(sqlPath(filepath.Join(gen, info.Tables[i], segmentName(g, info.Format))))
			if info.Format == "csv" {
				fmt.Fprintf(&b, "SELECT * FROM read_csv(%s, header = true, delim = ',', quote = '\"', escape = '\"', columns = %s)", path, colSpec)
			} else {
				fmt.Fprintf(&b, "SELECT * FROM read_json(%s, format = 'newline_delimited', columns = %s)", path, colSpec)
			}
			if touched != "" && slices.ContainsFunc(info.Touched, func(t int) bool { return t > g }) {
				fmt.Fprintf(&b, "\n  WHERE %s NOT IN (SELECT %s FROM %s WHERE generation > %d)", key, key, touched, g)
			}
			b.WriteString("\n")
		}
		b.WriteString(";\n\n")
	}
	return []byte(b.String())
}

// duckdbType is the DuckDB type of a column as the runtime writes it: the
// types Parquet gets, text otherwise (collections are JSON text; in
// NDJSON, JSON values).
func duckdbType(c *plan.Column, format string) string {
	if c.Collection {
		if format == "ndjson" {
			return "JSON"
		}
		return "VARCHAR"
	}
	switch write.ParquetKind(c) {
	case "BOOLEAN":
		return "BOOLEAN"
	case "INT32":
		return "INTEGER"
	case "INT64":
		return "BIGINT"
	case "DOUBLE":
		return "DOUBLE"
	case "DATE":
		return "DATE"
	case "TIMESTAMP":
		return "TIMESTAMPTZ"
	}
	return "VARCHAR"
}

// sqlPath writes a path with forward slashes, which DuckDB reads on every
// system.
func sqlPath(p string) string { return filepath.ToSlash(p) }

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
