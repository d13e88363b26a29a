// Command runviews runs views over NDJSON with runtime.Run: the same code
// path as `fhirql run`, kept here so that bench/run.sh can measure a whole
// run (peak RSS) without depending on the CLI's flags.
//
//	go run ./bench/cmd/runviews -input DIR [-format csv] [-out DIR] VIEW...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/runtime"
)

func main() {
	var inputs multi
	flag.Var(&inputs, "input", "NDJSON file, directory, glob or - (repeatable)")
	format := flag.String("format", "csv", "csv, ndjson or parquet")
	out := flag.String("out", "", "output directory (default: discard the rows)")
	maxErrors := flag.Int("max-errors", 0, "bad lines to skip")
	workers := flag.Int("workers", 0, "workers (default GOMAXPROCS)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	res := compiler.Load(flag.Args(), r4.Catalog())
	if res.Diags.HasErrors() {
		fmt.Fprintln(os.Stderr, res.Diags)
		os.Exit(1)
	}
	views := res.Views()
	opts := runtime.Options{Inputs: inputs, Stdin: os.Stdin, Format: *format, OutDir: *out,
		MaxErrors: *maxErrors, Workers: *workers, Stdout: io.Discard}
	if st, err := os.Stderr.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		opts.Progress = os.Stderr
	}
	if *out == "" && len(views) > 1 {
		// Discarding: run each view on its own pass is not what we
		// want to measure, so write to a throwaway directory instead.
		dir, err := os.MkdirTemp("", "runviews-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		opts.OutDir = dir
	}
	sum, err := runtime.Run(context.Background(), views, opts)
	sum.Write(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }
