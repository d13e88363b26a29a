package cli

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fhirql": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end to end, as a user would, from txtar scripts:
// exit status, stdout and stderr of each command are compared with the
// script's expectations (`go test -update` rewrites them).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			// The bundled examples and data, so scripts can use them as a user would.
			env.Setenv("EXAMPLES", mustAbs("../../../../examples"))
			return nil
		},
	})
}

func mustAbs(rel string) string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd + "/" + rel
}

// TestExitCodes pins the documented exit statuses: 0 clean, 1 errors, 2 usage.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := dir + "/good.fview"
	bad := dir + "/bad.fview"
	warn := dir + "/warn.fview"
	must(t, os.WriteFile(good, []byte("view v of Patient {\n  id = getResourceKey()\n}\n"), 0o644))
	must(t, os.WriteFile(bad, []byte("view v of Patient {\n  b = birthdate\n}\n"), 0o644))
	must(t, os.WriteFile(warn, []byte("view v of Patient {\n  f = name.family\n}\n"), 0o644))
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"check", good}, ExitOK, ""},
		{[]string{"check", warn}, ExitOK, "warning["},
		{[]string{"check", bad}, ExitErrors, `did you mean "birthDate"`},
		{[]string{"check"}, ExitUsage, "name at least one"},
		{[]string{"check", "--format", "xml", good}, ExitUsage, "--format must be"},
		{[]string{"check", dir + "/missing.fview"}, ExitErrors, "cannot read"},
		{[]string{"nosuch"}, ExitUsage, "unknown command"},
		{[]string{}, ExitUsage, "Usage"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := Main(c.args, strings.NewReader(""), &out, &errb)
		if code != c.code {
			t.Errorf("fhirql %v: exit %d, want %d\nstderr: %s", c.args, code, c.code, errb.String())
		}
		if c.err != "" && !strings.Contains(errb.String(), c.err) {
			t.Errorf("fhirql %v: stderr does not mention %q:\n%s", c.args, c.err, errb.String())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestParquetToTerminal: Parquet is refused only when stdout is a terminal,
// with a message that says so and what to do.
func TestParquetToTerminal(t *testing.T) {
	dir := t.TempDir()
	view := dir + "/p.fview"
	data := dir + "/d.ndjson"
	must(t, os.WriteFile(view, []byte("view p of Patient {\n  id = getResourceKey()\n}\n"), 0o644))
	must(t, os.WriteFile(data, []byte(`{"resourceType":"Patient","id":"a"}`+"\n"), 0o644))
	for _, term := range []bool{true, false} {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, StdoutIsTerminal: term}
		code := runRun(env, []string{view, "--input", data, "--format", "parquet", "--quiet"})
		if term {
			if code != ExitUsage || !strings.Contains(errb.String(), "stdout is a terminal: redirect stdout to a file") || out.Len() != 0 {
				t.Errorf("to a terminal: exit %d, stdout %d bytes, stderr %q", code, out.Len(), errb.String())
			}
		} else if code != ExitOK || !bytes.HasPrefix(out.Bytes(), []byte("PAR1")) || !bytes.HasSuffix(out.Bytes(), []byte("PAR1")) {
			t.Errorf("redirected: exit %d, stdout %q..., stderr %q", code, out.Bytes()[:min(8, out.Len())], errb.String())
		}
	}
}
