-- Patients per condition: how many distinct patients have each SNOMED CT
-- condition, most common first.
SELECT c.code,
       c.display,
       COUNT(DISTINCT c.patient_id) AS patients
FROM condition_codings AS c
WHERE c.is_snomed = TRUE
GROUP BY c.code, c.display
ORDER BY patients DESC, c.code
LIMIT 10
