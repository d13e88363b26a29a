package cli

import (
	"fmt"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
)

func init() {
	register("debug", "print a compiler stage's output: ast or plan", runDebug)
}

func runDebug(env *Env, args []string) int {
	fs := newFlags(env, "debug", "ast|plan PATH...", "Prints the output of one stage with the printers the golden tests use:\n  ast   the syntax tree with byte spans\n  plan  the typed relational plan every backend consumes")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(paths) < 2 || (paths[0] != "ast" && paths[0] != "plan") {
		fmt.Fprintln(env.Stderr, "fhirql debug: say which stage (ast or plan) and at least one path")
		fs.Usage()
		return ExitUsage
	}
	stage := paths[0]
	res := compiler.Load(paths[1:], r4.Catalog())
	diag.RenderText(env.Stderr, res.Diags)
	for _, ns := range res.Namespaces {
		switch stage {
		case "ast":
			for _, f := range ns.Files {
				fmt.Fprintf(env.Stdout, "# %s\n%s\n", f.Source.Name, ast.Dump(f))
			}
		case "plan":
			for _, v := range ns.Views {
				fmt.Fprintln(env.Stdout, plan.Dump(v))
			}
		}
	}
	if res.Diags.HasErrors() {
		return ExitErrors
	}
	return ExitOK
}
