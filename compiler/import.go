package compiler

import (
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/importer/fhirtocdm"
	"github.com/fhirql/fhirql/lang/source"
)

// Generated is one .fview file an import produced.
type Generated struct {
	Name string // a base name: "Patient.fview", "groups.fview"
	Text []byte // canonical .fview text (lang/format)
}

// ImportFhirToCdm translates FhirToCdm configurations (fhirtocdm.Import)
// and checks the result twice: the trees with spans into the YAML and JSON
// files, so that every problem points where the user wrote it, then the
// printed .fview files as one namespace, through the whole front end, so
// that what is returned is exactly what checks. Files are returned only
// when there is no error.
func ImportFhirToCdm(paths []string, cat *catalog.Catalog) ([]Generated, diag.List) {
	res, dl := fhirtocdm.Import(paths, cat)
	if res == nil {
		return nil, dl
	}
	_, cdl := check.Check(res.Check, cat)
	for _, d := range cdl {
		// In ViewDefinition JSON an unknown element is a warning (the
		// path is always empty); in a FhirToCdm table JSON it is the
		// silent empty column the import exists to catch.
		if d.Code == check.CodeUnknownElement && d.Severity == diag.Warning {
			d.Severity = diag.Error
			d.Message = strings.TrimSuffix(d.Message, "; the path is always empty")
		}
	}
	dl = append(dl, cdl...)
	if dl.HasErrors() {
		return nil, dl
	}
	var out []Generated
	var srcs []*source.File
	for _, o := range res.Out {
		text := format.File(o.File)
		out = append(out, Generated{o.Name, text})
		srcs = append(srcs, source.NewFile(o.Name, text))
	}
	if _, odl := CompileFiles(".", srcs, cat); odl.HasErrors() {
		odl = append(odl, diag.New(diag.Error, CodeInternal, nil, source.Span{},
			"the imported views do not check although their configuration does; this is a bug in fhirql, please report it with the configuration"))
		return nil, append(dl, odl...)
	}
	return out, dl
}
