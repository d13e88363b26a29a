-- Every construct fhirql translates, for the golden files of each target.
SELECT DISTINCT p.gender,
       CASE WHEN p.birth_date IS NULL THEN 'unknown' ELSE 'known' END AS birth,
       COALESCE(a.city, 'none') AS city,
       UPPER(p.family) AS family,
       LOWER(CONCAT(p.given, ' ', p.family)) AS full_name,
       LENGTH(p.id) AS id_length,
       SUBSTRING(p.id, 1, 8) AS id_prefix,
       ROUND(ABS(-2.345), 2) AS rounded,
       CAST(a.address_index AS CHAR) AS address_text,
       CAST(a.latitude AS DECIMAL(10, 4)) AS latitude,
       DATE_ADD(p.birth_date, INTERVAL 30 DAY) AS plus_30,
       DATEDIFF(CURRENT_DATE, p.birth_date) AS age_days,
       (SELECT COUNT(*) FROM encounters AS e WHERE e.patient_id = p.id) AS encounters
FROM patient_demographics AS p
LEFT JOIN patient_addresses AS a ON a.patient_id = p.id
WHERE p.id IN (SELECT c.patient_id FROM condition_codings AS c WHERE c.code LIKE '1%')
  AND EXISTS (SELECT 1 FROM encounters AS e2 WHERE e2.patient_id = p.id AND e2.class_code IN ('AMB', 'IMP'))
  AND p.birth_date BETWEEN :from AND '2000-12-31'
ORDER BY p.gender, full_name
LIMIT 5 OFFSET 1
