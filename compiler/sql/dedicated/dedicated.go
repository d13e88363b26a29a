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
	// Index is CLUSTERED COLUMNSTORE INDEX (default) or HEAP.
	Index string
	// SelectInto builds view tables with SELECT ... INTO instead of CTAS
	// (always ROUND_ROBIN + clustered columnstore).
	SelectInto bool
	// RepeatDepth bounds repeat (default 8).
	RepeatDepth int
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
	if o.Index == "" {
		o.Index = "CLUSTERED COLUMNSTORE INDEX"
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
	return tsql.ValidDocSource(raw, "doc", alias)
}

// Object implements sql.Target.
func (t *Target) Object(v *plan.View) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.ViewName(v)}
}

// Prelude drops, recreates and loads one staging heap per resource type.
// FIELDQUOTE and FIELDTERMINATOR are 0x0b, a byte JSON text cannot contain
// raw, so each line is one field; the row terminator is given in hex because
// '\n' means '\r\n' to COPY INTO.
func (t *Target) Prelude(views []*sql.Compiled) []sql.Stmt {
	var stmts []sql.Stmt
	for _, r := range sql.Resources(views) {
		stg := t.Staging(r)
		with := []sql.Option{
			{Name: "FILE_TYPE", Value: &sql.ASCII{V: "CSV"}},
			{Name: "FIELDTERMINATOR", Value: &sql.ASCII{V: "0x0b"}},
			{Name: "FIELDQUOTE", Value: &sql.ASCII{V: "0x0b"}},
			{Name: "ROWTERMINATOR", Value: &sql.ASCII{V: "0x0a"}},
			{Name: "ENCODING", Value: &sql.ASCII{V: "UTF8"}},
		}
		if t.opts.Credential != "" {
			with = append(with, sql.Option{Name: "CREDENTIAL", Value: &sql.OptionGroup{Opts: []sql.Option{{Name: "IDENTITY", Value: &sql.ASCII{V: t.opts.Credential}}}}})
		}
		stmts = append(stmts,
			&sql.Comment{Lines: []string{"Staging for " + r + ": one NDJSON line per row."}},
			&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: stg},
			&sql.CreateTable{Name: stg, Columns: []sql.ColumnDef{{Name: "doc", Typ: "NVARCHAR(MAX)"}},
				With: []sql.Option{{Name: "DISTRIBUTION", Value: &sql.Bare{K: "ROUND_ROBIN"}}, {Name: "HEAP"}}},
			&sql.CopyInto{Table: stg, Columns: []string{"doc"}, From: strings.ReplaceAll(t.opts.Source, "{resource}", r), With: with},
		)
	}
	return stmts
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

// ValidIndex reports whether ix is an index option this target spells.
func ValidIndex(ix string) bool {
	up := strings.ToUpper(strings.TrimSpace(ix))
	return up == "HEAP" || up == "CLUSTERED COLUMNSTORE INDEX"
}

// Create drops and rebuilds the view's table.
func (t *Target) Create(c *sql.Compiled) []sql.Stmt {
	name := t.Object(c.View)
	drop := &sql.Drop{Kind: "TABLE", ObjectType: "U", Name: name}
	if sel, ok := c.Query.(*sql.Select); ok && t.opts.SelectInto {
		return []sql.Stmt{drop, &sql.SelectInto{Into: name, Q: sel}}
	}
	return []sql.Stmt{drop, &sql.CreateTable{Name: name, With: []sql.Option{
		{Name: "DISTRIBUTION", Value: t.distribution()},
		{Name: strings.ToUpper(strings.TrimSpace(t.opts.Index))},
	}, As: c.Query}}
}
