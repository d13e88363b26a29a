package catalog_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fhirql/fhirql/catalog"
)

// small builds a hand-made catalog that exercises every field of the format.
func small(t testing.TB) *catalog.Catalog {
	t.Helper()
	gender := &catalog.Binding{
		Strength: "required",
		ValueSet: "http://hl7.org/fhir/ValueSet/administrative-gender",
		Codes:    []string{"female", "male", "other", "unknown"},
	}
	types := []*catalog.Type{
		{Name: "Element", Kind: catalog.Complex, Abstract: true, Short: "Base for all elements", Elements: []*catalog.Element{
			{Name: "id", Path: "Element.id", Max: 1, Types: []string{"System.String"}},
		}},
		{Name: "string", Kind: catalog.Primitive, Base: "Element", System: "String", Elements: []*catalog.Element{
			{Name: "value", Path: "string.value", Max: 1, Types: []string{"System.String"}},
		}},
		{Name: "boolean", Kind: catalog.Primitive, Base: "Element", System: "Boolean"},
		{Name: "dateTime", Kind: catalog.Primitive, Base: "Element", System: "DateTime"},
		{Name: "code", Kind: catalog.Primitive, Base: "string", System: "String"},
		{Name: "Reference", Kind: catalog.Complex, Base: "Element"},
		{Name: "Resource", Kind: catalog.Resource, Abstract: true},
		{Name: "Patient", Kind: catalog.Resource, Base: "Resource", Short: "A person", Elements: []*catalog.Element{
			{Name: "gender", Path: "Patient.gender", Max: 1, Types: []string{"code"}, Binding: gender, Summary: true, Short: "male | female | other | unknown"},
			{Name: "deceased", Path: "Patient.deceased[x]", Max: 1, Types: []string{"boolean", "dateTime"}, Choice: true, Modifier: true},
			{Name: "contact", Path: "Patient.contact", Max: -1, Types: []string{"Patient.contact"}},
			{Name: "link", Path: "Patient.link", Min: 0, Max: -1, Types: []string{"Reference"}, TargetProfiles: []string{"Patient", "RelatedPerson"}},
			{Name: "unbound", Path: "Patient.unbound", Max: 1, Types: []string{"code"}, Binding: &catalog.Binding{Strength: "required", ValueSet: "urn:x", Codes: []string{}}},
			{Name: "loose", Path: "Patient.loose", Max: 1, Types: []string{"code"}, Binding: &catalog.Binding{Strength: "example"}},
		}},
		{Name: "Patient.contact", Kind: catalog.Backbone, Base: "BackboneElement", Elements: []*catalog.Element{
			{Name: "gender", Path: "Patient.contact.gender", Min: 1, Max: 1, Types: []string{"code"}, Binding: gender},
		}},
	}
	c, err := catalog.Build("4.0.1", types)
	require.NoError(t, err)
	return c
}

func TestLookups(t *testing.T) {
	c := small(t)
	require.Equal(t, "4.0.1", c.Version())
	require.Equal(t, []string{"Patient"}, c.ResourceNames())
	require.Equal(t, []string{"Element", "Reference", "boolean", "code", "dateTime", "string"}, c.TypeNames())
	require.True(t, c.IsResource("Patient"))
	require.True(t, c.IsResource("Resource"), "abstract resources are resources")
	require.False(t, c.IsResource("Patient.contact"))
	require.False(t, c.IsResource("Nope"))
	require.Nil(t, c.Type("patient"), "names are case-sensitive")

	// The returned name lists are copies.
	names := c.ResourceNames()
	names[0] = "Changed"
	require.Equal(t, []string{"Patient"}, c.ResourceNames())

	p := c.Type("Patient")
	require.Equal(t, "Patient.gender", p.Element("gender").Path)
	require.Same(t, p.Element("deceased"), p.Element("deceased[x]"))
	require.Nil(t, p.Element("deceasedBoolean"), "typed keys are found with ChoiceElement")
	require.Nil(t, p.Element("nope"))

	var nilType *catalog.Type
	require.Nil(t, nilType.Element("x"))
	var nilCat *catalog.Catalog
	require.Nil(t, nilCat.Type("Patient"))
	require.False(t, nilCat.IsResource("Patient"))
}

