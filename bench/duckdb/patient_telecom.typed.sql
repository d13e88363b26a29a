-- patient_telecom, DuckDB typed reader
SELECT id, t.system AS system, t.value AS value, t.use AS use
FROM (
  SELECT id, unnest(telecom) AS t
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', telecom: 'STRUCT(system VARCHAR, value VARCHAR, use VARCHAR)[]'})
)
