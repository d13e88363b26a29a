// Package serverless is the Azure Synapse serverless SQL pool target: views
// that read NDJSON in the data lake in place with OPENROWSET and OPENJSON,
// and optionally CETAS statements that materialise them as Parquet.
//
// Capabilities (Microsoft, "Transact-SQL features supported in Azure Synapse
// SQL", and "WITH common_table_expression", Synapse section): no in-database
// tables (so no CTAS or SELECT INTO: views and external tables only), no
// recursive CTEs (repeat is unrolled to Options.RepeatDepth levels), and
// STRING_ESCAPE is available for JSON arrays.
package serverless

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
)

// Options configure the target.
type Options struct {
	// Source is the lake location of the NDJSON files; "{resource}" is
	// replaced by the view's resource type
	// ('https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson'). With
	// DataSource it is relative to the data source's location.
	Source string
	// DataSource names an EXTERNAL DATA SOURCE that carries the credential.
	DataSource string
	// Schema holds the views (default dbo).
	Schema string
	// RepeatDepth bounds repeat (default 8).
	RepeatDepth int
	// Parquet, when set, adds CETAS statements that materialise each view
	// as Parquet (Snappy) under this location, one folder per view and run.
	Parquet string
	// Auth is how the Parquet output data source reaches storage:
	// AuthPassthrough (default), AuthManagedIdentity or AuthSAS.
	Auth string
	// Exports, when set, is a pattern of export folders with one wildcard
	// ('.../exports/*'; with DataSource, relative to it): the views read
	// the current state over them (current.go, docs/versions.md), Source
	// naming the files inside each folder ('{resource}*.ndjson').
	Exports string
}

// The storage authentication choices of a serverless pool's external data
// source ("Control storage account access for serverless SQL pool").
const (
	// AuthPassthrough: no credential; the caller's Microsoft Entra identity
	// reads and writes storage. SQL logins cannot write this way.
	AuthPassthrough = "passthrough"
	// AuthManagedIdentity: the workspace's managed identity, through a
	// database scoped credential the script creates (it needs a database
	// master key).
	AuthManagedIdentity = "managed-identity"
	// AuthSAS: a shared access signature in a database scoped credential
	// the user creates first, so that no secret is ever in a script.
	AuthSAS = "sas"
)

// ValidAuth reports whether a is one of the Auth choices.
func ValidAuth(a string) bool {
	return a == "" || a == AuthPassthrough || a == AuthManagedIdentity || a == AuthSAS
}

// Credential is the database scoped credential of AuthManagedIdentity and
// AuthSAS.
const Credential = "fhirql_lake"

// Target compiles views for the serverless pool.
type Target struct {
	tsql.Base
	opts Options
}

// New makes a target.
func New(o Options) *Target {
	if o.Schema == "" {
		o.Schema = "dbo"
	}
	if o.RepeatDepth <= 0 {
		o.RepeatDepth = 8
	}
	if o.Auth == "" {
		o.Auth = AuthPassthrough
	}
	if o.Source == "" {
		o.Source = "{resource}*.ndjson"
	}
	return &Target{opts: o}
}

// Name implements sql.Dialect.
func (*Target) Name() string { return "serverless" }

// Caps implements sql.Dialect.
func (t *Target) Caps() sql.Caps {
	return sql.Caps{RecursiveCTE: false, RepeatDepth: t.opts.RepeatDepth, Schema: t.opts.Schema}
}

// JSONQuote uses STRING_ESCAPE (listed among the supported string functions).
func (*Target) JSONQuote(s sql.Expr) sql.Expr { return tsql.EscapeJSON(s) }

// Location is the BULK path for one resource type.
func (t *Target) Location(resource string) string {
	return strings.ReplaceAll(t.opts.Source, "{resource}", resource)
}

// Source reads one NDJSON line per row (lines), each a document when it is
// valid JSON (tsql.ValidDocSource).
func (t *Target) Source(resource, alias string) (*sql.From, sql.Expr) {
	if t.opts.Exports != "" {
		raw := &sql.From{Src: &sql.Table{Name: t.CurrentName(resource)}, Alias: "s"}
		return tsql.ValidDocSource(raw, "doc", alias)
	}
	raw, files := t.lines(resource)
	from, doc := tsql.ValidDocSource(raw, "doc", alias)
	from.Src.(*sql.Derived).Q.(*sql.Select).Where = files
	return from, doc
}

