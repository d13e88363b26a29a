-- patient_addresses, DuckDB typed reader
SELECT id, a.use AS use, a.line[1] AS line1, a.city AS city, a.state AS state, a.postalCode AS postal_code, a.country AS country
FROM (
  SELECT id, unnest(address) AS a
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', address: 'STRUCT(use VARCHAR, line VARCHAR[], city VARCHAR, state VARCHAR, postalCode VARCHAR, country VARCHAR)[]'})
)
