// Package expect evaluates views' data-quality rules over their rows, as
// `fhirql test` runs them: each row once, in input order, with the same
// checked CEL that compiler/expect compiles to SQL, so the runtime and the
// SQL targets count the same failing rows (the DuckDB differential tests
// hold them to it).
//
// A row fails a CEL rule whose value is not true: false, or an error such
// as comparing a null column. unique counts every row whose non-null key
// occurs more than once; not null every row with a null in its columns;
// references every row whose non-null value is not a value of the
// referenced column. A rule fails when more rows fail than it allows.
package expect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	cexpect "github.com/fhirql/fhirql/compiler/expect"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

// Example is one failing row: where it came from and its values.
type Example struct {
	Resource string `json:"resource"` // the resource key, "Patient/p1"
	File     string `json:"file"`
	Line     int64  `json:"line"`
	Values   string `json:"values"` // the columns the rule reads, name=value
}

// Result is the outcome of one rule.
type Result struct {
	View     string    `json:"view"`
	Rule     string    `json:"rule"`
	Checks   string    `json:"checks"`   // what the rule checks, in words or CEL
	Severity string    `json:"severity"` // "error" or "warning"
	Rows     int64     `json:"rows"`     // rows of the view
	Failed   int64     `json:"failed"`   // rows that fail the rule
	Allowed  int64     `json:"allowed"`  // failing rows the rule tolerates
	Passed   bool      `json:"passed"`
	Examples []Example `json:"examples,omitempty"`
}

// Checker evaluates the rules of a set of views.
type Checker struct {
	views    []*plan.View
	byName   map[string]int
	rules    [][]*rule
	rows     []int64
	examples int
	today    string
	now      string
	// keys holds, for each view and column a references rule points to,
	// the set of values seen.
	keys map[string]map[string]bool
}

type rule struct {
	e        *plan.Expect
	prog     cel.Program
	cols     []int // the columns the rule reads (for examples)
	failed   int64
	examples []Example
	// unique: key -> rows and the first row's source; references: value
	// -> rows and the first source.
	groups map[string]*group
}

type group struct {
	n     int64
	first Example
}

// New prepares the rules of views; examples bounds the failing rows kept
// per rule; now fixes the today and now variables.
func New(views []*plan.View, examples int, today, now string) (*Checker, error) {
	c := &Checker{views: views, byName: map[string]int{}, rules: make([][]*rule, len(views)), rows: make([]int64, len(views)),
		examples: examples, today: today, now: now, keys: map[string]map[string]bool{}}
	for i, v := range views {
		c.byName[v.Name] = i
	}
	for i, v := range views {
		compiled, diags := cexpect.Check(v)
		if diags.HasErrors() {
			return nil, diags.Err()
		}
		env, err := cexpect.Env(v)
		if err != nil {
			return nil, err
		}
		for _, ce := range compiled {
			r := &rule{e: ce.Expect}
			for _, col := range ce.Expect.Columns {
				r.cols = append(r.cols, col.Index)
			}
			switch ce.Expect.Kind {
			case plan.ExpectRule:
				p, err := env.Program(ce.AST)
				if err != nil {
					return nil, fmt.Errorf("view %s, rule %s: %v", v.Name, ce.Expect.Name, err)
				}
				r.prog = p
				for _, col := range ce.Reads(v) {
					r.cols = append(r.cols, col.Index)
				}
			case plan.ExpectUnique, plan.ExpectReferences:
				r.groups = map[string]*group{}
			}
			if ce.Expect.Kind == plan.ExpectReferences {
				if _, ok := c.byName[ce.Expect.RefView]; !ok {
					return nil, fmt.Errorf("view %s, rule %s references view %s, which is not among the views given: add its file", v.Name, ce.Expect.Name, ce.Expect.RefView)
				}
				c.keys[ce.Expect.RefView+"."+ce.Expect.RefColumn] = map[string]bool{}
			}
			c.rules[i] = append(c.rules[i], r)
		}
	}
	return c, nil
}

// Row evaluates the rules of view vi on one row; it has the signature of
// runtime.Options.Rows.
func (c *Checker) Row(vi int, src write.Source, row []*value.Value) error {
	v := c.views[vi]
	c.rows[vi]++
	for _, col := range v.Columns {
		if set := c.keys[v.Name+"."+col.Name]; set != nil && col.Index < len(row) {
			if k, ok := keyText(row[col.Index]); ok {
				set[k] = true
			}
		}
	}
	var act map[string]any
	for _, r := range c.rules[vi] {
		fails := false
		switch r.e.Kind {
		case plan.ExpectRule:
			if act == nil {
				act = c.activation(v, row)
			}
			out, _, err := r.prog.Eval(act)
			fails = err != nil || out != types.True
		case plan.ExpectNotNull:
			for _, i := range r.cols {
				if isNull(row[i]) {
					fails = true
				}
			}
		case plan.ExpectUnique, plan.ExpectReferences:
			key, ok := "", true
			for _, i := range r.cols {
				k, present := keyText(row[i])
				ok = ok && present
				key += strconv.Itoa(len(k)) + ":" + k
			}
			if !ok {
				continue // a null key is not checked
			}
			g := r.groups[key]
			if g == nil {
				g = &group{first: c.example(v, r, src, row)}
				r.groups[key] = g
			}
			g.n++
			if r.e.Kind == plan.ExpectUnique && g.n > 1 {
				r.failed++ // the second and later rows; the first is added at the end
				if g.n == 2 {
					r.failed++
					r.keep(g.first, c.examples)
				}
				r.keep(c.example(v, r, src, row), c.examples)
			}
			continue
		}
		if fails {
			r.failed++
			r.keep(c.example(v, r, src, row), c.examples)
		}
	}
	return nil
}

