package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/verify"
	"github.com/fhirql/fhirql/verify/mssqlengine"
)

func init() {
	register("verify", "run views on the runtime and on a SQL engine (DuckDB, SQL Server) and compare the rows", runVerify)
}

const verifySummary = `Runs each view on the embedded runtime and on a SQL engine over the same
NDJSON, and compares the rows: as multisets (order does not matter), with
FHIR-aware equality (decimal text compared numerically, booleans whatever their
SQL spelling, collection columns and complex values as JSON). For each view it
prints both row counts and, when they differ, the first rows only one side has
("-" runtime, "+" engine). The exit status is 1 when any view differs or
fails on either side.

Engines:
  duckdb     the DuckDB SQL of 'fhirql build --target duckdb', run in an
             embedded DuckDB over the input files (needs a cgo build)
  sqlserver  the T-SQL of 'fhirql build --target sqlserver', run on the SQL
             Server named by --dsn (or $FHIRQL_MSSQL_DSN) after bulk-loading
             the input lines into a scratch table it drops afterwards

Input lines that cannot be read (not JSON, not UTF-8, no resourceType) stop
the runtime, as in 'fhirql run'; with --max-errors N it skips them, and verify
then checks that the engine did not read the same lines: its rejects view
(fhirql_<Resource>_rejects, see docs/input.md) must list as many lines per
file as the runtime skipped.

PATH is an NDJSON file, a directory, a glob or a .gz file (not stdin: the
input is read twice); --input may repeat.`

// engineFactory opens a verify engine; dsn is --dsn (sqlserver only).
type engineFactory func(ctx context.Context, dsn string) (verify.Engine, error)

// verifyEngines are the --engine choices. DuckDB registers itself from
// verify_duckdb.go (cgo builds) or verify_noduckdb.go (the explanation).
var verifyEngines = map[string]engineFactory{
	"sqlserver": func(ctx context.Context, dsn string) (verify.Engine, error) {
		if dsn == "" {
			dsn = os.Getenv("FHIRQL_MSSQL_DSN")
		}
		if dsn == "" {
			return nil, fmt.Errorf("--engine sqlserver needs --dsn (or $FHIRQL_MSSQL_DSN), e.g. 'sqlserver://sa:PASSWORD@localhost:1433?database=master'")
		}
		return mssqlengine.New(ctx, mssqlengine.Options{DSN: dsn})
	},
}

// sqlShower is an engine that can show the SQL it runs for a view.
type sqlShower interface {
	SQL(v *plan.View, inputs []string) (string, error)
}

func engineNames() string {
	names := make([]string, 0, len(verifyEngines))
	for n := range verifyEngines {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, " or ")
}

