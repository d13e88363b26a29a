-- encounter_participants, DuckDB typed reader
SELECT id, p.type[1].coding[1].code AS type_code, p.individual.reference AS individual_reference,
       p.individual.display AS individual_display, p.period.start AS start
FROM (
  SELECT id, unnest(participant) AS p
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR',
         participant: 'STRUCT(type STRUCT(coding STRUCT(code VARCHAR)[])[], individual STRUCT(reference VARCHAR, display VARCHAR), period STRUCT(start VARCHAR))[]'})
)
