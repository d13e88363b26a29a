SELECT
    "c"."code" AS "code",
    "c"."display" AS "display",
    count(DISTINCT "c"."patient_id") AS "patients"
FROM "condition_codings" AS "c"
WHERE "c"."is_snomed" = 1
GROUP BY "c"."code", "c"."display"
ORDER BY "patients" DESC NULLS LAST, "c"."code" NULLS FIRST
LIMIT 10;
