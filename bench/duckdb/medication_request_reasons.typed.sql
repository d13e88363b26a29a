-- medication_request_reasons, DuckDB typed reader
SELECT id, CASE WHEN r.reference LIKE 'Condition/%' THEN substr(r.reference, 11) END AS condition_id, r.display AS display
FROM (
  SELECT id, unnest(reasonReference) AS r
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', reasonReference: 'STRUCT(reference VARCHAR, display VARCHAR)[]'})
)
