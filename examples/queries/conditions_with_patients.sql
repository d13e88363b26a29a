-- Conditions joined with the patient they belong to, by reference key:
-- the age in whole years at onset, and the patient's gender.
SELECT p.id AS patient_id,
       p.gender,
       c.code,
       c.display,
       c.onset,
       FLOOR(DATEDIFF(c.onset, p.birth_date) / 365.25) AS age_at_onset
FROM condition_codings AS c
JOIN patient_demographics AS p ON p.id = c.patient_id
WHERE c.onset IS NOT NULL
ORDER BY p.id, c.onset, c.code
