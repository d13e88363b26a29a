// Package dedicated is the Azure Synapse dedicated SQL pool target: NDJSON is
// loaded with COPY INTO into one staging heap per resource type, and each
// view becomes a table built with CREATE TABLE AS SELECT (or SELECT INTO).
//
// Capabilities (Microsoft, "Transact-SQL features supported in Azure Synapse
// SQL"): no recursive CTEs (repeat is unrolled), and neither STRING_ESCAPE
// nor FOR JSON, so JSON array text is built with JSON_MODIFY, which escapes a
// string as it appends it to an array: JSON_MODIFY(N'[]', 'append $', s)
// gives ["s escaped"], whose brackets are then cut off.
package dedicated

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
	"github.com/fhirql/fhirql/lang/diag"
)

// Options configure the target.
type Options struct {
	// Source is the lake location COPY INTO reads; "{resource}" is replaced
	// by the resource type.
	Source string
	// Credential is COPY INTO's CREDENTIAL IDENTITY ("Managed Identity");
	// empty for none.
	Credential string
	// Schema holds the staging and view tables (default dbo).
	Schema string
	// Distribution is ROUND_ROBIN (default), REPLICATE or HASH(column).
	Distribution string
	// Index is CLUSTERED COLUMNSTORE INDEX or HEAP; empty chooses per
	// view: columnstore when every column has a sized type, HEAP when one
	// is still NVARCHAR(MAX), which columnstore tables cannot hold.
	Index string
	// SelectInto builds view tables with SELECT ... INTO instead of CTAS
	// (always ROUND_ROBIN + clustered columnstore, so every column must be
	// sized).
	SelectInto bool
	// RepeatDepth bounds repeat (default 8).
	RepeatDepth int
	// Incremental makes the views read one export's current lines
	// (incremental.go) for IncrementalScript; Deleted is the location of
	// that export's deletion lists ("" when it has none).
	Incremental bool
	Deleted     string
}

// Target compiles views for the dedicated pool.
type Target struct {
	tsql.Base
	opts Options
}

// New makes a target.
func New(o Options) *Target {
	if o.Schema == "" {
		o.Schema = "dbo"
	}
	if o.Distribution == "" {
		o.Distribution = "ROUND_ROBIN"
	}
	o.Index = strings.ToUpper(strings.TrimSpace(o.Index))
	if o.RepeatDepth <= 0 {
		o.RepeatDepth = 8
	}
	if o.Source == "" {
		o.Source = "{resource}*.ndjson"
	}
	return &Target{opts: o}
}

// Name implements sql.Dialect.
func (*Target) Name() string { return "dedicated" }

// Caps implements sql.Dialect.
func (t *Target) Caps() sql.Caps {
	// ORDER BY in Azure Synapse has no <offset_fetch> (SELECT - ORDER BY
	// clause, "Syntax for Azure Synapse Analytics and PDW").
	return sql.Caps{RecursiveCTE: false, RepeatDepth: t.opts.RepeatDepth, Schema: t.opts.Schema, NoOffset: true}
}

// JSONQuote escapes with JSON_MODIFY (see the package comment).
func (*Target) JSONQuote(s sql.Expr) sql.Expr {
	arr := &sql.Func{Name: "JSON_MODIFY", Args: []sql.Expr{&sql.Str{V: "[]"}, &sql.ASCII{V: "append $"}, s}}
	return &sql.Func{Name: "SUBSTRING", Args: []sql.Expr{arr, &sql.Num{V: "2"},
		&sql.Bin{Op: sql.OpSub, X: &sql.Func{Name: "LEN", Args: []sql.Expr{arr}}, Y: &sql.Num{V: "2"}}}}
}

// Staging is the staging table of a resource type.
func (t *Target) Staging(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, "fhirql_" + resource + "_ndjson"}
}

// Source reads the staging table, one NDJSON line per row.
func (t *Target) Source(resource, alias string) (*sql.From, sql.Expr) {
	raw := &sql.From{Src: &sql.Table{Name: t.Staging(resource)}, Alias: "s"}
	if t.opts.Incremental {
		raw.Src = &sql.Table{Name: t.CurrentName(resource)}
	}
	return tsql.ValidDocSource(raw, "doc", alias)
}

// RejectsName implements sql.Rejecter.
func (t *Target) RejectsName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "rejects")}
}

