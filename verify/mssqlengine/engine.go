// Package mssqlengine runs fhirql's `--target sqlserver` T-SQL on a real SQL
// Server, as a verify.Engine: it bulk-loads the NDJSON lines into the
// target's source table (one line per row, mssql.CopyIn), creates the
// helper functions repeat needs, runs each view's SELECT and drops what it
// created.
//
// The sqlserver target shares its SELECT core (OPENJSON, the BIN2
// comparisons, the several-values failure) with the Synapse serverless and
// dedicated targets, so a SQL Server run checks the JSON logic of all three;
// only where rows come from (OPENROWSET, COPY INTO) and how repeat is built
// (unrolled on Synapse) need a Synapse workspace. docs/verify.md has the
// recipe for a local SQL Server in Docker.
package mssqlengine

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	dbsql "database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
	"github.com/fhirql/fhirql/deploy"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/verify"
)

// Options configure the engine.
type Options struct {
	// DSN is a go-mssqldb connection string:
	// sqlserver://user:password@host:1433?database=master, or the ADO form
	// server=host;user id=sa;password=...;database=master; with
	// fedauth=ActiveDirectory... it signs in with Microsoft Entra ID
	// (package deploy).
	DSN string
	// Schema holds the loaded table and the helper functions (default dbo).
	// It must exist.
	Schema string
}

// Engine is a connection to a SQL Server plus the table it loaded.
type Engine struct {
	db     *dbsql.DB
	schema string
	table  sql.ObjectName // unique per engine, dropped by Close
	loaded string         // the files currently in table
	// unloadable are the lines not valid UTF-8, which NVARCHAR cannot
	// hold as they are: load leaves them out and Rejects lists them.
	unloadable []verify.Reject
}

// CheckDSN parses a DSN without connecting and describes the server it
// names (never the password), so that a typo is reported before anything
// is loaded.
func CheckDSN(dsn string) (string, error) { return deploy.Describe(dsn) }

