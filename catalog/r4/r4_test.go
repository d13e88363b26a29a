package r4_test

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/catalog/r4"
)

func elem(t *testing.T, typeName, name string) *catalog.Element {
	t.Helper()
	ty := r4.Catalog().Type(typeName)
	require.NotNil(t, ty, typeName)
	e := ty.Element(name)
	require.NotNil(t, e, "%s.%s", typeName, name)
	return e
}

func TestVersion(t *testing.T) {
	require.Equal(t, "4.0.1", r4.Catalog().Version())
}

func TestCatalogIsShared(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*catalog.Catalog, 8)
	for i := range got {
		wg.Go(func() { got[i] = r4.Catalog() })
	}
	wg.Wait()
	for _, c := range got {
		require.Same(t, got[0], c)
	}
}

func TestPatientBirthDate(t *testing.T) {
	e := elem(t, "Patient", "birthDate")
	require.Equal(t, "Patient.birthDate", e.Path)
	require.Equal(t, []string{"date"}, e.Types)
	require.Equal(t, 0, e.Min)
	require.Equal(t, 1, e.Max)
	require.False(t, e.Many())
	require.False(t, e.Choice)
	require.Equal(t, "The date of birth for the individual", e.Short)
}

func TestPatientName(t *testing.T) {
	e := elem(t, "Patient", "name")
	require.Equal(t, []string{"HumanName"}, e.Types)
	require.Equal(t, 0, e.Min)
	require.Equal(t, -1, e.Max)
	require.True(t, e.Many())
}

func TestPatientGenderBinding(t *testing.T) {
	for _, e := range []*catalog.Element{elem(t, "Patient", "gender"), elem(t, "Patient.contact", "gender")} {
		require.Equal(t, []string{"code"}, e.Types)
		b := e.Binding
		require.NotNil(t, b)
		require.Equal(t, "required", b.Strength)
		require.Equal(t, "http://hl7.org/fhir/ValueSet/administrative-gender", b.ValueSet, "version suffix stripped")
		require.Equal(t, []string{"female", "male", "other", "unknown"}, b.Codes)
		require.True(t, b.Has("male"))
		require.False(t, b.Has("M"))
		require.False(t, b.Has("Male"))
	}
}

func TestRequiredBindings(t *testing.T) {
	// Nested concepts of a code system are part of its expansion.
	status := elem(t, "Observation", "status").Binding
	require.Equal(t, []string{"amended", "cancelled", "corrected", "entered-in-error", "final", "preliminary", "registered", "unknown"}, status.Codes)

	// A value set that lists codes of an external system explicitly is enumerable.
	when := elem(t, "Timing.repeat", "when").Binding
	require.True(t, when.Has("AC"), "v3 TimingEvent code listed in the value set")
	require.True(t, when.Has("MORN.early"), "FHIR event-timing code")

	// Value sets that need a terminology server stay unknown, and Has never rejects.
	mime := elem(t, "Attachment", "contentType").Binding
	require.Equal(t, "required", mime.Strength)
	require.Nil(t, mime.Codes)
	require.True(t, mime.Has("text/plain"))
	currency := elem(t, "Money", "currency").Binding
	require.Nil(t, currency.Codes)

	// Non-required bindings carry no codes.
	marital := elem(t, "Patient", "maritalStatus").Binding
	require.Equal(t, "extensible", marital.Strength)
	require.Nil(t, marital.Codes)

	// resource-types lists every resource, abstract ones included.
	rt := elem(t, "CompartmentDefinition.resource", "code").Binding
	require.NotNil(t, rt)
	require.Equal(t, "http://hl7.org/fhir/ValueSet/resource-types", rt.ValueSet)
	require.Len(t, rt.Codes, 148)
}

var observationValueTypes = []string{
	"Quantity", "CodeableConcept", "string", "boolean", "integer", "Range",
	"Ratio", "SampledData", "time", "dateTime", "Period",
}

func TestObservationValueChoice(t *testing.T) {
	obs := r4.Catalog().Type("Observation")
	v := obs.Element("value")
	require.NotNil(t, v)
	require.True(t, v.Choice)
	require.Equal(t, "Observation.value[x]", v.Path)
	require.Equal(t, observationValueTypes, v.Types)
	require.Same(t, v, obs.Element("value[x]"))

	for _, ty := range v.Types {
		key := v.ChoiceKey(ty)
		e, got := obs.ChoiceElement(key)
		require.Same(t, v, e, key)
		require.Equal(t, ty, got, key)
	}
	for key, ty := range map[string]string{
		"valueQuantity": "Quantity", "valueCodeableConcept": "CodeableConcept", "valueDateTime": "dateTime",
		"valueString": "string", "valueBoolean": "boolean", "valueTime": "time",
	} {
		require.Equal(t, key, v.ChoiceKey(ty))
		e, got := obs.ChoiceElement(key)
		require.Same(t, v, e, key)
		require.Equal(t, ty, got)
	}
	for _, key := range []string{"value", "valuequantity", "valueDate", "valueInstant", "valueReference", "effectiveBoolean", "status"} {
		e, ty := obs.ChoiceElement(key)
		require.Nil(t, e, key)
		require.Empty(t, ty, key)
	}
	// effective[x] is a second choice element of the same type.
	e, ty := obs.ChoiceElement("effectiveInstant")
	require.Equal(t, "Observation.effective[x]", e.Path)
	require.Equal(t, "instant", ty)

	// Components have their own value[x] with the same types.
	cv := elem(t, "Observation.component", "value")
	require.Equal(t, observationValueTypes, cv.Types)
}

