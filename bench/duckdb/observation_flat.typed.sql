-- observation_flat, DuckDB typed reader. Numbers are read as VARCHAR so that
-- they keep their JSON text ("60.0"), as fhirql writes decimals. The two
-- unnests are in nested SELECTs, which gives their cross product (in one
-- SELECT, DuckDB zips them); forEachOrNull component is an unnest of
-- [NULL] when there is none.
SELECT id, patient_id, encounter_id, status, effective, value, unit, unit_system,
       code_system, code, code_display,
       comp.code.coding[1].code AS component_code,
       comp.valueQuantity.value AS component_value,
       comp.valueQuantity.unit AS component_unit
FROM (
  SELECT id, patient_id, encounter_id, status, effective, value, unit, unit_system,
         cc.system AS code_system, cc.code AS code, cc.display AS code_display,
         unnest(CASE WHEN len(component) > 0 THEN component ELSE [NULL] END) AS comp
  FROM (
    SELECT id,
           CASE WHEN subject.reference LIKE 'Patient/%' THEN substr(subject.reference, 9) END AS patient_id,
           CASE WHEN encounter.reference LIKE 'Encounter/%' THEN substr(encounter.reference, 11) END AS encounter_id,
           status,
           effectiveDateTime AS effective,
           valueQuantity.value AS value, valueQuantity.unit AS unit, valueQuantity.system AS unit_system,
           unnest(code.coding) AS cc,
           component
    FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
           id: 'VARCHAR', status: 'VARCHAR',
           subject: 'STRUCT(reference VARCHAR)', encounter: 'STRUCT(reference VARCHAR)',
           effectiveDateTime: 'VARCHAR',
           valueQuantity: 'STRUCT(value VARCHAR, unit VARCHAR, system VARCHAR)',
           code: 'STRUCT(coding STRUCT(system VARCHAR, code VARCHAR, display VARCHAR)[])',
           component: 'STRUCT(code STRUCT(coding STRUCT(code VARCHAR)[]), valueQuantity STRUCT(value VARCHAR, unit VARCHAR))[]'})
  )
)
