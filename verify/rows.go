package verify

import (
	"database/sql"
	"fmt"

	"github.com/fhirql/fhirql/compiler/plan"
)

// ScanRows collects a SQL engine's result for a view into a Table, cells as
// the driver returned them; engine names the engine in the error when the
// column count does not match the view. Every SQL engine reads its rows
// through here, so they are collected one way.
func ScanRows(rows *sql.Rows, v *plan.View, engine string) (*Table, error) {
	defer rows.Close()
	t := NewTable(v)
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) != len(t.Columns) {
		return nil, fmt.Errorf("%s returned %d columns for %d", engine, len(cols), len(t.Columns))
	}
	t.Rows, err = ScanCells(rows, len(cols))
	return t, err
}

// ScanCells reads every row of rows as cells of n columns, each as the
// driver returned it (a query's result as well as a view's).
func ScanCells(rows *sql.Rows, n int) ([][]any, error) {
	var out [][]any
	for rows.Next() {
		cells := make([]any, n)
		ptrs := make([]any, n)
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, cells)
	}
	return out, rows.Err()
}
