-- 30-day readmissions: inpatient or emergency encounters followed by another
-- encounter of the same patient that starts within 30 days of the first one's
-- end.
SELECT a.patient_id,
       a.id AS encounter_id,
       a.end AS discharged,
       MIN(b.start) AS next_start,
       MIN(DATEDIFF(b.start, a.end)) AS days_to_next
FROM encounters AS a
JOIN encounters AS b
  ON b.patient_id = a.patient_id
 AND b.id <> a.id
 AND b.start > a.end
 AND DATEDIFF(b.start, a.end) <= 30
WHERE a.class_code IN ('IMP', 'EMER')
GROUP BY a.patient_id, a.id, a.end
ORDER BY a.patient_id, a.end, a.id
