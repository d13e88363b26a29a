//go:build cgo

package duckdbengine

import (
	"bytes"
	"context"
	dbsql "database/sql"
	"fmt"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/verify"
)

// Available is true: this build links DuckDB.
const Available = true

// Engine is an in-memory DuckDB database.
type Engine struct {
	db *dbsql.DB
}

// New opens an in-memory DuckDB. Dates and times without an offset are
// read as UTC, as the runtime and the T-SQL targets read them.
func New(o Options) (verify.Engine, error) {
	db, err := dbsql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("opening DuckDB: %v", err)
	}
	// One connection: settings are per connection.
	db.SetMaxOpenConns(1)
	setup := []string{"SET TimeZone = 'UTC'"}
	if o.Threads > 0 {
		setup = append(setup, fmt.Sprintf("SET threads = %d", o.Threads))
	}
	for _, s := range setup {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, fmt.Errorf("setting up DuckDB (%s): %v", s, err)
		}
	}
	return &Engine{db: db}, nil
}

// Name implements verify.Engine.
func (*Engine) Name() string { return "duckdb" }

// Close implements verify.Engine.
func (e *Engine) Close() error { return e.db.Close() }

// Query is the DuckDB SQL of one view reading exactly the given files.
func Query(v *plan.View, files []string) (string, error) {
	t := duckdb.New(duckdb.Options{Files: files})
	c, diags := sql.Emit(v, t)
	if diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, diags.Errors())
		return "", fmt.Errorf("the view cannot be compiled for DuckDB:\n%s", b.String())
	}
	return sql.PrintQuery(t, c.Query), nil
}

// Run implements verify.Engine: it compiles the view for DuckDB over the
// expanded inputs and runs it.
func (e *Engine) Run(ctx context.Context, v *plan.View, inputs []string) (*verify.Table, error) {
	files, err := verify.Files(inputs)
	if err != nil {
		return nil, err
	}
	q, err := Query(v, files)
	if err != nil {
		return nil, err
	}
	return e.Exec(ctx, v, q)
}

// Exec runs a view's query and collects its rows.
func (e *Engine) Exec(ctx context.Context, v *plan.View, query string) (*verify.Table, error) {
	rows, err := e.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return verify.ScanRows(rows, v, "DuckDB")
}

// SQL is the query Run executes for a view over the inputs.
func (e *Engine) SQL(v *plan.View, inputs []string) (string, error) {
	files, err := verify.Files(inputs)
	if err != nil {
		return "", err
	}
	return Query(v, files)
}

// RejectsSQL is the query that lists the lines of the files that the views
// do not read (duckdb.Target.RejectsQuery, the rejects view of `fhirql
// build --target duckdb`).
func RejectsSQL(files []string) string {
	t := duckdb.New(duckdb.Options{Files: files})
	return sql.PrintQuery(t, t.RejectsQuery(""))
}

// Rejects implements verify.Rejecter.
func (e *Engine) Rejects(ctx context.Context, inputs []string) ([]verify.Reject, error) {
	files, err := verify.Files(inputs)
	if err != nil {
		return nil, err
	}
	rows, err := e.db.QueryContext(ctx, RejectsSQL(files))
	if err != nil {
		return nil, fmt.Errorf("listing the lines DuckDB does not read: %v", err)
	}
	defer rows.Close()
	var out []verify.Reject
	for rows.Next() {
		var file, reason, line dbsql.NullString
		if err := rows.Scan(&file, &reason, &line); err != nil {
			return nil, err
		}
		out = append(out, verify.Reject{File: file.String, Reason: reason.String, Line: line.String})
	}
	return out, rows.Err()
}

var _ verify.Rejecter = (*Engine)(nil)
