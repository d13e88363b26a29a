SELECT
    "a"."patient_id" AS "patient_id",
    "a"."id" AS "encounter_id",
    "a"."end" AS "discharged",
    min("b"."start") AS "next_start",
    min(date_diff('day', TRY_CAST(left("a"."end", 10) AS DATE), TRY_CAST(left("b"."start", 10) AS DATE))) AS "days_to_next"
FROM "encounters" AS "a"
JOIN "encounters" AS "b"
    ON "b"."patient_id" = "a"."patient_id" AND NOT ("b"."id" = "a"."id") AND "b"."start" > "a"."end" AND date_diff('day', TRY_CAST(left("a"."end", 10) AS DATE), TRY_CAST(left("b"."start", 10) AS DATE)) <= 30
WHERE "a"."class_code" IN ('IMP', 'EMER')
GROUP BY "a"."patient_id", "a"."id", "a"."end"
ORDER BY "a"."patient_id" NULLS FIRST, "a"."end" NULLS FIRST, "a"."id" NULLS FIRST;
