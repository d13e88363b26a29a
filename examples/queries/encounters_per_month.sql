-- Encounters per month since a date (:since, e.g. --param since=2015-01-01),
-- by encounter class.
SELECT YEAR(e.start) AS year,
       MONTH(e.start) AS month,
       e.class_code,
       COUNT(*) AS encounters
FROM encounters AS e
WHERE e.start >= :since
GROUP BY YEAR(e.start), MONTH(e.start), e.class_code
ORDER BY year, month, e.class_code
