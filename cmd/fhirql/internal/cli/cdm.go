package cli

import (
	"fmt"
	"path/filepath"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/runtime/write"
)

// cdmLoadScript is the file, in a CDM folder written by `run --format
// cdm`, that loads the folder into a Synapse dedicated SQL pool.
const cdmLoadScript = "load-dedicated.sql"

// writeCDMLoadScript writes the dedicated pool's load script into the CDM
// folder dir, typing each table as `fhirql build --target dedicated`
// would. A view the dedicated target cannot build is left out of the
// script, and the returned notes say which and why.
func writeCDMLoadScript(dir string, views []*plan.View) (notes []string, err error) {
	tg := dedicated.New(dedicated.Options{})
	var tables []dedicated.CDMTable
	for _, v := range views {
		c, dl := sql.Emit(v, tg)
		if c == nil {
			msg := "it cannot be built for the dedicated target"
			for _, d := range dl {
				if d.Severity == diag.Error {
					msg = d.Message
					break
				}
			}
			notes = append(notes, fmt.Sprintf("view %s is not in %s: %s", v.Name, cdmLoadScript, msg))
			continue
		}
		tables = append(tables, dedicated.CDMTable{Compiled: c, Partition: write.CDMPartition(v)})
	}
	return notes, writeFileAtomic(filepath.Join(dir, cdmLoadScript), []byte(tg.LoadCDM(tables)))
}
