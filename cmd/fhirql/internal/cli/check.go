package cli

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
)

func init() {
	register("check", "type-check views (.fview or ViewDefinition JSON) against FHIR R4", runCheck)
}

func runCheck(env *Env, args []string) int {
	fs := newFlags(env, "check", "PATH...", "Parses and type-checks views in files or directories and prints diagnostics,\n"+
		"then a one-line summary (files, views, errors, warnings).\n"+
		"A directory's JSON files that are not ViewDefinitions (settings.json) are skipped with a note.\n"+
		"Exit status: 0 clean (warnings allowed unless --strict), 1 errors, 2 usage.")
	format := fs.String("format", "text", "diagnostic format: text or json")
	strict := fs.Bool("strict", false, "treat warnings as errors (exit 1 when there is any), for CI")
	fs.BoolVar(strict, "Werror", false, "the same as --strict")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
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
		fmt.Fprintln(env.Stderr, checkSummary(res, *strict))
	}
	if res.Diags.HasErrors() || *strict && countSeverity(res.Diags, diag.Warning) > 0 {
		return ExitErrors
	}
	return ExitOK
}

// checkSummary is the last line of `fhirql check`: "3 files, 5 views: 1
// error, 2 warnings", so that a clean run says so instead of printing nothing.
func checkSummary(res *compiler.Result, strict bool) string {
	views := 0
	for _, ns := range res.Namespaces {
		for _, f := range ns.Files {
			views += len(f.Views)
		}
	}
	errs, warns := countSeverity(res.Diags, diag.Error), countSeverity(res.Diags, diag.Warning)
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s: ", plural(res.Files, "file"), plural(views, "view"))
	switch {
	case errs == 0 && warns == 0:
		b.WriteString("no problems")
	case warns == 0:
		b.WriteString(plural(errs, "error"))
	default:
		fmt.Fprintf(&b, "%s, %s", plural(errs, "error"), plural(warns, "warning"))
		if strict {
			b.WriteString(" (errors under --strict)")
		}
	}
	return b.String()
}

func countSeverity(l diag.List, sev diag.Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity == sev {
			n++
		}
	}
	return n
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
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
