// Package catalog is the compiler's model of a FHIR release: which types exist,
// which elements each type has, their cardinality and types, choice ([x])
// elements, and the value sets bound to coded elements.
//
// The checker types every FHIRPath step against it, the planner asks it for SQL
// column types, and the language server takes hover text and completions from it.
// It holds no FHIR data itself: a release package (catalog/r4) embeds a compact
// form generated from the official StructureDefinitions and decodes it with New,
// so that no build or run ever needs the original (tens of megabytes) JSON.
//
// A Catalog and everything reachable from it are immutable after New returns and
// may be shared freely between goroutines. Callers must not modify the returned
// types, elements, bindings or slices: they are shared, not copies.
package catalog

import (
	"slices"
	"strconv"
	"strings"
)

// Kind tells how a type's values appear in a resource, which decides how a
// path through it is evaluated and how it maps to SQL.
type Kind int

const (
	// Primitive types (string, date, boolean...) hold one JSON scalar, plus an
	// optional `_name` sibling for id/extension; they map to a FHIRPath System type.
	Primitive Kind = iota
	// Complex types (HumanName, Quantity...) are reusable JSON objects.
	Complex
	// Resource types can stand alone (a line of NDJSON) and be a view's subject.
	Resource
	// Backbone types are the anonymous JSON objects declared inside one type
	// ("Patient.contact"); they have no reusable name, so their path is their name.
	Backbone
)

// String makes kinds readable in diagnostics and test failures.
func (k Kind) String() string {
	switch k {
	case Primitive:
		return "primitive"
	case Complex:
		return "complex"
	case Resource:
		return "resource"
	case Backbone:
		return "backbone"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Catalog is one FHIR release's set of types. Every lookup is by the exact
// name the specification uses, because FHIR names are case-sensitive
// ("code" the primitive vs "Code" nothing).
type Catalog struct {
	version   string
	types     map[string]*Type
	resources []string // concrete resources, sorted
	typeNames []string // primitives and complex types, sorted
}

// Type returns the type with the exact name given, including backbone types
// named by their path ("Patient.contact"), so that a path step can always be
// resolved from the previous step's type name alone. It returns nil for
// unknown names, which the checker turns into an "unknown type" diagnostic.
func (c *Catalog) Type(name string) *Type {
	if c == nil {
		return nil
	}
	return c.types[name]
}

// IsResource reports whether name is a resource type, abstract ones
// ("Resource", "DomainResource") included, because those are legal in type
// tests such as ofType(Resource). A view's subject must also be concrete:
// check Type(name).Abstract, or use ResourceNames.
func (c *Catalog) IsResource(name string) bool {
	t := c.Type(name)
	return t != nil && t.Kind == Resource
}

// ResourceNames lists the concrete resource types, sorted, for completion and
// for "did you mean" suggestions after an unknown resource name. The slice is
// a fresh copy the caller may keep or modify.
func (c *Catalog) ResourceNames() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.resources)
}

// TypeNames lists the primitive and complex data types, sorted, for type
// tests (ofType, is, as) and their suggestions. Backbone types are left out
// because they cannot be named in a type test. The slice is a fresh copy.
func (c *Catalog) TypeNames() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.typeNames)
}

// Version is the FHIR version the catalog was generated from ("4.0.1"), so
// that outputs and diagnostics can say which release they were checked against.
func (c *Catalog) Version() string {
	if c == nil {
		return ""
	}
	return c.version
}

// Derives reports whether type name is ancestor or inherits from it through
// the Base chain ("Age" derives from "Quantity", "Patient" from "Resource"),
// which is what FHIRPath's `is` and `ofType` test.
func (c *Catalog) Derives(name, ancestor string) bool {
	for i := 0; name != "" && i < 64; i++ {
		if name == ancestor {
			return true
		}
		t := c.Type(name)
		if t == nil {
			return false
		}
		name = t.Base
	}
	return false
}

// Type is one FHIR type: a primitive, a complex data type, a resource, or a
// backbone element declared inside another type.
type Type struct {
	// Name is the specification's name, or the declaring path for backbone
	// types ("Patient.contact"), which is unique across the catalog.
	Name string
	// Kind tells how values of the type are represented.
	Kind Kind
	// Base is the type this one specialises ("DomainResource", "Element",
	// "BackboneElement", "integer" for positiveInt); "" for the roots
	// (Element, Resource). Backbone types have "BackboneElement" or "Element".
	Base string
	// Abstract types (Resource, DomainResource, Element, BackboneElement) have
	// no instances of their own; a view cannot be "of" one.
	Abstract bool
	// Short is the specification's one-line definition, for hover text.
	Short string
	// System is, for primitives only, the FHIRPath System type that the
	// primitive's value has ("Boolean", "Integer", "Decimal", "Date",
	// "DateTime", "Time", "String"); it decides operators and SQL types.
	System string
	// Elements are the type's children in definition order, inherited ones
	// (id, meta, extension, text, contained, modifierExtension...) included, so
	// that a lookup never needs to walk the Base chain.
	Elements []*Element
}

