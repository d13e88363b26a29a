// Package expect checks a view's data-quality rules against its columns and
// compiles them to SQL test queries for every target.
//
// A rule's CEL is typed by cel-go's checker with the view's columns as
// variables (their types from the plan), so a misspelt column or a string
// compared with a number is a diagnostic in the .fview before anything runs.
// The runtime evaluates the same checked expression with cel-go
// (runtime/expect); the SQL targets get a translation of its AST, limited
// to a documented subset (docs/expect.md): anything else is a diagnostic
// naming the construct. cel-go is imported here and in runtime/expect only.
package expect

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"

	"github.com/fhirql/fhirql/compiler/plan"
	ftypes "github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes (FQL4xxx: expectations).
const (
	// CodeCEL: the CEL of a rule does not parse or type-check against the
	// view's columns.
	CodeCEL diag.Code = "FQL4001"
	// CodeNotBool: a rule's CEL is not a boolean.
	CodeNotBool diag.Code = "FQL4002"
	// CodeNoSQL: a rule uses CEL the SQL targets do not translate.
	CodeNoSQL diag.Code = "FQL4003"
)

// Today and Now are the variables a rule may use for the current date
// ('YYYY-MM-DD') and instant (ISO 8601 with offset), as text: dates and
// dateTimes are text in fhirql's tables (a partial date stays "1970-06"),
// and ISO text of one precision orders as time does.
const (
	Today = "today"
	Now   = "now"
)

// CELType is the CEL type of a column's values: null is allowed for every
// column (nullable types); collections are lists, objects maps.
func CELType(c *plan.Column) *cel.Type {
	var t *cel.Type
	switch ftypes.Primitive(string(c.Type)) {
	case ftypes.Boolean:
		t = cel.BoolType
	case ftypes.Integer, ftypes.Long:
		t = cel.IntType
	case ftypes.Decimal:
		t = cel.DoubleType
	case ftypes.String, ftypes.Date, ftypes.DateTime, ftypes.Time:
		t = cel.StringType
	default:
		if ftypes.IsPrimitiveName(string(c.Type)) {
			t = cel.StringType
		} else {
			t = cel.DynType
		}
	}
	if c.Collection {
		return cel.ListType(t)
	}
	if t == cel.DynType {
		return t
	}
	return cel.NullableType(t)
}

// Env is the CEL environment of a view's rules: one variable per column,
// plus today and now.
func Env(v *plan.View) (*cel.Env, error) {
	opts := []cel.EnvOption{cel.Variable(Today, cel.StringType), cel.Variable(Now, cel.StringType)}
	for _, c := range v.Columns {
		if c.Name == Today || c.Name == Now {
			continue // the column shadows nothing: the checker reports the clash
		}
		opts = append(opts, cel.Variable(c.Name, CELType(c)))
	}
	return cel.NewEnv(opts...)
}

// Compiled is a checked rule.
type Compiled struct {
	Expect *plan.Expect
	AST    *cel.Ast // nil for rules without CEL
}

