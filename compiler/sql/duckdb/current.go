package duckdb

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// Views over the current state of several exports (Options.Exports,
// docs/versions.md): per resource type a view fhirql_<Resource>_current
// holding one line per id, the latest version, without the ids a newer
// deletion removed; the views read it instead of the raw lines. The rule
// is the runtime's (runtime/state): ROW_NUMBER over the key ordered by
// time, versionId and export, and an anti-join with the latest deletion
// per id.

// instantPattern is a FHIR instant (a time zone is required), the only
// meta.lastUpdated the rule reads as a time.
const instantPattern = `[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})`

// CurrentName names the current-state view of one resource type.
func (t *Target) CurrentName(resource string) sql.ObjectName {
	name := sql.HelperView(resource, "current")
	if t.opts.Schema == "" {
		return sql.ObjectName{name}
	}
	return sql.ObjectName{t.opts.Schema, name}
}

// instant reads a JSON string as TIMESTAMPTZ when it is a FHIR instant.
func (t *Target) instant(x string) string {
	return fmt.Sprintf("CASE WHEN regexp_full_match(%s, %s) THEN TRY_CAST(%s AS TIMESTAMPTZ) END", x, t.QuoteString(instantPattern, false), x)
}

// Current creates the current-state view of one resource type.
func (t *Target) Current(resource string) sql.Stmt {
	q := func(s string) string { return t.QuoteString(s, false) }
	// Every file of the export folders is listed (manifest.json at least
	// matches, so a folder without this type's files is no error) and
	// the file name picks this type's (DuckDB prunes the others unread).
	lines := t.exportLines("/*", "%/"+globToLike(strings.ReplaceAll(t.opts.Source, "{resource}", resource)))
	deletedLines := t.exportLines("/**", "%/deleted/%.ndjson%")
	valid := sql.PrintExpr(t, strictJSON(&sql.Col{Table: "l", Name: "line"}))
	sqlText := fmt.Sprintf(`CREATE OR REPLACE VIEW %[1]s AS
WITH m AS (
  SELECT regexp_replace(replace(filename, '\', '/'), '/manifest\.json$', '') AS dir,
    %[2]s AS tx
  FROM read_json(%[3]s, filename = true, columns = {transactionTime: 'VARCHAR'})
),
v AS (
  SELECT l.line AS doc, replace(l.filename, '\', '/') AS file, m.dir, m.tx,
    json_extract_string(l.line, '$.id') AS id,
    %[4]s AS lu,
    nullif(json_extract_string(l.line, '$.meta.versionId'), '') AS vid
  FROM (%[5]s) AS l
  JOIN m ON starts_with(replace(l.filename, '\', '/'), m.dir || '/')
  WHERE %[6]s AND json_extract_string(l.line, '$.resourceType') = %[7]s
),
w AS (
  SELECT *, coalesce(lu, tx) AS t,
    CASE WHEN vid IS NULL THEN 0 WHEN regexp_full_match(vid, '[0-9]{1,18}') THEN 1 ELSE 2 END AS vkind
  FROM v
),
r AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY coalesce(id, file || chr(10) || doc)
    ORDER BY t DESC NULLS LAST, vkind DESC,
      CASE WHEN vkind = 1 THEN CAST(vid AS BIGINT) END DESC NULLS LAST,
      CASE WHEN vkind = 2 THEN vid END DESC NULLS LAST,
      dir DESC, file DESC, doc DESC) AS rn
  FROM w
),
e AS (
  SELECT m.dir, m.tx, unnest(json_extract(dl.line, '$.entry[*]')) AS entry
  FROM (%[8]s) AS dl
  JOIN m ON starts_with(replace(dl.filename, '\', '/'), m.dir || '/')
  WHERE json_valid(dl.line) AND json_extract_string(dl.line, '$.resourceType') = 'Bundle'
),
d0 AS (
  SELECT dir, tx, regexp_replace(json_extract_string(entry, '$.request.url'), '/_history/.*$', '') AS url,
    %[9]s AS lm
  FROM e
  WHERE upper(json_extract_string(entry, '$.request.method')) = 'DELETE'
),
d AS (
  SELECT regexp_extract(url, '([^/]+)/([^/]+)/?$', 2) AS id, dir, coalesce(lm, tx) AS t, lm IS NOT NULL AS own,
    ROW_NUMBER() OVER (PARTITION BY regexp_extract(url, '([^/]+)/([^/]+)/?$', 2) ORDER BY coalesce(lm, tx) DESC NULLS LAST, dir DESC) AS rn
  FROM d0
  WHERE regexp_extract(url, '([^/]+)/([^/]+)/?$', 1) = %[7]s
)
SELECT r.doc, r.id, r.file
FROM r
LEFT JOIN d ON d.rn = 1 AND d.id = r.id
WHERE r.rn = 1 AND (d.id IS NULL OR CASE
  WHEN r.lu IS NOT NULL AND d.own THEN r.lu >= d.t
  WHEN r.dir = d.dir THEN true
  WHEN coalesce(r.t, TIMESTAMPTZ '0001-01-01 00:00:00+00') <> coalesce(d.t, TIMESTAMPTZ '0001-01-01 00:00:00+00')
    THEN coalesce(r.t, TIMESTAMPTZ '0001-01-01 00:00:00+00') > coalesce(d.t, TIMESTAMPTZ '0001-01-01 00:00:00+00')
  ELSE r.dir >= d.dir END)`,
		sql.QuoteObject(t, t.CurrentName(resource)),
		t.instant("transactionTime"),
		q(t.opts.Exports+"/manifest.json"),
		t.instant("json_extract_string(l.line, '$.meta.lastUpdated')"),
		lines,
		valid,
		q(resource),
		deletedLines,
		t.instant("json_extract_string(entry, '$.response.lastModified')"),
	)
	return &sql.Verbatim{SQL: sqlText, Object: t.CurrentName(resource)}
}

// exportLines selects filename and line of the files matching
// Exports+glob whose name is LIKE like.
func (t *Target) exportLines(glob, like string) string {
	return sql.PrintQuery(t, &sql.Select{
		Items: []sql.Item{{X: &sql.Col{Table: "s", Name: "filename"}, Alias: "filename"}, {X: &sql.Col{Table: "s", Name: "line"}, Alias: "line"}},
		From:  []*sql.From{{Src: t.linesOf(t.opts.Exports+glob, true), Alias: "s"}},
		Where: []sql.Expr{&sql.Like{X: &sql.Func{Name: "replace", Args: []sql.Expr{&sql.Col{Table: "s", Name: "filename"}, &sql.Str{V: `\`}, &sql.Str{V: "/"}}}, Pattern: &sql.Str{V: like}}},
	})
}

// globToLike turns a file-name glob into a LIKE pattern (a LIKE '_'
// matches any character: a looser match, which the resourceType filter
// makes harmless).
func globToLike(g string) string {
	return strings.NewReplacer("*", "%", "?", "_").Replace(g)
}
