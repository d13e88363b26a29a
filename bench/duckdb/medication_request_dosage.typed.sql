-- medication_request_dosage, DuckDB typed reader
SELECT id, d.sequence AS sequence, d.timing.repeat.frequency AS frequency, d.timing.repeat.period AS period,
       d.timing.repeat.periodUnit AS period_unit, d.asNeededBoolean AS as_needed
FROM (
  SELECT id, unnest(dosageInstruction) AS d
  FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR',
         dosageInstruction: 'STRUCT(sequence VARCHAR, timing STRUCT("repeat" STRUCT(frequency VARCHAR, period VARCHAR, periodUnit VARCHAR)), asNeededBoolean BOOLEAN)[]'})
)
