package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	register("fmt", "format .fview files in the canonical layout", runFmt)
}

func runFmt(env *Env, args []string) int {
	fs := newFlags(env, "fmt", "[-w | --check] PATH...", "Prints .fview files in the one canonical layout. Formatting never changes meaning.\nWith no flag the result goes to stdout; -w rewrites files in place; --check lists files that are not formatted and exits 1.")
	write := fs.Bool("w", false, "write the result back to each file")
	checkOnly := fs.Bool("check", false, "list files whose formatting differs and exit 1 if any")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql fmt: name at least one .fview file or directory")
		fs.Usage()
		return ExitUsage
	}
	if *write && *checkOnly {
		fmt.Fprintln(env.Stderr, "fhirql fmt: -w and --check cannot be combined")
		return ExitUsage
	}
	groups, diags := compiler.Expand(paths)
	diag.RenderText(env.Stderr, diags)
	if diags.HasErrors() {
		return ExitErrors
	}
	var files []string
	for _, g := range groups {
		for _, f := range g {
			if strings.HasSuffix(f, ".fview") {
				files = append(files, f)
			} else if len(paths) == 1 && paths[0] == f {
				fmt.Fprintf(env.Stderr, "fhirql fmt: %s is not a .fview file; ViewDefinition JSON is not reformatted\n", f)
				return ExitUsage
			}
		}
	}
	sortStrings(files)
	status := ExitOK
	for _, name := range files {
		text, err := compiler.ReadViewFile(name)
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql fmt: %v\n", err)
			status = ExitErrors
			continue
		}
		af, dl := parse.ParseFile(source.NewFile(name, text))
		if dl.HasErrors() {
			diag.RenderText(env.Stderr, dl)
			status = ExitErrors
			continue
		}
		out := format.File(af)
		switch {
		case *checkOnly:
			if !bytes.Equal(out, text) {
				fmt.Fprintln(env.Stdout, name)
				status = ExitErrors
			}
		case *write:
			if bytes.Equal(out, text) {
				continue
			}
			if err := writeFileAtomic(name, out); err != nil {
				fmt.Fprintf(env.Stderr, "fhirql fmt: %v\n", err)
				status = ExitErrors
			}
		default:
			env.Stdout.Write(out)
		}
	}
	return status
}

// writeFileAtomic replaces a file through a temporary file in the same
// directory and a rename, so a crash never leaves it half-written.
func writeFileAtomic(name string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
