package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fhirql/fhirql/catalog"
)

// committed is the generated file, relative to this package.
const committed = "../../r4/r4.bin.gz"

// TestCommittedIsFresh regenerates the catalog from the FHIR definitions and
// checks that the committed file holds the same payload, so a change to the
// generator cannot land without its regenerated output.
func TestCommittedIsFresh(t *testing.T) {
	dir := os.Getenv("FHIR_R4_DIR")
	if dir == "" {
		dir = "../../../../shared/fhir/r4" // relative to catalog/internal/gen
	}
	if _, err := os.Stat(filepath.Join(dir, "profiles-resources.json")); err != nil {
		t.Skipf("FHIR R4 definitions not found at %s (set FHIR_R4_DIR); "+
			"cannot check that %s is up to date: %v", dir, committed, err)
	}
	if testing.Short() {
		t.Skip("regeneration reads ~45 MB of JSON; skipped in -short mode")
	}
	fresh, _, err := generate(dir)
	require.NoError(t, err)
	old, err := os.ReadFile(committed)
	require.NoError(t, err)
	want, err := catalog.Payload(fresh)
	require.NoError(t, err)
	got, err := catalog.Payload(old)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got),
		"%s is stale: run `go generate ./catalog/r4` and commit the result", committed)
}

// writeBundle writes resources as a FHIR Bundle file.
func writeBundle(t *testing.T, path string, resources ...any) {
	t.Helper()
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []any  `json:"entry"`
	}
	b.ResourceType = "Bundle"
	for _, r := range resources {
		b.Entry = append(b.Entry, map[string]any{"resource": r})
	}
	data, err := json.Marshal(b)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

type m = map[string]any

