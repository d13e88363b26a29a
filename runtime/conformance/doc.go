// Package conformance runs the official SQL on FHIR v2 test suite
// (testdata/sql-on-fhir-v2) through the whole local stack: ViewDefinition
// JSON → lang/viewdef → compiler/check → compiler/lower → runtime/eval. It
// holds only tests; `go test ./runtime/conformance -report out.json` also
// writes the result in the suite's test-report format.
package conformance
