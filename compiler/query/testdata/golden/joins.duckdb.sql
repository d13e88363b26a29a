SELECT
    "u1"."patient_id" AS "patient_id",
    "u1"."n" AS "n"
FROM (
    SELECT
        "x"."patient_id" AS "patient_id",
        "x"."n" AS "n"
    FROM (
        SELECT
            "e"."patient_id" AS "patient_id",
            count(*) AS "n"
        FROM "encounters" AS "e"
        RIGHT JOIN "patient_demographics" AS "p"
            ON "p"."id" = "e"."patient_id"
        FULL JOIN "patient_addresses" AS "a"
            ON "a"."patient_id" = "p"."id"
        CROSS JOIN "condition_codings" AS "c"
        GROUP BY "e"."patient_id"
        HAVING count(*) > 1
    ) AS "x"
    UNION
    SELECT
        "o"."patient_id" AS "patient_id",
        count(*) AS "n"
    FROM "observation_quantities" AS "o"
    GROUP BY "o"."patient_id"
) AS "u1"
ORDER BY "u1"."n" DESC NULLS LAST, "u1"."patient_id" NULLS FIRST
LIMIT 3;