func (r *rule) keep(ex Example, limit int) {
	if len(r.examples) < limit {
		r.examples = append(r.examples, ex)
	}
}

// Results reports every rule, in view and rule order.
func (c *Checker) Results() []Result {
	var out []Result
	for vi, rs := range c.rules {
		v := c.views[vi]
		for _, r := range rs {
			if r.e.Kind == plan.ExpectReferences {
				keys := c.keys[r.e.RefView+"."+r.e.RefColumn]
				var missing []string
				for k, g := range r.groups {
					if !keys[valueOf(k)] {
						r.failed += g.n
						missing = append(missing, k)
					}
				}
				sort.Strings(missing)
				for _, k := range missing {
					r.keep(r.groups[k].first, c.examples)
				}
			}
			sev := "error"
			if r.e.Warning {
				sev = "warning"
			}
			allowed := cexpect.Allowed(r.e, c.rows[vi])
			out = append(out, Result{View: v.Name, Rule: r.e.Name, Checks: cexpect.Describe(r.e), Severity: sev,
				Rows: c.rows[vi], Failed: r.failed, Allowed: allowed, Passed: r.failed <= allowed, Examples: r.examples})
		}
	}
	return out
}

// valueOf undoes the length prefix of a one-column key.
func valueOf(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[i+1:]
	}
	return key
}

func (c *Checker) example(v *plan.View, r *rule, src write.Source, row []*value.Value) Example {
	var parts []string
	seen := map[int]bool{}
	for _, i := range r.cols {
		if seen[i] || i >= len(row) {
			continue
		}
		seen[i] = true
		parts = append(parts, v.Columns[i].Name+"="+string(write.AppendJSON(nil, row[i])))
	}
	return Example{Resource: src.Key, File: src.File, Line: src.Line, Values: strings.Join(parts, " ")}
}

func isNull(v *value.Value) bool { return v == nil || v.Kind == value.Null }

// keyText is a value as a key: its text for primitives (so "1" and 1 differ
// only when their JSON kinds do), its JSON otherwise; false for null.
func keyText(v *value.Value) (string, bool) {
	if isNull(v) {
		return "", false
	}
	switch v.Kind {
	case value.String, value.Number, value.Bool:
		return v.Str, true
	}
	return string(write.AppendJSON(nil, v)), true
}

// activation binds each column to its CEL value, and today and now.
func (c *Checker) activation(v *plan.View, row []*value.Value) map[string]any {
	act := make(map[string]any, len(v.Columns)+2)
	for _, col := range v.Columns {
		var x *value.Value
		if col.Index < len(row) {
			x = row[col.Index]
		}
		act[col.Name] = celValue(x, cexpect.CELType(col))
	}
	act[cexpect.Today] = c.today
	act[cexpect.Now] = c.now
	return act
}

// celValue converts a cell to the Go value cel-go expects for type t; a
// number that does not fit t's kind is an error value, so a rule reading it
// fails (as the SQL's failed conversion does).
func celValue(v *value.Value, t *cel.Type) any {
	if isNull(v) {
		return types.NullValue
	}
	switch v.Kind {
	case value.Bool:
		return v.Str == "true"
	case value.String:
		return v.Str
	case value.Number:
		if t.Kind() == types.IntKind {
			n, err := strconv.ParseInt(v.Str, 10, 64)
			if err != nil {
				return types.NewErr("%s is not an integer", v.Str)
			}
			return n
		}
		f, err := strconv.ParseFloat(v.Str, 64)
		if err != nil {
			return types.NewErr("%s is not a number", v.Str)
		}
		return f
	case value.Array:
		var elem *cel.Type = cel.DynType
		if ps := t.Parameters(); len(ps) == 1 {
			elem = ps[0]
		}
		out := make([]any, len(v.Arr))
		for i, x := range v.Arr {
			out[i] = celValue(x, elem)
		}
		return out
	case value.Object:
		out := make(map[string]any, len(v.Obj))
		for _, m := range v.Obj {
			out[m.Key] = celValue(m.Val, cel.DynType)
		}
		return out
	}
	return types.NullValue
}