// Rejects implements sql.Rejecter: the staging rows no view reads. COPY
// INTO does not keep file names, so file is NULL.
func (t *Target) Rejects(resource string) []sql.Stmt {
	raw := &sql.From{Src: &sql.Table{Name: t.Staging(resource)}, Alias: "s"}
	q := tsql.RejectsQuery(raw, "doc", &sql.Cast{X: &sql.Null{}, Typ: "NVARCHAR(1000)"})
	name := t.RejectsName(resource)
	return []sql.Stmt{&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: name}, &sql.Batch{}, &sql.CreateView{Name: name, Q: q}, &sql.Batch{}}
}

var _ sql.Rejecter = (*Target)(nil)

// Object implements sql.Target.
func (t *Target) Object(v *plan.View) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.ViewName(v)}
}

// Preconditions implements sql.Preconditions: what the loading user and
// the storage account must allow, and the 1 MB limit of loads.
func (t *Target) Preconditions() []sql.Stmt {
	who := "the caller's Microsoft Entra identity reads the files (Storage Blob Data Reader); SQL logins need --credential"
	if t.opts.Credential != "" {
		who = "the workspace's managed identity reads the files (Storage Blob Data Reader on the container)"
	}
	return []sql.Stmt{&sql.Comment{Lines: []string{
		"Run in the dedicated SQL pool's database as a user with INSERT and ADMINISTER DATABASE BULK OPERATIONS;",
		who + ".",
		"Each NDJSON line is one staged row: a line over 1 MB (a resource with inline attachment data) may",
		"exceed the load's row size limit; see docs/sql.md, Large resources.",
	}}}
}

// Prelude drops, recreates and loads one staging heap per resource type,
// in the form of the project's seed design for NDJSON: FIELDTERMINATOR
// 0x00 (hex notation is documented for it; a JSON text never holds a raw
// NUL) and FIELDQUOTE empty, so a line is one field whatever quotes it
// holds; the row terminator is given in hex because '\n' means '\r\n' to
// COPY INTO ("COPY INTO (Transact-SQL)"). Dropping the staging table first
// means a re-run never keeps rows of files that are gone.
func (t *Target) Prelude(views []*sql.Compiled) []sql.Stmt {
	var stmts []sql.Stmt
	for _, r := range sql.Resources(views) {
		stg := t.Staging(r)
		with := t.copyOptions()
		stmts = append(stmts,
			&sql.Comment{Lines: []string{
				"Staging for " + r + ": one NDJSON line per row. COPY reads the matching files in the folder and its",
				"subfolders (names starting with _ or . excepted), as the serverless views do.",
			}},
			&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: stg},
			&sql.CreateTable{Name: stg, Columns: []sql.ColumnDef{{Name: "doc", Typ: "NVARCHAR(MAX)"}},
				With: []sql.Option{{Name: "DISTRIBUTION", Value: &sql.Bare{K: "ROUND_ROBIN"}}, {Name: "HEAP"}}},
			&sql.CopyInto{Table: stg, Columns: []string{"doc"}, From: strings.ReplaceAll(t.opts.Source, "{resource}", r), With: with},
		)
	}
	return stmts
}

// copyOptions are COPY INTO's options for NDJSON lines (Prelude).
func (t *Target) copyOptions() []sql.Option {
	with := []sql.Option{
		{Name: "FILE_TYPE", Value: &sql.ASCII{V: "CSV"}},
		{Name: "FIELDQUOTE", Value: &sql.ASCII{V: ""}},
		{Name: "FIELDTERMINATOR", Value: &sql.ASCII{V: "0x00"}},
		{Name: "ROWTERMINATOR", Value: &sql.ASCII{V: "0x0a"}},
		{Name: "ENCODING", Value: &sql.ASCII{V: "UTF8"}},
	}
	if t.opts.Credential != "" {
		with = append(with, sql.Option{Name: "CREDENTIAL", Value: &sql.OptionGroup{Opts: []sql.Option{{Name: "IDENTITY", Value: &sql.ASCII{V: t.opts.Credential}}}}})
	}
	return with
}