func TestPatientDeceased(t *testing.T) {
	p := r4.Catalog().Type("Patient")
	d := p.Element("deceased")
	require.NotNil(t, d)
	require.True(t, d.Choice)
	require.Equal(t, "Patient.deceased[x]", d.Path)
	require.Equal(t, []string{"boolean", "dateTime"}, d.Types)
	require.Equal(t, "deceasedBoolean", d.ChoiceKey("boolean"))
	require.Equal(t, "deceasedDateTime", d.ChoiceKey("dateTime"))
	e, ty := p.ChoiceElement("deceasedBoolean")
	require.Same(t, d, e)
	require.Equal(t, "boolean", ty)
	require.Nil(t, p.Element("deceasedBoolean"))
}

func TestContentReferences(t *testing.T) {
	c := r4.Catalog()
	for _, tc := range []struct{ typ, elem, want string }{
		{"Questionnaire.item", "item", "Questionnaire.item"},
		{"QuestionnaireResponse.item", "item", "QuestionnaireResponse.item"},
		{"QuestionnaireResponse.item.answer", "item", "QuestionnaireResponse.item"},
		{"Bundle.entry", "link", "Bundle.link"},
		{"CodeSystem.concept", "concept", "CodeSystem.concept"},
		{"Observation.component", "referenceRange", "Observation.referenceRange"},
	} {
		e := elem(t, tc.typ, tc.elem)
		require.Equal(t, []string{tc.want}, e.Types, tc.typ+"."+tc.elem)
		require.True(t, e.Many())
		target := c.Type(tc.want)
		require.NotNil(t, target, tc.want)
		require.Equal(t, catalog.Backbone, target.Kind)
	}
	// The resolved backbone is the recursive structure itself.
	item := c.Type("Questionnaire.item")
	require.Same(t, item, c.Type(elem(t, "Questionnaire", "item").Types[0]))
	require.Same(t, item, c.Type(item.Element("item").Types[0]))
	require.NotNil(t, item.Element("linkId"))
	answer := c.Type(elem(t, "QuestionnaireResponse.item", "answer").Types[0])
	require.Equal(t, "QuestionnaireResponse.item.answer", answer.Name)
	require.NotNil(t, answer.Element("value"))
	require.True(t, answer.Element("value").Choice)
}

func TestPatientContactBackbone(t *testing.T) {
	c := r4.Catalog()
	contact := elem(t, "Patient", "contact")
	require.Equal(t, []string{"Patient.contact"}, contact.Types)
	require.True(t, contact.Many())

	bt := c.Type("Patient.contact")
	require.NotNil(t, bt)
	require.Equal(t, catalog.Backbone, bt.Kind)
	require.Equal(t, "BackboneElement", bt.Base)
	require.False(t, bt.Abstract)
	require.Equal(t, contact.Short, bt.Short)
	var names []string
	for _, e := range bt.Elements {
		names = append(names, e.Name)
	}
	require.Equal(t, []string{"id", "extension", "modifierExtension", "relationship", "name",
		"telecom", "address", "gender", "organization", "period"}, names)
	require.Equal(t, []string{"HumanName"}, bt.Element("name").Types)
	require.False(t, bt.Element("name").Many())
	require.Equal(t, []string{"Organization"}, bt.Element("organization").TargetProfiles)

	// Backbones of complex types derive from Element.
	repeat := c.Type("Timing.repeat")
	require.Equal(t, catalog.Backbone, repeat.Kind)
	require.Equal(t, "Element", repeat.Base)
	require.Nil(t, repeat.Element("modifierExtension"))
}

