package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/expect"
)

func init() {
	register("test", "check the views' expectations (data-quality rules) over FHIR NDJSON", runTest)
}

func runTest(env *Env, args []string) int {
	fs := newFlags(env, "test", "VIEW... --input PATH... [--format text|json] [--examples N]",
		"Runs the views over FHIR NDJSON and checks their expectations (`expect` rules, docs/expect.md):\n"+
			"for each rule, how many rows fail it, a few of them with the resource and file:line behind them,\n"+
			"and whether it passes its threshold. Exit 1 when a rule of severity error fails, 0 otherwise\n"+
			"(failing warnings are reported). A references rule needs its referenced view among the views.")
	var inputs multiFlag
	fs.Var(&inputs, "input", "NDJSON input: file, directory, glob, .gz, or - for stdin (repeatable)")
	format := fs.String("format", "text", "report format: text or json (for CI)")
	examples := fs.Int("examples", 3, "failing rows shown per rule")
	maxErrors := fs.Int("max-errors", 0, "skip and count up to N bad input lines or failing resources instead of stopping")
	workers := fs.Int("workers", 0, "parallel workers (default: all cores)")
	args = splitInputs(args)
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql test: "+format+"\n", a...)
		return ExitUsage
	}
	switch {
	case len(paths) == 0:
		return usage("name at least one view file or directory")
	case len(inputs) == 0:
		return usage("say where the data is with --input PATH (an NDJSON file, directory, glob, or - for stdin)")
	case *format != "text" && *format != "json":
		return usage("--format must be text or json, not %q", *format)
	case *examples < 0:
		return usage("--examples must be 0 or more, not %d", *examples)
	case *workers < 0:
		return usage("--workers must be 0 (all cores) or a positive number of workers, not %d", *workers)
	case *maxErrors < 0:
		return usage("--max-errors must be 0 or a positive count, not %d", *maxErrors)
	}
	res := loadOrReport(env, paths)
	if res == nil {
		return ExitErrors
	}
	views := res.Views()
	rules := 0
	for _, v := range views {
		rules += len(v.Expects)
	}
	if rules == 0 {
		fmt.Fprintln(env.Stderr, "fhirql test: the given views have no expectations; add `expect` rules (docs/expect.md)")
		return ExitErrors
	}
	now := time.Now()
	checker, err := expect.New(views, *examples, now.Format("2006-01-02"), now.Format(time.RFC3339))
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql test: %v\n", err)
		return ExitErrors
	}
	ctx, interrupted, stop := interruptible(env, "test")
	defer stop()
	opts := runtime.Options{Inputs: inputs, Stdin: env.Stdin, MaxErrors: *maxErrors, Workers: *workers, Now: now, Rows: checker.Row}
	if env.Stdin != nil {
		opts.Stdin = &cancelReader{ctx: ctx, r: env.Stdin}
	}
	sum, err := runtime.Run(ctx, views, opts)
	if sig := interrupted(); sig != nil {
		fmt.Fprintln(env.Stderr, "fhirql test: interrupted")
		return signalExit(sig)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql test: %v\n", err)
		return ExitErrors
	}
	results := checker.Results()
	failedErrors := 0
	for _, r := range results {
		if !r.Passed && r.Severity == "error" {
			failedErrors++
		}
	}
	if *format == "json" {
		out := struct {
			Passed  bool             `json:"passed"`
			Skipped int64            `json:"skippedLines"`
			Rules   []expect.Result  `json:"rules"`
			Read    map[string]int64 `json:"resources"`
		}{failedErrors == 0, sum.Skipped, results, sum.Resources}
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false) // CEL's >= stays readable
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		writeTestReport(env, results, sum)
	}
	if failedErrors > 0 {
		return ExitErrors
	}
	return ExitOK
}

func writeTestReport(env *Env, results []expect.Result, sum *runtime.Summary) {
	var b strings.Builder
	passed, warned, failed := 0, 0, 0
	for _, r := range results {
		status := "ok  "
		switch {
		case !r.Passed && r.Severity == "error":
			status = "FAIL"
			failed++
		case !r.Passed:
			status = "warn"
			warned++
		default:
			passed++
		}
		fmt.Fprintf(&b, "%s %s.%s: %d of %d rows fail", status, r.View, r.Rule, r.Failed, r.Rows)
		if r.Allowed > 0 {
			fmt.Fprintf(&b, " (at most %d allowed)", r.Allowed)
		}
		fmt.Fprintf(&b, "  [%s]\n", r.Checks)
		if !r.Passed {
			for _, ex := range r.Examples {
				fmt.Fprintf(&b, "     %s  %s:%d  %s\n", ex.Resource, ex.File, ex.Line, ex.Values)
			}
		}
	}
	fmt.Fprintf(&b, "%s: %d passed, %d failed", plural(len(results), "rule"), passed, failed)
	if warned > 0 {
		fmt.Fprintf(&b, ", %s", plural(warned, "warning"))
	}
	b.WriteString("\n")
	if sum.Skipped > 0 {
		fmt.Fprintf(&b, "skipped %d bad line(s) or failed resource(s): their rows are not in these counts\n", sum.Skipped)
	}
	fmt.Fprint(env.Stdout, b.String())
}
