package dedicated

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
)

// The incremental load script (docs/versions.md): Options.Incremental
// makes the views read, per resource type, a view of one export's current
// lines (fhirql_<Type>_current over the staging table COPY INTO loads
// from that export), and IncrementalScript applies them to tables that
// hold the current state. It mirrors DuckDB's script (compiler/sql/duckdb,
// incremental.go), which the differential tests run; this T-SQL passes
// the grammar check but has not run on a dedicated pool here.

// CurrentName names the view of one export's current lines of a type.
func (t *Target) CurrentName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "current")}
}

// DeletedName names the view of the ids the export's deletion lists remove.
func (t *Target) DeletedName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "deleted")}
}

// deletedStaging is the staging table of the export's deletion lists.
func (t *Target) deletedStaging() sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, "fhirql_deleted_ndjson"}
}

// IncrementalScript applies the export of Options.Source (and of
// Options.Deleted, its deletion lists) to the tables of cs, which must be
// compiled from plan.WithKey(view) with Options.Incremental: stage the
// export, keep its current lines, then per table delete the rows of every
// id the export holds or deletes and insert its rows. A missing table is
// created empty first. Running it again is safe; exports are applied in
// the order they were taken.
func (t *Target) IncrementalScript(cs []*sql.Compiled) []sql.Stmt {
	var names []string
	for _, c := range cs {
		names = append(names, sql.ViewName(c.View))
	}
	stmts := []sql.Stmt{&sql.Comment{Lines: []string{
		"fhirql incremental load for dedicated: applies the export " + t.opts.Source + " to " + strings.Join(names, ", ") + ".",
		"Apply exports in the order they were taken; running this script again is safe.",
	}}}
	stmts = append(stmts, t.Preconditions()...)
	stmts = append(stmts, t.Prelude(cs)...)
	stg := t.deletedStaging()
	stmts = append(stmts,
		&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: stg},
		&sql.CreateTable{Name: stg, Columns: []sql.ColumnDef{{Name: "doc", Typ: "NVARCHAR(MAX)"}},
			With: []sql.Option{{Name: "DISTRIBUTION", Value: &sql.Bare{K: "ROUND_ROBIN"}}, {Name: "HEAP"}}},
	)
	if t.opts.Deleted != "" {
		stmts = append(stmts, &sql.CopyInto{Table: stg, Columns: []string{"doc"}, From: t.opts.Deleted, With: t.copyOptions()})
	}
	q := func(s string) string { return t.QuoteString(s, true) }
	for _, r := range sql.Resources(cs) {
		del := tsql.DeletedView(sql.QuoteObject(t, t.DeletedName(r)), sql.QuoteObject(t, stg), "doc", q(r))
		cur := tsql.CurrentView(sql.QuoteObject(t, t.CurrentName(r)), sql.QuoteObject(t, t.Staging(r)), "doc", q(r), sql.QuoteObject(t, t.DeletedName(r)))
		stmts = append(stmts,
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: t.DeletedName(r)}, &sql.Batch{},
			&sql.Verbatim{SQL: del, Object: t.DeletedName(r)}, &sql.Batch{},
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: t.CurrentName(r)}, &sql.Batch{},
			&sql.Verbatim{SQL: cur, Object: t.CurrentName(r)}, &sql.Batch{},
		)
	}
	for _, c := range cs {
		name := sql.QuoteObject(t, t.Object(c.View))
		query := sql.PrintQuery(t, c.Query)
		ix, _ := t.index(c)
		stmts = append(stmts, &sql.Verbatim{Object: t.Object(c.View), SQL: fmt.Sprintf(
			"IF OBJECT_ID(%s, N'U') IS NULL\n  CREATE TABLE %s WITH (DISTRIBUTION = %s, %s) AS SELECT * FROM (\n%s\n) AS q WHERE 1 = 0",
			q(name), name, sql.PrintExpr(t, t.distribution()), ix, query)}, &sql.Batch{})
	}
	for _, c := range cs {
		name := sql.QuoteObject(t, t.Object(c.View))
		r := c.View.Resource
		stmts = append(stmts,
			&sql.Verbatim{SQL: fmt.Sprintf("DELETE FROM %s WHERE %s IN (\n  SELECT %s + id FROM %s\n  UNION ALL SELECT %s + id FROM %s\n)",
				name, t.QuoteIdent(plan.KeyColumn), q(r+"/"), sql.QuoteObject(t, t.CurrentName(r)), q(r+"/"), sql.QuoteObject(t, t.DeletedName(r)))},
			&sql.Verbatim{SQL: fmt.Sprintf("INSERT INTO %s\n%s", name, sql.PrintQuery(t, c.Query))},
			&sql.Batch{},
		)
	}
	return stmts
}