func TestReferenceTargets(t *testing.T) {
	subj := elem(t, "Observation", "subject")
	require.Equal(t, []string{"Reference"}, subj.Types)
	require.Equal(t, []string{"Patient", "Group", "Device", "Location"}, subj.TargetProfiles)
	require.Contains(t, subj.TargetProfiles, "Patient")
	require.Equal(t, []string{"Resource"}, elem(t, "Observation", "focus").TargetProfiles)
	require.Equal(t, []string{"ValueSet"}, elem(t, "Questionnaire.item", "answerValueSet").TargetProfiles, "canonical targets")
	require.Nil(t, elem(t, "Patient", "birthDate").TargetProfiles)
}

func TestSystemTypedElements(t *testing.T) {
	for _, tc := range [][2]string{
		{"Element", "id"}, {"Patient", "id"}, {"Resource", "id"}, {"Patient.contact", "id"},
		{"Extension", "url"}, {"string", "value"}, {"code", "value"},
	} {
		require.Equal(t, []string{"System.String"}, elem(t, tc[0], tc[1]).Types, tc[0]+"."+tc[1])
	}
	require.Equal(t, []string{"System.Boolean"}, elem(t, "boolean", "value").Types)
	require.Equal(t, []string{"System.DateTime"}, elem(t, "instant", "value").Types)
	// R4 declares these as System.String; the generator corrects them, as
	// their JSON values are numbers.
	require.Equal(t, []string{"System.Integer"}, elem(t, "positiveInt", "value").Types)
	require.Equal(t, []string{"System.Integer"}, elem(t, "unsignedInt", "value").Types)
}

func TestPrimitives(t *testing.T) {
	c := r4.Catalog()
	var prims []string
	for _, n := range c.TypeNames() {
		ty := c.Type(n)
		if ty.Kind != catalog.Primitive {
			require.Empty(t, ty.System, n)
			continue
		}
		prims = append(prims, n)
		require.Equal(t, catalog.SystemType(n), ty.System, "System of %s agrees with SystemType", n)
		require.NotNil(t, ty.Element("value"), n)
	}
	require.Equal(t, []string{"base64Binary", "boolean", "canonical", "code", "date", "dateTime",
		"decimal", "id", "instant", "integer", "markdown", "oid", "positiveInt", "string", "time",
		"unsignedInt", "uri", "url", "uuid", "xhtml"}, prims)
	require.Equal(t, "integer", c.Type("positiveInt").Base)
	require.Equal(t, "uri", c.Type("canonical").Base)
}

func TestResourceNames(t *testing.T) {
	c := r4.Catalog()
	names := c.ResourceNames()
	// R4 (4.0.1) defines 146 concrete resources: the resource-types code
	// system's 148 codes less Resource and DomainResource. The source bundle's
	// stray SubscriptionStatus (a 4.3.0 definition) is not one of them.
	require.Len(t, names, 146)
	require.True(t, slices.IsSorted(names))
	for _, n := range []string{"Patient", "Observation", "Bundle", "Binary", "Parameters", "VisionPrescription"} {
		require.Contains(t, names, n)
		require.True(t, c.IsResource(n), n)
		require.False(t, c.Type(n).Abstract, n)
	}
	for _, n := range []string{"Resource", "DomainResource", "SubscriptionStatus", "MetadataResource", "HumanName", "Patient.contact"} {
		require.NotContains(t, names, n)
	}
	require.True(t, c.IsResource("Resource"))
	require.True(t, c.IsResource("DomainResource"))
	require.True(t, c.Type("DomainResource").Abstract)
	require.False(t, c.IsResource("HumanName"))
	require.False(t, c.IsResource("Patient.contact"))
	require.False(t, c.IsResource("SubscriptionStatus"))
	require.Nil(t, c.Type("SubscriptionStatus"))

	codes := elem(t, "CompartmentDefinition.resource", "code").Binding.Codes
	want := append(slices.Clone(names), "DomainResource", "Resource")
	slices.Sort(want)
	require.Equal(t, want, codes, "ResourceNames matches the resource-types code system")
}

func TestTypeNames(t *testing.T) {
	c := r4.Catalog()
	names := c.TypeNames()
	require.True(t, slices.IsSorted(names))
	for _, n := range []string{"string", "HumanName", "Quantity", "Age", "Element", "BackboneElement", "Extension", "Dosage"} {
		require.Contains(t, names, n)
	}
	for _, n := range []string{"Patient", "Resource", "Patient.contact", "SimpleQuantity", "MoneyQuantity"} {
		require.NotContains(t, names, n)
	}
	require.True(t, c.Derives("Age", "Quantity"))
	require.True(t, c.Derives("Patient", "Resource"))
	require.True(t, c.Derives("Dosage", "BackboneElement"))
	require.False(t, c.Derives("Quantity", "Age"))
	require.True(t, c.Type("Element").Abstract)
	require.Empty(t, c.Type("Element").Base)
	require.Empty(t, c.Type("Resource").Base)
	require.Equal(t, "DomainResource", c.Type("Patient").Base)
	require.Equal(t, "Resource", c.Type("Bundle").Base)
}

