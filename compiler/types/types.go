// Package types names the types of FHIRPath expressions: FHIR types from the
// catalog ("HumanName", "code", "Patient.contact") and FHIRPath system types
// ("System.Boolean"), each with a cardinality.
//
// Types are plain strings so that the checker, the plan, the runtime and the
// SQL dialects can share them without sharing the catalog, and so that golden
// dumps read naturally.
package types

import "strings"

// Type is a FHIR type name, a backbone path, or a System.* type. The zero value
// means "unknown" and suppresses cascading diagnostics.
type Type string

// System types of FHIRPath, and the two pseudo types the checker uses.
const (
	Unknown  Type = ""
	Any      Type = "System.Any"
	Boolean  Type = "System.Boolean"
	String   Type = "System.String"
	Integer  Type = "System.Integer"
	Long     Type = "System.Long"
	Decimal  Type = "System.Decimal"
	Date     Type = "System.Date"
	DateTime Type = "System.DateTime"
	Time     Type = "System.Time"
	Quantity Type = "System.Quantity"
)

// IsSystem reports whether t is a FHIRPath system type.
func (t Type) IsSystem() bool { return strings.HasPrefix(string(t), "System.") }

// Info is a type with its cardinality: Many means the expression may yield
// more than one value.
type Info struct {
	Type Type
	Many bool
}

// One is a single-valued Info.
func One(t Type) Info { return Info{Type: t} }

// Many is a collection-valued Info.
func Many(t Type) Info { return Info{Type: t, Many: true} }

func (i Info) String() string {
	name := string(i.Type)
	if name == "" {
		name = "?"
	}
	if i.Many {
		return name + "[*]"
	}
	return name
}

// Primitive maps a FHIR primitive type to its FHIRPath system type, so that
// `code` compares like `string` and `positiveInt` like `integer`. Non-primitive
// names are returned unchanged.
func Primitive(fhir string) Type {
	switch fhir {
	case "boolean":
		return Boolean
	case "integer", "positiveInt", "unsignedInt":
		return Integer
	case "integer64":
		return Long
	case "decimal":
		return Decimal
	case "date":
		return Date
	case "dateTime", "instant":
		return DateTime
	case "time":
		return Time
	case "string", "code", "id", "uri", "url", "canonical", "markdown", "base64Binary", "oid", "uuid", "xhtml":
		return String
	}
	if strings.HasPrefix(fhir, "System.") {
		return Type(fhir)
	}
	return Type(fhir)
}

// IsPrimitiveName reports whether a FHIR type name is a primitive (lower-case first letter).
func IsPrimitiveName(fhir string) bool {
	return fhir != "" && fhir[0] >= 'a' && fhir[0] <= 'z'
}
