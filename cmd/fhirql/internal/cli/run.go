package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state"
)

func init() {
	register("run", "evaluate views over FHIR NDJSON to CSV, NDJSON, Parquet or a CDM folder", runRun)
}

// multiFlag collects a repeatable flag (--input a --input b).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runRun(env *Env, args []string) int {
	fs := newFlags(env, "run", "VIEW... --input PATH... [--format csv|ndjson|parquet|cdm] [--out DIR]",
		"Evaluates views (.fview or ViewDefinition JSON files, or directories of them) over FHIR NDJSON.\n"+
			"PATH is an NDJSON file, a directory, a glob, a .ndjson.gz file, or - for stdin; --input may repeat,\n"+
			"and arguments after it that are not views are inputs too. A resource's type comes from its own\n"+
			"resourceType; other types are skipped. With one view and no --out, rows go to stdout; with --out,\n"+
			"one <view>.<format> file per view, written atomically. --format cdm writes a CDM folder to --out:\n"+
			"default.manifest.cdm.json, an entity document per view, CSV partitions under data/, and\n"+
			"load-dedicated.sql, which loads the folder into a Synapse dedicated SQL pool.\n"+
			"--input and --out may be Azure locations: https://ACCOUNT.blob.core.windows.net/CONTAINER/path or\n"+
			"abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/path, signed in with a SAS token in the URL,\n"+
			"AZURE_STORAGE_CONNECTION_STRING, or Microsoft Entra ID (--azure-credential).")
	var inputs multiFlag
	fs.Var(&inputs, "input", "NDJSON input: file, directory, glob, .gz, Azure location, or - for stdin (repeatable)")
	format := fs.String("format", "", "output format: csv, ndjson, parquet or cdm (default ndjson on stdout, csv with --out)")
	outDir := fs.String("out", "", "directory or Azure location for one output file per view")
	maxErrors := fs.Int("max-errors", 0, "skip and count up to N bad input lines or failing resources instead of stopping")
	maxLine := fs.Int("max-line-bytes", runtime.DefaultMaxLineBytes, "longest accepted input line, in bytes")
	workers := fs.Int("workers", 0, "parallel workers (default: all cores)")
	quiet := fs.Bool("quiet", false, "no progress line and no summary on stderr")
	// Azure locations for --input and --out (storage.go).
	azureCred := azureCredentialFlag(fs)
	var exports multiFlag
	fs.Var(&exports, "export", "a Bulk Data export (manifest.json or folder) instead of --input: tables of the current state over all --export (repeatable; docs/versions.md)")
	stateDir := fs.String("state", "", "with --export: apply each export in turn to the incremental state in DIR (tables under DIR/current; read them through DIR/current/duckdb.sql)")
	compact := fs.Bool("compact", false, "with --state: rewrite each table as one file of its live rows after the last apply, or alone without --export")
	compactAt := fs.Float64("compact-at", 100*state.DefaultCompactAt, "with --state: compact when the ids changed since the last compaction exceed this percentage of the state (0: only with --compact)")
	args = splitInputs(args)
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql run: name at least one view file or directory")
		fs.Usage()
		return ExitUsage
	}
	if code, done := checkExportFlags(env, inputs, exports, *stateDir, *outDir, *format, *compact); done {
		return code
	}
	if len(inputs) == 0 && len(exports) == 0 && !*compact {
		fmt.Fprintln(env.Stderr, "fhirql run: say where the data is with --input PATH (an NDJSON file, directory, glob, or - for stdin)")
		return ExitUsage
	}
	switch {
	case *workers < 0:
		return runUsage(env, "--workers must be 0 (all cores) or a positive number of workers, not %d", *workers)
	case *maxErrors < 0:
		return runUsage(env, "--max-errors must be 0 (stop at the first bad line) or a positive count, not %d", *maxErrors)
	case *compactAt < 0:
		return runUsage(env, "--compact-at is a percentage of the state, 0 (only with --compact) or more, not %g", *compactAt)
	case *maxLine <= 0:
		return runUsage(env, "--max-line-bytes must be a positive number of bytes, not %d (default %d)", *maxLine, runtime.DefaultMaxLineBytes)
	}
	f := *format
	switch f {
	case "":
		f = "ndjson"
		if *outDir != "" {
			f = "csv"
		}
	case "csv", "ndjson", "parquet", "cdm":
	default:
		fmt.Fprintf(env.Stderr, "fhirql run: --format must be csv, ndjson, parquet or cdm, not %q\n", f)
		return ExitUsage
	}
	if *stateDir != "" {
		f = *format // "" keeps the state's format
	}
	if f == "cdm" && *outDir == "" && *stateDir == "" {
		fmt.Fprintln(env.Stderr, "fhirql run: a CDM folder needs --out DIR")
		return ExitUsage
	}
	if f == "parquet" && *outDir == "" && env.StdoutIsTerminal {
		fmt.Fprintln(env.Stderr, "fhirql run: Parquet is binary and stdout is a terminal: redirect stdout to a file (> view.parquet) or use --out DIR")
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
	if len(views) > 1 && *outDir == "" && *stateDir == "" {
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
	ctx, interrupted, stop := interruptible(env, "run")
	defer stop()
	if env.Stdin != nil {
		opts.Stdin = &cancelReader{ctx: ctx, r: env.Stdin}
	}
	if len(exports) > 0 || *compact {
		cfg := state.Config{Format: f, Compact: *compact, CompactAt: *compactAt / 100}
		if *compactAt == 0 {
			cfg.CompactAt = -1
		}
		return runExports(ctx, env, interrupted, views, exports, *stateDir, cfg, opts, *quiet)
	}
	sum, err := runtime.Run(ctx, views, opts)
	if sig := interrupted(); sig != nil {
		// Run has removed its temporary files; the outputs are as they were.
		fmt.Fprintln(env.Stderr, "fhirql run: interrupted")
		return signalExit(sig)
	}
	if err != nil {
		// No summary: its row counts describe files that were not written.
		fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
		return ExitErrors
	}
	if f == "cdm" {
		notes, err := writeCDMLoadScript(*outDir, views)
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "fhirql run: %s\n", n)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql run: %v\n", err)
			return ExitErrors
		}
	}
	if !*quiet {
		sum.Write(env.Stderr)
	}
	return ExitOK
}

