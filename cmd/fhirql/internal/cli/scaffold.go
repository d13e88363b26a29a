package cli

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/scaffold"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	register("scaffold", "write starter views for FHIR resource types from the catalog", runScaffold)
}

const scaffoldSummary = `Writes a starter .fview file per resource type: a main view with the key,
the primitive elements, the first item of repeating ones, references as
getReferenceKey() and the common data types flattened (CodeableConcept to
system/code/display/text, Quantity to value/unit...), plus a child view per
repeating backbone element (Patient.contact becomes patient_contact, keyed
by the resource key and %rowIndex). Every file is checked before it is
written. Edit them: they are a start, not a contract.

Without --out the views are printed to stdout. Existing files are never
overwritten unless --force is given.`

func runScaffold(env *Env, args []string) int {
	fs := newFlags(env, "scaffold", "[RESOURCE... | --all] [--out DIR]", scaffoldSummary)
	all := fs.Bool("all", false, "every concrete resource type of FHIR R4")
	out := fs.String("out", "", "directory to write <resource>.fview files to (created if missing)")
	force := fs.Bool("force", false, "overwrite files that already exist in --out")
	names, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql scaffold: "+format+"\n", a...)
		fmt.Fprintln(env.Stderr, "Run 'fhirql scaffold -h' for usage.")
		return ExitUsage
	}
	cat := r4.Catalog()
	switch {
	case *all && len(names) > 0:
		return usageErr("name resource types or give --all, not both")
	case *all:
		names = cat.ResourceNames()
	case len(names) == 0:
		return usageErr("name at least one resource type (Patient Observation ...) or give --all")
	}
	known := cat.ResourceNames()
	for _, n := range names {
		if _, err := scaffold.Resource(cat, n); err != nil {
			msg := err.Error()
			if s, ok := diag.Suggest(n, known); ok {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
			return usageErr("%s", msg)
		}
	}
	var files []outFile
	views := 0
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		f, _ := scaffold.Resource(cat, n)
		text := format.File(f)
		name := scaffold.FileName(n)
		// The views are checked like any other: a scaffold that does not
		// check is a bug here, and must not reach the user's folder.
		if _, dl := compiler.CompileFiles(".", []*source.File{source.NewFile(name, text)}, cat); len(dl) > 0 {
			diag.RenderText(env.Stderr, dl)
			fmt.Fprintf(env.Stderr, "fhirql scaffold: the views scaffolded for %s do not check; this is a bug in fhirql, please report it\n", n)
			return ExitInternal
		}
		files = append(files, outFile{name: name, data: text})
		views += len(f.Views)
	}
	if *out == "" {
		for i, f := range files {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			env.Stdout.Write(f.data)
		}
		return ExitOK
	}
	if !*force {
		if exist := differing(*out, files); len(exist) > 0 {
			fmt.Fprintf(env.Stderr, "fhirql scaffold: nothing was written: these files exist and differ from the scaffold: %s\nMove them away, or pass --force to overwrite them.\n",
				strings.Join(exist, ", "))
			return ExitErrors
		}
	}
	// All files or none, as run --out writes.
	if err := writeAll(*out, files); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql scaffold: %v\n", err)
		return ExitErrors
	}
	fmt.Fprintf(env.Stderr, "wrote %s in %s to %s\n", plural(views, "view"), plural(len(files), "file"), *out)
	return ExitOK
}
