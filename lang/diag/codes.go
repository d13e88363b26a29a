package diag

// Code ranges. Each stage declares its own codes, with one constructor per
// kind, in its errors.go; this list says where to look.
//
//	FQL1000        compiler: a path that names no readable view file
//	FQL1001-1099   lang/parse: .fview and FHIRPath syntax
//	FQL1100        compiler: (info) a directory's JSON file that is no ViewDefinition, skipped
//	FQL1101-1199   lang/viewdef: ViewDefinition JSON structure
//	FQL1201-1299   lang/importer/fhirtocdm: the shape of a FhirToCdm configuration
//	FQL2001-2099   compiler/check: names, types, cardinality, value sets
//	FQL3001-3099   compiler/lower: lowering
//	FQL3101-3199   compiler/sql: constructs a SQL target cannot express
//	FQL4001-4099   runtime: data errors (bad NDJSON lines, several values in a column)
//	FQL5001-5099   compiler/query: SQL queries over views (syntax, names, types, targets)
//	FQL9999        a recovered internal error (a bug in fhirql)
//
// Codes never change meaning once released; only warnings may be re-levelled.