// runUsage reports a usage error of `fhirql run` and returns ExitUsage.
func runUsage(env *Env, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "fhirql run: "+format+"\n", a...)
	return ExitUsage
}

// interruptGrace is how long a command may take to clean up after SIGINT or
// SIGTERM (a read blocked on a silent FIFO does not see the cancellation)
// before the process exits anyway, as it does at a second signal; a later
// run removes the temporary files it left.
const interruptGrace = 5 * time.Second

// interruptible returns a context that SIGINT and SIGTERM cancel, a function
// telling which of them arrived (nil if none), and a stop function.
func interruptible(env *Env, cmd string) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var mu sync.Mutex
	var got os.Signal
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			mu.Lock()
			got = sig
			mu.Unlock()
			cancel()
			select {
			case <-done:
			case <-ch: // a second Ctrl-C: the user will not wait
				fmt.Fprintf(env.Stderr, "fhirql %s: interrupted\n", cmd)
				os.Exit(signalExit(sig))
			case <-time.After(interruptGrace):
				fmt.Fprintf(env.Stderr, "fhirql %s: interrupted\n", cmd)
				os.Exit(signalExit(sig))
			}
		case <-done:
		}
	}()
	interrupted := func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
	return ctx, interrupted, stop
}

// signalExit is the shell's exit status for a process ended by sig:
// 128 + its number (130 for SIGINT, 143 for SIGTERM).
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + 2
}

// splitInputs lets `--input a b c` name several inputs: arguments after
// --input that are not flags and do not look like views are inputs too,
// and arguments after --export that are export folders (or manifests) are
// exports too.
func splitInputs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a == "--export" || a == "-export" {
			// `--export lake/2026*`: the shell's list of export folders.
			if i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			for i+1 < len(args) && looksLikeExport(args[i+1]) {
				out = append(out, "--export", args[i+1])
				i++
			}
			continue
		}
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

// looksLikeExport reports whether an argument after --export names an
// export too: a folder holding manifest.json, or a manifest.json file.
func looksLikeExport(p string) bool {
	if strings.HasPrefix(p, "-") {
		return false
	}
	if filepath.Base(p) == "manifest.json" {
		return true
	}
	_, err := os.Stat(filepath.Join(p, "manifest.json"))
	return err == nil
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

// cancelReader lets an interrupt end a read of stdin that waits for data
// which may never come (a silent pipe): Read returns ctx's error as soon as
// ctx is cancelled. The abandoned read ends with the process.
type cancelReader struct {
	ctx context.Context
	r   io.Reader
	buf []byte
}

type readResult struct {
	n   int
	err error
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	ch := make(chan readResult, 1)
	go func() {
		n, err := c.r.Read(buf)
		ch <- readResult{n, err}
	}()
	select {
	case res := <-ch:
		copy(p, buf[:res.n])
		return res.n, res.err
	case <-c.ctx.Done():
		c.buf = nil // the pending read still owns it
		return 0, c.ctx.Err()
	}
}
