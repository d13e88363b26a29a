package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/fhirql/fhirql/runtime"
)

func init() {
	register("run", "evaluate views over FHIR NDJSON to CSV, NDJSON or Parquet", runRun)
}

// multiFlag collects a repeatable flag (--input a --input b).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runRun(env *Env, args []string) int {
	fs := newFlags(env, "run", "VIEW... --input PATH... [--format csv|ndjson|parquet] [--out DIR]",
		"Evaluates views (.fview or ViewDefinition JSON files, or directories of them) over FHIR NDJSON.\n"+
			"PATH is an NDJSON file, a directory, a glob, a .ndjson.gz file, or - for stdin; --input may repeat,\n"+
			"and arguments after it that are not views are inputs too. A resource's type comes from its own\n"+
			"resourceType; other types are skipped. With one view and no --out, rows go to stdout; with --out,\n"+
			"one <view>.<format> file per view, written atomically.\n"+
			"--input and --out may be Azure locations: https://ACCOUNT.blob.core.windows.net/CONTAINER/path or\n"+
			"abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/path, signed in with a SAS token in the URL,\n"+
			"AZURE_STORAGE_CONNECTION_STRING, or Microsoft Entra ID (--azure-credential).")
	var inputs multiFlag
	fs.Var(&inputs, "input", "NDJSON input: file, directory, glob, .gz, Azure location, or - for stdin (repeatable)")
	format := fs.String("format", "", "output format: csv, ndjson or parquet (default ndjson on stdout, csv with --out)")
	outDir := fs.String("out", "", "directory or Azure location for one output file per view")
	maxErrors := fs.Int("max-errors", 0, "skip and count up to N bad input lines or failing resources instead of stopping")
	maxLine := fs.Int("max-line-bytes", runtime.DefaultMaxLineBytes, "longest accepted input line, in bytes")
	workers := fs.Int("workers", 0, "parallel workers (default: all cores)")
	quiet := fs.Bool("quiet", false, "no progress line and no summary on stderr")
	// Azure locations for --input and --out (storage.go).
	azureCred := azureCredentialFlag(fs)
	args = splitInputs(args)
	paths, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql run: name at least one view file or directory")
		fs.Usage()
		return ExitUsage
	}
	if len(inputs) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql run: say where the data is with --input PATH (an NDJSON file, directory, glob, or - for stdin)")
		return ExitUsage
	}
	f := *format
	switch f {
	case "":
		f = "ndjson"
		if *outDir != "" {
			f = "csv"
		}
	case "csv", "ndjson", "parquet":
	default:
		fmt.Fprintf(env.Stderr, "fhirql run: --format must be csv, ndjson or parquet, not %q\n", f)
		return ExitUsage
	}
	if f == "parquet" && *outDir == "" {
		fmt.Fprintln(env.Stderr, "fhirql run: Parquet output needs --out DIR (it is not written to a terminal)")
		return ExitUsage
	}
	// Azure locations for --input and --out (storage.go).
	openStorage, err := storageOpener(*azureCred)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
		return ExitUsage
	}
	res := loadOrReport(env, paths)
	if res == nil {
		return ExitErrors
	}
	views := res.Views()
	if len(views) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql run: the given paths define no views")
		return ExitErrors
	}
	if len(views) > 1 && *outDir == "" {
		fmt.Fprintf(env.Stderr, "fhirql run: %d views were given; write them to files with --out DIR, or name one view file\n", len(views))
		return ExitUsage
	}
	opts := runtime.Options{
		Inputs:       inputs,
		Stdin:        env.Stdin,
		Format:       f,
		OutDir:       *outDir,
		Stdout:       env.Stdout,
		MaxErrors:    *maxErrors,
		MaxLineBytes: *maxLine,
		Workers:      *workers,
		Storage:      openStorage, // Azure locations (storage.go)
	}
	if env.StderrIsTerminal && !*quiet {
		opts.Progress = env.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, err := runtime.Run(ctx, views, opts)
	if sum != nil && !*quiet {
		sum.Write(env.Stderr)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
		return ExitErrors
	}
	return ExitOK
}

// splitInputs lets `--input a b c` name several inputs: arguments after
// --input that are not flags and do not look like views are inputs too.
func splitInputs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a != "--input" && a != "-input" {
			continue
		}
		if i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !looksLikeView(args[i+1]) {
			out = append(out, "--input", args[i+1])
			i++
		}
	}
	return out
}

func looksLikeView(p string) bool {
	if strings.HasSuffix(p, ".fview") {
		return true
	}
	if strings.HasSuffix(p, ".json") {
		return true
	}
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return false
	}
	entries, _ := os.ReadDir(p)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".fview") {
			return true
		}
	}
	return false
}
