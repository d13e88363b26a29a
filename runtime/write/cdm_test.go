package write_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/write"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const cdmTestdata = "testdata/cdm"

// cdmSchemas compiles Microsoft's schema of CDM definition documents and
// the manifest schema (testdata/cdm/README.md says where each comes from).
func cdmSchemas(t *testing.T) (entity, manifest *jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	// each under its own $id, which is how the manifest schema refers to
	// Microsoft's definitions of imports and trait references
	ids := map[string]string{
		"schema.cdm.json":      "http://microsoft.com/cdm/schema.cdm.json",
		"manifest.schema.json": "https://fhirql.invalid/cdm/manifest.schema.json",
	}
	for _, name := range []string{"schema.cdm.json", "manifest.schema.json"} {
		f, err := os.Open(filepath.Join(cdmTestdata, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(ids[name], doc); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if entity, err = c.Compile(ids["schema.cdm.json"]); err != nil {
		t.Fatal(err)
	}
	if manifest, err = c.Compile(ids["manifest.schema.json"]); err != nil {
		t.Fatal(err)
	}
	return entity, manifest
}

func validate(t *testing.T, s *jsonschema.Schema, path string, data []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	return s.Validate(doc)
}

// cdmDataTypes are the data types CDM's standard documents define that a
// fhirql CDM folder may use (primitives.cdm.json: string, boolean, integer,
// bigInteger, decimal; meanings.cdm.json: date, dateTime).
var cdmDataTypes = []string{"string", "boolean", "integer", "bigInteger", "decimal", "date", "dateTime"}

// TestCDMControls makes sure the validator set-up can say yes and no:
// documents from the CDM repository pass, broken ones fail.
func TestCDMControls(t *testing.T) {
	entity, manifest := cdmSchemas(t)
	for _, c := range []struct {
		file   string
		schema *jsonschema.Schema
	}{
		{"samples/default.manifest.cdm.json", manifest},
		{"samples/clickstream.manifest.cdm.json", manifest},
		{"samples/Session.cdm.json", entity},
	} {
		data, err := os.ReadFile(filepath.Join(cdmTestdata, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, c.schema, c.file, data); err != nil {
			t.Errorf("CDM's own %s does not validate: %s", c.file, detail(err))
		}
	}
	bad := map[string]struct {
		schema *jsonschema.Schema
		doc    string
	}{
		"attribute with type instead of dataType": {entity, `{"jsonSchemaSemanticVersion":"1.0.0","definitions":[{"entityName":"E","hasAttributes":[{"name":"a","type":"string"}]}]}`},
		"entity without a name":                   {entity, `{"definitions":[{"hasAttributes":[]}]}`},
		"manifest entity without entityPath":      {manifest, `{"manifestName":"m","entities":[{"type":"LocalEntity","entityName":"E"}]}`},
		"partition without location":              {manifest, `{"manifestName":"m","entities":[{"type":"LocalEntity","entityName":"E","entityPath":"E.cdm.json/E","dataPartitions":[{"name":"p"}]}]}`},
		"unknown manifest property":               {manifest, `{"manifestName":"m","entities":[],"tables":[]}`},
	}
	for name, c := range bad {
		if err := validate(t, c.schema, name, []byte(c.doc)); err == nil {
			t.Errorf("%s validates", name)
		}
	}
}

// TestCDMFolder runs the example views over the example data into a CDM
// folder and checks it as a CDM reader would: the manifest and every
// entity document validate against the schemas, each entity document
// defines the entity the manifest points at, with the view's columns in
// order and CDM data types, and each partition is a CSV file whose header
// is those columns and whose rows are the run's.
func TestCDMFolder(t *testing.T) {
	entity, manifest := cdmSchemas(t)
	res := compiler.Load([]string{"../../examples"}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags)
	}
	// plus a view with typed dates, integers, decimals and booleans
	extra := `view typed of Patient {
  id       = getResourceKey()
  born     = birthDate : date @tag("ansi/type", "DATE")
  active   = active
  births   = multipleBirth.ofType(integer)
  lat      = address.first().extension('http://hl7.org/fhir/StructureDefinition/geolocation').extension('latitude').value.ofType(decimal)
  names[]  = name.given
}
`
	ns, dl := compiler.CompileFiles(".", []*source.File{source.NewFile("typed.fview", []byte(extra))}, r4.Catalog())
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	views := append(res.Views(), ns.Views...)
	dir := t.TempDir()
	sum, err := runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{"../../examples/data"}, Format: "cdm", OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mdata, err := os.ReadFile(filepath.Join(dir, write.CDMManifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, manifest, write.CDMManifest, mdata); err != nil {
		t.Fatalf("the manifest does not validate: %s\n%s", detail(err), mdata)
	}
	var m struct {
		Entities []struct {
			EntityName, EntityPath string
			DataPartitions         []struct{ Location string }
		}
	}
	if err := json.Unmarshal(mdata, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Entities) != len(views) {
		t.Fatalf("%d entities for %d views", len(m.Entities), len(views))
	}
	types := map[string]string{}
	for i, e := range m.Entities {
		v := views[i]
		file, name, _ := strings.Cut(e.EntityPath, "/")
		if name != e.EntityName || e.EntityName != "Local"+v.Name {
			t.Errorf("entity %s at %s for view %s", e.EntityName, e.EntityPath, v.Name)
		}
		edata, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("the manifest names %s: %v", file, err)
		}
		if err := validate(t, entity, file, edata); err != nil {
			t.Errorf("%s does not validate: %s", file, detail(err))
		}
		var doc struct {
			Definitions []struct {
				EntityName    string
				HasAttributes []struct{ Name, DataType string }
			}
		}
		if err := json.Unmarshal(edata, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Definitions) != 1 || doc.Definitions[0].EntityName != e.EntityName {
			t.Fatalf("%s does not define %s", file, e.EntityName)
		}
		var cols []string
		for _, a := range doc.Definitions[0].HasAttributes {
			cols = append(cols, a.Name)
			types[v.Name+"."+a.Name] = a.DataType
			if !slices.Contains(cdmDataTypes, a.DataType) {
				t.Errorf("%s.%s: %q is no CDM data type", e.EntityName, a.Name, a.DataType)
			}
		}
		if len(e.DataPartitions) != 1 {
			t.Fatalf("%s has %d partitions", e.EntityName, len(e.DataPartitions))
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(e.DataPartitions[0].Location)))
		if err != nil {
			t.Fatalf("the manifest names a partition that is not there: %v", err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.DataPartitions[0].Location, err)
		}
		if !slices.Equal(recs[0], cols) || !slices.Equal(cols, columnNames(v)) {
			t.Errorf("%s: header %v, attributes %v, view columns %v", e.EntityName, recs[0], cols, columnNames(v))
		}
		if int64(len(recs)-1) != sum.Views[i].Rows || sum.Views[i].Rows == 0 {
			t.Errorf("%s: %d CSV rows, the run wrote %d", e.EntityName, len(recs)-1, sum.Views[i].Rows)
		}
	}
	for col, want := range map[string]string{
		"typed.born": "date", "typed.active": "boolean", "typed.births": "integer", "typed.lat": "decimal",
		"typed.names": "string", "patient_demographics.birth_date": "string", "typed.id": "string",
	} {
		if types[col] != want {
			t.Errorf("%s: CDM type %q, want %q", col, types[col], want)
		}
	}
}

func columnNames(v *plan.View) []string {
	var out []string
	for _, c := range v.Columns {
		out = append(out, c.Name)
	}
	return out
}

// TestCDMFailedRun: a run that fails leaves no manifest (and no partition)
// behind, so no reader ever sees a half-written CDM folder.
func TestCDMFailedRun(t *testing.T) {
	ns, dl := compiler.CompileFiles(".", []*source.File{source.NewFile("p.fview", []byte("view p of Patient {\n  id = getResourceKey()\n}\n"))}, r4.Catalog())
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(in, []byte("{\"resourceType\":\"Patient\",\"id\":\"a\"}\nnot json\n"), 0o644)
	out := filepath.Join(dir, "cdm")
	if _, err := runtime.Run(context.Background(), ns.Views, runtime.Options{Inputs: []string{in}, Format: "cdm", OutDir: out}); err == nil {
		t.Fatal("a bad line did not fail the run")
	}
	for _, p := range []string{write.CDMManifest, "Localp.cdm.json", "data/Localp/partition-data.csv"} {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			t.Errorf("%s exists after a failed run", p)
		}
	}
}

// detail spells out every failed keyword of a validation error.
func detail(err error) string {
	if ve, ok := err.(*jsonschema.ValidationError); ok {
		return fmt.Sprintf("%#v", ve.DetailedOutput())
	}
	return err.Error()
}
