SELECT
    year(TRY_CAST(left("e"."start", 10) AS DATE)) AS "year",
    month(TRY_CAST(left("e"."start", 10) AS DATE)) AS "month",
    "e"."class_code" AS "class_code",
    count(*) AS "encounters"
FROM "encounters" AS "e"
WHERE "e"."start" >= '2015-01-01'
GROUP BY year(TRY_CAST(left("e"."start", 10) AS DATE)), month(TRY_CAST(left("e"."start", 10) AS DATE)), "e"."class_code"
ORDER BY "year" NULLS FIRST, "month" NULLS FIRST, "e"."class_code" NULLS FIRST;
