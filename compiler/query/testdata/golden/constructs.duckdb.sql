SELECT DISTINCT
    "p"."gender" AS "gender",
    CASE WHEN "p"."birth_date" IS NULL THEN 'unknown' ELSE 'known' END AS "birth",
    coalesce("a"."city", 'none') AS "city",
    upper("p"."family") AS "family",
    lower(concat("p"."given", ' ', "p"."family")) AS "full_name",
    length("p"."id") AS "id_length",
    substring("p"."id", 1, 8) AS "id_prefix",
    round(CAST(abs(-2.345) AS DECIMAL(38, 18)), 2) AS "rounded",
    CAST("a"."address_index" AS VARCHAR) AS "address_text",
    TRY_CAST(TRY_CAST("a"."latitude" AS DECIMAL(38, 18)) AS DECIMAL(10, 4)) AS "latitude",
    CAST(TRY_CAST(left("p"."birth_date", 10) AS DATE) + 30 AS DATE) AS "plus_30",
    date_diff('day', TRY_CAST(left("p"."birth_date", 10) AS DATE), current_date()) AS "age_days",
    (
        SELECT
            count(*) AS "count"
        FROM "encounters" AS "e"
        WHERE "e"."patient_id" = "p"."id"
    ) AS "encounters"
FROM "patient_demographics" AS "p"
LEFT JOIN "patient_addresses" AS "a"
    ON "a"."patient_id" = "p"."id"
WHERE "p"."id" IN (
        SELECT
            "c"."patient_id" AS "patient_id"
        FROM "condition_codings" AS "c"
        WHERE "c"."code" LIKE '1%'
    ) AND EXISTS (
        SELECT
            1 AS "column_1"
        FROM "encounters" AS "e2"
        WHERE "e2"."patient_id" = "p"."id" AND "e2"."class_code" IN ('AMB', 'IMP')
    ) AND "p"."birth_date" >= '1950-01-01' AND "p"."birth_date" <= '2000-12-31'
ORDER BY "p"."gender" NULLS FIRST, "full_name" NULLS FIRST
LIMIT 5
OFFSET 1;
