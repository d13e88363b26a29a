-- condition_categories, DuckDB typed reader
SELECT id, c.system AS system, c.code AS code, c.display AS display
FROM (
  SELECT id, unnest(flatten(list_transform(category, x -> x.coding))) AS c
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', category: 'STRUCT(coding STRUCT(system VARCHAR, code VARCHAR, display VARCHAR)[])[]'})
)
