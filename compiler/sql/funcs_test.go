package sql_test

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/diag"

	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/source"
)

// TestEveryFunction: every function of compiler/funcs either compiles on
// every target or is an FQL3101 diagnostic at the call's span naming the
// function and the target — never a panic, never another error. The
// functions the SQL on FHIR suite requires must compile everywhere.
func TestEveryFunction(t *testing.T) {
	numeric := map[string]bool{"skip": true, "take": true, "substring": true, "round": true}
	sp := source.Span{Start: 10, End: 20}
	for _, f := range funcs.All() {
		recv := path("Patient", "name*:HumanName", "=given*:string")
		if f.Name == "getReferenceKey" || f.Name == "getResourceKey" || f.Name == "extension" {
			recv = path("Patient", "managingOrganization:Reference")
		}
		if f.Name == "lowBoundary" || f.Name == "highBoundary" {
			recv = path("Patient", "=birthDate:date")
		}
		var args []plan.Expr
		for i, k := range f.Args {
			if i >= f.MinArgs && f.Name != "iif" {
				break
			}
			switch k {
			case funcs.Lambda:
				args = append(args, boolLit(true))
			case funcs.TypeSpec:
				args = append(args, &plan.TypeArg{Name: "string"})
			default:
				if numeric[f.Name] {
					args = append(args, intLit("1"))
				} else {
					args = append(args, strLit("x"))
				}
			}
		}
		many := f.Result == funcs.SameMany || f.Result == funcs.StringMany || f.Result == funcs.LambdaMany ||
			f.Result == funcs.ExtensionMany || f.Result == funcs.UnionMany || f.Result == funcs.OfType
		c := call(f.Name, recv, info("string", many), args...)
		c.Sp = sp
		col := column("c", c, "string")
		col.Collection = many
		col.MaybeMany = false
		v := view("fn_"+f.Name, "Patient", sel(plan.Plain, nil, cols(col)))
		v.File = source.NewFileString("f.fview", strings.Repeat(" ", 30))
		for _, tg := range targets() {
			comp, diags, ok := safeEmit(v, tg)
			if !ok {
				t.Errorf("%s on %s: panic", f.Name, tg.Name())
				continue
			}
			_, listed := sql.Unsupported[f.Name]
			if !diags.HasErrors() {
				if comp == nil || listed {
					t.Errorf("%s compiled on %s although listed unsupported (or no output)", f.Name, tg.Name())
				}
				continue
			}
			if f.Suite {
				t.Errorf("%s (required by the suite) does not compile on %s: %v", f.Name, tg.Name(), diags.Err())
			}
			for _, d := range diags {
				if d.Code != sql.CodeUnsupportedFunc || d.Span != sp || !strings.Contains(d.Message, `"`+f.Name+`"`) || !strings.Contains(d.Message, tg.Name()) || !listed {
					t.Errorf("%s on %s: %s[%s] at %v: %s (listed unsupported: %v)", f.Name, tg.Name(), d.Severity, d.Code, d.Span, d.Message, listed)
				}
			}
		}
	}
	for name := range sql.Unsupported {
		if funcs.Lookup(name) == nil {
			t.Errorf("sql.Unsupported lists %q, which compiler/funcs does not declare", name)
		}
	}
}

func safeEmit(v *plan.View, tg sql.Target) (c *sql.Compiled, diags diag.List, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	c, diags = sql.Emit(v, tg)
	return c, diags, true
}
