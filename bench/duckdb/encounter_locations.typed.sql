-- encounter_locations, DuckDB typed reader
SELECT id, l.location.reference AS location_reference, l.location.display AS location_display
FROM (
  SELECT id, unnest(location) AS l
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', location: 'STRUCT(location STRUCT(reference VARCHAR, display VARCHAR))[]'})
)
