// Package viewdef converts between SQL on FHIR v2 ViewDefinition JSON and the
// fhirql AST.
//
// A ViewDefinition file is accepted anywhere a .fview file is, and every view
// can be exported as a ViewDefinition, so the JSON form is a second syntax for
// the same tree rather than a separate model: Read produces exactly the nodes
// the .fview parser produces, with spans into the JSON text so diagnostics,
// hover and quick fixes work on JSON files too, and Write prints any view back
// as JSON without losing the properties fhirql does not interpret.
//
// Read checks only what the JSON shape itself can tell (required and mistyped
// properties, unknown keys, FHIRPath syntax); resolving names and types is left
// to the checker, which sees both input forms the same way.
package viewdef