func TestInheritedElements(t *testing.T) {
	c := r4.Catalog()
	domain := []string{"id", "meta", "implicitRules", "language", "text", "contained", "extension", "modifierExtension"}
	for _, n := range c.ResourceNames() {
		ty := c.Type(n)
		want := domain
		if ty.Base == "Resource" {
			want = domain[:4]
		} else {
			require.Equal(t, "DomainResource", ty.Base, n)
		}
		for i, w := range want {
			require.Equal(t, w, ty.Elements[i].Name, "%s element %d", n, i)
		}
	}
	hn := c.Type("HumanName")
	require.Equal(t, "id", hn.Elements[0].Name)
	require.Equal(t, "extension", hn.Elements[1].Name)
	require.Equal(t, "use", hn.Elements[2].Name)
	require.Equal(t, "family", hn.Elements[4].Name)
}

// TestIntegrity walks every type and checks the invariants consumers rely on:
// every type an element names exists, paths are derived from names, backbone
// types are reachable, and target profiles are resources.
func TestIntegrity(t *testing.T) {
	c := r4.Catalog()
	seen := map[string]bool{}
	var backbones, elements, types int
	var walk func(name string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		ty := c.Type(name)
		require.NotNil(t, ty, name)
		require.Equal(t, name, ty.Name)
		types++
		if ty.Kind == catalog.Backbone {
			backbones++
		}
		if ty.Base != "" {
			require.NotNil(t, c.Type(ty.Base), "base of %s", name)
		}
		names := map[string]bool{}
		for _, e := range ty.Elements {
			elements++
			require.False(t, names[e.Name], "%s declares %s twice", name, e.Name)
			names[e.Name] = true
			want := name + "." + e.Name
			if e.Choice {
				want += "[x]"
				require.Greater(t, len(e.Types), 1, e.Path)
			}
			require.Equal(t, want, e.Path)
			require.GreaterOrEqual(t, e.Min, 0)
			require.True(t, e.Max == -1 || e.Max >= e.Min, e.Path)
			require.NotEmpty(t, e.Types, e.Path)
			for _, tn := range e.Types {
				if strings.HasPrefix(tn, "System.") {
					continue
				}
				require.NotNil(t, c.Type(tn), "%s: type %s", e.Path, tn)
				walk(tn)
			}
			for _, p := range e.TargetProfiles {
				require.True(t, c.IsResource(p), "%s: target %s", e.Path, p)
			}
			if b := e.Binding; b != nil {
				require.Contains(t, []string{"required", "extensible", "preferred", "example"}, b.Strength, e.Path)
				require.NotContains(t, b.ValueSet, "|", e.Path)
				require.True(t, slices.IsSorted(b.Codes), e.Path)
				if b.Strength != "required" {
					require.Nil(t, b.Codes, e.Path)
				}
			}
		}
	}
	for _, n := range append(c.ResourceNames(), c.TypeNames()...) {
		walk(n)
	}
	walk("Resource")
	walk("DomainResource")
	t.Logf("%d types (%d backbones), %d elements", types, backbones, elements)
	require.Greater(t, backbones, 400)
	require.Greater(t, elements, 7000)
}

// TestReencode proves the decoder loses nothing: re-encoding the decoded
// catalog reproduces the embedded payload byte for byte.
func TestReencode(t *testing.T) {
	c, err := catalog.New(r4.Data())
	require.NoError(t, err)
	data, err := c.Encode()
	require.NoError(t, err)
	got, err := catalog.Payload(data)
	require.NoError(t, err)
	want, err := catalog.Payload(r4.Data())
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestLoadMemory bounds what decoding allocates; unlike time, the figure is
// stable enough to assert.
func TestLoadMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := catalog.New(r4.Data())
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.NotNil(t, c)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("decoding allocated %d bytes in %d allocations", allocated, after.Mallocs-before.Mallocs)
	require.Less(t, allocated, uint64(30<<20))
}

func BenchmarkLoad(b *testing.B) {
	data := r4.Data()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var c *catalog.Catalog
	for b.Loop() {
		var err error
		c, err = catalog.New(data)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// Heap the decoded catalog keeps alive, as opposed to B/op, which also
	// counts the decompressor's garbage.
	var before, after runtime.MemStats
	c = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, _ = catalog.New(data)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(c)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)), "retained-B")
}

func BenchmarkLookup(b *testing.B) {
	c := r4.Catalog()
	b.ReportAllocs()
	for b.Loop() {
		obs := c.Type("Observation")
		if obs.Element("status") == nil {
			b.Fatal("no status")
		}
		if e, _ := obs.ChoiceElement("valueQuantity"); e == nil {
			b.Fatal("no valueQuantity")
		}
	}
}
