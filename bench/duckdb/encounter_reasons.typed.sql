-- encounter_reasons, DuckDB typed reader
SELECT id, patient_id, c.code AS code, c.display AS display
FROM (
  SELECT id, CASE WHEN subject.reference LIKE 'Patient/%' THEN substr(subject.reference, 9) END AS patient_id,
         unnest(flatten(list_transform(reasonCode, x -> x.coding))) AS c
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', subject: 'STRUCT(reference VARCHAR)',
         reasonCode: 'STRUCT(coding STRUCT(code VARCHAR, display VARCHAR)[])[]'})
)