// RejectsName implements sql.Rejecter.
func (t *Target) RejectsName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "rejects")}
}

// Rejects implements sql.Rejecter: the lines of the resource type's files
// that no view reads, with the file each came from (filepath()).
func (t *Target) Rejects(resource string) []sql.Stmt {
	raw, files := t.lines(resource)
	q := tsql.RejectsQuery(raw, "doc", &sql.RowsetFunc{Table: "s", Name: "filepath"}, files...)
	return tsql.RejectsView(t.RejectsName(resource), q)
}

// lines reads one NDJSON line per row, as s.doc: CSV with a field
// terminator and quote (0x0b) that cannot occur in JSON text, so each line
// is one field ("Query JSON files using serverless SQL pool"). files keeps
// only the files of the pattern.
//
// It reads the files COPY INTO loads for the same pattern, so that both
// pools see the same rows: COPY expands a wildcard in the file name in the
// folder and all its subfolders, skipping names that start with '_' or
// '.' ("COPY INTO (Transact-SQL)"), while OPENROWSET reads one folder
// unless the path ends in /** ("OPENROWSET (serverless SQL pool)"). So a
// file name with a wildcard is read as <folder>/** with the name matched
// by [s].filename(), which also keeps serverless from reading the other
// files under the folder.
func (t *Target) lines(resource string) (raw *sql.From, files []sql.Expr) {
	loc := t.Location(resource)
	dir, name, wildcard := tsql.SplitPattern(loc)
	if wildcard {
		loc = dir + "**"
		fn := &sql.Collate{X: &sql.RowsetFunc{Table: "s", Name: "filename"}, Name: tsql.BIN2}
		files = append(files, &sql.Like{X: fn, Pattern: &sql.Str{V: tsql.LikePattern(name)}})
		if strings.HasPrefix(name, "*") {
			files = append(files, &sql.Like{X: fn, Pattern: &sql.Str{V: "[_.]%"}, Not: true})
		}
	}
	args := []sql.Expr{&sql.Bulk{Path: loc}}
	if t.opts.DataSource != "" {
		args = append(args, &sql.OptionArg{Option: sql.Option{Name: "DATA_SOURCE", Value: &sql.ASCII{V: t.opts.DataSource}}})
	}
	args = append(args,
		&sql.OptionArg{Option: sql.Option{Name: "FORMAT", Value: &sql.ASCII{V: "CSV"}}},
		&sql.OptionArg{Option: sql.Option{Name: "FIELDTERMINATOR", Value: &sql.ASCII{V: "0x0b"}}},
		&sql.OptionArg{Option: sql.Option{Name: "FIELDQUOTE", Value: &sql.ASCII{V: "0x0b"}}},
		&sql.OptionArg{Option: sql.Option{Name: "ROWTERMINATOR", Value: &sql.ASCII{V: "0x0a"}}},
	)
	return &sql.From{Src: &sql.TableFunc{
		Name:      "OPENROWSET",
		Args:      args,
		With:      []sql.WithCol{{Name: "doc", Typ: "NVARCHAR(MAX)"}},
		Multiline: true,
	}, Alias: "s"}, files
}

var _ sql.Rejecter = (*Target)(nil)

// Object implements sql.Target.
func (t *Target) Object(v *plan.View) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.ViewName(v)}
}

const (
	parquetFormat = "fhirql_parquet"
	parquetSource = "fhirql_parquet_out"
)

// Preconditions implements sql.Preconditions: views and external objects
// live in a user database; master holds none.
func (t *Target) Preconditions() []sql.Stmt {
	return []sql.Stmt{
		&sql.Comment{Lines: []string{
			"Run in a user database of the serverless pool (CREATE DATABASE fhir; then USE fhir),",
			"not in master, which holds no views or external objects.",
		}},
		&sql.Guard{
			Cond: &sql.Bin{Op: sql.OpEq, X: &sql.Func{Name: "DB_NAME"}, Y: &sql.Str{V: "master"}},
			Msg:  "fhirql: run this script in a user database, not master: CREATE DATABASE fhir, then USE fhir",
		},
	}
}

