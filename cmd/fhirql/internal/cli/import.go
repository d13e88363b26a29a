package cli

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
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
	gen, dl := compiler.ImportFhirToCdm(paths, cat)
	diag.RenderText(env.Stderr, dl)
	if dl.HasErrors() {
		fmt.Fprintf(env.Stderr, "fhirql import: nothing was written: fix the configuration at the places above (%s)\n", countDiags(dl))
		return ExitErrors
	}
	files := make([]outFile, len(gen))
	for i, g := range gen {
		files[i] = outFile{g.Name, g.Text}
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
		if exist := differing(*out, files); len(exist) > 0 {
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