func TestDerives(t *testing.T) {
	c := small(t)
	require.True(t, c.Derives("code", "string"))
	require.True(t, c.Derives("code", "Element"))
	require.True(t, c.Derives("code", "code"))
	require.False(t, c.Derives("string", "code"))
	require.True(t, c.Derives("Patient", "Resource"))
	require.False(t, c.Derives("Unknown", "Element"))
}

func TestChoice(t *testing.T) {
	c := small(t)
	p := c.Type("Patient")
	d := p.Element("deceased")
	require.True(t, d.Choice)
	for _, ty := range d.Types {
		key := d.ChoiceKey(ty)
		e, got := p.ChoiceElement(key)
		require.Same(t, d, e, key)
		require.Equal(t, ty, got, key)
	}
	require.Equal(t, "deceasedBoolean", d.ChoiceKey("boolean"))
	require.Equal(t, "deceasedDateTime", d.ChoiceKey("dateTime"))

	for _, key := range []string{"deceased", "deceasedboolean", "deceasedString", "gender", "genderCode", "", "deceasedBooleanX"} {
		e, ty := p.ChoiceElement(key)
		require.Nil(t, e, key)
		require.Empty(t, ty, key)
	}
	require.Equal(t, "gender", p.Element("gender").ChoiceKey("code"), "non-choice elements keep their name")
}

func TestCardinality(t *testing.T) {
	p := small(t).Type("Patient")
	require.False(t, p.Element("gender").Many())
	require.True(t, p.Element("contact").Many())
}

func TestBindingHas(t *testing.T) {
	p := small(t).Type("Patient")
	g := p.Element("gender").Binding
	require.True(t, g.Enumerable())
	require.True(t, g.Has("male"))
	require.False(t, g.Has("Male"))
	require.False(t, g.Has(""))

	empty := p.Element("unbound").Binding
	require.True(t, empty.Enumerable(), "an empty list is known, not unknown")
	require.False(t, empty.Has("x"))

	loose := p.Element("loose").Binding
	require.False(t, loose.Enumerable())
	require.True(t, loose.Has("anything"), "unknown codes are never reported")

	var none *catalog.Binding
	require.True(t, none.Has("x"))
	require.False(t, none.Enumerable())
}

func TestSystemType(t *testing.T) {
	for in, want := range map[string]string{
		"boolean": "Boolean", "integer": "Integer", "positiveInt": "Integer", "unsignedInt": "Integer",
		"decimal": "Decimal", "date": "Date", "dateTime": "DateTime", "instant": "DateTime", "time": "Time",
		"string": "String", "code": "String", "uri": "String", "base64Binary": "String", "xhtml": "String",
	} {
		require.Equal(t, want, catalog.SystemType(in), in)
	}
}

func TestKindString(t *testing.T) {
	require.Equal(t, "primitive", catalog.Primitive.String())
	require.Equal(t, "backbone", catalog.Backbone.String())
	require.Equal(t, "Kind(9)", catalog.Kind(9).String())
}

func TestBuildRejects(t *testing.T) {
	for name, types := range map[string][]*catalog.Type{
		"duplicate": {{Name: "A"}, {Name: "A"}},
		"no name":   {{Name: ""}},
		"bad kind":  {{Name: "A", Kind: 7}},
		"bad path":  {{Name: "A", Elements: []*catalog.Element{{Name: "x", Path: "B.x", Max: 1}}}},
		"choice path without [x]": {{Name: "A", Elements: []*catalog.Element{
			{Name: "x", Path: "A.x", Max: 1, Choice: true}}}},
		"bad max": {{Name: "A", Elements: []*catalog.Element{{Name: "x", Path: "A.x", Max: -2}}}},
		"unsorted codes": {{Name: "A", Elements: []*catalog.Element{
			{Name: "x", Path: "A.x", Max: 1, Binding: &catalog.Binding{Codes: []string{"b", "a"}}}}}},
	} {
		_, err := catalog.Build("4.0.1", types)
		require.Error(t, err, name)
	}
}

