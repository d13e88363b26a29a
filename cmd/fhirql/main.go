// Command fhirql compiles FHIR views (.fview or SQL on FHIR ViewDefinition
// JSON) to T-SQL for Azure Synapse and SQL Server, and runs them locally over
// NDJSON. See README.md.
package main

import (
	"os"

	"github.com/fhirql/fhirql/cmd/fhirql/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
