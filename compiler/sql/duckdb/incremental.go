package duckdb

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
)

// DeletedName names the view of the ids one resource type's deletion
// lists remove (in the export folders of Options.Exports).
func (t *Target) DeletedName(resource string) sql.ObjectName {
	name := sql.HelperView(resource, "deleted")
	if t.opts.Schema == "" {
		return sql.ObjectName{name}
	}
	return sql.ObjectName{t.opts.Schema, name}
}

// deleted creates the view of the ids the deletion lists remove.
func (t *Target) deleted(resource string) sql.Stmt {
	deletedLines := t.exportLines("/**", "%/deleted/%.ndjson%")
	text := fmt.Sprintf(`CREATE OR REPLACE VIEW %[1]s AS
SELECT DISTINCT regexp_extract(url, '([^/]+)/([^/]+)/?$', 2) AS id
FROM (
  SELECT regexp_replace(json_extract_string(entry, '$.request.url'), '/_history/.*$', '') AS url
  FROM (
    SELECT unnest(json_extract(dl.line, '$.entry[*]')) AS entry
    FROM (%[2]s) AS dl
    WHERE json_valid(dl.line) AND json_extract_string(dl.line, '$.resourceType') = 'Bundle'
  ) AS e
  WHERE upper(json_extract_string(entry, '$.request.method')) = 'DELETE'
) AS u
WHERE regexp_extract(url, '([^/]+)/([^/]+)/?$', 1) = %[3]s`,
		sql.QuoteObject(t, t.DeletedName(resource)), deletedLines, t.QuoteString(resource, false))
	return &sql.Verbatim{SQL: text, Object: t.DeletedName(resource)}
}

// IncrementalScript is the load script that applies one export (the folder
// of Options.Exports) to tables that hold the current state, as `fhirql
// run --state` does: the export's current lines are staged (its
// current-state views), then, per table and in one transaction, the rows
// of every id the export changes or deletes go and the export's rows come
// in. Each view in cs must be compiled from plan.WithKey(view) (the
// tables end with plan.KeyColumn, by which rows are deleted). A table is
// created empty when missing, so the first export's script builds the
// tables; running a script twice leaves the same tables (its deletes and
// inserts are keyed by the export's own ids). Exports are applied in the
// order they were taken: each is newer than the tables.
func (t *Target) IncrementalScript(cs []*sql.Compiled) []sql.Stmt {
	stmts := []sql.Stmt{&sql.Comment{Lines: []string{
		"fhirql incremental load for duckdb: applies the export " + t.opts.Exports + " to the tables " + strings.Join(names(cs), ", ") + ".",
		"Apply exports in the order they were taken; running this script again is safe.",
	}}}
	for _, r := range sql.Resources(cs) {
		stmts = append(stmts, t.Current(r), t.deleted(r))
	}
	for _, c := range cs {
		name := sql.QuoteObject(t, t.Object(c.View))
		q := sql.PrintQuery(t, c.Query)
		stmts = append(stmts, &sql.Verbatim{Object: t.Object(c.View), SQL: fmt.Sprintf(
			"CREATE TABLE IF NOT EXISTS %s AS SELECT * FROM (\n%s\n) AS q WHERE false", name, q)})
	}
	stmts = append(stmts, &sql.Verbatim{SQL: "BEGIN TRANSACTION"})
	for _, c := range cs {
		name := sql.QuoteObject(t, t.Object(c.View))
		r := c.View.Resource
		key := t.QuoteIdent(plan.KeyColumn)
		prefix := t.QuoteString(r+"/", false)
		stmts = append(stmts,
			&sql.Verbatim{SQL: fmt.Sprintf("DELETE FROM %s WHERE %s IN (\n  SELECT %s || id FROM %s\n  UNION ALL SELECT %s || id FROM %s\n)",
				name, key, prefix, sql.QuoteObject(t, t.CurrentName(r)), prefix, sql.QuoteObject(t, t.DeletedName(r)))},
			&sql.Verbatim{SQL: fmt.Sprintf("INSERT INTO %s\n%s", name, sql.PrintQuery(t, c.Query))},
		)
	}
	return append(stmts, &sql.Verbatim{SQL: "COMMIT"})
}

func names(cs []*sql.Compiled) []string {
	var out []string
	for _, c := range cs {
		out = append(out, sql.ViewName(c.View))
	}
	return out
}
