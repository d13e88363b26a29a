-- patient_identifiers, DuckDB typed reader
SELECT id, i.system AS system, i.value AS value, i.type.coding[1].code AS type_code
FROM (
  SELECT id, unnest(identifier) AS i
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', identifier: 'STRUCT(system VARCHAR, value VARCHAR, type STRUCT(coding STRUCT(code VARCHAR)[]))[]'})
)
