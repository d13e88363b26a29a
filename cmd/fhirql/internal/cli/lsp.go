package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/fhirql/fhirql/cmd/fhirql/internal/lsp"
)

func init() {
	register("lsp", "run the language server (LSP over stdio) for editors", runLSP)
}

func runLSP(env *Env, args []string) int {
	fs := newFlags(env, "lsp", "", "Speaks the Language Server Protocol on stdin and stdout: diagnostics, hover,\ncompletion, go to definition, references, rename, formatting and quick fixes\nfor .fview and ViewDefinition JSON files. Editors start it; see docs/editors.md.\nLog lines go to stderr.")
	debounce := fs.Duration("debounce", lsp.DefaultDebounce, "delay between an edit and its diagnostics")
	// Editors that launch servers generically often pass --stdio; accept it.
	fs.Bool("stdio", true, "use stdin and stdout (the only transport)")
	rest, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "fhirql lsp: unexpected argument %q\n", rest[0])
		return ExitUsage
	}
	d := *debounce
	if d <= 0 {
		d = -time.Nanosecond // publish synchronously
	}
	err = lsp.Serve(env.Stdin, env.Stdout, lsp.Options{Debounce: d, Log: env.Stderr})
	if errors.Is(err, lsp.ErrNoShutdown) {
		return ExitErrors
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "fhirql lsp:", err)
		return ExitErrors
	}
	return ExitOK
}
