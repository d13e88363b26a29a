package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/importer/fhirtocdm"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	register("import", "turn other tools' configurations into .fview files (fhir-to-cdm)", runImport)
}

const importSummary = `Translates Microsoft FhirToCdm configurations (FHIR-Analytics-Pipelines) into
.fview files: YAML instructions (resourcesConfig.yml, propertiesGroupConfig.yml)
or a generated table-configuration folder (table JSON files and PropertiesGroup/).
PATH is a file or a folder of them. Every table becomes a view, every properties
group a column group (groups.fview); unrollPath tables become forEach views keyed
by ResourceId and a %rowIndex column per repeating level.

The views are checked before anything is written: an invalid path, expression or
group of the configuration is reported at its line in the YAML or JSON file, and
nothing is written until it is fixed. Without --out the files are printed to
stdout. Existing files are never overwritten unless --force is given.`

func runImport(env *Env, args []string) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql import: "+format+"\n", a...)
		fmt.Fprintln(env.Stderr, "Run 'fhirql import fhir-to-cdm -h' for usage.")
		return ExitUsage
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintln(env.Stderr, "Usage: fhirql import fhir-to-cdm PATH... [--out DIR] [--force]")
			fmt.Fprintln(env.Stderr, importSummary)
			return ExitOK
		}
		return usageErr("name the format to import: fhirql import fhir-to-cdm PATH... --out DIR")
	}
	if args[0] != "fhir-to-cdm" {
		return usageErr("unknown format %q; the format fhirql imports is fhir-to-cdm", args[0])
	}
	fs := newFlags(env, "import fhir-to-cdm", "PATH... [--out DIR] [--force]", importSummary)
	out := fs.String("out", "", "directory to write the .fview files to (created if missing)")
	force := fs.Bool("force", false, "overwrite files that already exist in --out")
	paths, err := parseFlags(env, fs, args[1:])
	if err != nil {
		return flagExit(err)
	}
	if len(paths) == 0 {
		return usageErr("name at least one configuration file or folder")
	}
	cat := r4.Catalog()
	files, dl := importFhirToCdm(paths, cat)
	diag.RenderText(env.Stderr, dl)
	if dl.HasErrors() {
		fmt.Fprintf(env.Stderr, "fhirql import: nothing was written: fix the configuration at the places above (%s)\n", countDiags(dl))
		return ExitErrors
	}
	if *out == "" {
		for i, f := range files {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "// %s\n", f.name)
			env.Stdout.Write(f.data)
		}
		return ExitOK
	}
	if !*force {
		var exist []string
		for _, f := range files {
			p := filepath.Join(*out, f.name)
			if old, err := os.ReadFile(p); err == nil && !bytes.Equal(old, f.data) {
				exist = append(exist, p)
			}
		}
		if len(exist) > 0 {
			fmt.Fprintf(env.Stderr, "fhirql import: nothing was written: these files exist and differ from the import: %s\nMove them away, or pass --force to overwrite them.\n", strings.Join(exist, ", "))
			return ExitErrors
		}
	}
	if err := writeAll(*out, files); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql import: %v\n", err)
		return ExitErrors
	}
	fmt.Fprintf(env.Stderr, "wrote %s to %s\n", plural(len(files), "file"), *out)
	return ExitOK
}

// importFhirToCdm translates the configurations and checks the result
// twice: the trees with spans into the YAML/JSON files (so problems point
// there), then the printed .fview files as one namespace (so what is
// written is exactly what checks).
func importFhirToCdm(paths []string, cat *catalog.Catalog) ([]outFile, diag.List) {
	res, dl := fhirtocdm.Import(paths, cat)
	if dl.HasErrors() {
		return nil, dl
	}
	_, cdl := check.Check(res.Check, cat)
	for _, d := range cdl {
		// In ViewDefinition JSON an unknown element is a warning (the
		// path is always empty); in a FhirToCdm table JSON it is the
		// silent empty column this import exists to catch.
		if d.Code == check.CodeUnknownElement && d.Severity == diag.Warning {
			d.Severity = diag.Error
		}
	}
	dl = append(dl, cdl...)
	if dl.HasErrors() {
		return nil, dl
	}
	var files []outFile
	var srcs []*source.File
	for _, o := range res.Out {
		text := format.File(o.File)
		files = append(files, outFile{o.Name, text})
		srcs = append(srcs, source.NewFile(o.Name, text))
	}
	if _, odl := compiler.CompileFiles(".", srcs, cat); odl.HasErrors() {
		odl = append(odl, diag.New(diag.Error, compiler.CodeInternal, nil, source.Span{},
			"the imported views do not check although their configuration does; this is a bug in fhirql, please report it with the configuration"))
		return nil, append(dl, odl...)
	}
	return files, dl
}

// countDiags says how many errors and warnings a list holds.
func countDiags(dl diag.List) string {
	errs, warns := 0, 0
	for _, d := range dl {
		if d.Severity == diag.Error {
			errs++
		} else if d.Severity == diag.Warning {
			warns++
		}
	}
	s := plural(errs, "error")
	if warns > 0 {
		s += ", " + plural(warns, "warning")
	}
	return s
}
