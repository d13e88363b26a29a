package sqlserver

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
)

// The incremental load script (docs/versions.md): with
// Options.Incremental the raw table holds one export's lines (loaded by
// the user, as for any build) and Options.Deleted its deletion lists; the
// views read that export's current lines per resource type, and
// IncrementalScript applies them to tables of the current state. The text
// is shared with the dedicated target (compiler/sql/tsql) and mirrors
// DuckDB's, which the differential tests run; it passes the T-SQL grammar
// check but has not run on SQL Server here.

// CurrentName names the view of the export's current lines of a type.
func (t *Target) CurrentName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "current")}
}

// DeletedName names the view of the ids the export's deletion lists remove.
func (t *Target) DeletedName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "deleted")}
}

// IncrementalScript applies the export in Options.Table (and its deletion
// lists in Options.Deleted) to the tables of cs, which must be compiled
// from plan.WithKey(view) with Options.Incremental: per table, in one
// transaction, the rows of every id the export holds or deletes go and
// its rows come in; a missing table is created empty first (SELECT INTO).
// Running it again is safe; apply exports in the order they were taken.
func (t *Target) IncrementalScript(cs []*sql.Compiled) []sql.Stmt {
	var names []string
	for _, c := range cs {
		names = append(names, sql.ViewName(c.View))
	}
	stmts := []sql.Stmt{&sql.Comment{Lines: []string{
		"fhirql incremental load for sqlserver: applies the export loaded into " + sql.QuoteObject(t, t.opts.Table) + " to " + strings.Join(names, ", ") + ".",
		"Apply exports in the order they were taken; running this script again is safe.",
	}}}
	q := func(s string) string { return t.QuoteString(s, true) }
	doc := t.QuoteIdent(t.opts.DocColumn)
	for _, r := range sql.Resources(cs) {
		del := fmt.Sprintf("CREATE VIEW %s AS\nSELECT CAST(NULL AS NVARCHAR(4000)) AS id, CAST(NULL AS DATETIMEOFFSET) AS lm WHERE 1 = 0", sql.QuoteObject(t, t.DeletedName(r)))
		if len(t.opts.Deleted) > 0 {
			del = tsql.DeletedView(sql.QuoteObject(t, t.DeletedName(r)), sql.QuoteObject(t, t.opts.Deleted), doc, q(r))
		}
		cur := tsql.CurrentView(sql.QuoteObject(t, t.CurrentName(r)), sql.QuoteObject(t, t.opts.Table), doc, q(r), sql.QuoteObject(t, t.DeletedName(r)))
		stmts = append(stmts,
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: t.DeletedName(r)}, &sql.Batch{},
			&sql.Verbatim{SQL: del, Object: t.DeletedName(r)}, &sql.Batch{},
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: t.CurrentName(r)}, &sql.Batch{},
			&sql.Verbatim{SQL: cur, Object: t.CurrentName(r)}, &sql.Batch{},
		)
	}
	for _, c := range cs {
		name := sql.QuoteObject(t, t.Object(c.View))
		stmts = append(stmts, &sql.Verbatim{Object: t.Object(c.View), SQL: fmt.Sprintf(
			"IF OBJECT_ID(%s, N'U') IS NULL\n  SELECT * INTO %s FROM (\n%s\n) AS q WHERE 1 = 0", q(name), name, sql.PrintQuery(t, c.Query))})
	}
	stmts = append(stmts, &sql.Verbatim{SQL: "BEGIN TRANSACTION"})
	for _, c := range cs {
		name := sql.QuoteObject(t, t.Object(c.View))
		r := c.View.Resource
		stmts = append(stmts,
			&sql.Verbatim{SQL: fmt.Sprintf("DELETE FROM %s WHERE %s IN (\n  SELECT %s + id FROM %s\n  UNION ALL SELECT %s + id FROM %s\n)",
				name, t.QuoteIdent(plan.KeyColumn), q(r+"/"), sql.QuoteObject(t, t.CurrentName(r)), q(r+"/"), sql.QuoteObject(t, t.DeletedName(r)))},
			&sql.Verbatim{SQL: fmt.Sprintf("INSERT INTO %s\n%s", name, sql.PrintQuery(t, c.Query))},
		)
	}
	return append(stmts, &sql.Verbatim{SQL: "COMMIT TRANSACTION"}, &sql.Batch{})
}