// New connects to the server and checks it answers.
func New(ctx context.Context, o Options) (*Engine, error) {
	if _, err := CheckDSN(o.DSN); err != nil {
		return nil, err
	}
	if o.Schema == "" {
		o.Schema = "dbo"
	}
	if !sql.ValidIdent(o.Schema) {
		return nil, fmt.Errorf("invalid schema %q", o.Schema)
	}
	db, err := deploy.Open(ctx, o.DSN)
	if err != nil {
		return nil, err
	}
	return &Engine{db: db, schema: o.Schema, table: sql.ObjectName{o.Schema, "fhirql_verify_" + randomHex(6)}}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Name implements verify.Engine.
func (*Engine) Name() string { return "sqlserver" }

// Target is the sqlserver target reading the engine's table.
func (e *Engine) Target() *sqlserver.Target {
	return sqlserver.New(sqlserver.Options{Table: e.table, DocColumn: "doc", Schema: e.schema})
}

// createTableSQL (re)creates the source table: one NDJSON line per row, in
// the column the sqlserver target reads, and the file it came from (for
// Rejects).
func (e *Engine) createTableSQL() string {
	t := e.Target()
	name := sql.QuoteObject(t, e.table)
	return fmt.Sprintf("IF OBJECT_ID(%s, N'U') IS NOT NULL DROP TABLE %s;\nCREATE TABLE %s ([doc] NVARCHAR(MAX) NULL, [file] NVARCHAR(4000) NULL);",
		t.QuoteString(name, true), name, name)
}

func (e *Engine) dropTableSQL() string {
	t := e.Target()
	name := sql.QuoteObject(t, e.table)
	return fmt.Sprintf("IF OBJECT_ID(%s, N'U') IS NOT NULL DROP TABLE %s;", t.QuoteString(name, true), name)
}

// copyInSQL is the bulk-load statement mssql.CopyIn builds for the table.
func (e *Engine) copyInSQL() string {
	return deploy.CopyInSQL(strings.Join(e.table, "."), "doc", "file")
}

// load puts every line of the files into the table, replacing what it held.
func (e *Engine) load(ctx context.Context, files []string) error {
	key := strings.Join(files, "\x00")
	if key == e.loaded {
		return nil
	}
	e.loaded, e.unloadable = "", nil
	if _, err := e.db.ExecContext(ctx, e.createTableSQL()); err != nil {
		return fmt.Errorf("creating the source table: %v", err)
	}
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, e.copyInSQL())
	if err != nil {
		return fmt.Errorf("preparing the bulk load: %v", err)
	}
	for _, f := range files {
		err := Lines(f, func(line string) error {
			if !utf8.ValidString(line) {
				text := strings.ToValidUTF8(line, "\uFFFD")
				if len(text) > 1000 {
					text = text[:1000]
				}
				e.unloadable = append(e.unloadable, verify.Reject{File: f, Reason: "not valid UTF-8", Line: text})
				return nil
			}
			_, err := stmt.ExecContext(ctx, line, f)
			return err
		})
		if err != nil {
			stmt.Close()
			return fmt.Errorf("loading %s: %v", f, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return fmt.Errorf("bulk load: %v", err)
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	e.loaded = key
	return nil
}

// Lines calls f for each non-blank line of an NDJSON file (gzip when the
// name ends in .gz), without its line terminator and without a byte-order
// mark at the start of the file (docs/input.md), as the Synapse loaders
// are expected to read it.
func Lines(path string, f func(string) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(fh)
		if err != nil {
			return err
		}
		defer gz.Close()
		r = gz
	}
	br := bufio.NewReaderSize(r, 1<<20)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		line, err := br.ReadString('\n')
		if s := strings.TrimRight(line, "\r\n"); strings.TrimSpace(s) != "" {
			if ferr := f(s); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Compile is the T-SQL the engine runs for a view: the helper functions to
// create first (one batch each), the SELECT, and the helpers' names.
func (e *Engine) Compile(v *plan.View) (helpers []string, query string, names []sql.ObjectName, err error) {
	t := e.Target()
	c, diags := sql.Emit(v, t)
	if diags.HasErrors() {
		var b strings.Builder
		diag.RenderText(&b, diags.Errors())
		return nil, "", nil, fmt.Errorf("the view cannot be compiled for sqlserver:\n%s", b.String())
	}
	for _, h := range c.Helpers {
		helpers = append(helpers, strings.TrimSpace(sql.Print(t, []sql.Stmt{h.Stmt})))
		names = append(names, h.Name)
	}
	return helpers, sql.PrintQuery(t, c.Query), names, nil
}

// Run implements verify.Engine.
func (e *Engine) Run(ctx context.Context, v *plan.View, inputs []string) (*verify.Table, error) {
	files, err := verify.Files(inputs)
	if err != nil {
		return nil, err
	}
	helpers, query, names, err := e.Compile(v)
	if err != nil {
		return nil, err
	}
	if err := e.load(ctx, files); err != nil {
		return nil, err
	}
	t := e.Target()
	defer func() {
		for _, n := range names {
			e.db.ExecContext(context.Background(), "DROP FUNCTION IF EXISTS "+sql.QuoteObject(t, n))
		}
	}()
	for _, h := range helpers {
		if _, err := e.db.ExecContext(ctx, h); err != nil {
			return nil, fmt.Errorf("creating a helper function: %v", err)
		}
	}
	rows, err := e.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return verify.ScanRows(rows, v, "SQL Server")
}

// RejectsSQL is the query behind the sqlserver target's rejects view, over
// the engine's table, with the file of each line.
func (e *Engine) RejectsSQL() string {
	t := e.Target()
	raw := &sql.From{Src: &sql.Table{Name: e.table}, Alias: "s"}
	return sql.PrintQuery(t, tsql.RejectsQuery(raw, "doc", &sql.Col{Table: "s", Name: "file"}))
}

// Rejects implements verify.Rejecter: the lines load left out and the
// lines of the table no view reads.
func (e *Engine) Rejects(ctx context.Context, inputs []string) ([]verify.Reject, error) {
	files, err := verify.Files(inputs)
	if err != nil {
		return nil, err
	}
	if err := e.load(ctx, files); err != nil {
		return nil, err
	}
	out := append([]verify.Reject(nil), e.unloadable...)
	rows, err := e.db.QueryContext(ctx, e.RejectsSQL())
	if err != nil {
		return nil, fmt.Errorf("listing the lines SQL Server does not read: %v", err)
	}
	defer rows.Close()
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

// Close drops the loaded table and disconnects.
func (e *Engine) Close() error {
	_, err := e.db.ExecContext(context.Background(), e.dropTableSQL())
	if cerr := e.db.Close(); err == nil {
		err = cerr
	}
	return err
}

var _ verify.Engine = (*Engine)(nil)

// SQL is the T-SQL Run executes for a view: its helper functions, then
// the SELECT, as batches separated by GO.
func (e *Engine) SQL(v *plan.View, inputs []string) (string, error) {
	helpers, q, _, err := e.Compile(v)
	if err != nil {
		return "", err
	}
	return strings.Join(append(helpers, q), "\nGO\n"), nil
}
