package tsql

import "fmt"

// The T-SQL texts of the incremental load scripts (docs/versions.md) that
// the dedicated and SQL Server targets share: one export's current lines
// per resource type and the ids its deletion lists remove. They mirror
// DuckDB's (compiler/sql/duckdb), which the differential tests run. The
// names and literals passed in are quoted by the caller.

// Instant converts a FHIR instant (a time zone required) to DATETIMEOFFSET,
// NULL for anything else.
func Instant(x string) string {
	return fmt.Sprintf("CASE WHEN %[1]s LIKE '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]%%' "+
		"AND (%[1]s LIKE '%%Z' OR %[1]s LIKE '%%[+-][0-9][0-9]:[0-9][0-9]') THEN TRY_CONVERT(DATETIMEOFFSET, %[1]s) END", x)
}

// DeletedView creates view name: per id of type resource (a quoted
// literal) that the deletion Bundles in table's doc column remove, the
// latest response.lastModified when every entry has one.
func DeletedView(name, table, doc, resource string) string {
	return fmt.Sprintf(`CREATE VIEW %[1]s AS
SELECT u.id, CASE WHEN COUNT(*) = COUNT(u.lm) THEN MAX(u.lm) END AS lm
FROM %[2]s AS d
CROSS APPLY OPENJSON(d.%[3]s, '$.entry') WITH (method NVARCHAR(20) '$.request.method', url NVARCHAR(4000) '$.request.url', lastModified NVARCHAR(100) '$.response.lastModified') AS e
CROSS APPLY (SELECT CASE WHEN CHARINDEX('/_history/', e.url) > 0 THEN LEFT(e.url, CHARINDEX('/_history/', e.url) - 1) ELSE e.url END AS path) AS p
CROSS APPLY (SELECT LEFT(p.path, LEN(p.path) - CHARINDEX('/', REVERSE(p.path))) AS rest) AS x
CROSS APPLY (SELECT RIGHT(p.path, CHARINDEX('/', REVERSE(p.path)) - 1) AS id,
  RIGHT(x.rest, CHARINDEX('/', REVERSE(N'/' + x.rest)) - 1) AS typ,
  %[4]s AS lm) AS u
WHERE ISJSON(d.%[3]s) = 1 AND UPPER(e.method) = 'DELETE' AND CHARINDEX('/', p.path) > 0 AND u.typ = %[5]s
GROUP BY u.id`, name, table, doc, Instant("e.lastModified"), resource)
}

// CurrentView creates view name: the current lines (as doc, with their
// id) of type resource in table's doc column, one export's: the latest
// version per id by meta.lastUpdated then versionId, unless view deleted
// (DeletedView) removes the id later by both their own times.
func CurrentView(name, table, doc, resource, deleted string) string {
	return fmt.Sprintf(`CREATE VIEW %[1]s AS
SELECT c.doc, c.id
FROM (
  SELECT v.doc, v.id, v.lu, ROW_NUMBER() OVER (PARTITION BY v.id ORDER BY v.lu DESC,
      CASE WHEN v.vid IS NULL THEN 0 WHEN v.vid NOT LIKE '%%[^0-9]%%' AND LEN(v.vid) <= 18 THEN 1 ELSE 2 END DESC,
      CASE WHEN v.vid NOT LIKE '%%[^0-9]%%' AND LEN(v.vid) <= 18 THEN TRY_CAST(v.vid AS BIGINT) END DESC,
      v.vid COLLATE Latin1_General_100_BIN2 DESC) AS rn
  FROM (
    SELECT s.%[3]s AS doc, JSON_VALUE(s.%[3]s, '$.id') AS id, %[4]s AS lu, NULLIF(JSON_VALUE(s.%[3]s, '$.meta.versionId'), '') AS vid
    FROM %[2]s AS s
    CROSS APPLY (SELECT JSON_VALUE(s.%[3]s, '$.meta.lastUpdated') AS txt) AS a
    WHERE ISJSON(s.%[3]s) = 1 AND JSON_VALUE(s.%[3]s, '$.resourceType') = %[5]s
  ) AS v
) AS c
WHERE c.rn = 1 AND NOT EXISTS (
  SELECT 1 FROM %[6]s AS d WHERE d.id = c.id AND d.lm IS NOT NULL AND c.lu IS NOT NULL AND d.lm > c.lu)`,
		name, table, doc, Instant("a.txt"), resource, deleted)
}
