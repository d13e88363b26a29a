-- patient_names, DuckDB typed reader
SELECT id, n.use AS use, n.family AS family, n.given[1] AS given1, n.prefix[1] AS prefix1
FROM (
  SELECT id, unnest(name) AS n
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', name: 'STRUCT(use VARCHAR, family VARCHAR, given VARCHAR[], prefix VARCHAR[])[]'})
)