// Prelude, when materialising, makes sure of the credential and creates the
// Parquet file format and output data source.
func (t *Target) Prelude(views []*sql.Compiled) []sql.Stmt {
	var current []sql.Stmt
	if t.opts.Exports != "" {
		for _, r := range sql.Resources(views) {
			current = append(current, t.Current(r)...)
		}
	}
	if t.opts.Parquet == "" {
		return current
	}
	stmts := append(current, t.credential()...)
	src := []sql.Option{{Name: "LOCATION", Value: &sql.ASCII{V: t.opts.Parquet}}}
	if t.opts.Auth != AuthPassthrough {
		src = append(src, sql.Option{Name: "CREDENTIAL", Value: &sql.Ident{Name: Credential}})
	}
	return append(stmts,
		&sql.CreateIfMissing{Catalog: "external_file_formats", Name: parquetFormat, Stmt: &sql.CreateExternal{
			Kind: "FILE FORMAT", Name: parquetFormat,
			With: []sql.Option{
				{Name: "FORMAT_TYPE", Value: &sql.Bare{K: "PARQUET"}},
				{Name: "DATA_COMPRESSION", Value: &sql.ASCII{V: "org.apache.hadoop.io.compress.SnappyCodec"}},
			},
		}},
		&sql.Comment{Lines: []string{
			"The output data source is created once: to change its location or credential, drop it",
			"(DROP EXTERNAL DATA SOURCE [" + parquetSource + "]) after the external tables that use it.",
		}},
		&sql.CreateIfMissing{Catalog: "external_data_sources", Name: parquetSource, Stmt: &sql.CreateExternal{
			Kind: "DATA SOURCE", Name: parquetSource, With: src,
		}},
	)
}

// exists is EXISTS (SELECT 1 FROM sys.<catalog> WHERE [name] = name).
func exists(catalog, name string) *sql.Exists {
	return &sql.Exists{Q: &sql.Select{
		Items: []sql.Item{{X: &sql.Num{V: "1"}}},
		From:  []*sql.From{{Src: &sql.Table{Name: sql.ObjectName{"sys", catalog}}}},
		Where: []sql.Expr{&sql.Bin{Op: sql.OpEq, X: &sql.Col{Name: "name"}, Y: &sql.Str{V: name}}},
	}}
}

// credential makes sure the credential of the output data source exists:
// the script creates a managed identity's, and checks for a SAS one, whose
// secret it must not carry.
func (t *Target) credential() []sql.Stmt {
	switch t.opts.Auth {
	case AuthManagedIdentity:
		key := exists("symmetric_keys", "##MS_DatabaseMasterKey##")
		key.Not = true
		return []sql.Stmt{
			&sql.Comment{Lines: []string{
				"Storage access: the workspace's managed identity (it needs Storage Blob Data Contributor",
				"on the output container), through a database scoped credential, which needs a master key.",
			}},
			&sql.Guard{Cond: key, Msg: "fhirql: this database has no master key, which a database scoped credential needs: CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<a strong password>'"},
			&sql.CreateIfMissing{Catalog: "database_scoped_credentials", Name: Credential,
				Stmt: &sql.CreateCredential{Name: Credential, Identity: "Managed Identity"}},
		}
	case AuthSAS:
		cred := exists("database_scoped_credentials", Credential)
		cred.Not = true
		return []sql.Stmt{
			&sql.Comment{Lines: []string{
				"Storage access: a shared access signature (read, write, list on the output container) in",
				"the credential " + Credential + ", which you create first; the script never holds the secret.",
			}},
			&sql.Guard{Cond: cred, Msg: "fhirql: create the credential first (after CREATE MASTER KEY if the database has none): CREATE DATABASE SCOPED CREDENTIAL [" + Credential + "] WITH IDENTITY = 'SHARED ACCESS SIGNATURE', SECRET = '<SAS token without the leading ?>'"},
		}
	}
	return []sql.Stmt{&sql.Comment{Lines: []string{
		"Storage access: pass-through; the caller's Microsoft Entra identity writes the Parquet files",
		"(SQL logins cannot: build with --auth managed-identity or --auth sas for them).",
	}}}
}

