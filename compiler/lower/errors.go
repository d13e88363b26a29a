package lower

import (
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of lowering (FQL3xxx). Lowering runs only on views the
// checker accepted, so these mean a checker gap rather than a user mistake;
// they still point at the construct, so the user can work around it.
const (
	// CodeUnresolved: an expression the checker left unresolved (no element,
	// function, constant or type behind it) reached lowering.
	CodeUnresolved diag.Code = "FQL3001"
)

func unresolved(f *source.File, sp source.Span, what string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeUnresolved, f, sp, "cannot compile %s: the checker did not resolve it; check the view for errors first", what)
}
