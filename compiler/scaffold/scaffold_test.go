package scaffold_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/scaffold"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func targets() []sql.Target {
	src := "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"
	return []sql.Target{
		serverless.New(serverless.Options{Source: src, RepeatDepth: 8}),
		dedicated.New(dedicated.Options{Source: src, RepeatDepth: 8, Distribution: "ROUND_ROBIN", Index: "HEAP"}),
		sqlserver.New(sqlserver.Options{Table: sql.ObjectName{"dbo", "fhir_raw"}, DocColumn: "doc"}),
		duckdb.New(duckdb.Options{Source: "{resource}*.ndjson", RepeatDepth: 8}),
	}
}

// TestEveryResource scaffolds every concrete R4 resource type and holds
// the result to what a hand-written view must pass: its text is canonical
// (fmt leaves it alone), it checks with no diagnostic at all (not even a
// warning), it lowers, and every SQL target compiles it.
func TestEveryResource(t *testing.T) {
	cat := r4.Catalog()
	names := cat.ResourceNames()
	if len(names) < 140 {
		t.Fatalf("only %d resource types in the catalog", len(names))
	}
	views := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, err := scaffold.Resource(cat, name)
			if err != nil {
				t.Fatal(err)
			}
			text := format.File(f)
			file := scaffold.FileName(name)
			src := source.NewFile(file, text)
			again, dl := compiler.ParseSource(src)
			if dl.HasErrors() {
				t.Fatalf("scaffold of %s does not parse:\n%s\n%s", name, render(dl), text)
			}
			if got := format.File(again); !bytes.Equal(got, text) {
				t.Fatalf("scaffold of %s is not canonical: fmt rewrites it to\n%s", name, got)
			}
			ns, dl := compiler.CompileFiles(".", []*source.File{src}, cat)
			if len(dl) > 0 {
				t.Fatalf("scaffold of %s has diagnostics:\n%s\n%s", name, render(dl), text)
			}
			if len(ns.Views) != len(f.Views) {
				t.Fatalf("%d views scaffolded, %d lowered", len(f.Views), len(ns.Views))
			}
			// OperationOutcome and Parameters hold only a repeating
			// backbone: their main view is the key, the rest is a child.
			if len(ns.Views[0].Columns) < 2 && len(ns.Views) < 2 {
				t.Fatalf("%s scaffolds to a key and nothing else", name)
			}
			views += len(ns.Views)
			for _, v := range ns.Views {
				for _, tg := range targets() {
					if _, dl := sql.Emit(v, tg); dl.HasErrors() {
						t.Errorf("view %s does not build for %s:\n%s", v.Name, tg.Name(), render(dl))
					}
				}
			}
		})
	}
	t.Logf("%d resource types, %d views", len(names), views)
}

// TestGolden pins the scaffold of a few resource types, so that a change
// in the rules shows as a reviewable diff (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, name := range []string{"Patient", "Observation", "Encounter", "Claim"} {
		f, err := scaffold.Resource(r4.Catalog(), name)
		if err != nil {
			t.Fatal(err)
		}
		got := format.File(f)
		path := filepath.Join("testdata", scaffold.FileName(name))
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update creates it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the scaffold (go test -update rewrites it; review the diff)", path)
		}
	}
}

func TestNotAResource(t *testing.T) {
	for _, name := range []string{"HumanName", "DomainResource", "Patient.contact", "patient", ""} {
		if _, err := scaffold.Resource(r4.Catalog(), name); err == nil || !strings.Contains(err.Error(), "not a FHIR") {
			t.Errorf("Resource(%q) = %v, want a not-a-resource error", name, err)
		}
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"birthDate": "birth_date", "MedicationRequest": "medication_request", "dateTime": "date_time",
		"valueCodeableConcept": "value_codeable_concept", "base64Binary": "base64_binary", "id": "id",
		"udiCarrier": "udi_carrier", "SNOMEDCode": "snomed_code",
	} {
		if got := scaffold.Snake(in); got != want {
			t.Errorf("Snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func render(dl diag.List) string {
	var b bytes.Buffer
	diag.RenderText(&b, dl)
	return b.String()
}