// runVar holds the run's folder name; cetasVar the CETAS statement text.
const (
	runVar   = "fhirql_run"
	cetasVar = "fhirql_cetas"
	runMark  = "fhirql_run_folder_4f9c2e"
)

// Create makes the view (CREATE OR ALTER VIEW, alone in its batch) and, when
// materialising, re-creates its Parquet external table in a new folder.
// CETAS fails when its folder holds files, and DROP EXTERNAL TABLE leaves
// them ("CETAS with Synapse SQL"), so each run writes
// <view>/<UTC time of the run>/ and points the table there: a second run
// succeeds, and the files of the first never show in the new table. They
// stay in storage: Synapse SQL cannot delete files.
func (t *Target) Create(c *sql.Compiled) []sql.Stmt {
	name := t.Object(c.View)
	stmts := []sql.Stmt{
		&sql.Batch{},
		&sql.CreateView{Name: name, OrAlter: true, Q: c.Query},
		&sql.Batch{},
	}
	if t.opts.Parquet == "" {
		return stmts
	}
	ext := sql.ObjectName{t.opts.Schema, sql.ViewName(c.View) + "_parquet"}
	sel := &sql.Select{From: []*sql.From{{Src: &sql.Table{Name: name}}}}
	for _, col := range c.Columns {
		sel.Items = append(sel.Items, sql.Item{X: &sql.Col{Name: col.Name}})
	}
	folder := sql.ViewName(c.View) + "/"
	cetas := &sql.CreateExternalTableAs{Name: ext, With: []sql.Option{
		{Name: "LOCATION", Value: &sql.ASCII{V: folder + runMark + "/"}},
		{Name: "DATA_SOURCE", Value: &sql.Ident{Name: parquetSource}},
		{Name: "FILE_FORMAT", Value: &sql.Ident{Name: parquetFormat}},
	}, As: sel}
	// One line: the printer breaks lines only between tokens (a literal
	// or identifier never spans lines), so joining them keeps the text.
	lines := strings.Split(strings.TrimSuffix(strings.TrimRight(sql.Print(t, []sql.Stmt{cetas}), "\n"), ";"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, " ")
	}
	text := strings.Join(lines, " ")
	before, after, _ := strings.Cut(text, runMark)
	// The run's folder: the UTC time to 100 ns, digits and a T only
	// (20261206T1405011234567), so it needs no quoting inside the statement.
	now := &sql.Convert{Typ: "NVARCHAR(27)", X: &sql.Func{Name: "SYSUTCDATETIME"}, Style: 126}
	run := &sql.Func{Name: "REPLACE", Args: []sql.Expr{
		&sql.Func{Name: "REPLACE", Args: []sql.Expr{
			&sql.Func{Name: "REPLACE", Args: []sql.Expr{now, &sql.Str{V: "-"}, &sql.Str{V: ""}}},
			&sql.Str{V: ":"}, &sql.Str{V: ""}}},
		&sql.Str{V: "."}, &sql.Str{V: ""}}}
	return append(stmts,
		&sql.Comment{Lines: []string{
			"Parquet copy of " + sql.ViewName(c.View) + ". CETAS needs a new folder, so every run writes " + folder + "<UTC time>/",
			"and re-creates the external table over it alone. Earlier folders stay in storage (Synapse SQL",
			"cannot delete files): remove them with storage tools when no query needs them.",
			"A resource over 1 MB in a column (inline attachment data) makes CETAS fail (LOB limit, docs/sql.md).",
		}},
		&sql.Drop{Kind: "EXTERNAL TABLE", Name: ext},
		&sql.Declare{Name: runVar, Typ: "NVARCHAR(32)", Value: run},
		&sql.Declare{Name: cetasVar, Typ: "NVARCHAR(MAX)", Value: &sql.Func{Name: "CONCAT", Args: []sql.Expr{
			&sql.Str{V: before}, &sql.Var{Name: runVar}, &sql.Str{V: after}}}},
		&sql.ExecVar{Name: cetasVar},
	)
}
