package lower

import (
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// Text bounds of column values, in characters (UTF-16 code units, the unit
// of T-SQL's NVARCHAR(n)). They let the SQL targets give a column a sized
// type instead of NVARCHAR(MAX), which a Synapse dedicated pool's clustered
// columnstore tables cannot hold ("Indexes on dedicated SQL pool tables").
// Each is either a limit of the FHIR specification or a generous bound on a
// short value; a value longer than its bound fails the query with a message
// naming the view, the column and the size (compiler/sql), never cut.
// docs/sql.md ("Column types and sizes") documents the table.
const (
	// IDLen: a resource id is [A-Za-z0-9\-\.]{1,64} (FHIR R4, datatypes "id").
	IDLen = 64
	// BoundCodeLen is a code with a required binding whose codes the catalog
	// lists (gender, status...): the longest R4 code is far shorter, and the
	// room left lets an invalid but plausible code load.
	BoundCodeLen = 64
	// CodeLen is any other code (Coding.code, Quantity.code): FHIR sets no
	// limit, but code systems in use (SNOMED CT 18, LOINC 10, ICD-10 8,
	// UCUM units tens of characters) are far below it.
	CodeLen = 256
	// ShortLen is the text of a boolean, number, date, time or uuid: the
	// longest valid forms (an instant with nanoseconds and an offset, 35
	// characters; "urn:uuid:" and 36, 45) with room to spare.
	ShortLen = 64
)

// elementBound is the bound of a non-choice element's values.
func (l *lowerer) elementBound(el *catalog.Element) int {
	if len(el.Types) != 1 {
		return 0
	}
	if el.Name == "id" && el.Types[0] == string(types.String) {
		// Resource.id is typed System.String in R4, but it is an id; the
		// id of an element inside a resource (Element.id) is any string.
		owner, _, _ := strings.Cut(el.Path, ".")
		if l.c.Catalog.IsResource(owner) {
			return IDLen
		}
		return 0
	}
	return typeBound(el.Types[0], el.Binding)
}

// choiceBound is the bound of an unqualified choice element: the largest
// of its types' bounds, or 0 when one of them is unbounded.
func choiceBound(el *catalog.Element) int {
	n := 0
	for _, t := range el.Types {
		b := typeBound(t, el.Binding)
		if b == 0 {
			return 0
		}
		n = max(n, b)
	}
	return n
}

// typeBound is the bound of a value of a FHIR type; 0 for unbounded text
// (string, markdown, uri, base64Binary...) and for complex types, whose
// values are JSON objects.
func typeBound(t string, b *catalog.Binding) int {
	switch t {
	case "id":
		return IDLen
	case "code":
		if b != nil && b.Strength == "required" && len(b.Codes) > 0 {
			n := BoundCodeLen
			for _, c := range b.Codes {
				n = max(n, utf16Len(c))
			}
			return n
		}
		return CodeLen
	case "boolean", "integer", "positiveInt", "unsignedInt", "integer64", "decimal",
		"date", "dateTime", "instant", "time", "uuid",
		string(types.Boolean), string(types.Integer), string(types.Long), string(types.Decimal),
		string(types.Date), string(types.DateTime), string(types.Time):
		return ShortLen
	}
	return 0
}

// textBound is the bound of the values of x: fields carry their element's
// bound, functions that pick or filter values keep their input's, and the
// key functions return ids. 0 means unbounded.
func (l *lowerer) textBound(x plan.Expr) int {
	switch x := x.(type) {
	case *plan.Field, *plan.Choice:
		return l.bounds[x]
	case *plan.Lit:
		switch x.Kind {
		case plan.Empty:
			// Never a value: any size holds it.
			return 1
		case plan.Quantity:
			return 0
		case plan.String:
			return max(1, utf16Len(x.Value))
		}
		// A number, boolean, date or time: short, whatever spelling an
		// engine gives it.
		return ShortLen
	case *plan.TypeOp:
		if x.Op == "as" {
			return l.textBound(x.X)
		}
		return ShortLen // is: a boolean
	case *plan.Call:
		switch x.Func.Name {
		case "getResourceKey", "getReferenceKey":
			return IDLen
		case "toDate", "toDateTime", "toTime", "lowBoundary", "highBoundary":
			// Temporal text, whatever the input's length (a failed
			// conversion is empty).
			return ShortLen
		case "first", "last", "single", "where", "ofType", "tail", "skip", "take",
			"distinct", "trace", "lower", "upper", "trim", "substring":
			return l.textBound(x.X)
		case "iif":
			if len(x.Args) < 2 {
				return 0
			}
			a := l.textBound(x.Args[1])
			if a == 0 {
				return 0
			}
			b := 1 // iif without an else branch: empty
			if len(x.Args) > 2 {
				b = l.textBound(x.Args[2])
			}
			if b == 0 {
				return 0
			}
			return max(a, b)
		}
	}
	return 0
}

// utf16Len counts UTF-16 code units, as NVARCHAR(n) does.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
