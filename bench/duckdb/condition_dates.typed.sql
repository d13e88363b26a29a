-- condition_dates, DuckDB typed reader
SELECT id,
       CASE WHEN subject.reference LIKE 'Patient/%' THEN substr(subject.reference, 9) END AS patient_id,
       CASE WHEN encounter.reference LIKE 'Encounter/%' THEN substr(encounter.reference, 11) END AS encounter_id,
       verificationStatus.coding[1].code AS verification,
       recordedDate AS recorded,
       abatementDateTime AS abatement
FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', subject: 'STRUCT(reference VARCHAR)', encounter: 'STRUCT(reference VARCHAR)',
         verificationStatus: 'STRUCT(coding STRUCT(code VARCHAR)[])', recordedDate: 'VARCHAR', abatementDateTime: 'VARCHAR'})
