package sql_test

import (
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// emitDiags compiles a one-column view whose column expression is x (a
// collection column when many) on every target and returns the
// diagnostics per target.
func emitDiags(t *testing.T, x plan.Expr, many bool) map[string]diag.List {
	t.Helper()
	col := column("c", x, "string")
	col.Collection = many
	col.MaybeMany = false
	v := view("v", "Observation", sel(plan.Plain, nil, cols(col)))
	v.File = source.NewFileString("v.fview", strings.Repeat(" ", 40))
	out := map[string]diag.List{}
	for _, tg := range targets() {
		_, diags, ok := safeEmit(v, tg)
		if !ok {
			t.Fatalf("%s: panic", tg.Name())
		}
		out[tg.Name()] = diags
	}
	return out
}

func wantDiag(t *testing.T, got map[string]diag.List, code diag.Code, sp source.Span, parts ...string) {
	t.Helper()
	for target, diags := range got {
		if len(diags) != 1 {
			t.Errorf("%s: want one diagnostic, got %v", target, diags)
			continue
		}
		d := diags[0]
		if d.Code != code || d.Span != sp {
			t.Errorf("%s: got %s at %v, want %s at %v: %s", target, d.Code, d.Span, code, sp, d.Message)
		}
		for _, p := range append(parts, target) {
			if !strings.Contains(d.Message, p) {
				t.Errorf("%s: message %q lacks %q", target, d.Message, p)
			}
		}
		if strings.Contains(d.Message, "not implemented") {
			t.Errorf("%s: vague message %q", target, d.Message)
		}
	}
}

// TestDedupComplexRejected: union(), distinct(), isDistinct() and | compare
// items with FHIRPath equality, which SQL gives exactly for primitives
// only: objects are FQL3101 (functions) or FQL3102 (the operator) with a
// reason naming the complex type, at the call's span; combine() of objects
// compiles.
func TestDedupComplexRejected(t *testing.T) {
	sp := source.Span{Start: 5, End: 25}
	names := path("Observation", "code:CodeableConcept", "coding*:Coding")
	for _, fn := range []string{"union", "distinct", "isDistinct"} {
		var args []plan.Expr
		res := info("Coding", true)
		if fn == "union" {
			args = append(args, path("Observation", "code:CodeableConcept", "coding*:Coding"))
		}
		if fn == "isDistinct" {
			res = boolOne()
		}
		c := call(fn, names, res, args...)
		c.Sp = sp
		wantDiag(t, emitDiags(t, c, fn != "isDistinct"), sql.CodeUnsupportedFunc, sp, `"`+fn+`"`, `complex type "Coding"`)
	}
	b := bin("|", names, path("Observation", "code:CodeableConcept", "coding*:Coding"), info("Coding", true))
	b.Sp = sp
	wantDiag(t, emitDiags(t, b, true), sql.CodeUnsupportedOperator, sp, `"|"`, `complex type "Coding"`)

	c := call("combine", names, info("Coding", true), path("Observation", "code:CodeableConcept", "coding*:Coding"))
	c.Sp = sp
	for target, diags := range emitDiags(t, c, true) {
		if len(diags) != 0 {
			t.Errorf("combine of objects on %s: %v", target, diags)
		}
	}
}

// TestUntypedRejected: de-duplication and conversions depend on the
// items' type; a choice element without ofType() has none statically, so
// they are FQL3101 saying so (toInteger() keeps its older type-blind form;
// distinct() of a choice, at most one value, needs no comparison).
func TestUntypedRejected(t *testing.T) {
	sp := source.Span{Start: 3, End: 30}
	choice := &plan.Choice{Base: plan.Base{T: info("", false)}, X: focus("Observation"), Name: "value", Keys: []plan.ChoiceKey{
		{Key: "valueString", Type: "string", Primitive: true},
		{Key: "valueInteger", Type: "integer", Primitive: true},
	}}
	for _, fn := range []string{"union", "toDate", "toDateTime", "toTime", "convertsToInteger", "convertsToDate", "convertsToString"} {
		res := info("System.Boolean", false)
		var args []plan.Expr
		if fn == "union" {
			res = info("", true)
			args = append(args, choice)
		}
		c := call(fn, choice, res, args...)
		c.Sp = sp
		wantDiag(t, emitDiags(t, c, fn == "union"), sql.CodeUnsupportedFunc, sp, `"`+fn+`"`, "not known statically")
	}
	c := call("toInteger", choice, info("System.Integer", false))
	for target, diags := range emitDiags(t, c, false) {
		if len(diags) != 0 {
			t.Errorf("toInteger of a choice on %s: %v", target, diags)
		}
	}
}

// TestUnsupportedReasons: every function still rejected says why.
func TestUnsupportedReasons(t *testing.T) {
	for name, why := range sql.Unsupported {
		if why == "" || strings.Contains(why, "not implemented") {
			t.Errorf("%s: reason %q", name, why)
		}
	}
	sp := source.Span{Start: 1, End: 9}
	c := call("toQuantity", path("Observation", "=status:code"), info("System.Quantity", false))
	c.Sp = sp
	wantDiag(t, emitDiags(t, c, false), sql.CodeUnsupportedFunc, sp, `"toQuantity"`, "UCUM")
}

// TestReplaceEmptyPattern: replace(”, sub) surrounds every character
// with sub in FHIRPath and does nothing in SQL's REPLACE, so a literal
// empty pattern is a compile error on every target.
func TestReplaceEmptyPattern(t *testing.T) {
	sp := source.Span{Start: 3, End: 5}
	pat := strLit("")
	pat.Sp = sp
	c := call("replace", path("Patient", "=gender:code"), info("System.String", false), pat, strLit("-"))
	wantDiag(t, emitDiags(t, c, false), sql.CodeUnsupportedExpr, sp, "empty pattern")
}
