package serverless

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/tsql"
)

// Views over the current state of many export folders (Options.Exports,
// docs/versions.md): per resource type a view fhirql_<Type>_current of the
// latest version per id without the ids a newer deletion removed, which
// the views then read. The rule is the runtime's and the text mirrors
// DuckDB's views (compiler/sql/duckdb/current.go), which the differential
// tests run; this T-SQL passes the grammar check but has not run on a
// serverless pool here.

// CurrentName names the current-state view of one resource type.
func (t *Target) CurrentName(resource string) sql.ObjectName {
	return sql.ObjectName{t.opts.Schema, sql.HelperView(resource, "current")}
}

// rowset is OPENROWSET over path with the line options (rowTerm 0x0a: one
// NDJSON line per row; 0x0b: a whole file, for manifests).
func (t *Target) rowset(path, rowTerm string) string {
	ds := ""
	if t.opts.DataSource != "" {
		ds = ", DATA_SOURCE = " + t.QuoteString(t.opts.DataSource, false)
	}
	return fmt.Sprintf("OPENROWSET(BULK %s%s, FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '%s') WITH (doc NVARCHAR(MAX)) AS r",
		t.QuoteString(path, false), ds, rowTerm)
}

// Current creates the current-state view of one resource type. The
// export folder of a file is filepath(1), the glob's first wildcard: the
// Exports pattern must have exactly one (its last segment, 'exports/*').
func (t *Target) Current(resource string) []sql.Stmt {
	data := t.opts.Exports + "/" + strings.ReplaceAll(t.opts.Source, "{resource}", resource)
	const zero = "CAST('0001-01-01T00:00:00Z' AS DATETIMEOFFSET)"
	text := fmt.Sprintf(`CREATE OR ALTER VIEW %[1]s AS
WITH m AS (
  SELECT CAST(r.filepath(1) AS NVARCHAR(400)) AS export, %[2]s AS tx
  FROM %[3]s
  CROSS APPLY (SELECT JSON_VALUE(r.doc, '$.transactionTime') AS txt) AS a
),
v AS (
  SELECT r.doc, CAST(r.filepath(1) AS NVARCHAR(400)) AS export, CAST(r.filepath() AS NVARCHAR(1000)) AS file_path,
    JSON_VALUE(r.doc, '$.id') AS id, %[4]s AS lu, NULLIF(JSON_VALUE(r.doc, '$.meta.versionId'), '') AS vid
  FROM %[5]s
  CROSS APPLY (SELECT JSON_VALUE(r.doc, '$.meta.lastUpdated') AS txt) AS a
  WHERE ISJSON(r.doc) = 1 AND JSON_VALUE(r.doc, '$.resourceType') = %[6]s
),
w AS (
  SELECT v.doc, v.export, v.file_path, v.id, v.lu, v.vid, COALESCE(v.lu, m.tx) AS t,
    CASE WHEN v.vid IS NULL THEN 0 WHEN v.vid NOT LIKE '%%[^0-9]%%' AND LEN(v.vid) <= 18 THEN 1 ELSE 2 END AS vkind
  FROM v JOIN m ON m.export = v.export
),
c AS (
  SELECT w.doc, w.export, w.id, w.lu, w.t, ROW_NUMBER() OVER (PARTITION BY w.id ORDER BY w.t DESC, w.vkind DESC,
      CASE WHEN w.vkind = 1 THEN TRY_CAST(w.vid AS BIGINT) END DESC,
      CASE WHEN w.vkind = 2 THEN w.vid END COLLATE Latin1_General_100_BIN2 DESC,
      w.export COLLATE Latin1_General_100_BIN2 DESC, w.file_path COLLATE Latin1_General_100_BIN2 DESC) AS rn
  FROM w
),
e AS (
  SELECT CAST(r.filepath(1) AS NVARCHAR(400)) AS export, j.method, j.url, j.lastModified
  FROM %[7]s
  CROSS APPLY OPENJSON(r.doc, '$.entry') WITH (method NVARCHAR(20) '$.request.method', url NVARCHAR(4000) '$.request.url', lastModified NVARCHAR(100) '$.response.lastModified') AS j
  WHERE ISJSON(r.doc) = 1 AND r.filepath() LIKE '%%/deleted/%%'
),
d0 AS (
  SELECT e.export, u.id, COALESCE(u.lm, m.tx) AS t, CASE WHEN u.lm IS NULL THEN 0 ELSE 1 END AS own
  FROM e
  JOIN m ON m.export = e.export
  CROSS APPLY (SELECT CASE WHEN CHARINDEX('/_history/', e.url) > 0 THEN LEFT(e.url, CHARINDEX('/_history/', e.url) - 1) ELSE e.url END AS path) AS p
  CROSS APPLY (SELECT LEFT(p.path, LEN(p.path) - CHARINDEX('/', REVERSE(p.path))) AS rest) AS x
  CROSS APPLY (SELECT RIGHT(p.path, CHARINDEX('/', REVERSE(p.path)) - 1) AS id,
    RIGHT(x.rest, CHARINDEX('/', REVERSE(N'/' + x.rest)) - 1) AS typ, %[8]s AS lm) AS u
  WHERE UPPER(e.method) = 'DELETE' AND CHARINDEX('/', p.path) > 0 AND u.typ = %[6]s
),
d AS (
  SELECT d0.export, d0.id, d0.t, d0.own, ROW_NUMBER() OVER (PARTITION BY d0.id ORDER BY d0.t DESC, d0.export COLLATE Latin1_General_100_BIN2 DESC) AS rn
  FROM d0
)
SELECT c.doc, c.id
FROM c
LEFT JOIN d ON d.rn = 1 AND d.id = c.id
WHERE c.rn = 1 AND (d.id IS NULL
  OR (c.lu IS NOT NULL AND d.own = 1 AND c.lu >= d.t)
  OR (NOT (c.lu IS NOT NULL AND d.own = 1) AND c.export = d.export)
  OR (NOT (c.lu IS NOT NULL AND d.own = 1) AND c.export <> d.export
    AND (COALESCE(c.t, %[9]s) > COALESCE(d.t, %[9]s)
      OR (COALESCE(c.t, %[9]s) = COALESCE(d.t, %[9]s) AND c.export COLLATE Latin1_General_100_BIN2 >= d.export))))`,
		sql.QuoteObject(t, t.CurrentName(resource)),
		tsql.Instant("a.txt"),
		t.rowset(t.opts.Exports+"/manifest.json", "0x0b"),
		tsql.Instant("a.txt"),
		t.rowset(data, "0x0a"),
		t.QuoteString(resource, true),
		t.rowset(t.opts.Exports+"/**", "0x0a"),
		tsql.Instant("e.lastModified"),
		zero,
	)
	return []sql.Stmt{
		&sql.Batch{}, // CREATE VIEW must be alone in its batch
		&sql.Comment{Lines: []string{"The current state of " + resource + " over the exports " + t.opts.Exports + ": latest version per id, deleted ids left out (docs/versions.md)."}},
		&sql.Verbatim{SQL: text, Object: t.CurrentName(resource)},
		&sql.Batch{},
	}
}