// distribution spells the DISTRIBUTION option value.
func (t *Target) distribution() sql.Expr {
	d := strings.TrimSpace(t.opts.Distribution)
	up := strings.ToUpper(d)
	if strings.HasPrefix(up, "HASH(") && strings.HasSuffix(d, ")") {
		col := strings.TrimSpace(d[5 : len(d)-1])
		col = strings.TrimSuffix(strings.TrimPrefix(col, "["), "]")
		return &sql.Func{Name: "HASH", Args: []sql.Expr{&sql.Col{Name: col}}}
	}
	return &sql.Bare{K: up}
}

// ValidDistribution reports whether d is a distribution this target spells.
func ValidDistribution(d string) bool {
	up := strings.ToUpper(strings.TrimSpace(d))
	if up == "ROUND_ROBIN" || up == "REPLICATE" {
		return true
	}
	if strings.HasPrefix(up, "HASH(") && strings.HasSuffix(up, ")") {
		col := strings.TrimSpace(d[5 : len(strings.TrimSpace(d))-1])
		col = strings.TrimSuffix(strings.TrimPrefix(col, "["), "]")
		return sql.ValidIdent(col) && !strings.ContainsAny(col, "[]")
	}
	return false
}

// ValidIndex reports whether ix is an index option this target spells
// (empty: chosen per view).
func ValidIndex(ix string) bool {
	up := strings.ToUpper(strings.TrimSpace(ix))
	return up == "" || up == heap || up == columnstore
}

const (
	heap        = "HEAP"
	columnstore = "CLUSTERED COLUMNSTORE INDEX"
)

// Validate implements sql.Validator: a columnstore table, asked for with
// --index or implied by SELECT INTO, cannot hold an NVARCHAR(MAX) column
// ("Indexes on dedicated SQL pool tables"), so the build fails here rather
// than the deployment there.
func (t *Target) Validate(c *sql.Compiled) diag.List {
	layout, fix := "", ""
	switch {
	case t.opts.SelectInto:
		layout = "SELECT INTO (clustered columnstore)"
		fix = "build with CREATE TABLE AS SELECT (drop --select-into), which picks HEAP for such a view, or size the column with @tag(\"tsql/type\", \"NVARCHAR(n)\")"
	case t.opts.Index == columnstore:
		layout = "clustered columnstore"
		fix = "leave --index out (fhirql then picks HEAP for such a view) or size the column with @tag(\"tsql/type\", \"NVARCHAR(n)\")"
	default:
		return nil
	}
	var ds diag.List
	for _, i := range tsql.Unbounded(c) {
		col := c.View.Columns[i]
		ds = append(ds, sql.ErrUnboundedColumn(c.View.File, col.Span, col.Name, c.Columns[i].SQLType, layout, t.Name(), fix))
	}
	return ds
}

// index is the table layout of a view's table and, when fhirql chose HEAP
// for it, the comment that says why.
func (t *Target) index(c *sql.Compiled) (string, *sql.Comment) {
	if t.opts.Index != "" {
		return t.opts.Index, nil
	}
	unbounded := tsql.Unbounded(c)
	if len(unbounded) == 0 {
		return columnstore, nil
	}
	var names []string
	for _, i := range unbounded {
		names = append(names, c.Columns[i].Name)
	}
	return heap, &sql.Comment{Lines: []string{
		"HEAP, not a clustered columnstore index: " + strings.Join(names, ", ") + " " + isAre(len(names)) + " NVARCHAR(MAX),",
		"which columnstore tables cannot hold (Microsoft Learn, \"Indexes on dedicated SQL pool tables\").",
		"A sized type for each, @tag(\"tsql/type\", \"NVARCHAR(n)\") in the view, makes it a columnstore table.",
	}}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// Create drops and rebuilds the view's table.
func (t *Target) Create(c *sql.Compiled) []sql.Stmt {
	name := t.Object(c.View)
	drop := &sql.Drop{Kind: "TABLE", ObjectType: "U", Name: name}
	if sel, ok := c.Query.(*sql.Select); ok && t.opts.SelectInto {
		return []sql.Stmt{drop, &sql.SelectInto{Into: name, Q: sel}}
	}
	ix, why := t.index(c)
	stmts := []sql.Stmt{drop}
	if why != nil {
		stmts = append(stmts, why)
	}
	return append(stmts, &sql.CreateTable{Name: name, With: []sql.Option{
		{Name: "DISTRIBUTION", Value: t.distribution()},
		{Name: ix},
	}, As: c.Query})
}
