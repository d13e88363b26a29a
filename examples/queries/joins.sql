-- Joins of every kind, HAVING, and a UNION with ORDER BY and LIMIT.
SELECT x.patient_id, x.n
FROM (
  SELECT e.patient_id, COUNT(*) AS n
  FROM encounters AS e
  RIGHT JOIN patient_demographics AS p ON p.id = e.patient_id
  FULL OUTER JOIN patient_addresses AS a ON a.patient_id = p.id
  CROSS JOIN condition_codings AS c
  GROUP BY e.patient_id
  HAVING COUNT(*) > 1
) AS x
UNION
SELECT o.patient_id, COUNT(*) AS n
FROM observation_quantities AS o
GROUP BY o.patient_id
ORDER BY n DESC, patient_id
LIMIT 3
