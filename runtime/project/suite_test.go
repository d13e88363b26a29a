package project_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/runtime/eval"
	"github.com/fhirql/fhirql/runtime/ndjson"
	"github.com/fhirql/fhirql/runtime/project"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

// TestSuiteRowsUnchangedByProjection evaluates every view of the SQL on
// FHIR v2 test suite on each of its resources twice, once whole and once
// projected as the reader would, and requires the same rows (or the same
// failure): the projection may keep more than a view reads, never less.
func TestSuiteRowsUnchangedByProjection(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/sql-on-fhir-v2/tests/*.json")
	if len(paths) == 0 {
		t.Fatal("no suite files")
	}
	dir := t.TempDir()
	checked, rows := 0, 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var sf struct {
			Resources []json.RawMessage `json:"resources"`
			Tests     []struct {
				Title string          `json:"title"`
				View  json.RawMessage `json:"view"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatal(err)
		}
		for ti, tc := range sf.Tests {
			vp := filepath.Join(dir, fmt.Sprintf("%s-%d.json", strings.TrimSuffix(filepath.Base(path), ".json"), ti))
			if err := os.WriteFile(vp, tc.View, 0o644); err != nil {
				t.Fatal(err)
			}
			res := compiler.Load([]string{vp}, r4.Catalog())
			if res.Diags.HasErrors() || len(res.Views()) != 1 {
				continue // a test of a view that must not compile
			}
			v := res.Views()[0]
			prog, err := eval.Compile(v)
			if err != nil {
				continue
			}
			proj := project.Compute(res.Views())
			for _, raw := range sf.Resources {
				line := compact(t, raw)
				s := ndjson.NewScanner()
				whole, err := s.ScanObject(line, ndjson.AllFields())
				if err != nil {
					t.Fatal(err)
				}
				part, rt, err := s.Scan(line, proj)
				if err != nil {
					t.Fatal(err)
				}
				if part == nil {
					if rt == v.Resource {
						t.Fatalf("%s: no projection for %s", tc.Title, rt)
					}
					continue
				}
				a, aerr := evalRows(prog, whole)
				b, berr := evalRows(prog, part)
				if a != b || (aerr == nil) != (berr == nil) {
					t.Errorf("%s / %s:\nwhole     %s %v\nprojected %s %v\nprojection %s", filepath.Base(path), tc.Title, a, aerr, b, berr, proj[v.Resource])
				}
				checked++
				rows += strings.Count(a, "\n")
			}
		}
	}
	if checked < 200 || rows < 100 {
		t.Errorf("only %d evaluations, %d rows checked", checked, rows)
	}
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func evalRows(p *eval.Program, res *value.Value) (string, error) {
	var b []byte
	err := p.Eval(res, func(r eval.Row) error {
		for _, c := range r {
			b = write.AppendJSON(b, c)
			b = append(b, '\t')
		}
		b = append(b, '\n')
		return nil
	})
	return string(b), err
}
