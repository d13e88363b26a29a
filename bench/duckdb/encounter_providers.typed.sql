-- encounter_providers, DuckDB typed reader
SELECT id, status, identifier[1].value AS identifier_value,
       serviceProvider.reference AS provider_reference, serviceProvider.display AS provider_display
FROM read_json('{{FILE}}', format = 'newline_delimited', columns = {
         id: 'VARCHAR', status: 'VARCHAR', identifier: 'STRUCT(value VARCHAR)[]',
         serviceProvider: 'STRUCT(reference VARCHAR, display VARCHAR)'})
