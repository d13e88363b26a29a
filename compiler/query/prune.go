package query

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
)

// Prune returns a copy of v that computes only the columns keep names
// (case-insensitively), so a local run evaluates only what the query reads.
// The select tree keeps its shape (forEach, unionAll, ...): dropping a
// column never changes the number of rows. v is not modified.
func Prune(v *plan.View, keep map[string]bool) *plan.View {
	lower := map[string]bool{}
	for k := range keep {
		lower[strings.ToLower(k)] = true
	}
	out := *v
	out.Columns = nil
	copies := map[*plan.Column]*plan.Column{}
	for _, c := range v.Columns {
		if !lower[strings.ToLower(c.Name)] {
			continue
		}
		n := *c
		n.Index = len(out.Columns)
		copies[c] = &n
		out.Columns = append(out.Columns, &n)
	}
	index := map[string]int{}
	for _, c := range out.Columns {
		index[strings.ToLower(c.Name)] = c.Index
	}
	out.Root = pruneSelect(v.Root, copies, index)
	return &out
}

// pruneSelect copies a select keeping the named columns; a unionAll
// branch's own column of a kept name gets that name's new index.
func pruneSelect(s *plan.Select, copies map[*plan.Column]*plan.Column, index map[string]int) *plan.Select {
	if s == nil {
		return nil
	}
	n := *s
	n.Columns = nil
	for _, c := range s.Columns {
		if cc, ok := copies[c]; ok {
			n.Columns = append(n.Columns, cc)
		} else if i, ok := index[strings.ToLower(c.Name)]; ok {
			cc := *c
			cc.Index = i
			n.Columns = append(n.Columns, &cc)
		}
	}
	n.Selects = nil
	for _, x := range s.Selects {
		n.Selects = append(n.Selects, pruneSelect(x, copies, index))
	}
	n.UnionAll = nil
	for _, x := range s.UnionAll {
		n.UnionAll = append(n.UnionAll, pruneSelect(x, copies, index))
	}
	return &n
}
