-- medication_requests, DuckDB typed reader
SELECT id,
       CASE WHEN subject.reference LIKE 'Patient/%' THEN substr(subject.reference, 9) END AS patient_id,
       CASE WHEN encounter.reference LIKE 'Encounter/%' THEN substr(encounter.reference, 11) END AS encounter_id,
       status, intent, authoredOn AS authored_on,
       medicationCodeableConcept.coding[1].code AS medication_code,
       medicationCodeableConcept.text AS medication_text,
       requester.display AS requester
FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', subject: 'STRUCT(reference VARCHAR)', encounter: 'STRUCT(reference VARCHAR)',
         status: 'VARCHAR', intent: 'VARCHAR', authoredOn: 'VARCHAR',
         medicationCodeableConcept: 'STRUCT(coding STRUCT(code VARCHAR)[], text VARCHAR)',
         requester: 'STRUCT(display VARCHAR)'})
