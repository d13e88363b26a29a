package mssqlengine

import (
	"context"
	dbsql "database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/source"
)

// A recording database/sql driver stands in for SQL Server, so that the
// engine's whole conversation — create the table, bulk-load each line in one
// transaction, create the helpers, query, drop the helpers, drop the table —
// is checked without a server. What the server does with it is not.

type recorder struct {
	mu    sync.Mutex
	log   []string
	rows  [][]driver.Value
	ncols int
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

type fakeDriver struct{ r *recorder }
type fakeConn struct{ r *recorder }
type fakeStmt struct {
	r *recorder
	q string
}
type fakeTx struct{ r *recorder }
type fakeRows struct {
	r *recorder
	i int
}

func (d fakeDriver) Open(string) (driver.Conn, error) { return fakeConn(d), nil }
func (c fakeConn) Prepare(q string) (driver.Stmt, error) {
	c.r.add("PREPARE " + firstLine(q))
	return &fakeStmt{c.r, q}, nil
}
func (c fakeConn) Close() error { return nil }
func (c fakeConn) Begin() (driver.Tx, error) {
	c.r.add("BEGIN")
	return fakeTx(c), nil
}
func (t fakeTx) Commit() error    { t.r.add("COMMIT"); return nil }
func (t fakeTx) Rollback() error  { t.r.add("ROLLBACK"); return nil }
func (s *fakeStmt) Close() error  { return nil }
func (s *fakeStmt) NumInput() int { return -1 }
func (s *fakeStmt) Exec(args []driver.Value) (driver.Result, error) {
	if strings.HasPrefix(s.q, "INSERTBULK") {
		s.r.add(fmt.Sprintf("BULK %v", args))
	} else {
		s.r.add("EXEC " + firstLine(s.q))
	}
	return driver.RowsAffected(0), nil
}
func (s *fakeStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.r.add("QUERY " + firstLine(s.q))
	return &fakeRows{r: s.r}, nil
}
func (r *fakeRows) Columns() []string {
	cols := make([]string, r.r.ncols)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d", i)
	}
	return cols
}
func (r *fakeRows) Close() error { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.r.rows) {
		return io.EOF
	}
	copy(dest, r.r.rows[r.i])
	r.i++
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var registerOnce sync.Once
var fakeRec = &recorder{}

func TestConversation(t *testing.T) {
	registerOnce.Do(func() { dbsql.Register("fhirql-fake-mssql", fakeDriver{fakeRec}) })
	db, err := dbsql.Open("fhirql-fake-mssql", "")
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{db: db, schema: "dbo", table: sql.ObjectName{"dbo", "fhirql_verify_abc"}}
	dir := t.TempDir()
	data := filepath.Join(dir, "q.ndjson")
	os.WriteFile(data, []byte(`{"resourceType":"QuestionnaireResponse","id":"q1"}`+"\n\n"+`{"resourceType":"QuestionnaireResponse","id":"q2"}`+"\n"+
		"{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"q\xff\"}\n"), 0o644)
	src := source.NewFile("q.fview", []byte("view items of QuestionnaireResponse {\n  id = getResourceKey()\n  repeat item {\n    link_id = linkId\n  }\n}\n"))
	ns, diags := compiler.CompileFiles(".", []*source.File{src}, r4.Catalog())
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	fakeRec.ncols = 2
	fakeRec.rows = [][]driver.Value{{"q1", "1"}, {"q1", "1.1"}}
	for i := 0; i < 2; i++ { // the second run reuses the loaded table
		tab, err := e.Run(context.Background(), ns.Views[0], []string{data})
		if err != nil {
			t.Fatal(err)
		}
		if len(tab.Rows) != 2 || tab.Rows[1][1] != "1.1" {
			t.Errorf("rows %v", tab.Rows)
		}
	}
	// Rejects: the line load left out (not UTF-8), then the table's.
	fakeRec.ncols = 3
	fakeRec.rows = [][]driver.Value{{data, "not valid JSON", "{"}}
	rejects, err := e.Rejects(context.Background(), []string{data})
	if err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 2 || rejects[0].Reason != "not valid UTF-8" || rejects[0].File != data || rejects[1].Reason != "not valid JSON" {
		t.Errorf("rejects %+v", rejects)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(fakeRec.log, "\n")
	want := strings.Join([]string{
		"PREPARE IF OBJECT_ID(N'[dbo].[fhirql_verify_abc]', N'U') IS NOT NULL DROP TABLE [dbo].[fhirql_verify_abc];",
		"EXEC IF OBJECT_ID(N'[dbo].[fhirql_verify_abc]', N'U') IS NOT NULL DROP TABLE [dbo].[fhirql_verify_abc];",
		"BEGIN",
		`PREPARE INSERTBULK {"TableName":"dbo.fhirql_verify_abc","ColumnsName":["doc","file"],"Options":{"CheckConstraints":false,"FireTriggers":false,"KeepNulls":false,"KilobytesPerBatch":0,"RowsPerBatch":0,"Order":null,"Tablock":true}}`,
		`BULK [{"resourceType":"QuestionnaireResponse","id":"q1"} ` + data + `]`,
		`BULK [{"resourceType":"QuestionnaireResponse","id":"q2"} ` + data + `]`,
		"BULK []",
		"COMMIT",
		"PREPARE CREATE OR ALTER FUNCTION [dbo].[items__repeat1](@node NVARCHAR(MAX))",
		"EXEC CREATE OR ALTER FUNCTION [dbo].[items__repeat1](@node NVARCHAR(MAX))",
		"PREPARE SELECT",
		"QUERY SELECT",
		"PREPARE DROP FUNCTION IF EXISTS [dbo].[items__repeat1]",
		"EXEC DROP FUNCTION IF EXISTS [dbo].[items__repeat1]",
		"PREPARE CREATE OR ALTER FUNCTION [dbo].[items__repeat1](@node NVARCHAR(MAX))",
		"EXEC CREATE OR ALTER FUNCTION [dbo].[items__repeat1](@node NVARCHAR(MAX))",
		"PREPARE SELECT",
		"QUERY SELECT",
		"PREPARE DROP FUNCTION IF EXISTS [dbo].[items__repeat1]",
		"EXEC DROP FUNCTION IF EXISTS [dbo].[items__repeat1]",
		"PREPARE SELECT",
		"QUERY SELECT",
		"PREPARE IF OBJECT_ID(N'[dbo].[fhirql_verify_abc]', N'U') IS NOT NULL DROP TABLE [dbo].[fhirql_verify_abc];",
		"EXEC IF OBJECT_ID(N'[dbo].[fhirql_verify_abc]', N'U') IS NOT NULL DROP TABLE [dbo].[fhirql_verify_abc];",
	}, "\n")
	if got != want {
		t.Errorf("conversation:\n%s\n\nwant:\n%s", got, want)
	}
}
