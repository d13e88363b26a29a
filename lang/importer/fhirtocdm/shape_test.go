package fhirtocdm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/importer/fhirtocdm"
)

// TestShapeErrors: a configuration that is not what FhirToCdm reads is
// reported with its own code at the line that is wrong.
func TestShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		code             string
		want             string // in the rendered diagnostic, position included
	}{
		{"bad yaml", "r.yml", "Patient:\n\t- active\n", string(fhirtocdm.CodeBadYAML), "r.yml:2:1: error[FQL1202]: r.yml is not valid YAML or JSON: found character that cannot start any token"},
		{"list at top", "r.yml", "- Patient\n", string(fhirtocdm.CodeConfigShape), "r.yml:1:1: error[FQL1203]: the file is a list"},
		{"unknown key", "r.yml", "Patient:\n unroll: [name]\n", string(fhirtocdm.CodeConfigShape), `r.yml:2:2: error[FQL1203]: unknown key "unroll" in "Patient"`},
		{"properties not a list", "r.yml", "Patient:\n propertiesByDefault: name\n", string(fhirtocdm.CodeConfigShape), "r.yml:2:23: error[FQL1203]: propertiesByDefault is a scalar"},
		{"custom property key", "r.yml", "Patient:\n customProperties:\n  - {name: X, pth: id}\n", string(fhirtocdm.CodeConfigShape), `r.yml:3:15: error[FQL1203]: unknown key "pth" in a custom property`},
		{"custom property without name or path", "r.yml", "Patient:\n customProperties:\n  - {expression: id}\n", string(fhirtocdm.CodeConfigShape), "r.yml:3:5: error[FQL1203]: a property needs a name, or a path to name it after"},
		{"json neither table nor group", "t.json", "{\"name\": \"X\"}\n", string(fhirtocdm.CodeConfigShape), "neither a table nor a properties group"},
		{"json property key", "t.json", "{\"resourceType\": \"Patient\",\n \"properties\": [{\"path\": \"id\", \"nme\": \"Id\"}]}\n", string(fhirtocdm.CodeConfigShape), `t.json:2:33: error[FQL1203]: unknown key "nme" in a property`},
		{"choice without type", "r.yml", "Patient:\n propertiesByDefault: [gender, deceased]\n", string(fhirtocdm.CodeChoiceNoType), `r.yml:2:32: error[FQL1205]: "deceased" is a choice element (deceased[x])`},
		{"unroll on a group", "g.yml", "HumanName:\n unrollPath: [given]\n", string(fhirtocdm.CodeConfigShape), `g.yml:1:1: error[FQL1203]: "HumanName" has an unrollPath but is not a resource type`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tc.file)
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, dl := fhirtocdm.Import([]string{p}, r4.Catalog())
			var b strings.Builder
			diag.RenderText(&b, dl)
			got := strings.ReplaceAll(b.String(), dir+string(filepath.Separator), "")
			if len(dl) == 0 || string(dl[0].Code) != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("want %s with %q, got:\n%s", tc.code, tc.want, got)
			}
		})
	}
}

// TestNoConfig: a folder without configuration files says what it expected.
func TestNoConfig(t *testing.T) {
	_, dl := fhirtocdm.Import([]string{t.TempDir()}, r4.Catalog())
	if len(dl) != 1 || dl[0].Code != fhirtocdm.CodeNoConfig || !strings.Contains(dl[0].Message, "expected resourcesConfig.yml") {
		t.Errorf("got %v", dl)
	}
	_, dl = fhirtocdm.Import([]string{filepath.Join(t.TempDir(), "missing.yml")}, r4.Catalog())
	if len(dl) != 1 || dl[0].Code != fhirtocdm.CodeReadConfig {
		t.Errorf("got %v", dl)
	}
}
