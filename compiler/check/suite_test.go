package check_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
)

// suiteDir is the vendored SQL on FHIR v2 test suite.
const suiteDir = "../../testdata/sql-on-fhir-v2/tests"

// expectErrors says, for every expectError case of the suite, which
// diagnostic rejects it and why. A case the front end cannot reject
// statically (its error depends on the data) is marked runtime, with the
// warning the checker gives instead ("" when none).
var expectErrors = map[string]struct {
	code    diag.Code
	runtime bool
	reason  string
}{
	"collection.json/fail when 'collection' is not true": {check.CodeMaybeMany, true,
		"name.family yields one value per name: only a patient with several names fails, at run time; the checker warns"},
	"fn_reference_keys.json/getReferenceKey on multiple references fails in a single-valued column": {check.CodeMaybeMany, true,
		"generalPractitioner repeats: only a patient with several Practitioner references fails, at run time; the checker warns"},
	"constant.json/accessing an undefined constant": {check.CodeUndefinedConstant, false,
		"%wrong_name is not declared"},
	"constant.json/incorrect constant definition": {viewdef.CodeConstantValue, false,
		"a constant without value[x]"},
	"union.json/column mismatch": {check.CodeUnionColumns, false,
		"branches name their second column b and c"},
	"union.json/column order mismatch": {check.CodeUnionColumns, false,
		"branches order a and b differently"},
	"validate.json/empty": {viewdef.CodeMissingResource, false,
		"an empty object is no ViewDefinition"},
	"validate.json/missing resource": {viewdef.CodeMissingResource, false,
		"no resource"},
	"validate.json/wrong fhirpath": {parse.CodeExpectedExpr, false,
		"@@ is not FHIRPath: the parser finds no expression at @"},
	"validate.json/wrong type in forEach": {viewdef.CodeWrongType, false,
		"forEach is a number, not a FHIRPath string"},
	"validate.json/where with path resolving to not boolean": {check.CodeNotBoolean, false,
		"name.family is a string"},
	"view_resource.json/resource not specified": {viewdef.CodeMissingResource, false,
		"no resource"},
}

type suiteFile struct {
	Tests []struct {
		Title       string          `json:"title"`
		View        json.RawMessage `json:"view"`
		ExpectError bool            `json:"expectError"`
	} `json:"tests"`
}

// TestSuite runs every view of the official SQL on FHIR v2 test suite
// through viewdef, check and lower: views the suite expects to work must
// pass with no error (warnings allowed) and lower; views it expects to fail
// must be rejected with the diagnostic the table above names.
func TestSuite(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no suite files in %s: %v", suiteDir, err)
	}
	cat := r4.Catalog()
	seen := map[string]bool{}
	views := 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var sf suiteFile
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, tc := range sf.Tests {
			key := filepath.Base(path) + "/" + tc.Title
			views++
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, tc.View, "", "  "); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			src := source.NewFile(strings.ReplaceAll(key, " ", "_")+".json", pretty.Bytes())
			f, diags := viewdef.Read(src)
			var checked *check.Checked
			if !diags.HasErrors() && f != nil {
				var dl diag.List
				checked, dl = check.Check([]*ast.File{f}, cat)
				diags = append(diags, dl...)
			}
			if !tc.ExpectError {
				if diags.HasErrors() {
					t.Errorf("%s: want no errors, got:\n%s", key, render(diags))
					continue
				}
				plans, dl := lower.Lower(checked)
				if dl.HasErrors() || len(plans) != len(f.Views) {
					t.Errorf("%s: lowering failed (%d plans):\n%s", key, len(plans), render(dl))
				}
				continue
			}
			want, ok := expectErrors[key]
			if !ok {
				t.Errorf("%s: expectError case missing from the table; got:\n%s", key, render(diags))
				continue
			}
			seen[key] = true
			if want.runtime {
				if diags.HasErrors() {
					t.Errorf("%s: a runtime-only error must pass the front end; got:\n%s", key, render(diags))
				}
				if want.code != "" && !hasCode(diags, want.code, diag.Warning) {
					t.Errorf("%s: want warning %s, got:\n%s", key, want.code, render(diags))
				}
				continue
			}
			if !hasCode(diags, want.code, diag.Error) {
				t.Errorf("%s: want error %s (%s), got:\n%s", key, want.code, want.reason, render(diags))
			}
		}
	}
	for key := range expectErrors {
		if !seen[key] {
			t.Errorf("table entry %q matches no expectError case of the suite", key)
		}
	}
	if views < 100 {
		t.Errorf("only %d suite cases found; is the suite vendored completely?", views)
	}
}

// hasCode reports whether diags has a diagnostic of the given severity and code.
func hasCode(diags diag.List, code diag.Code, sev diag.Severity) bool {
	for _, d := range diags {
		if d.Severity == sev && d.Code == code {
			return true
		}
	}
	return false
}

func render(l diag.List) string {
	var b bytes.Buffer
	diag.RenderText(&b, l)
	return b.String()
}
