package eval

import (
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/eval/evaltest"
	"github.com/fhirql/fhirql/runtime/value"
)

// Small constructors for hand-built plans. Types matter only where the
// runtime uses them (dates, choice forms); untyped fields take their kind
// from the JSON.

var this = &plan.Focus{}

func lit(k plan.LitKind, v string, t types.Type) *plan.Lit {
	return &plan.Lit{Base: plan.Base{T: types.One(t)}, Kind: k, Value: v}
}

func S(s string) *plan.Lit  { return lit(plan.String, s, types.String) }
func I(s string) *plan.Lit  { return lit(plan.Integer, s, types.Integer) }
func L(s string) *plan.Lit  { return lit(plan.Long, s, types.Long) }
func D(s string) *plan.Lit  { return lit(plan.Decimal, s, types.Decimal) }
func Dt(s string) *plan.Lit { return lit(plan.Date, s, types.Date) }
func DT(s string) *plan.Lit { return lit(plan.DateTime, s, types.DateTime) }
func Tm(s string) *plan.Lit { return lit(plan.Time, s, types.Time) }
func B(b bool) *plan.Lit {
	return lit(plan.Bool, map[bool]string{true: "true", false: "false"}[b], types.Boolean)
}
func Q(v, u string) *plan.Lit { l := lit(plan.Quantity, v, types.Quantity); l.Unit = u; return l }

var none = &plan.Lit{Kind: plan.Empty}

// F navigates to an untyped key.
func F(x plan.Expr, key string) *plan.Field {
	return &plan.Field{X: x, Key: key}
}

// FT navigates to a key of a known FHIR type.
func FT(x plan.Expr, key string, t types.Type, array bool) *plan.Field {
	return &plan.Field{Base: plan.Base{T: types.Info{Type: t, Many: array}}, X: x, Key: key, Array: array, Primitive: types.IsPrimitiveName(string(t))}
}

// P is a dotted path of untyped fields from the focus.
func P(path string) plan.Expr {
	var x plan.Expr = this
	for _, k := range strings.Split(path, ".") {
		x = F(x, k)
	}
	return x
}

func Call(x plan.Expr, name string, args ...plan.Expr) *plan.Call {
	f := funcs.Lookup(name)
	if f == nil {
		panic("no function " + name)
	}
	return &plan.Call{X: x, Func: f, Args: args}
}

func Op(op string, x, y plan.Expr) *plan.Binary { return &plan.Binary{Op: op, X: x, Y: y} }
func Neg(x plan.Expr) *plan.Unary               { return &plan.Unary{Op: "-", X: x} }
func T(name string) *plan.TypeArg               { return &plan.TypeArg{Name: name} }
func TN(ns, name string) *plan.TypeArg          { return &plan.TypeArg{Namespace: ns, Name: name} }
func Is(x plan.Expr, ns, name string) *plan.TypeOp {
	return &plan.TypeOp{Op: "is", X: x, Namespace: ns, Name: name}
}
func As(x plan.Expr, ns, name string) *plan.TypeOp {
	return &plan.TypeOp{Op: "as", X: x, Namespace: ns, Name: name}
}
func Idx(x plan.Expr, i string) *plan.Subscript { return &plan.Subscript{X: x, Index: I(i)} }

// fixedNow is the now() of every test program.
var fixedNow = time.Date(2024, 3, 5, 14, 30, 15, 123000000, time.FixedZone("", 3600))

// col builds a column.
func col(name string, x plan.Expr, collection bool) *plan.Column {
	return &plan.Column{Name: name, Expr: x, Collection: collection}
}

// view assembles a view and numbers its columns in tree order (unionAll
// branches share the columns of the first branch by name).
func view(resource string, root *plan.Select, where ...plan.Expr) *plan.View {
	v := &plan.View{Name: "v", Resource: resource, Root: root, Where: where}
	index := map[string]int{}
	plan.Selects(root, func(s *plan.Select) {
		for _, c := range s.Columns {
			if i, ok := index[c.Name]; ok {
				c.Index = i
				continue
			}
			c.Index = len(v.Columns)
			index[c.Name] = c.Index
			v.Columns = append(v.Columns, c)
		}
	})
	return v
}

// evalExpr evaluates one expression against a resource and renders the
// result collection as JSON.
func evalExpr(t testing.TB, resource string, x plan.Expr) (string, error) {
	t.Helper()
	res := evaltest.MustDecode(resource)
	rt := "Patient"
	if v := res.Get("resourceType"); v != nil {
		rt = v.Str
	}
	v := view(rt, &plan.Select{Columns: []*plan.Column{col("c", x, true)}})
	p, err := CompileWith(v, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("compile %s: %v", plan.ExprString(x), err)
	}
	var out []string
	err = p.Eval(res, func(r Row) error {
		out = append(out, evaltest.Encode(r[0]))
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(out) != 1 {
		t.Fatalf("%s: %d rows", plan.ExprString(x), len(out))
	}
	return out[0], nil
}

// rows evaluates a view and renders each row as a JSON array of cells.
func rows(t testing.TB, v *plan.View, resource string) ([]string, error) {
	t.Helper()
	p, err := CompileWith(v, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var out []string
	err = p.Eval(evaltest.MustDecode(resource), func(r Row) error {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = evaltest.Encode(c)
		}
		out = append(out, "["+strings.Join(cells, ",")+"]")
		return nil
	})
	return out, err
}

// usedFuncs collects the functions an expression calls.
func usedFuncs(x plan.Expr, into map[string]bool) {
	plan.Walk(x, func(e plan.Expr) bool {
		if c, ok := e.(*plan.Call); ok {
			into[c.Func.Name] = true
		}
		return true
	})
}

var _ = value.NullValue
