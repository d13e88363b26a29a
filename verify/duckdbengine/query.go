//go:build cgo

package duckdbengine

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/verify"
)

// Load is a table to create before a query runs: the rows the runtime wrote
// for one view, as NDJSON, read with the column types the view has in
// DuckDB SQL, so that a query sees the same types whether its views are
// compiled DuckDB SQL or runtime output.
type Load struct {
	Name    string // the table's name: the view's name
	File    string // NDJSON written by the runtime
	Columns []sql.ColumnInfo
}

// Result is a query's rows, cells as the driver returns them.
type Result struct {
	Columns []string
	Rows    [][]any
}

// RunQuery opens an in-memory DuckDB, runs setup (statements such as
// compiled CREATE VIEWs) and creates one table per load, then runs the
// query and collects its rows. With parquet set, the rows are written to
// that file with COPY ... (FORMAT PARQUET) instead and Result is empty.
func RunQuery(ctx context.Context, o Options, setup []string, loads []Load, query, parquet string) (*Result, error) {
	eng, err := New(o)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	db := eng.(*Engine).db
	t := duckdb.New(duckdb.Options{})
	for _, s := range setup {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("DuckDB: %v", err)
		}
	}
	for _, l := range loads {
		var cols []string
		var names []string
		for _, c := range l.Columns {
			cols = append(cols, t.QuoteString(c.Name, false)+": "+t.QuoteString(c.SQLType, false))
			names = append(names, t.QuoteIdent(c.Name))
		}
		stmt := fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM read_json(%s, format = 'newline_delimited', columns = {%s})",
			t.QuoteIdent(l.Name), strings.Join(names, ", "), t.QuoteString(l.File, false), strings.Join(cols, ", "))
		if len(l.Columns) == 0 {
			stmt = fmt.Sprintf("CREATE TABLE %s AS SELECT 1 AS one FROM read_json_objects(%s, format = 'newline_delimited')",
				t.QuoteIdent(l.Name), t.QuoteString(l.File, false))
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("loading the rows of view %q into DuckDB: %v", l.Name, err)
		}
	}
	if parquet != "" {
		stmt := fmt.Sprintf("COPY (%s) TO %s (FORMAT PARQUET)", query, t.QuoteString(parquet, false))
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("DuckDB: %v", err)
		}
		return &Result{}, nil
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("DuckDB: %v", err)
	}
	defer rows.Close()
	return scan(rows)
}

func scan(rows *dbsql.Rows) (*Result, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols}
	res.Rows, err = verify.ScanCells(rows, len(cols))
	return res, err
}