// Check type-checks the CEL of every rule of v and returns them compiled.
// Diagnostics point into the rule's text in the view's file.
func Check(v *plan.View) ([]*Compiled, diag.List) {
	if len(v.Expects) == 0 {
		return nil, nil
	}
	var out []*Compiled
	var diags diag.List
	env, err := Env(v)
	if err != nil {
		diags = append(diags, diag.New(diag.Error, CodeCEL, v.File, v.Span, "the columns of view %q cannot be CEL variables: %v", v.Name, err))
		return nil, diags
	}
	for _, e := range v.Expects {
		c := &Compiled{Expect: e}
		out = append(out, c)
		if e.Kind != plan.ExpectRule {
			continue
		}
		for _, col := range v.Columns {
			if col.Name == Today || col.Name == Now {
				diags = append(diags, diag.New(diag.Warning, CodeCEL, v.File, e.CELSpan,
					"column %q of view %q is hidden in rules by the variable %s (the current date or time); rename the column to use it", col.Name, v.Name, col.Name))
			}
		}
		ast, iss := env.Compile(e.CEL)
		if iss != nil && iss.Err() != nil {
			for _, ce := range iss.Errors() {
				sp := at(e.CELSpan, e.CEL, ce.Location.Line(), ce.Location.Column())
				d := diag.New(diag.Error, CodeCEL, v.File, sp, "rule %q: %s", e.Name, readable(ce.Message))
				if name, ok := strings.CutPrefix(ce.Message, "undeclared reference to '"); ok {
					name, _, _ = strings.Cut(name, "'")
					if s, ok := diag.Suggest(name, columnNames(v)); ok {
						d.WithNote(source.Span{}, "did you mean %q?", s)
						d.WithEdit(fmt.Sprintf("change to %q", s), source.Span{Start: sp.Start, End: sp.Start + source.Pos(len(name))}, s)
					} else {
						d.WithNote(source.Span{}, "the view's columns are: %s (and %s, %s)", strings.Join(columnNames(v), ", "), Today, Now)
					}
				}
				diags = append(diags, d)
			}
			continue
		}
		if ast.OutputType().Kind() != types.BoolKind {
			diags = append(diags, diag.New(diag.Error, CodeNotBool, v.File, e.CELSpan,
				"rule %q has type %s, not bool: a rule says what every row must satisfy, e.g. %s != null", e.Name, readable(ast.OutputType().String()), firstColumn(v)))
			continue
		}
		c.AST = ast
	}
	return out, diags
}

func columnNames(v *plan.View) []string {
	var names []string
	for _, c := range v.Columns {
		names = append(names, c.Name)
	}
	return names
}

// readable rewrites cel-go's wording for fhirql's users: a nullable
// column's type is "string or null", not "wrapper(string)".
func readable(msg string) string {
	msg = strings.ReplaceAll(msg, " (in container '')", "")
	for {
		i := strings.Index(msg, "wrapper(")
		if i < 0 {
			return msg
		}
		j := strings.IndexByte(msg[i:], ')')
		if j < 0 {
			return msg
		}
		msg = msg[:i] + msg[i+len("wrapper("):i+j] + "?" + msg[i+j+1:]
	}
}

func firstColumn(v *plan.View) string {
	if len(v.Columns) > 0 {
		return v.Columns[0].Name
	}
	return "id"
}

// at maps a CEL location (1-based line, 0-based column in code points) to a
// one-character span inside the rule's text.
func at(sp source.Span, text string, line, col int) source.Span {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	for n := 0; n < col && off < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	start := sp.Start + source.Pos(off)
	if start > sp.End {
		start = sp.End
	}
	end := min(start+1, sp.End)
	return source.Span{Start: start, End: end}
}

// Describe says what a rule checks, in words, for reports.
func Describe(e *plan.Expect) string {
	switch e.Kind {
	case plan.ExpectUnique:
		return "unique " + names(e.Columns)
	case plan.ExpectNotNull:
		return "not null " + names(e.Columns)
	case plan.ExpectReferences:
		return fmt.Sprintf("%s references %s.%s", names(e.Columns), e.RefView, e.RefColumn)
	}
	return e.CEL
}

func names(cs []*plan.Column) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}

// Allowed is how many failing rows a rule tolerates among total rows.
func Allowed(e *plan.Expect, total int64) int64 {
	if !e.Percent {
		return int64(e.Max)
	}
	return int64(e.Max * float64(total) / 100)
}

// Reads lists the columns a checked rule's CEL reads, in view order, for
// showing the values of a failing row.
func (c *Compiled) Reads(v *plan.View) []*plan.Column {
	if c.AST == nil {
		return nil
	}
	names := map[string]bool{}
	celast.PreOrderVisit(c.AST.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.IdentKind {
			names[e.AsIdent()] = true
		}
	}))
	var out []*plan.Column
	for _, col := range v.Columns {
		if names[col.Name] {
			out = append(out, col)
		}
	}
	return out
}
