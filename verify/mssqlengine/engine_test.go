package mssqlengine

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/source"
)

// These tests exercise everything that does not need a server: DSN
// parsing, the load statements, reading the NDJSON lines and the T-SQL a
// view becomes.

func TestCheckDSN(t *testing.T) {
	good := []struct{ dsn, want string }{
		{"sqlserver://sa:Secret1!@localhost:1433?database=master", "localhost:1433, database master, user sa"},
		{"server=db.example.org;user id=fhirql;password=x;database=lake", "db.example.org, database lake, user fhirql"},
		{"sqlserver://sa:p@host/SQLEXPRESS?database=fhir", `host\SQLEXPRESS, database fhir, user sa`},
	}
	for _, c := range good {
		got, err := CheckDSN(c.dsn)
		if err != nil {
			t.Errorf("CheckDSN(%q): %v", c.dsn, err)
			continue
		}
		if got != c.want {
			t.Errorf("CheckDSN(%q) = %q, want %q", c.dsn, got, c.want)
		}
		if strings.Contains(got, "Secret") {
			t.Errorf("CheckDSN(%q) shows the password", c.dsn)
		}
	}
	for _, bad := range []string{"", "  ", "sqlserver://sa:p@localhost:notaport", "server=x;port=abc"} {
		if _, err := CheckDSN(bad); err == nil {
			t.Errorf("CheckDSN(%q) accepted", bad)
		}
	}
}

func testEngine() *Engine {
	return &Engine{schema: "dbo", table: sql.ObjectName{"dbo", "fhirql_verify_abc"}}
}

func TestLoadStatements(t *testing.T) {
	e := testEngine()
	if got, want := e.createTableSQL(), "IF OBJECT_ID(N'[dbo].[fhirql_verify_abc]', N'U') IS NOT NULL DROP TABLE [dbo].[fhirql_verify_abc];\nCREATE TABLE [dbo].[fhirql_verify_abc] ([doc] NVARCHAR(MAX) NULL, [file] NVARCHAR(4000) NULL);"; got != want {
		t.Errorf("create:\n%s\nwant\n%s", got, want)
	}
	if got, want := e.dropTableSQL(), "IF OBJECT_ID(N'[dbo].[fhirql_verify_abc]', N'U') IS NOT NULL DROP TABLE [dbo].[fhirql_verify_abc];"; got != want {
		t.Errorf("drop:\n%s\nwant\n%s", got, want)
	}
	ci := e.copyInSQL()
	if !strings.HasPrefix(ci, "INSERTBULK ") {
		t.Fatalf("copy-in statement %q", ci)
	}
	var cfg struct {
		TableName   string
		ColumnsName []string
		Options     struct{ Tablock bool }
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(ci, "INSERTBULK ")), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.TableName != "dbo.fhirql_verify_abc" || !reflect.DeepEqual(cfg.ColumnsName, []string{"doc", "file"}) || !cfg.Options.Tablock {
		t.Errorf("copy-in config %+v", cfg)
	}
}

func TestLines(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.ndjson")
	if err := os.WriteFile(plain, []byte("\xef\xbb\xbf{\"a\":1}\r\n\n  \n{\"b\":\"x\\ny\"}"), 0o644); err != nil {
		t.Fatal(err)
	}
	gzPath := filepath.Join(dir, "b.ndjson.gz")
	f, err := os.Create(gzPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte("{\"c\":2}\n{\"d\":3}\n"))
	zw.Close()
	f.Close()
	var got []string
	for _, p := range []string{plain, gzPath} {
		if err := Lines(p, func(s string) error { got = append(got, s); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{`{"a":1}`, `{"b":"x\ny"}`, `{"c":2}`, `{"d":3}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// TestCompile: a repeat view needs a helper function in the engine's
// schema, and the SELECT reads the engine's table.
func TestCompile(t *testing.T) {
	src := source.NewFile("q.fview", []byte(`view items of QuestionnaireResponse {
  id = getResourceKey()
  repeat item {
    link_id = linkId
    depth = %rowIndex
  }
}
`))
	ns, diags := compiler.CompileFiles(".", []*source.File{src}, r4.Catalog())
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	helpers, q, names, err := testEngine().Compile(ns.Views[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(helpers) != 1 || len(names) != 1 || !strings.HasPrefix(helpers[0], "CREATE OR ALTER FUNCTION [dbo].[items__repeat1](@node NVARCHAR(MAX))") {
		t.Errorf("helpers %q", helpers)
	}
	if strings.Contains(helpers[0], "\nGO") {
		t.Errorf("a helper is one batch, without GO:\n%s", helpers[0])
	}
	for _, want := range []string{"FROM [dbo].[fhirql_verify_abc] AS [s]", "[dbo].[items__repeat1]("} {
		if !strings.Contains(q, want) {
			t.Errorf("query lacks %q:\n%s", want, q)
		}
	}
}

// TestRejectsSQL: the rejects query reads the engine's table and names
// each line's file.
func TestRejectsSQL(t *testing.T) {
	q := testEngine().RejectsSQL()
	for _, want := range []string{"[s].[file] AS [file]", "FROM [dbo].[fhirql_verify_abc] AS [s]", "N'not valid JSON'", "WHERE [r].[reason] IS NOT NULL"} {
		if !strings.Contains(q, want) {
			t.Errorf("rejects query lacks %q:\n%s", want, q)
		}
	}
}
