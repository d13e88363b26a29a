// Package r4 is the FHIR R4 (4.0.1) catalog, embedded in the binary so that
// checking and compiling a view never needs the specification's files.
//
// The data file r4.bin.gz is generated from the official StructureDefinitions
// and value sets (HL7 FHIR 4.0.1, CC0) and committed; regenerate it with
// `go generate ./catalog/r4` on a machine that has the source definitions
// (../shared/fhir/r4 beside the repository, or $FHIR_R4_DIR).
package r4

import (
	_ "embed"
	"sync"

	"github.com/fhirql/fhirql/catalog"
)

//go:generate go run ../internal/gen -out r4.bin.gz

//go:embed r4.bin.gz
var data []byte

var (
	once sync.Once
	cat  *catalog.Catalog
)

// Catalog returns the R4 catalog, decoded on first use and shared afterwards,
// so that programs that never check a view do not pay for decoding it. It
// panics only if the embedded data is corrupt, which a test of this package
// rules out for every build.
func Catalog() *catalog.Catalog {
	once.Do(func() {
		c, err := catalog.New(data)
		if err != nil {
			panic("r4: embedded catalog is corrupt: " + err.Error())
		}
		cat = c
	})
	return cat
}

// Data returns the embedded compact catalog, for tools that compare or
// re-encode it; callers must not modify it.
func Data() []byte { return data }
