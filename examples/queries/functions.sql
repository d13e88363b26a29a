-- The rest of the portable functions and operators, for the golden files of
-- each target and the DuckDB differential test.
SELECT o.loinc_code,
       COUNT(*) AS n,
       SUM(o.value) AS total,
       ROUND(AVG(o.value), 2) AS mean,
       MAX(o.value) AS highest,
       MIN(o.name) AS first_name,
       CEIL(MAX(o.value)) AS ceiling,
       COUNT(*) % 7 AS modulo,
       -MIN(o.value) AS negated,
       NULLIF(TRIM(MAX(o.unit)), '') AS unit,
       MAX(YEAR(o.effective)) AS last_year,
       MIN(DAY(o.effective)) AS first_day,
       MAX(CAST(o.effective AS DATE)) AS last_date,
       MAX(DATE_SUB(o.effective, INTERVAL 7 DAY)) AS week_before,
       MAX(CAST(o.effective AS DATE) + INTERVAL 1 DAY) AS day_after,
       CAST(MAX(o.value) AS SIGNED) AS whole
FROM observation_quantities AS o
WHERE o.loinc_code IS NOT NULL
  AND o.loinc_code NOT IN ('x', 'y')
  AND o.name NOT LIKE '%zzz%'
GROUP BY o.loinc_code
UNION ALL
SELECT 'none', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM patient_demographics AS p
WHERE p.id IS NULL
ORDER BY loinc_code
