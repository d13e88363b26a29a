package state

import "github.com/fhirql/fhirql/compiler/plan"

// KeyColumn is the column every table built from exports ends with
// (plan.KeyColumn): the key of the resource a row came from, "Type/id".
const KeyColumn = plan.KeyColumn

// WithKey is plan.WithKey: v's rows with KeyColumn appended.
func WithKey(v *plan.View) *plan.View { return plan.WithKey(v) }

func withKeys(views []*plan.View) []*plan.View {
	out := make([]*plan.View, len(views))
	for i, v := range views {
		out[i] = plan.WithKey(v)
	}
	return out
}
