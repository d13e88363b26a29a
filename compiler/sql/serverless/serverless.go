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
	// as Parquet (Snappy) under this location, one folder per view.
	Parquet string
}

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
	return tsql.ValidDocSource(t.lines(resource), "doc", alias)
}

// RejectsName implements sql.Rejecter.
func (t *Target) RejectsName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, "fhirql_" + resource + "_rejects"}
}

// Rejects implements sql.Rejecter: the lines of the resource type's files
// that no view reads, with the file each came from (filepath()).
func (t *Target) Rejects(resource string) []sql.Stmt {
	q := tsql.RejectsQuery(t.lines(resource), "doc", &sql.TableMethod{Table: "s", Name: "filepath"})
	return tsql.RejectsView(t.RejectsName(resource), q)
}

// lines reads one NDJSON line per row, as s.doc: CSV with a field
// terminator and quote (0x0b) that cannot occur in JSON text, so each line
// is one field.
func (t *Target) lines(resource string) *sql.From {
	args := []sql.Expr{&sql.Bulk{Path: t.Location(resource)}}
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
	}, Alias: "s"}
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

// Prelude creates the Parquet file format and output data source when
// materialising.
func (t *Target) Prelude(views []*sql.Compiled) []sql.Stmt {
	if t.opts.Parquet == "" {
		return nil
	}
	return []sql.Stmt{
		&sql.CreateIfMissing{Catalog: "external_file_formats", Name: parquetFormat, Stmt: &sql.CreateExternal{
			Kind: "FILE FORMAT", Name: parquetFormat,
			With: []sql.Option{
				{Name: "FORMAT_TYPE", Value: &sql.Bare{K: "PARQUET"}},
				{Name: "DATA_COMPRESSION", Value: &sql.ASCII{V: "org.apache.hadoop.io.compress.SnappyCodec"}},
			},
		}},
		&sql.CreateIfMissing{Catalog: "external_data_sources", Name: parquetSource, Stmt: &sql.CreateExternal{
			Kind: "DATA SOURCE", Name: parquetSource,
			With: []sql.Option{{Name: "LOCATION", Value: &sql.ASCII{V: t.opts.Parquet}}},
		}},
	}
}

// Create makes the view (CREATE OR ALTER VIEW, alone in its batch) and, when
// materialising, drops and recreates its Parquet external table. CETAS
// refuses a non-empty folder: delete the view's folder before re-running.
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
	return append(stmts,
		&sql.Comment{Lines: []string{"Parquet copy; CETAS needs the folder " + sql.ViewName(c.View) + "/ to be empty."}},
		&sql.Drop{Kind: "EXTERNAL TABLE", Name: ext},
		&sql.CreateExternalTableAs{Name: ext, With: []sql.Option{
			{Name: "LOCATION", Value: &sql.ASCII{V: sql.ViewName(c.View) + "/"}},
			{Name: "DATA_SOURCE", Value: &sql.Ident{Name: parquetSource}},
			{Name: "FILE_FORMAT", Value: &sql.Ident{Name: parquetFormat}},
		}, As: sel},
	)
}