// TestRoundTrip checks that New reads back exactly what Encode wrote, field
// by field, including nil versus empty code lists.
func TestRoundTrip(t *testing.T) {
	c := small(t)
	data, err := c.Encode()
	require.NoError(t, err)
	again, err := c.Encode()
	require.NoError(t, err)
	require.Equal(t, data, again, "encoding is deterministic")

	d, err := catalog.New(data)
	require.NoError(t, err)
	requireSameCatalog(t, c, d)

	// The raw payload is accepted too.
	p, err := catalog.Payload(data)
	require.NoError(t, err)
	d2, err := catalog.New(p)
	require.NoError(t, err)
	requireSameCatalog(t, c, d2)

	// Equal payloads re-encode to equal payloads.
	data3, err := d.Encode()
	require.NoError(t, err)
	p3, err := catalog.Payload(data3)
	require.NoError(t, err)
	require.Equal(t, p, p3)
}

func requireSameCatalog(t *testing.T, want, got *catalog.Catalog) {
	t.Helper()
	require.Equal(t, want.Version(), got.Version())
	require.Equal(t, want.ResourceNames(), got.ResourceNames())
	require.Equal(t, want.TypeNames(), got.TypeNames())
	for _, name := range []string{"Element", "string", "boolean", "code", "Reference", "Resource", "Patient", "Patient.contact"} {
		w, g := want.Type(name), got.Type(name)
		require.NotNil(t, g, name)
		require.Equal(t, w.Name, g.Name)
		require.Equal(t, w.Kind, g.Kind)
		require.Equal(t, w.Base, g.Base)
		require.Equal(t, w.Abstract, g.Abstract)
		require.Equal(t, w.Short, g.Short)
		require.Equal(t, w.System, g.System)
		require.Len(t, g.Elements, len(w.Elements), name)
		for i, we := range w.Elements {
			ge := g.Elements[i]
			require.Equal(t, we.Name, ge.Name)
			require.Equal(t, we.Path, ge.Path)
			require.Equal(t, we.Min, ge.Min)
			require.Equal(t, we.Max, ge.Max)
			require.Equal(t, we.Types, ge.Types)
			require.Equal(t, we.Choice, ge.Choice)
			require.Equal(t, we.Modifier, ge.Modifier)
			require.Equal(t, we.Summary, ge.Summary)
			require.Equal(t, we.Short, ge.Short)
			require.Equal(t, we.TargetProfiles, ge.TargetProfiles)
			if we.Binding == nil {
				require.Nil(t, ge.Binding)
				continue
			}
			require.NotNil(t, ge.Binding, we.Path)
			require.Equal(t, we.Binding.Strength, ge.Binding.Strength)
			require.Equal(t, we.Binding.ValueSet, ge.Binding.ValueSet)
			require.Equal(t, we.Binding.Codes == nil, ge.Binding.Codes == nil, we.Path)
			require.Equal(t, we.Binding.Codes, ge.Binding.Codes)
		}
	}
}

// TestCorrupt checks that every truncation and a sample of byte flips of a
// valid payload fail cleanly instead of panicking.
func TestCorrupt(t *testing.T) {
	data, err := small(t).Encode()
	require.NoError(t, err)
	p, err := catalog.Payload(data)
	require.NoError(t, err)
	for n := range len(p) {
		_, err := catalog.New(p[:n])
		require.Error(t, err, "truncated to %d bytes", n)
	}
	for i := range p {
		q := bytes.Clone(p)
		q[i] ^= 0xff
		_, _ = catalog.New(q) // may or may not fail; must not panic
	}
	_, err = catalog.New(data[:len(data)/2])
	require.Error(t, err, "truncated gzip")
	_, err = catalog.New([]byte("FQCAT\x63"))
	require.ErrorContains(t, err, "format version")
	_, err = catalog.New([]byte("{}"))
	require.ErrorContains(t, err, "bad magic")
}

func FuzzNew(f *testing.F) {
	data, err := small(f).Encode()
	require.NoError(f, err)
	p, err := catalog.Payload(data)
	require.NoError(f, err)
	f.Add(p)
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := catalog.New(b)
		if err != nil {
			return
		}
		// Whatever decodes must be usable.
		for _, n := range append(c.ResourceNames(), c.TypeNames()...) {
			ty := c.Type(n)
			for _, e := range ty.Elements {
				_ = e.Many()
				_ = e.ChoiceKey("x")
				_ = e.Binding.Has("x")
			}
		}
	})
}
