package state

import (
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// KeyColumn is the column every table built from exports ends with: the
// key of the resource a row came from, "Type/id" (the form of a deletion
// list's request.url), so that downstream tools can merge and delete rows
// as fhirql does.
const KeyColumn = "_resource_key"

// WithKey returns a copy of v whose rows end with KeyColumn. The copy
// shares v's select tree (nothing in it changes): its root is a plain
// select nesting v's root and then a select of the key column, whose rows
// are v's rows with the key appended.
func WithKey(v *plan.View) *plan.View {
	str := types.One("string")
	col := &plan.Column{
		Name:  KeyColumn,
		Index: len(v.Columns),
		Type:  "string",
		// The type name, a slash and an id (at most 64 characters).
		MaxLen:      len(v.Resource) + 1 + 64,
		Description: "The key of the resource the row came from, Type/id (docs/versions.md).",
		Expr: &plan.Binary{Base: plan.Base{T: str}, Op: "&",
			X: &plan.Lit{Base: plan.Base{T: str}, Kind: plan.String, Value: v.Resource + "/"},
			Y: &plan.Field{Base: plan.Base{T: types.One("id")}, X: &plan.Root{Base: plan.Base{T: types.One(types.Type(v.Resource))}}, Key: "id", Primitive: true},
		},
	}
	w := *v
	w.Columns = append(append([]*plan.Column(nil), v.Columns...), col)
	w.Root = &plan.Select{Kind: plan.Plain, Span: v.Root.Span, Selects: []*plan.Select{
		v.Root, {Kind: plan.Plain, Columns: []*plan.Column{col}, Span: v.Root.Span}}}
	w.Expects = nil
	return &w
}

func withKeys(views []*plan.View) []*plan.View {
	out := make([]*plan.View, len(views))
	for i, v := range views {
		out[i] = WithKey(v)
	}
	return out
}
