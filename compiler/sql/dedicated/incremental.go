package dedicated

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
)

// The incremental load script (docs/versions.md): Options.Incremental
// makes the views read, per resource type, a view of one export's current
// lines (fhirql_<Type>_current over the staging table COPY INTO loads
// from that export), and IncrementalScript applies them to tables that
// hold the current state. It mirrors DuckDB's script (compiler/sql/duckdb,
// incremental.go), which the differential tests run; this T-SQL passes
// the grammar check but has not run on a dedicated pool here.

func (t *Target) obj(n sql.ObjectName) string {
	parts := make([]string, len(n))
	for i, p := range n {
		parts[i] = t.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// CurrentName names the view of one export's current lines of a type.
func (t *Target) CurrentName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, "fhirql_" + resource + "_current"}
}

// DeletedName names the view of the ids the export's deletion lists remove.
func (t *Target) DeletedName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, "fhirql_" + resource + "_deleted"}
}

// deletedStaging is the staging table of the export's deletion lists.
func (t *Target) deletedStaging() sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, "fhirql_deleted_ndjson"}
}

// instant converts a FHIR instant (a time zone required) to DATETIMEOFFSET.
func instant(x string) string {
	return fmt.Sprintf("CASE WHEN %[1]s LIKE '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]%%' "+
		"AND (%[1]s LIKE '%%Z' OR %[1]s LIKE '%%[+-][0-9][0-9]:[0-9][0-9]') THEN TRY_CONVERT(DATETIMEOFFSET, %[1]s) END", x)
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
		del := fmt.Sprintf(`CREATE VIEW %[1]s AS
SELECT u.id, CASE WHEN COUNT(*) = COUNT(u.lm) THEN MAX(u.lm) END AS lm
FROM %[2]s AS d
CROSS APPLY OPENJSON(d.doc, '$.entry') WITH (method NVARCHAR(20) '$.request.method', url NVARCHAR(4000) '$.request.url', lastModified NVARCHAR(100) '$.response.lastModified') AS e
CROSS APPLY (SELECT CASE WHEN CHARINDEX('/_history/', e.url) > 0 THEN LEFT(e.url, CHARINDEX('/_history/', e.url) - 1) ELSE e.url END AS path) AS p
CROSS APPLY (SELECT LEFT(p.path, LEN(p.path) - CHARINDEX('/', REVERSE(p.path))) AS rest) AS x
CROSS APPLY (SELECT RIGHT(p.path, CHARINDEX('/', REVERSE(p.path)) - 1) AS id,
  RIGHT(x.rest, CHARINDEX('/', REVERSE(N'/' + x.rest)) - 1) AS typ,
  %[3]s AS lm) AS u
WHERE ISJSON(d.doc) = 1 AND UPPER(e.method) = 'DELETE' AND CHARINDEX('/', p.path) > 0 AND u.typ = %[4]s
GROUP BY u.id`, t.obj(t.DeletedName(r)), t.obj(stg), instant("e.lastModified"), q(r))
		cur := fmt.Sprintf(`CREATE VIEW %[1]s AS
SELECT c.doc, c.id
FROM (
  SELECT v.doc, v.id, v.lu, ROW_NUMBER() OVER (PARTITION BY v.id ORDER BY v.lu DESC,
      CASE WHEN v.vid IS NULL THEN 0 WHEN v.vid NOT LIKE '%%[^0-9]%%' AND LEN(v.vid) <= 18 THEN 1 ELSE 2 END DESC,
      CASE WHEN v.vid NOT LIKE '%%[^0-9]%%' AND LEN(v.vid) <= 18 THEN TRY_CAST(v.vid AS BIGINT) END DESC,
      v.vid COLLATE Latin1_General_100_BIN2 DESC) AS rn
  FROM (
    SELECT s.doc, JSON_VALUE(s.doc, '$.id') AS id, %[3]s AS lu, NULLIF(JSON_VALUE(s.doc, '$.meta.versionId'), '') AS vid
    FROM %[2]s AS s
    CROSS APPLY (SELECT JSON_VALUE(s.doc, '$.meta.lastUpdated') AS txt) AS a
    WHERE ISJSON(s.doc) = 1 AND JSON_VALUE(s.doc, '$.resourceType') = %[4]s
  ) AS v
) AS c
WHERE c.rn = 1 AND NOT EXISTS (
  SELECT 1 FROM %[5]s AS d WHERE d.id = c.id AND d.lm IS NOT NULL AND c.lu IS NOT NULL AND d.lm > c.lu)`,
			t.obj(t.CurrentName(r)), t.obj(t.Staging(r)), instant("a.txt"), q(r), t.obj(t.DeletedName(r)))
		stmts = append(stmts,
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: t.DeletedName(r)}, &sql.Batch{},
			&sql.Verbatim{SQL: del, Object: t.DeletedName(r)}, &sql.Batch{},
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: t.CurrentName(r)}, &sql.Batch{},
			&sql.Verbatim{SQL: cur, Object: t.CurrentName(r)}, &sql.Batch{},
		)
	}
	for _, c := range cs {
		name := t.obj(t.Object(c.View))
		query := sql.PrintQuery(t, c.Query)
		ix, _ := t.index(c)
		stmts = append(stmts, &sql.Verbatim{Object: t.Object(c.View), SQL: fmt.Sprintf(
			"IF OBJECT_ID(%s, N'U') IS NULL\n  CREATE TABLE %s WITH (DISTRIBUTION = %s, %s) AS SELECT * FROM (\n%s\n) AS q WHERE 1 = 0",
			q(name), name, sql.PrintExpr(t, t.distribution()), ix, query)}, &sql.Batch{})
	}
	for _, c := range cs {
		name := t.obj(t.Object(c.View))
		r := c.View.Resource
		stmts = append(stmts,
			&sql.Verbatim{SQL: fmt.Sprintf("DELETE FROM %s WHERE %s IN (\n  SELECT %s + id FROM %s\n  UNION ALL SELECT %s + id FROM %s\n)",
				name, t.QuoteIdent(plan.KeyColumn), q(r+"/"), t.obj(t.CurrentName(r)), q(r+"/"), t.obj(t.DeletedName(r)))},
			&sql.Verbatim{SQL: fmt.Sprintf("INSERT INTO %s\n%s", name, sql.PrintQuery(t, c.Query))},
			&sql.Batch{},
		)
	}
	return stmts
}