func el(path, min, max string, extra m) m {
	e := m{"id": path, "path": path, "short": "short " + path, "min": json.Number(min), "max": max}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func sd(name, kind, base string, abstract bool, els ...m) m {
	r := m{
		"resourceType": "StructureDefinition", "name": name, "type": name, "kind": kind,
		"abstract": abstract, "derivation": "specialization", "fhirVersion": fhirVersion,
		"url":      "http://hl7.org/fhir/StructureDefinition/" + name,
		"snapshot": m{"element": append([]m{el(name, "0", "*", nil)}, els...)},
	}
	if base != "" {
		r["baseDefinition"] = "http://hl7.org/fhir/StructureDefinition/" + base
	}
	return r
}

func typ(codes ...string) m {
	var ts []m
	for _, c := range codes {
		ts = append(ts, m{"code": c})
	}
	return m{"type": ts}
}

func bind(strength, vs string) m {
	return m{"type": []m{{"code": "code"}}, "binding": m{"strength": strength, "valueSet": vs + "|4.0.1"}}
}

// fixture writes a miniature set of definitions covering every construct the
// generator handles, so it is tested without the real (large) source.
func fixture(t *testing.T) string {
	dir := t.TempDir()
	str := "http://hl7.org/fhirpath/System.String"
	writeBundle(t, filepath.Join(dir, "profiles-types.json"),
		sd("Element", "complex-type", "", true,
			el("Element.id", "0", "1", typ(str))),
		sd("BackboneElement", "complex-type", "Element", true,
			el("BackboneElement.id", "0", "1", typ(str))),
		sd("code", "primitive-type", "Element", false,
			el("code.value", "0", "1", typ(str))),
		sd("boolean", "primitive-type", "Element", false,
			el("boolean.value", "0", "1", typ("http://hl7.org/fhirpath/System.Boolean"))),
		sd("positiveInt", "primitive-type", "Element", false,
			el("positiveInt.value", "0", "1", typ(str))), // R4's mistake, corrected
		sd("Reference", "complex-type", "Element", false),
		m{"resourceType": "StructureDefinition", "name": "SimpleQuantity", "type": "Quantity",
			"kind": "complex-type", "derivation": "constraint", "fhirVersion": fhirVersion},
	)
	writeBundle(t, filepath.Join(dir, "profiles-resources.json"),
		sd("Resource", "resource", "", true, el("Resource.id", "0", "1", typ(str))),
		sd("Thing", "resource", "Resource", false,
			el("Thing.id", "0", "1", typ(str)),
			el("Thing.status", "1", "1", bind("required", "http://x/vs/union")),
			el("Thing.nested", "0", "1", bind("required", "http://x/vs/nested")),
			el("Thing.filtered", "0", "1", bind("required", "http://x/vs/filtered")),
			el("Thing.external", "0", "1", bind("required", "http://x/vs/external")),
			el("Thing.cycle", "0", "1", bind("required", "http://x/vs/cycle")),
			el("Thing.loose", "0", "1", bind("extensible", "http://x/vs/union")),
			el("Thing.flag[x]", "0", "1", typ("boolean", "positiveInt")),
			el("Thing.part", "0", "*", typ("BackboneElement")),
			el("Thing.part.id", "0", "1", typ(str)),
			el("Thing.part.who", "0", "1", m{"type": []m{{"code": "Reference", "targetProfile": []string{
				"http://hl7.org/fhir/StructureDefinition/Thing", "http://hl7.org/fhir/StructureDefinition/Bot"}}}}),
			el("Thing.part.part", "0", "*", m{"contentReference": "#Thing.part"}),
		),
		m{"resourceType": "StructureDefinition", "name": "Later", "type": "Later", "kind": "resource",
			"derivation": "specialization", "fhirVersion": "4.3.0"},
		m{"resourceType": "OperationDefinition", "type": true},
	)
	writeBundle(t, filepath.Join(dir, "valuesets.json"),
		m{"resourceType": "CodeSystem", "url": "http://x/cs/a", "content": "complete", "concept": []m{
			{"code": "a1", "concept": []m{{"code": "a1.1", "concept": []m{{"code": "a1.1.1"}}}}}, {"code": "a2"}}},
		m{"resourceType": "CodeSystem", "url": "http://x/cs/frag", "content": "fragment", "concept": []m{{"code": "f"}}},
		m{"resourceType": "ValueSet", "url": "http://x/vs/nested", "compose": m{"include": []m{{"system": "http://x/cs/a"}}}},
		m{"resourceType": "ValueSet", "url": "http://x/vs/union", "compose": m{
			"include": []m{
				{"system": "http://x/cs/a"},
				{"system": "http://external", "concept": []m{{"code": "z"}, {"code": "b"}}},
				{"valueSet": []string{"http://x/vs/nested|4.0.1"}},
			},
			"exclude": []m{{"system": "http://x/cs/a", "concept": []m{{"code": "a2"}}}},
		}},
		m{"resourceType": "ValueSet", "url": "http://x/vs/filtered", "compose": m{"include": []m{
			{"system": "http://x/cs/a", "filter": []m{{"property": "concept", "op": "is-a", "value": "a1"}}}}}},
		m{"resourceType": "ValueSet", "url": "http://x/vs/external", "compose": m{"include": []m{
			{"system": "http://x/cs/frag"}}}},
		m{"resourceType": "ValueSet", "url": "http://x/vs/cycle", "compose": m{"include": []m{
			{"valueSet": []string{"http://x/vs/cycle"}}}}},
	)
	return dir
}

func TestGenerateFixture(t *testing.T) {
	dir := fixture(t)
	data, warnings, err := generate(dir)
	require.NoError(t, err)
	require.Contains(t, warnings, "skipped Later: FHIR 4.3.0, not 4.0.1")
	require.Contains(t, warnings, "positiveInt.value: value type corrected from System.String to System.Integer")
	require.Contains(t, warnings, `Thing.part.who: dropped target profile "Bot" (not an R4 resource)`)

	again, _, err := generate(dir)
	require.NoError(t, err)
	require.Equal(t, data, again, "deterministic")

	c, err := catalog.New(data)
	require.NoError(t, err)
	require.Equal(t, []string{"Thing"}, c.ResourceNames())
	require.Equal(t, []string{"BackboneElement", "Element", "Reference", "boolean", "code", "positiveInt"}, c.TypeNames())
	require.Nil(t, c.Type("SimpleQuantity"))
	require.Equal(t, "Integer", c.Type("positiveInt").System)
	require.Equal(t, []string{"System.Integer"}, c.Type("positiveInt").Element("value").Types)

	thing := c.Type("Thing")
	require.Equal(t, "short Thing", thing.Short)
	require.Equal(t, []string{"a1", "a1.1", "a1.1.1", "b", "z"}, thing.Element("status").Binding.Codes,
		"whole system with nested concepts, explicit concepts and included value sets, minus excludes")
	require.Equal(t, []string{"a1", "a1.1", "a1.1.1", "a2"}, thing.Element("nested").Binding.Codes)
	require.Equal(t, "http://x/vs/nested", thing.Element("nested").Binding.ValueSet)
	for _, n := range []string{"filtered", "external", "cycle", "loose"} {
		b := thing.Element(n).Binding
		require.NotNil(t, b, n)
		require.Nil(t, b.Codes, n)
	}
	flag := thing.Element("flag")
	require.True(t, flag.Choice)
	require.Equal(t, []string{"boolean", "positiveInt"}, flag.Types)
	e, ty := thing.ChoiceElement("flagPositiveInt")
	require.Same(t, flag, e)
	require.Equal(t, "positiveInt", ty)

	part := thing.Element("part")
	require.Equal(t, []string{"Thing.part"}, part.Types)
	require.Equal(t, -1, part.Max)
	pt := c.Type("Thing.part")
	require.Equal(t, catalog.Backbone, pt.Kind)
	require.Equal(t, "BackboneElement", pt.Base)
	require.Equal(t, "short Thing.part", pt.Short)
	require.Equal(t, []string{"Thing.part"}, pt.Element("part").Types)
	require.Equal(t, []string{"Thing"}, pt.Element("who").TargetProfiles)
}

func TestRunWritesOnlyOnChange(t *testing.T) {
	dir := fixture(t)
	out := filepath.Join(t.TempDir(), "x.bin.gz")
	var stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-src", dir, "-out", out}, &stderr), stderr.String())
	require.Contains(t, stderr.String(), "wrote")
	info, err := os.Stat(out)
	require.NoError(t, err)

	stderr.Reset()
	t.Setenv("FHIR_R4_DIR", dir)
	require.Equal(t, 0, run([]string{"-out", out}, &stderr), stderr.String())
	require.NotContains(t, stderr.String(), "wrote", "unchanged content is not rewritten")
	info2, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, info.ModTime(), info2.ModTime())

	stderr.Reset()
	require.Equal(t, 1, run([]string{"-src", t.TempDir(), "-out", out}, &stderr))
	require.Contains(t, stderr.String(), "profiles-types.json")
}
