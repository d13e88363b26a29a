package sql

import (
	"fmt"

	"github.com/fhirql/fhirql/compiler/plan"
)

// Sharing one picked object between columns. Two columns of a select that
// start from the same object picked out of a collection,
//
//	family = name.where(use = 'official').first().family
//	given  = name.where(use = 'official').first().given.join(' ')
//
// would each expand name and pick its first official item in a subquery of
// their own. On a dialect that reads an object's members with one property
// reader (T-SQL: OPENJSON ... WITH), the pick is done once instead, as a
// row of the select's FROM chain,
//
//	OUTER APPLY (SELECT TOP (1) j.value AS value FROM ... ORDER BY ...) AS o1
//	OUTER APPLY OPENJSON(o1.value) WITH (family ..., given ... AS JSON) AS p2
//
// and both columns read the object from there: one expansion of the array
// and one parse of the object for all of them. OUTER APPLY keeps the row
// when nothing is picked (the object is then NULL, the empty collection),
// so the result is the same as the two subqueries'. Only prefixes on the
// receiver chain of a column are shared (never inside a function argument,
// which is evaluated per item of another focus), and only when they compile
// to a picked object subquery.

// shareable lists, for the columns of one select, the first() calls on
// their receiver chains that at least two columns share, by their text.
func shareable(cols []*plan.Column) map[string][]plan.Expr {
	byKey := map[string][]plan.Expr{}
	users := map[string]map[int]bool{}
	for i, c := range cols {
		for x := c.Expr; x != nil; {
			var next plan.Expr
			switch n := x.(type) {
			case *plan.Field:
				next = n.X
			case *plan.Choice:
				next = n.X
			case *plan.Call:
				next = n.X
				if n.X != nil && n.Func != nil && n.Func.Name == "first" && len(n.Args) == 0 && !n.Type().Many {
					k := plan.ExprString(n)
					byKey[k] = append(byKey[k], n)
					if users[k] == nil {
						users[k] = map[int]bool{}
					}
					users[k][i] = true
				}
			}
			x = next
		}
	}
	for k := range byKey {
		if len(users[k]) < 2 {
			delete(byKey, k)
		}
	}
	return byKey
}

// shareObjects compiles each shared pick once into chain and records it for
// compile, which then returns the object for every occurrence; it returns
// the occurrences, which the caller forgets after the select's columns.
func (e *emitter) shareObjects(s *plan.Select, sc *scope, chain *[]*From) (done []plan.Expr) {
	if !e.propReaders() || len(s.Columns) < 2 {
		return nil
	}
	shared := shareable(s.Columns)
	if len(shared) == 0 {
		return nil
	}
	for _, k := range sortedKeys(keySet(shared)) {
		occ := shared[k]
		csc := *sc
		csc.what = fmt.Sprintf("the columns of view %q", e.name)
		v := e.scalar(occ[0], &csc)
		sub, ok := v.x.(*Sub)
		if !ok || v.sh != shJSON || !v.picked {
			continue
		}
		q, ok := sub.Q.(*Select)
		if !ok || len(q.Items) != 1 {
			continue
		}
		picked := *q
		picked.Items = []Item{{X: q.Items[0].X, Alias: "value"}}
		alias := e.alias("o")
		*chain = append(*chain, &From{Join: OuterApply, Src: &Derived{Q: &picked}, Alias: alias})
		obj := val{x: &Col{Table: alias, Name: "value"}, sh: shJSON, t: v.t, styp: e.d.TypeName(TTextMax)}
		if h := e.hoist(obj.x); h != nil {
			*chain = append(*chain, h)
		}
		if e.shared == nil {
			e.shared = map[plan.Expr]val{}
		}
		for _, x := range occ {
			e.shared[x] = obj
		}
		done = append(done, occ...)
	}
	return done
}

func keySet(m map[string][]plan.Expr) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// propReaders reports whether the dialect reads an object's members with
// a property reader (JSONProps), which is what makes sharing pay.
func (e *emitter) propReaders() bool {
	return e.d.JSONProps(&Null{}, "") != nil
}
