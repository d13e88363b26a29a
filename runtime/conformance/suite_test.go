package conformance

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
	"github.com/fhirql/fhirql/runtime/eval"
	"github.com/fhirql/fhirql/runtime/eval/evaltest"
	"github.com/fhirql/fhirql/runtime/value"
)

var reportPath = flag.String("report", "", "write the SQL on FHIR test report (JSON) to this path; a relative path is taken from the module root, where `go test ./runtime/conformance` is usually run")

const suiteDir = "../../testdata/sql-on-fhir-v2/tests"

// suiteFile is one file of the suite.
type suiteFile struct {
	Title     string            `json:"title"`
	Resources []json.RawMessage `json:"resources"`
	Tests     []suiteCase       `json:"tests"`
}

type suiteCase struct {
	Title         string            `json:"title"`
	View          json.RawMessage   `json:"view"`
	Expect        []json.RawMessage `json:"expect"`
	ExpectColumns []string          `json:"expectColumns"`
	ExpectError   bool              `json:"expectError"`
}

// Report is the suite's test-report shape.
type reportFile struct {
	Tests []reportTest `json:"tests"`
}

type reportTest struct {
	Name   string       `json:"name"`
	Result reportResult `json:"result"`
}

type reportResult struct {
	Passed bool `json:"passed"`
}

func TestSuite(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no test files in %s", suiteDir)
	}
	report := map[string]*reportFile{}
	total, passed := 0, 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var sf suiteFile
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var resources []*value.Value
		for i, raw := range sf.Resources {
			v, err := evaltest.Decode(raw)
			if err != nil {
				t.Fatalf("%s: resource %d: %v", path, i, err)
			}
			resources = append(resources, v)
		}
		base := filepath.Base(path)
		rf := &reportFile{Tests: []reportTest{}}
		report[base] = rf
		for _, tc := range sf.Tests {
			total++
			ok := true
			t.Run(strings.TrimSuffix(base, ".json")+"/"+tc.Title, func(t *testing.T) {
				if msg := runCase(base, tc, resources); msg != "" {
					ok = false
					t.Error(msg)
				}
			})
			if ok {
				passed++
			}
			rf.Tests = append(rf.Tests, reportTest{Name: tc.Title, Result: reportResult{Passed: ok}})
		}
	}
	t.Logf("SQL on FHIR v2 suite: %d/%d passed", passed, total)
	if *reportPath != "" {
		out, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := *reportPath
		if !filepath.IsAbs(path) {
			path = filepath.Join(moduleRoot(t), path)
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("report written to %s", path)
	}
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// runCase runs one test case and returns "" when it passes, else why not.
func runCase(file string, tc suiteCase, resources []*value.Value) string {
	view, stageErr := compile(file, tc)
	var rows []map[string]*value.Value
	if stageErr == "" {
		prog, err := eval.Compile(view)
		if err != nil {
			stageErr = "eval.Compile: " + err.Error()
		} else {
			for _, res := range resources {
				err := prog.Eval(res, func(r eval.Row) error {
					row := map[string]*value.Value{}
					for i, c := range view.Columns {
						row[c.Name] = r[i]
					}
					rows = append(rows, row)
					return nil
				})
				if err != nil {
					if _, ok := err.(*eval.Error); !ok {
						return fmt.Sprintf("Eval returned %T, not *eval.Error: %v", err, err)
					}
					stageErr = "runtime: " + err.Error()
					break
				}
			}
		}
	}
	if tc.ExpectError {
		if stageErr == "" {
			return fmt.Sprintf("expected an error, got %d rows:\n%s", len(rows), renderRows(rows))
		}
		return ""
	}
	if stageErr != "" {
		return stageErr
	}
	if tc.ExpectColumns != nil {
		var names []string
		for _, c := range view.Columns {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.ExpectColumns, ",") {
			return fmt.Sprintf("columns %v, want %v", names, tc.ExpectColumns)
		}
	}
	var want []map[string]any
	for _, raw := range tc.Expect {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return "bad expectation: " + err.Error()
		}
		want = append(want, m)
	}
	return compareRows(rows, want)
}

// compile runs the front end on one test's view; the error is "" when every
// stage succeeded.
func compile(file string, tc suiteCase) (*plan.View, string) {
	src := source.NewFile(file+"#"+tc.Title+".json", tc.View)
	f, diags := viewdef.Read(src)
	if diags.HasErrors() {
		return nil, "viewdef: " + diagText(diags.Errors())
	}
	checked, diags := check.Check([]*ast.File{f}, r4.Catalog())
	if diags.HasErrors() {
		return nil, "check: " + diagText(diags.Errors())
	}
	views, diags := lower.Lower(checked)
	if diags.HasErrors() {
		return nil, "lower: " + diagText(diags.Errors())
	}
	if len(views) != 1 {
		return nil, fmt.Sprintf("lower produced %d views", len(views))
	}
	return views[0], ""
}

func diagText[T interface{ Error() string }](list []T) string {
	var parts []string
	for _, d := range list {
		parts = append(parts, d.Error())
	}
	return strings.Join(parts, "; ")
}

func renderRows(rows []map[string]*value.Value) string {
	var b strings.Builder
	for _, r := range rows {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("  {")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: %s", k, evaltest.Encode(r[k]))
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// compareRows matches actual rows against expected ones as multisets.
func compareRows(got []map[string]*value.Value, want []map[string]any) string {
	used := make([]bool, len(got))
	var missing []string
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && rowMatches(g, w) {
				used[i] = true
				found = true
				break
			}
		}
		if !found {
			b, _ := json.Marshal(w)
			missing = append(missing, "  "+string(b))
		}
	}
	var extra []map[string]*value.Value
	for i, g := range got {
		if !used[i] {
			extra = append(extra, g)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("rows differ\nmissing (expected, not produced):\n%s\nunexpected (produced, not expected):\n%sall rows produced:\n%s",
		strings.Join(missing, "\n"), renderRows(extra), renderRows(got))
}

func rowMatches(got map[string]*value.Value, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || !valueMatches(g, w) {
			return false
		}
	}
	return true
}

// valueMatches compares a cell with an expected JSON value: numbers
// numerically, arrays in order, objects member by member.
func valueMatches(g *value.Value, w any) bool {
	if g == nil || g.Kind == value.Null {
		return w == nil
	}
	switch w := w.(type) {
	case nil:
		return false
	case bool:
		return g.Kind == value.Bool && g.Str == fmt.Sprint(w)
	case string:
		return g.Kind == value.String && g.Str == w
	case json.Number:
		if g.Kind != value.Number {
			return false
		}
		a, ok1 := new(big.Rat).SetString(g.Str)
		b, ok2 := new(big.Rat).SetString(w.String())
		return ok1 && ok2 && a.Cmp(b) == 0
	case []any:
		if g.Kind != value.Array || len(g.Arr) != len(w) {
			return false
		}
		for i := range w {
			if !valueMatches(g.Arr[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		if g.Kind != value.Object || len(g.Obj) != len(w) {
			return false
		}
		for k, wv := range w {
			if !valueMatches(g.Get(k), wv) {
				return false
			}
		}
		return true
	}
	return false
}
