package cli

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/verify"
)

// fakeEngine is the runtime with a twist, so that verify's reporting can be
// tested without DuckDB or SQL Server.
type fakeEngine struct {
	verify.Runtime
	alter func(v *plan.View, t *verify.Table) error
}

func (*fakeEngine) Name() string { return "fake" }

func (f *fakeEngine) Run(ctx context.Context, v *plan.View, inputs []string) (*verify.Table, error) {
	t, err := f.Runtime.Run(ctx, v, inputs)
	if err != nil {
		return nil, err
	}
	return t, f.alter(v, t)
}

func withFakeEngine(t *testing.T, alter func(v *plan.View, t *verify.Table) error) {
	t.Helper()
	verifyEngines["fake"] = func(ctx context.Context, dsn string) (verify.Engine, error) {
		return &fakeEngine{alter: alter}, nil
	}
	t.Cleanup(func() { delete(verifyEngines, "fake") })
}

const verifyData = `{"resourceType":"Patient","id":"a","gender":"female","name":[{"given":["Ann","Lee"]}]}
{"resourceType":"Patient","id":"b","gender":"male"}
{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}}
`

func verifyFixture(t *testing.T) (view, data string) {
	dir := t.TempDir()
	view = writeView(t, dir, "p.fview", patientView)
	data = writeView(t, dir, "data.ndjson", verifyData)
	return view, data
}

func TestVerifyIdentical(t *testing.T) {
	view, data := verifyFixture(t)
	withFakeEngine(t, func(*plan.View, *verify.Table) error { return nil })
	code, out, errs := runFhirql("verify", view, "--input", data, "--engine", "fake")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	want := "view patients: runtime: 2 rows, fake: 2 rows, identical\n1 view(s) on runtime and fake: 1 identical, 0 different\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

func TestVerifyDifferent(t *testing.T) {
	view, data := verifyFixture(t)
	withFakeEngine(t, func(v *plan.View, tab *verify.Table) error {
		// Drop the first given name of patient a and duplicate patient b.
		for _, r := range tab.Rows {
			if r[0] == "Patient/a" || r[0] == "a" {
				r[2] = `["Lee"]`
			}
		}
		tab.Rows = append(tab.Rows, tab.Rows[len(tab.Rows)-1])
		return nil
	})
	code, out, _ := runFhirql("verify", view, "--input", data, "--engine", "fake")
	if code != ExitErrors {
		t.Fatalf("exit %d, want %d\n%s", code, ExitErrors, out)
	}
	for _, want := range []string{
		"view patients: DIFFERENT: runtime: 2 rows, fake: 3 rows; 1 only in runtime, 2 only in fake",
		"--- runtime\n+++ fake\n",
		`- {"id": "a", "gender": "female", "given": ["Ann","Lee"]}`,
		`+ {"id": "a", "gender": "female", "given": ["Lee"]}`,
		`+ {"id": "b", "gender": "male", "given": []}`,
		"1 view(s) on runtime and fake: 0 identical, 1 different",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestVerifyEngineFails(t *testing.T) {
	view, data := verifyFixture(t)
	withFakeEngine(t, func(*plan.View, *verify.Table) error { return errors.New("boom") })
	code, out, _ := runFhirql("verify", view, "--input", data, "--engine", "fake")
	if code != ExitErrors || !strings.Contains(out, "view patients: DIFFERENT: runtime gives 2 rows, fake fails\n  fake: boom") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestVerifyBothFail(t *testing.T) {
	dir := t.TempDir()
	view := writeView(t, dir, "p.fview", "view names of Patient {\n  id = getResourceKey()\n  given = name.given\n}\n")
	data := writeView(t, dir, "data.ndjson", verifyData)
	withFakeEngine(t, func(*plan.View, *verify.Table) error { return nil })
	code, out, errs := runFhirql("verify", view, "--input", data, "--engine", "fake")
	if code != ExitErrors || !strings.Contains(out, "view names: both engines fail") || !strings.Contains(out, "1 failing on both") {
		t.Errorf("exit %d:\n%s%s", code, out, errs)
	}
}

func TestVerifyUsage(t *testing.T) {
	view, data := verifyFixture(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"verify", "--input", data}, ExitUsage, "name at least one view"},
		{[]string{"verify", view}, ExitUsage, "--input PATH"},
		{[]string{"verify", view, "--input", data, "--engine", "oracle"}, ExitUsage, `unknown engine "oracle" (want duckdb or sqlserver)`},
		{[]string{"verify", view, "--input", data, "--engine", "duckdb", "--dsn", "x"}, ExitUsage, "--dsn is for --engine sqlserver"},
		{[]string{"verify", view, "--input", data, "--rows", "-1"}, ExitUsage, "--rows must be"},
		{[]string{"verify", view, "--input", "-"}, ExitErrors, "cannot read standard input"},
		{[]string{"verify", view, "--input", filepath.Join(t.TempDir(), "none.ndjson")}, ExitErrors, "none.ndjson"},
		{[]string{"verify", view, "--input", data, "--engine", "sqlserver", "--dsn", "sqlserver://sa:x@localhost:notaport"}, ExitErrors, "invalid DSN"},
	}
	t.Setenv("FHIRQL_MSSQL_DSN", "")
	cases = append(cases, struct {
		args []string
		code int
		want string
	}{[]string{"verify", view, "--input", data, "--engine", "sqlserver"}, ExitErrors, "needs --dsn"})
	for _, c := range cases {
		code, out, errs := runFhirql(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d (want %d), stderr lacks %q:\n%s%s", c.args, code, c.code, c.want, out, errs)
		}
	}
}
