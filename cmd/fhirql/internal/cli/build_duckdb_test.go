package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildDuckDB(t *testing.T) {
	dir := t.TempDir()
	v := writeView(t, dir, "p.fview", patientView)
	cases := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{}, []string{
			"-- fhirql view \"patients\" of Patient, for duckdb",
			"CREATE OR REPLACE VIEW \"patients\" AS",
			"'Patient*.ndjson',",
			"columns = {'line': 'VARCHAR'}",
			"CREATE OR REPLACE VIEW \"fhirql_Patient_rejects\" AS",
			"string_agg(",
		}, []string{"GO", "[dbo]", "CROSS APPLY", "OUTER APPLY", "CREATE SCHEMA"}},
		{[]string{"--source", "s3://lake/fhir/{resource}/*.ndjson.gz", "--schema", "fhir"}, []string{
			"CREATE SCHEMA IF NOT EXISTS \"fhir\";",
			"CREATE OR REPLACE VIEW \"fhir\".\"patients\" AS",
			"'s3://lake/fhir/Patient/*.ndjson.gz'",
		}, nil},
		{[]string{"--select-into"}, []string{"CREATE OR REPLACE TABLE \"patients\" AS"}, nil},
		{[]string{"--query-only"}, []string{"-- patients\nSELECT"}, []string{"CREATE"}},
	}
	for _, c := range cases {
		args := append([]string{"build", v, "--target", "duckdb"}, c.args...)
		code, out, errs := runFhirql(args...)
		if code != ExitOK {
			t.Errorf("%q: exit %d\n%s", args, code, errs)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: output lacks %q:\n%s", args, w, out)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(out, w) {
				t.Errorf("%q: output has %q:\n%s", args, w, out)
			}
		}
	}
	for _, bad := range [][]string{
		{"--doc-column", "x"},
		{"--distribution", "REPLICATE"},
		{"--source", "a\nb"},
	} {
		args := append([]string{"build", v, "--target", "duckdb"}, bad...)
		if code, _, _ := runFhirql(args...); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestBuildDuckDBOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, errs := runFhirql("build", "../../../../examples", "--target", "duckdb", "--out", out); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Target != "duckdb" || len(m.Views) != 7 || m.Views[0].Object != `"condition_codings"` {
		t.Errorf("manifest %+v", m)
	}
	deploy, err := os.ReadFile(filepath.Join(out, "deploy.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// 7 views and a rejects view for each of the 5 resource types they read
	if n := strings.Count(string(deploy), "CREATE OR REPLACE VIEW"); n != 12 {
		t.Errorf("deploy.sql creates %d views", n)
	}
	if n := strings.Count(string(deploy), "_rejects\" AS"); n != 5 {
		t.Errorf("deploy.sql creates %d rejects views", n)
	}
}
