package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state"
)

// checkExportFlags checks the flags of `fhirql run --export` and
// `--state`; done reports a usage error already printed.
func checkExportFlags(env *Env, inputs, exports []string, stateDir, outDir, format string, compact bool) (int, bool) {
	switch {
	case compact && stateDir == "":
		return runUsage(env, "--compact rewrites the tables of a state: give it with --state DIR"), true
	case len(exports) > 0 && len(inputs) > 0:
		return runUsage(env, "--export and --input do not mix: an export's files are read through its manifest or folder; give every export with --export"), true
	case stateDir != "" && len(exports) == 0 && !compact:
		return runUsage(env, "--state DIR applies exports: name them with --export (a manifest.json or an export folder)"), true
	case stateDir != "" && outDir != "":
		return runUsage(env, "--state DIR keeps its tables under DIR/current: leave --out out"), true
	case stateDir != "" && format != "" && format != "csv" && format != "ndjson":
		return runUsage(env, "a state keeps csv or ndjson tables (their rows are rewritten by key), not %s", format), true
	}
	return 0, false
}

// runExports runs views over the current state of exports: a full
// two-pass run, or with stateDir each export applied in turn to the
// incremental state.
func runExports(ctx context.Context, env *Env, interrupted func() os.Signal, views []*plan.View, paths []string, stateDir string, cfg state.Config, opts runtime.Options, quiet bool) int {
	var exports []*state.Export
	for _, p := range paths {
		e, err := state.LoadExport(p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
			return ExitErrors
		}
		exports = append(exports, e)
	}
	stopped := func() (int, bool) {
		if sig := interrupted(); sig != nil {
			fmt.Fprintln(env.Stderr, "fhirql run: interrupted")
			return signalExit(sig), true
		}
		return 0, false
	}
	if stateDir != "" {
		opts.Progress = nil
		if len(exports) == 0 {
			// --compact alone: a compaction as a generation of its own.
			exports = append(exports, nil)
		}
		// One lock for all the exports: no other run applies between them.
		lk, err := state.LockDir(stateDir)
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
			return ExitErrors
		}
		defer lk.Unlock()
		for i, e := range exports {
			c := cfg
			c.Compact = cfg.Compact && i == len(exports)-1
			c.Lock = lk
			st, err := state.Apply(ctx, views, stateDir, e, c, opts)
			if code, ok := stopped(); ok {
				return code
			}
			if err != nil {
				what := "compacting"
				if e != nil {
					what = "applying " + e.Name
				}
				fmt.Fprintf(env.Stderr, "fhirql run: %s: %v (the state is as it was before)\n", what, err)
				return ExitErrors
			}
			if !quiet {
				st.Write(env.Stderr)
			}
		}
		return ExitOK
	}
	format := cfg.Format
	opts.Format = format
	sum, stats, err := state.Run(ctx, views, exports, opts)
	if code, ok := stopped(); ok {
		return code
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
		return ExitErrors
	}
	if format == "cdm" {
		// The folder's tables end with the key column, as its entities say.
		keyed := make([]*plan.View, len(views))
		for i, v := range views {
			keyed[i] = state.WithKey(v)
		}
		notes, err := writeCDMLoadScript(opts.OutDir, keyed)
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "fhirql run: %s\n", n)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
			return ExitErrors
		}
	}
	if !quiet {
		stats.Write(env.Stderr)
		sum.Write(env.Stderr)
	}
	return ExitOK
}