// Element returns the child element with the given JSON name, or nil. Choice
// elements are found by their base name ("value", not "valueQuantity"; use
// ChoiceElement for the typed JSON keys); a trailing "[x]" is accepted too.
func (t *Type) Element(name string) *Element {
	if t == nil {
		return nil
	}
	name = strings.TrimSuffix(name, "[x]")
	for _, e := range t.Elements {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// ChoiceElement maps a typed JSON key of a choice element back to the element
// and the chosen type ("valueQuantity" -> value[x], "Quantity"), because the
// JSON of a resource carries only the typed key. It returns nil, "" when the
// key is not one of the type's choice forms.
func (t *Type) ChoiceElement(jsonKey string) (*Element, string) {
	if t == nil {
		return nil, ""
	}
	for _, e := range t.Elements {
		if !e.Choice || len(jsonKey) <= len(e.Name) || !strings.HasPrefix(jsonKey, e.Name) {
			continue
		}
		suffix := jsonKey[len(e.Name):]
		for _, ty := range e.Types {
			if matchesCapitalised(suffix, ty) {
				return e, ty
			}
		}
	}
	return nil, ""
}

// matchesCapitalised reports whether s equals typeName with its first letter
// upper-cased, without allocating.
func matchesCapitalised(s, typeName string) bool {
	if len(s) != len(typeName) || s == "" {
		return false
	}
	return s[0] == upper(typeName[0]) && s[1:] == typeName[1:]
}

func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

// Element is one child of a type, as its ElementDefinition in the snapshot
// declares it.
type Element struct {
	// Name is the JSON property name, without "[x]" for choice elements.
	Name string
	// Path is the definition path ("Observation.value[x]"), for diagnostics and
	// hover; it is always the owning type's name, ".", Name, and "[x]" for choices.
	Path string
	// Min is the minimum cardinality (0 or more).
	Min int
	// Max is the maximum cardinality; -1 means unbounded ("*").
	Max int
	// Types are the allowed type codes, in definition order: type names
	// ("HumanName", "string"), the backbone type's name for backbone elements
	// ("Patient.contact") and for contentReference elements
	// ("Questionnaire.item"), or a FHIRPath system type ("System.String") where
	// the specification uses one (every .id, Extension.url, primitive values).
	Types []string
	// Choice marks a value[x] element: it appears in JSON under one typed key
	// per instance (see ChoiceKey and Type.ChoiceElement).
	Choice bool
	// Modifier marks elements that change the meaning of their parent
	// (isModifier), which a view usually must not ignore.
	Modifier bool
	// Summary marks elements in the resource summary (isSummary), often the
	// ones worth completing first.
	Summary bool
	// Short is the one-line definition, for hover text.
	Short string
	// Binding is the value set bound to a coded element; nil when none.
	Binding *Binding
	// TargetProfiles are the resource types a Reference or canonical may point
	// to, as type names (["Patient", "Group"]); "Resource" means any.
	TargetProfiles []string
}

// Many reports whether the element can repeat (max > 1 or "*"), i.e. whether
// a path through it yields a collection even from a single parent.
func (e *Element) Many() bool { return e.Max != 1 }

// ChoiceKey is the JSON key a choice element has when it holds typeName
// ("value", "Quantity" -> "valueQuantity"; "deceased", "boolean" ->
// "deceasedBoolean"), which the runtime and the SQL emitters read. For a
// non-choice element it is just the element's name.
func (e *Element) ChoiceKey(typeName string) string {
	if !e.Choice || typeName == "" {
		return e.Name
	}
	return e.Name + string(upper(typeName[0])) + typeName[1:]
}

// Binding ties a coded element to a value set, so that a literal code compared
// with the element can be checked.
type Binding struct {
	// Strength is "required", "extensible", "preferred" or "example"; only
	// required bindings make a code outside the set an error.
	Strength string
	// ValueSet is the value set's canonical URL without its "|version" suffix.
	ValueSet string
	// Codes are the value set's codes, sorted, for required bindings whose
	// expansion is known without a terminology server (a closed list of
	// codes from code systems the release defines); nil otherwise, which means
	// "cannot tell", not "empty".
	Codes []string
}

// Has reports whether code is in the bound value set. It is true whenever the
// codes are unknown (Codes nil), so callers report only certain violations.
func (b *Binding) Has(code string) bool {
	if b == nil || b.Codes == nil {
		return true
	}
	_, found := slices.BinarySearch(b.Codes, code)
	return found
}

// Enumerable reports whether the binding's codes are known, so that Has can
// actually reject a code.
func (b *Binding) Enumerable() bool { return b != nil && b.Codes != nil }

// SystemType maps a FHIR primitive type to the FHIRPath System type its
// values have, which governs comparison, arithmetic and SQL types.
// Unknown names map to "String", the type every FHIR primitive value is
// written as in JSON when nothing better is known.
func SystemType(fhirPrimitive string) string {
	switch fhirPrimitive {
	case "boolean":
		return "Boolean"
	case "integer", "positiveInt", "unsignedInt", "integer64":
		return "Integer"
	case "decimal":
		return "Decimal"
	case "date":
		return "Date"
	case "dateTime", "instant":
		return "DateTime"
	case "time":
		return "Time"
	}
	return "String"
}
