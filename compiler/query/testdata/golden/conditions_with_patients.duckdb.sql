SELECT
    "p"."id" AS "patient_id",
    "p"."gender" AS "gender",
    "c"."code" AS "code",
    "c"."display" AS "display",
    "c"."onset" AS "onset",
    floor(CAST(date_diff('day', TRY_CAST(left("p"."birth_date", 10) AS DATE), TRY_CAST(left("c"."onset", 10) AS DATE)) AS DECIMAL(38, 18)) / nullif(365.25, 0)) AS "age_at_onset"
FROM "condition_codings" AS "c"
JOIN "patient_demographics" AS "p"
    ON "p"."id" = "c"."patient_id"
WHERE "c"."onset" IS NOT NULL
ORDER BY "p"."id" NULLS FIRST, "c"."onset" NULLS FIRST, "c"."code" NULLS FIRST;