func runVerify(env *Env, args []string) int {
	fs := newFlags(env, "verify", "VIEW... --input PATH... [--engine duckdb|sqlserver] [--dsn DSN]", verifySummary)
	var inputs multiFlag
	fs.Var(&inputs, "input", "NDJSON input: file, directory, glob or .gz (repeatable)")
	engineName := fs.String("engine", "duckdb", "the SQL engine to compare with the runtime: duckdb or sqlserver")
	dsn := fs.String("dsn", "", "sqlserver: go-mssqldb connection string (default $FHIRQL_MSSQL_DSN)")
	maxRows := fs.Int("rows", 10, "differing rows to show per side and view (0: all)")
	showSQL := fs.Bool("show-sql", false, "print the engine's SQL for each view that differs")
	timing := fs.Bool("time", false, "print how long each side took for each view, on stderr")
	maxErrors := fs.Int("max-errors", 0, "bad input lines (and failing resources) the runtime skips; verify compares the skipped lines with the engine's rejects")
	args = splitInputs(args)
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql verify: "+format+"\n", a...)
		fmt.Fprintln(env.Stderr, "Run 'fhirql verify -h' for usage.")
		return ExitUsage
	}
	if len(paths) == 0 {
		return usageErr("name at least one view file or directory")
	}
	if len(inputs) == 0 {
		return usageErr("say where the data is with --input PATH (an NDJSON file, directory or glob)")
	}
	open, ok := verifyEngines[*engineName]
	if !ok {
		return usageErr("unknown engine %q (want %s)", *engineName, engineNames())
	}
	if *dsn != "" && *engineName != "sqlserver" {
		return usageErr("--dsn is for --engine sqlserver")
	}
	if *maxRows < 0 {
		return usageErr("--rows must be 0 or more")
	}
	if *maxErrors < 0 {
		return usageErr("--max-errors must be 0 or more")
	}
	if _, err := verify.Files(inputs); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql verify: %v\n", err)
		return ExitErrors
	}
	res := loadOrReport(env, paths)
	if res == nil {
		return ExitErrors
	}
	views := res.Views()
	if len(views) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql verify: the given paths define no views")
		return ExitErrors
	}

	ctx, interrupted, stop := interruptible(env, "verify")
	defer stop()
	eng, err := open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql verify: %v\n", err)
		return ExitErrors
	}
	defer func() {
		if err := eng.Close(); err != nil {
			fmt.Fprintf(env.Stderr, "fhirql verify: closing %s: %v\n", eng.Name(), err)
		}
	}()
	ref := &verify.Runtime{MaxErrors: *maxErrors}
	identical, different, failed := 0, 0, 0
	linesChecked, linesDiffer := false, false
	for _, v := range views {
		r := verify.Verify(ctx, ref, eng, v, inputs)
		if sig := interrupted(); sig != nil {
			// The view's result is cut short: no report of it.
			fmt.Fprintln(env.Stderr, "fhirql verify: interrupted")
			return signalExit(sig)
		}
		var b strings.Builder
		r.Write(&b, ref.Name(), eng.Name(), *maxRows)
		switch {
		case r.ReferenceErr != nil && r.EngineErr != nil:
			failed++
		case r.OK():
			identical++
		default:
			different++
			if sh, ok := eng.(sqlShower); ok && *showSQL {
				if q, err := sh.SQL(v, inputs); err == nil {
					fmt.Fprintf(&b, "%s SQL:\n%s\n", eng.Name(), strings.TrimRight(q, "\n"))
				}
			}
		}
		if !linesChecked && r.ReferenceErr == nil {
			// Every view reads every line: the lines the runtime skipped
			// are the same for all, and checked once.
			linesChecked = true
			linesDiffer = !checkLines(ctx, &b, ref, eng, inputs, *maxRows)
		}
		fmt.Fprint(env.Stdout, b.String())
		if *timing {
			fmt.Fprintf(env.Stderr, "view %s: %s %s, %s %s\n", v.Name, ref.Name(), r.ReferenceTime.Round(time.Millisecond), eng.Name(), r.EngineTime.Round(time.Millisecond))
		}
	}
	fmt.Fprintf(env.Stdout, "%d view(s) on %s and %s: %d identical, %d different", len(views), ref.Name(), eng.Name(), identical, different)
	if linesDiffer {
		fmt.Fprintf(env.Stdout, "; the input lines each side could not read differ")
	}
	if failed > 0 {
		fmt.Fprintf(env.Stdout, ", %d failing on both", failed)
	}
	fmt.Fprintln(env.Stdout)
	if different > 0 || failed > 0 || linesDiffer {
		return ExitErrors
	}
	return ExitOK
}

// checkLines reports whether the engine failed to read the same input
// lines as the runtime (per file and count; see verify.Lines) and writes
// the comparison to b. An engine that cannot list its rejects is said so,
// and then only a runtime that read every line agrees.
func checkLines(ctx context.Context, b *strings.Builder, ref *verify.Runtime, eng verify.Engine, inputs []string, max int) bool {
	rj, ok := eng.(verify.Rejecter)
	if !ok {
		if len(ref.BadLines) == 0 {
			return true
		}
		fmt.Fprintf(b, "input: DIFFERENT: the runtime skipped bad lines (%d file(s)), and %s cannot list the lines it does not read\n", len(ref.BadLines), eng.Name())
		return false
	}
	rejects, err := rj.Rejects(ctx, inputs)
	if err != nil {
		fmt.Fprintf(b, "input: %s cannot list the lines it does not read: %v\n", eng.Name(), err)
		return false
	}
	l := verify.CompareLines(ref.BadLines, rejects)
	l.Write(b, ref.Name(), eng.Name(), rejects, max)
	return l.Equal()
}
