package sql_test

// Small constructors for hand-built plans: the unit tests of the emitter do
// not depend on the front end, so they state exactly the plan they compile
// (array-ness, choice keys, MaybeMany) instead of what the checker infers.

import (
	"flag"
	"strings"

	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/source"
)

func targets() []sql.Target {
	return []sql.Target{
		serverless.New(serverless.Options{Source: "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"}),
		dedicated.New(dedicated.Options{Source: "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"}),
		sqlserver.New(sqlserver.Options{}),
	}
}

func info(t string, many bool) types.Info { return types.Info{Type: types.Type(t), Many: many} }

func focus(t string) *plan.Focus { return &plan.Focus{Base: plan.Base{T: info(t, false)}} }

// path builds a navigation from the focus: steps are "name" (single),
// "name*" (array), with a trailing ":type" and a leading "=" marking a
// primitive: path("Patient", "name*:HumanName", "=family:string").
func path(start string, steps ...string) plan.Expr {
	var x plan.Expr = focus(start)
	many := false
	for _, s := range steps {
		prim := strings.HasPrefix(s, "=")
		s = strings.TrimPrefix(s, "=")
		typ := "string"
		if i := strings.IndexByte(s, ':'); i >= 0 {
			s, typ = s[:i], s[i+1:]
		}
		array := strings.HasSuffix(s, "*")
		s = strings.TrimSuffix(s, "*")
		many = many || array
		x = &plan.Field{Base: plan.Base{T: info(typ, many)}, X: x, Key: s, Array: array, Primitive: prim}
	}
	return x
}

func from(x plan.Expr, steps ...string) plan.Expr {
	many := x.Type().Many
	for _, s := range steps {
		prim := strings.HasPrefix(s, "=")
		s = strings.TrimPrefix(s, "=")
		typ := "string"
		if i := strings.IndexByte(s, ':'); i >= 0 {
			s, typ = s[:i], s[i+1:]
		}
		array := strings.HasSuffix(s, "*")
		s = strings.TrimSuffix(s, "*")
		many = many || array
		x = &plan.Field{Base: plan.Base{T: info(typ, many)}, X: x, Key: s, Array: array, Primitive: prim}
	}
	return x
}

func strLit(v string) *plan.Lit {
	return &plan.Lit{Base: plan.Base{T: info("System.String", false)}, Kind: plan.String, Value: v}
}

func intLit(v string) *plan.Lit {
	return &plan.Lit{Base: plan.Base{T: info("System.Integer", false)}, Kind: plan.Integer, Value: v}
}

func decLit(v string) *plan.Lit {
	return &plan.Lit{Base: plan.Base{T: info("System.Decimal", false)}, Kind: plan.Decimal, Value: v}
}

func boolLit(v bool) *plan.Lit {
	s := "false"
	if v {
		s = "true"
	}
	return &plan.Lit{Base: plan.Base{T: info("System.Boolean", false)}, Kind: plan.Bool, Value: s}
}

func dtLit(v string) *plan.Lit {
	return &plan.Lit{Base: plan.Base{T: info("System.DateTime", false)}, Kind: plan.DateTime, Value: v}
}

func call(name string, x plan.Expr, t types.Info, args ...plan.Expr) *plan.Call {
	f := funcs.Lookup(name)
	if f == nil {
		panic("no function " + name)
	}
	return &plan.Call{Base: plan.Base{T: t}, X: x, Func: f, Args: args}
}

func bin(op string, x, y plan.Expr, t types.Info) *plan.Binary {
	return &plan.Binary{Base: plan.Base{T: t}, Op: op, X: x, Y: y}
}

func boolOne() types.Info { return info("System.Boolean", false) }

func rowIndex() *plan.RowIndex {
	return &plan.RowIndex{Base: plan.Base{T: info("System.Integer", false)}}
}

func column(name string, x plan.Expr, typ string) *plan.Column {
	return &plan.Column{Name: name, Expr: x, Type: types.Type(typ), MaybeMany: x.Type().Many}
}

func sel(kind plan.SelectKind, iter plan.Expr, cols []*plan.Column, nested ...*plan.Select) *plan.Select {
	return &plan.Select{Kind: kind, Iter: iter, Columns: cols, Selects: nested}
}

func cols(cs ...*plan.Column) []*plan.Column { return cs }

// view finishes a plan: output indexes in spec order (a select's columns,
// then nested selects', then the first union branch's; later branches share
// the first branch's indexes), and a source file for spans.
func view(name, resource string, root *plan.Select, where ...plan.Expr) *plan.View {
	v := &plan.View{Name: name, Resource: resource, Root: root, Where: where,
		File: source.NewFileString(name+".fview", "view "+name+" of "+resource+" {}\n")}
	var assign func(s *plan.Select) []*plan.Column
	assign = func(s *plan.Select) []*plan.Column {
		var out []*plan.Column
		out = append(out, s.Columns...)
		for _, n := range s.Selects {
			out = append(out, assign(n)...)
		}
		if len(s.UnionAll) > 0 {
			first := assign(s.UnionAll[0])
			out = append(out, first...)
			for _, b := range s.UnionAll[1:] {
				for i, c := range assign(b) {
					if i < len(first) {
						c.Index = -1 - i // fixed below
					}
				}
			}
		}
		return out
	}
	v.Columns = assign(root)
	for i, c := range v.Columns {
		c.Index = i
	}
	// Later union branches share the first branch's indexes.
	plan.Selects(root, func(s *plan.Select) {
		if len(s.UnionAll) < 2 {
			return
		}
		first := flat(s.UnionAll[0])
		for _, b := range s.UnionAll[1:] {
			for i, c := range flat(b) {
				if i < len(first) {
					c.Index = first[i].Index
				}
			}
		}
	})
	return v
}

func flat(s *plan.Select) []*plan.Column {
	var out []*plan.Column
	out = append(out, s.Columns...)
	for _, n := range s.Selects {
		out = append(out, flat(n)...)
	}
	if len(s.UnionAll) > 0 {
		out = append(out, flat(s.UnionAll[0])...)
	}
	return out
}

func emit(t sql.Target, v *plan.View) (string, *sql.Compiled, error) {
	c, diags := sql.Emit(v, t)
	if diags.HasErrors() {
		return "", nil, diags.Err()
	}
	return sql.PrintQuery(t, c.Query), c, nil
}

// update is accepted so that `go test ./... -update` works across packages;
// this package's tests have no golden files.
var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")
