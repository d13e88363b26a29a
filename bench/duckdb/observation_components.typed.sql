-- observation_components, DuckDB typed reader
SELECT id, c.code.coding[1].code AS code, c.code.coding[1].display AS display,
       c.valueQuantity.value AS value, c.valueQuantity.code AS unit
FROM (
  SELECT id, unnest(component) AS c
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR',
         component: 'STRUCT(code STRUCT(coding STRUCT(code VARCHAR, display VARCHAR)[]), valueQuantity STRUCT(value VARCHAR, code VARCHAR))[]'})
)
