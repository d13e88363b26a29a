package cli

import (
	"fmt"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
)

func init() {
	register("check", "type-check views (.fview or ViewDefinition JSON) against FHIR R4", runCheck)
}

func runCheck(env *Env, args []string) int {
	fs := newFlags(env, "check", "PATH...", "Parses and type-checks views in files or directories and prints diagnostics.\nExit status: 0 clean (warnings allowed), 1 errors, 2 usage.")
	format := fs.String("format", "text", "diagnostic format: text or json")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql check: name at least one .fview or ViewDefinition JSON file or directory")
		fs.Usage()
		return ExitUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(env.Stderr, "fhirql check: --format must be text or json, not %q\n", *format)
		return ExitUsage
	}
	res := compiler.Load(paths, r4.Catalog())
	if *format == "json" {
		if err := diag.RenderJSON(env.Stdout, res.Diags); err != nil {
			fmt.Fprintln(env.Stderr, "fhirql check:", err)
			return ExitErrors
		}
	} else {
		diag.RenderText(env.Stderr, res.Diags)
	}
	if res.Diags.HasErrors() {
		return ExitErrors
	}
	return ExitOK
}

// loadOrReport runs the front end and renders its diagnostics to stderr; it
// returns nil when there were errors, so commands stop before doing work.
func loadOrReport(env *Env, paths []string) *compiler.Result {
	res := compiler.Load(paths, r4.Catalog())
	diag.RenderText(env.Stderr, res.Diags)
	if res.Diags.HasErrors() {
		return nil
	}
	return res
}
