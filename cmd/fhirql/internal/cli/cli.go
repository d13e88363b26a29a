// Package cli implements the fhirql command line: subcommands, flags, exit
// codes and the rendering of diagnostics.
//
// Main is a function of its arguments and streams, so tests drive the whole
// tool in-process exactly as a user does (sqlc's and CUE's pattern). Each
// subcommand lives in its own file and registers itself in init.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit codes shared by every subcommand.
const (
	ExitOK       = 0 // success (warnings allowed)
	ExitErrors   = 1 // the input has errors, or a run failed
	ExitUsage    = 2 // bad flags or arguments
	ExitInternal = 3 // a bug in fhirql: a recovered panic
)

// Env is what a subcommand may touch: its streams. Commands never use os.Stdout
// directly so that tests can capture everything.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StderrIsTerminal enables progress lines; tests leave it false.
	StderrIsTerminal bool
	// StdoutIsTerminal refuses binary output (Parquet) that would go to
	// a terminal; redirected to a file or a pipe, it is allowed.
	StdoutIsTerminal bool
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type command struct {
	name    string
	summary string
	run     func(env *Env, args []string) int
}

var commands = map[string]*command{}

// register adds a subcommand; called from each command file's init.
func register(name, summary string, run func(env *Env, args []string) int) {
	commands[name] = &command{name: name, summary: summary, run: run}
}

// Main runs fhirql with args (without the program name) and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr,
		StderrIsTerminal: isTerminal(stderr), StdoutIsTerminal: isTerminal(stdout)}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "fhirql: internal error: %v\nThis is a bug in fhirql; please report it with the input that caused it.\n%s", r, debug.Stack())
			code = ExitInternal
		}
	}()
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help", "-help", "help":
		if name == "help" && len(args) > 1 {
			// fhirql help CMD is fhirql CMD -h.
			topic := args[1]
			if topic == "help" {
				usage(stdout)
				return ExitOK
			}
			if _, ok := commands[topic]; !ok && topic != "version" {
				unknownCommand(stderr, topic, "help topic")
				return ExitUsage
			}
			if topic == "version" {
				fmt.Fprintln(stdout, "Usage: fhirql version (or fhirql --version)\n\nPrints the version of fhirql.")
				return ExitOK
			}
			return commands[topic].run(env, []string{"-h"})
		}
		usage(stdout)
		return ExitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "fhirql", version())
		return ExitOK
	}
	cmd, ok := commands[name]
	if !ok {
		unknownCommand(stderr, name, "command")
		return ExitUsage
	}
	return cmd.run(env, args[1:])
}

func unknownCommand(w io.Writer, name, what string) {
	fmt.Fprintf(w, "fhirql: unknown %s %q\n", what, name)
	if s := closest(name); s != "" {
		fmt.Fprintf(w, "did you mean %q?\n", s)
	}
	fmt.Fprintln(w, "Run 'fhirql help' for the list of commands.")
}

func closest(name string) string {
	for n := range commands {
		if strings.HasPrefix(n, name) || strings.HasPrefix(name, n) {
			return n
		}
	}
	return ""
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "fhirql compiles FHIR views to T-SQL and runs them over NDJSON.")
	fmt.Fprintln(w, "\nUsage: fhirql <command> [flags] [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "version", "print the version")
	fmt.Fprintln(w, "\nRun 'fhirql help <command>' or 'fhirql <command> -h' for a command's flags.")
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// newFlags makes a FlagSet whose errors go to the command's stderr. Its
// usage text goes to stderr after a usage error and to stdout when asked
// for with -h or --help (see parseFlags).
func newFlags(env *Env, name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: fhirql %s [flags] %s\n\n%s\n\nFlags:\n", name, argsUsage, summary)
		fs.PrintDefaults()
		fmt.Fprintf(w, "  -h, --help\n    \tprint this help and exit\n")
	}
	return fs
}

// flagExit is a command's exit status after parseFlags failed: 0 when the
// user asked for help, ExitUsage for a bad flag.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitUsage
}

// isHelpFlag reports whether a command-line argument asks for help.
func isHelpFlag(a string) bool {
	return a == "-h" || a == "--help" || a == "-help" || a == "--h"
}

// parseFlags parses interspersed flags and arguments (`fhirql run v.fview --input x`),
// which the standard library's flag package stops at.
//
// Help (-h, --help) before a "--" prints the command's usage to stdout and
// returns flag.ErrHelp, which flagExit turns into exit status 0: help that
// was asked for is output, not an error.
func parseFlags(env *Env, fs *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
