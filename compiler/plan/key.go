package plan

import "github.com/fhirql/fhirql/compiler/types"

// KeyColumn is the column every table built from exports ends with: the
// key of the resource a row came from, "Type/id" (the form of a deletion
// list's request.url), so that downstream tools can merge and delete rows
// as fhirql does.
const KeyColumn = "_resource_key"

// WithKey returns a copy of v whose rows end with KeyColumn. The copy
// shares v's select tree (nothing in it changes): its root is a plain
// select nesting v's root and then a select of the key column, whose rows
// are v's rows with the key appended.
func WithKey(v *View) *View {
	str := types.One("string")
	col := &Column{
		Name:  KeyColumn,
		Index: len(v.Columns),
		Type:  "string",
		// The type name, a slash and an id (at most 64 characters).
		MaxLen:      len(v.Resource) + 1 + 64,
		Description: "The key of the resource the row came from, Type/id (docs/versions.md).",
		Expr: &Binary{Base: Base{T: str}, Op: "&",
			X: &Lit{Base: Base{T: str}, Kind: String, Value: v.Resource + "/"},
			Y: &Field{Base: Base{T: types.One("id")}, X: &Root{Base: Base{T: types.One(types.Type(v.Resource))}}, Key: "id", Primitive: true},
		},
	}
	w := *v
	w.Columns = append(append([]*Column(nil), v.Columns...), col)
	w.Root = &Select{Kind: Plain, Span: v.Root.Span, Selects: []*Select{
		v.Root, {Kind: Plain, Columns: []*Column{col}, Span: v.Root.Span}}}
	w.Expects = nil
	return &w
}
