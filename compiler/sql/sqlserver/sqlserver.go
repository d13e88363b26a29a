// Package sqlserver is the SQL Server 2022 target: views (or tables built
// with SELECT INTO) over a table holding one NDJSON line per row.
//
// It shares the SELECT core with the Synapse targets, so running its SQL on
// SQL Server also tests the Synapse JSON logic; only repeat differs, because
// SQL Server has recursive CTEs: each repeat becomes an inline table-valued
// function with a recursive CTE (bounded only by MAXRECURSION's default of
// 100 levels, beyond which the query fails).
package sqlserver

import (
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
)

// Options configure the target.
type Options struct {
	// Table holds the NDJSON lines (default dbo.fhir_raw).
	Table sql.ObjectName
	// DocColumn is the column with one JSON resource per row (default doc).
	DocColumn string
	// Schema holds the views (default dbo).
	Schema string
	// SelectInto builds tables with SELECT ... INTO instead of views.
	SelectInto bool
	// Incremental makes the views read one export's current lines for
	// IncrementalScript (incremental.go); Deleted is the table of that
	// export's deletion lists (DocColumn holds each line), empty for none.
	Incremental bool
	Deleted     sql.ObjectName
}

// Target compiles views for SQL Server 2022.
type Target struct {
	tsql.Base
	opts Options
}

// New makes a target.
func New(o Options) *Target {
	if o.Schema == "" {
		o.Schema = "dbo"
	}
	if len(o.Table) == 0 {
		o.Table = sql.ObjectName{"dbo", "fhir_raw"}
	}
	if o.DocColumn == "" {
		o.DocColumn = "doc"
	}
	return &Target{opts: o}
}

// Name implements sql.Dialect.
func (*Target) Name() string { return "sqlserver" }

// Caps implements sql.Dialect.
func (t *Target) Caps() sql.Caps {
	return sql.Caps{RecursiveCTE: true, RepeatDepth: 8, Schema: t.opts.Schema}
}

// JSONQuote uses STRING_ESCAPE.
func (*Target) JSONQuote(s sql.Expr) sql.Expr { return tsql.EscapeJSON(s) }

// Source reads the raw table.
func (t *Target) Source(resource, alias string) (*sql.From, sql.Expr) {
	raw := &sql.From{Src: &sql.Table{Name: t.opts.Table}, Alias: "s"}
	if t.opts.Incremental {
		raw.Src = &sql.Table{Name: t.CurrentName(resource)}
		return tsql.ValidDocSource(raw, "doc", alias)
	}
	return tsql.ValidDocSource(raw, t.opts.DocColumn, alias)
}

// RejectsName implements sql.Rejecter: one view for the one raw table,
// named after it (dbo.fhir_raw: [dbo].[fhir_raw_rejects]), so that builds
// over different tables do not share it.
func (t *Target) RejectsName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, t.opts.Table[len(t.opts.Table)-1] + "_rejects"}
}

// Rejects implements sql.Rejecter: the rows of the raw table no view
// reads; the table does not say which file a line came from.
func (t *Target) Rejects(resource string) []sql.Stmt {
	raw := &sql.From{Src: &sql.Table{Name: t.opts.Table}, Alias: "s"}
	q := tsql.RejectsQuery(raw, t.opts.DocColumn, &sql.Cast{X: &sql.Null{}, Typ: "NVARCHAR(1000)"})
	return tsql.RejectsView(t.RejectsName(resource), q)
}

var _ sql.Rejecter = (*Target)(nil)

// Object implements sql.Target.
func (t *Target) Object(v *plan.View) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.ViewName(v)}
}

// Prelude: nothing is shared.
func (t *Target) Prelude(views []*sql.Compiled) []sql.Stmt { return nil }

// Create makes the helper functions, then the view (or table).
func (t *Target) Create(c *sql.Compiled) []sql.Stmt {
	var stmts []sql.Stmt
	for _, h := range c.Helpers {
		stmts = append(stmts, &sql.Batch{}, h.Stmt)
	}
	name := t.Object(c.View)
	if sel, ok := c.Query.(*sql.Select); ok && t.opts.SelectInto {
		stmts = append(stmts, &sql.Batch{},
			&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: name},
			&sql.SelectInto{Into: name, Q: sel})
		return stmts
	}
	return append(stmts, &sql.Batch{}, &sql.CreateView{Name: name, OrAlter: true, Q: c.Query}, &sql.Batch{})
}
