SELECT
    "u1"."loinc_code" AS "loinc_code",
    "u1"."n" AS "n",
    "u1"."total" AS "total",
    "u1"."mean" AS "mean",
    "u1"."highest" AS "highest",
    "u1"."first_name" AS "first_name",
    "u1"."ceiling" AS "ceiling",
    "u1"."modulo" AS "modulo",
    "u1"."negated" AS "negated",
    "u1"."unit" AS "unit",
    "u1"."last_year" AS "last_year",
    "u1"."first_day" AS "first_day",
    "u1"."last_date" AS "last_date",
    "u1"."week_before" AS "week_before",
    "u1"."day_after" AS "day_after",
    "u1"."whole" AS "whole"
FROM (
    SELECT
        "o"."loinc_code" AS "loinc_code",
        count(*) AS "n",
        sum(TRY_CAST("o"."value" AS DECIMAL(38, 18))) AS "total",
        round(CAST(avg(CAST(TRY_CAST("o"."value" AS DECIMAL(38, 18)) AS DECIMAL(38, 18))) AS DECIMAL(38, 18)), 2) AS "mean",
        max(TRY_CAST("o"."value" AS DECIMAL(38, 18))) AS "highest",
        min("o"."name") AS "first_name",
        ceiling(max(TRY_CAST("o"."value" AS DECIMAL(38, 18)))) AS "ceiling",
        count(*) % nullif(7, 0) AS "modulo",
        -min(TRY_CAST("o"."value" AS DECIMAL(38, 18))) AS "negated",
        nullif(trim(max("o"."unit"), (' ' || chr(9) || chr(10) || chr(13))), '') AS "unit",
        max(year(TRY_CAST(left("o"."effective", 10) AS DATE))) AS "last_year",
        min(day(TRY_CAST(left("o"."effective", 10) AS DATE))) AS "first_day",
        max(TRY_CAST(left("o"."effective", 10) AS DATE)) AS "last_date",
        max(CAST(TRY_CAST(left("o"."effective", 10) AS DATE) + -7 AS DATE)) AS "week_before",
        max(CAST(TRY_CAST(left("o"."effective", 10) AS DATE) + 1 AS DATE)) AS "day_after",
        CAST(trunc(max(TRY_CAST("o"."value" AS DECIMAL(38, 18)))) AS INTEGER) AS "whole"
    FROM "observation_quantities" AS "o"
    WHERE "o"."loinc_code" IS NOT NULL AND "o"."loinc_code" NOT IN ('x', 'y') AND "o"."name" NOT LIKE '%zzz%'
    GROUP BY "o"."loinc_code"
    UNION ALL
    SELECT
        'none' AS "column_1",
        0 AS "column_2",
        NULL AS "column_3",
        NULL AS "column_4",
        NULL AS "column_5",
        NULL AS "column_6",
        NULL AS "column_7",
        NULL AS "column_8",
        NULL AS "column_9",
        NULL AS "column_10",
        NULL AS "column_11",
        NULL AS "column_12",
        NULL AS "column_13",
        NULL AS "column_14",
        NULL AS "column_15",
        NULL AS "column_16"
    FROM "patient_demographics" AS "p"
    WHERE "p"."id" IS NULL
) AS "u1"
ORDER BY "u1"."loinc_code" NULLS FIRST;
