-- patient_communication, DuckDB typed reader
SELECT id, marital_code, multiple_birth,
       c.language.coding[1].code AS language_code, c.language.coding[1].display AS language_display
FROM (
  SELECT id, maritalStatus.coding[1].code AS marital_code, multipleBirthBoolean AS multiple_birth,
         unnest(communication) AS c
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', maritalStatus: 'STRUCT(coding STRUCT(code VARCHAR)[])', multipleBirthBoolean: 'BOOLEAN',
         communication: 'STRUCT(language STRUCT(coding STRUCT(code VARCHAR, display VARCHAR)[]))[]'})
)
