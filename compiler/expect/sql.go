package expect

import (
	"fmt"
	"strconv"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Test is the SQL test query of one rule: it returns the rows that fail
// it, so the rule holds when their number is within its threshold.
type Test struct {
	View   *plan.View
	Expect *plan.Expect
	Query  sql.Query
}

// Tests compiles the rules of view v for dialect d. from gives the table
// source of a view's rows (its deployed object, or its query); views holds
// the views a references rule may name.
func Tests(d sql.Dialect, v *plan.View, rules []*Compiled, from func(*plan.View) sql.Source, views map[string]*plan.View) ([]Test, diag.List) {
	var out []Test
	var diags diag.List
	for _, r := range rules {
		e := r.Expect
		const t = "t"
		col := func(c *plan.Column) sql.Expr { return &sql.Col{Table: t, Name: c.Name} }
		q := &sql.Select{Items: []sql.Item{{X: &sql.Star{}}}, From: []*sql.From{{Src: from(v), Alias: t}}}
		switch e.Kind {
		case plan.ExpectRule:
			if r.AST == nil {
				continue // a CEL error was reported
			}
			tr := &translator{d: d, ast: r.AST.NativeRep(), table: t}
			p := tr.pred(r.AST.NativeRep().Expr())
			if tr.why != "" {
				diags = append(diags, diag.New(diag.Error, CodeNoSQL, v.File, e.CELSpan,
					"rule %q cannot run on %s: %s", e.Name, d.Name(), tr.why).
					WithNote(source.Span{}, "the SQL targets run comparisons, logic, arithmetic, in, size, contains, startsWith, endsWith, null tests and ?: (docs/expect.md); `fhirql test` runs every rule"))
				continue
			}
			q.Where = []sql.Expr{failing(d, p)}
		case plan.ExpectNotNull:
			var ors sql.Expr
			for _, c := range e.Columns {
				ors = or(ors, &sql.IsNull{X: col(c)})
			}
			q.Where = []sql.Expr{ors}
		case plan.ExpectUnique:
			var part []sql.Expr
			inner := &sql.Select{From: []*sql.From{{Src: from(v), Alias: t}}}
			for _, c := range e.Columns {
				part = append(part, col(c))
				inner.Where = append(inner.Where, &sql.IsNull{X: col(c), Not: true})
			}
			inner.Items = []sql.Item{{X: &sql.Star{}}, {X: &sql.Over{Fn: d.Fn(sql.FnCount, &sql.Star{}), PartitionBy: part}, Alias: "fhirql_n"}}
			q.From = []*sql.From{{Src: &sql.Derived{Q: inner}, Alias: "u"}}
			q.Where = []sql.Expr{&sql.Bin{Op: sql.OpGt, X: &sql.Col{Table: "u", Name: "fhirql_n"}, Y: &sql.Num{V: "1"}}}
		case plan.ExpectReferences:
			ref := views[e.RefView]
			if ref == nil {
				diags = append(diags, diag.New(diag.Error, CodeNoSQL, v.File, e.Span,
					"rule %q references view %q, which is not among the views built together; build them in one command", e.Name, e.RefView))
				continue
			}
			var refCol *plan.Column
			for _, c := range ref.Columns {
				if c.Name == e.RefColumn {
					refCol = c
				}
			}
			if refCol == nil || len(e.Columns) == 0 {
				continue // the checker reported it
			}
			c := col(e.Columns[0])
			probe := &sql.Select{Items: []sql.Item{{X: &sql.Num{V: "1"}}}, From: []*sql.From{{Src: from(ref), Alias: "r"}},
				Where: []sql.Expr{d.StringEq(&sql.Col{Table: "r", Name: refCol.Name}, c)}}
			q.Where = []sql.Expr{&sql.IsNull{X: c, Not: true}, &sql.Exists{Q: probe, Not: true}}
		}
		out = append(out, Test{View: v, Expect: e, Query: q})
	}
	return out, diags
}

// failing is true for a row whose rule is not true (false or unknown).
func failing(d sql.Dialect, p sql.Expr) sql.Expr {
	return &sql.Bin{Op: sql.OpEq, X: d.Fn(sql.FnCoalesce, d.BoolValue(p, false), &sql.Num{V: "0"}), Y: &sql.Num{V: "0"}}
}

func or(a, b sql.Expr) sql.Expr {
	if a == nil {
		return b
	}
	return &sql.Bin{Op: sql.OpOr, X: a, Y: b}
}

// translator turns a checked CEL expression into SQL over the columns of
// table alias table. Boolean CEL becomes a predicate (three-valued:
// unknown where CEL has an error, which a rule counts as failing, as it
// does false); == and != are two-valued, as in CEL, where null == null.
type translator struct {
	d     sql.Dialect
	ast   *celast.AST
	table string
	why   string // the first construct the SQL targets do not run
}

func (tr *translator) no(format string, args ...any) sql.Expr {
	if tr.why == "" {
		tr.why = fmt.Sprintf(format, args...)
	}
	return &sql.Null{}
}

func (tr *translator) typeOf(e celast.Expr) *types.Type { return tr.ast.GetType(e.ID()) }

func isKind(t *types.Type, k types.Kind) bool { return t != nil && t.Kind() == k }

func (tr *translator) isString(e celast.Expr) bool { return isKind(tr.typeOf(e), types.StringKind) }

func (tr *translator) isBool(e celast.Expr) bool { return isKind(tr.typeOf(e), types.BoolKind) }

func isNullLit(e celast.Expr) bool {
	return e.Kind() == celast.LiteralKind && e.AsLiteral() == types.NullValue
}

// pred translates a boolean expression to a predicate.
func (tr *translator) pred(e celast.Expr) sql.Expr {
	switch e.Kind() {
	case celast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			if b {
				return &sql.Bin{Op: sql.OpEq, X: &sql.Num{V: "1"}, Y: &sql.Num{V: "1"}}
			}
			return &sql.Bin{Op: sql.OpEq, X: &sql.Num{V: "1"}, Y: &sql.Num{V: "0"}}
		}
	case celast.IdentKind:
		return &sql.Bin{Op: sql.OpEq, X: tr.val(e), Y: &sql.Num{V: "1"}}
	case celast.CallKind:
		c := e.AsCall()
		args := c.Args()
		switch c.FunctionName() {
		case "_&&_":
			return &sql.Bin{Op: sql.OpAnd, X: tr.pred(args[0]), Y: tr.pred(args[1])}
		case "_||_":
			return &sql.Bin{Op: sql.OpOr, X: tr.pred(args[0]), Y: tr.pred(args[1])}
		case "!_":
			return &sql.Not{X: tr.pred(args[0])}
		case "_==_":
			return tr.eq(args[0], args[1])
		case "_!=_":
			return &sql.Not{X: tr.eq(args[0], args[1])}
		case "_<_", "_<=_", "_>_", "_>=_":
			op := map[string]string{"_<_": sql.OpLt, "_<=_": sql.OpLe, "_>_": sql.OpGt, "_>=_": sql.OpGe}[c.FunctionName()]
			if tr.isString(args[0]) {
				return tr.d.StringCmp(op, tr.val(args[0]), tr.val(args[1]))
			}
			if tr.isBool(args[0]) {
				return tr.no("ordering booleans")
			}
			return &sql.Bin{Op: op, X: tr.val(args[0]), Y: tr.val(args[1])}
		case "@in":
			if args[1].Kind() != celast.ListKind {
				return tr.no("in over a column (only a list written in the rule, e.g. x in ['a', 'b'])")
			}
			var ors sql.Expr
			for _, el := range args[1].AsList().Elements() {
				ors = or(ors, tr.eq(args[0], el))
			}
			if ors == nil {
				return &sql.Bin{Op: sql.OpEq, X: &sql.Num{V: "1"}, Y: &sql.Num{V: "0"}}
			}
			return ors
		case "_?_:_":
			return &sql.Bin{Op: sql.OpEq, X: &sql.Case{Whens: []sql.When{
				{Cond: tr.pred(args[0]), Then: tr.d.BoolValue(tr.pred(args[1]), false)},
				{Cond: &sql.Not{X: tr.pred(args[0])}, Then: tr.d.BoolValue(tr.pred(args[2]), false)},
			}}, Y: &sql.Num{V: "1"}}
		case "startsWith", "endsWith", "contains":
			if !c.IsMemberFunction() || !tr.isString(c.Target()) {
				return tr.no("%s on something other than a string", c.FunctionName())
			}
			s, p := tr.val(c.Target()), tr.val(args[0])
			n := tr.d.Fn(sql.FnLength, p)
			switch c.FunctionName() {
			case "startsWith":
				return tr.d.StringEq(tr.d.Fn(sql.FnLeft, s, n), p)
			case "endsWith":
				return tr.d.StringEq(tr.d.Fn(sql.FnRight, s, n), p)
			}
			return &sql.Bin{Op: sql.OpOr,
				X: &sql.Bin{Op: sql.OpAnd, X: &sql.IsNull{X: s, Not: true}, Y: &sql.Bin{Op: sql.OpEq, X: n, Y: &sql.Num{V: "0"}}},
				Y: &sql.Bin{Op: sql.OpGt, X: tr.d.Fn(sql.FnIndexOf, p, s), Y: &sql.Num{V: "0"}}}
		}
		return tr.no("the function %s", c.FunctionName())
	case celast.SelectKind:
		if e.AsSelect().IsTestOnly() {
			return tr.no("has() (columns are never absent: test them with != null)")
		}
	}
	return tr.no("this expression as a condition")
}

// eq is CEL's equality, two-valued: null equals null and nothing else.
func (tr *translator) eq(a, b celast.Expr) sql.Expr {
	if isNullLit(a) {
		a, b = b, a
	}
	if isNullLit(b) {
		if isNullLit(a) {
			return &sql.Bin{Op: sql.OpEq, X: &sql.Num{V: "1"}, Y: &sql.Num{V: "1"}}
		}
		if tr.isBool(a) && a.Kind() != celast.IdentKind {
			return &sql.IsNull{X: tr.d.BoolValue(tr.pred(a), false)}
		}
		return &sql.IsNull{X: tr.val(a)}
	}
	var x, y sql.Expr
	var same sql.Expr
	if tr.isBool(a) {
		x, y = tr.boolVal(a), tr.boolVal(b)
		same = &sql.Bin{Op: sql.OpEq, X: x, Y: y}
	} else {
		x, y = tr.val(a), tr.val(b)
		if tr.isString(a) || tr.isString(b) {
			same = tr.d.StringEq(x, y)
		} else {
			same = &sql.Bin{Op: sql.OpEq, X: x, Y: y}
		}
	}
	whens := []sql.When{{Cond: same, Then: &sql.Num{V: "1"}}}
	if a.Kind() != celast.LiteralKind && b.Kind() != celast.LiteralKind {
		// a literal is never null here: only two columns can both be
		whens = append(whens, sql.When{Cond: &sql.Bin{Op: sql.OpAnd, X: &sql.IsNull{X: x}, Y: &sql.IsNull{X: y}}, Then: &sql.Num{V: "1"}})
	}
	return &sql.Bin{Op: sql.OpEq, X: &sql.Case{Whens: whens, Else: &sql.Num{V: "0"}}, Y: &sql.Num{V: "1"}}
}

// boolVal is a boolean as a value: 1, 0 or NULL.
func (tr *translator) boolVal(e celast.Expr) sql.Expr {
	if e.Kind() == celast.IdentKind || e.Kind() == celast.LiteralKind {
		return tr.val(e)
	}
	return tr.d.BoolValue(tr.pred(e), false)
}

// val translates a non-boolean expression to a value.
func (tr *translator) val(e celast.Expr) sql.Expr {
	switch e.Kind() {
	case celast.LiteralKind:
		switch l := e.AsLiteral().(type) {
		case types.String:
			return &sql.Str{V: string(l)}
		case types.Int:
			return &sql.Num{V: strconv.FormatInt(int64(l), 10)}
		case types.Uint:
			return &sql.Num{V: strconv.FormatUint(uint64(l), 10)}
		case types.Double:
			return &sql.Num{V: strconv.FormatFloat(float64(l), 'f', -1, 64)}
		case types.Bool:
			if l {
				return &sql.Num{V: "1"}
			}
			return &sql.Num{V: "0"}
		case types.Null:
			return &sql.Null{}
		}
		return tr.no("the literal %v", e.AsLiteral())
	case celast.IdentKind:
		switch n := e.AsIdent(); n {
		case Today:
			return tr.d.Fn(sql.FnTodayText)
		case Now:
			return tr.d.Fn(sql.FnNowText)
		default:
			if t := tr.typeOf(e); t != nil && (t.Kind() == types.ListKind || t.Kind() == types.DynKind || t.Kind() == types.MapKind) {
				return tr.no("the collection or object column %s (only scalar columns)", n)
			}
			return &sql.Col{Table: tr.table, Name: n}
		}
	case celast.CallKind:
		c := e.AsCall()
		args := c.Args()
		switch c.FunctionName() {
		case "_+_", "_-_", "_*_", "_%_":
			if c.FunctionName() == "_+_" && tr.isString(args[0]) {
				return tr.d.Fn(sql.FnStrictConcat, tr.val(args[0]), tr.val(args[1]))
			}
			op := map[string]string{"_+_": sql.OpAdd, "_-_": sql.OpSub, "_*_": sql.OpMul, "_%_": sql.OpMod}[c.FunctionName()]
			return &sql.Bin{Op: op, X: tr.val(args[0]), Y: tr.val(args[1])}
		case "_/_":
			if isKind(tr.typeOf(e), types.IntKind) {
				return tr.no("integer division (its rounding differs between engines; compare products instead)")
			}
			return &sql.Bin{Op: sql.OpDiv, X: tr.val(args[0]), Y: tr.val(args[1])}
		case "-_":
			return &sql.Neg{X: tr.val(args[0])}
		case "size":
			x := args[0]
			if c.IsMemberFunction() {
				x = c.Target()
			}
			if !tr.isString(x) {
				return tr.no("size() of something other than a string")
			}
			return tr.d.Fn(sql.FnLength, tr.val(x))
		case "timestamp":
			if len(args) != 1 || !tr.isString(args[0]) {
				return tr.no("timestamp() of something other than a string")
			}
			// CEL's timestamp(string) reads RFC 3339 text; the SQL its
			// instant with the offset applied, so instants of different
			// offsets compare as time does.
			return tr.d.Fn(sql.FnParseDateTime, tr.val(args[0]))
		case "_?_:_":
			return &sql.Case{Whens: []sql.When{
				{Cond: tr.pred(args[0]), Then: tr.val(args[1])},
				{Cond: &sql.Not{X: tr.pred(args[0])}, Then: tr.val(args[2])},
			}}
		}
		if tr.isBool(e) {
			return tr.d.BoolValue(tr.pred(e), false)
		}
		return tr.no("the function %s", c.FunctionName())
	}
	return tr.no("this kind of expression")
}

// TestName is the object of a rule's test: the view's object with
// __expect_<rule> appended to its last part.
func TestName(obj sql.ObjectName, rule string) sql.ObjectName {
	out := append(sql.ObjectName{}, obj...)
	if len(out) == 0 {
		return sql.ObjectName{"expect_" + rule}
	}
	out[len(out)-1] += "__expect_" + rule
	return out
}

// Stmts create one view per test, named by TestName, whose rows are the
// rows failing the rule: `SELECT COUNT(*) FROM ...` is the rule's count,
// the same number `fhirql test` reports. Re-running drops and recreates
// them.
func Stmts(t sql.Target, tests []Test) []sql.Stmt {
	if len(tests) == 0 {
		return nil
	}
	var out []sql.Stmt
	for _, ts := range tests {
		e := ts.Expect
		sev := "error"
		if e.Warning {
			sev = "warning"
		}
		lines := []string{fmt.Sprintf("expectation %q of view %q (%s): %s", e.Name, ts.View.Name, sev, Describe(e))}
		if e.Percent {
			lines = append(lines, fmt.Sprintf("passes when at most %g%% of the view's rows are in it", e.Max))
		} else {
			lines = append(lines, fmt.Sprintf("passes when at most %g rows are in it", e.Max))
		}
		name := TestName(t.Object(ts.View), e.Name)
		out = append(out, &sql.Comment{Lines: lines},
			&sql.Drop{Kind: "VIEW", ObjectType: "V", Name: name},
			&sql.Batch{},
			&sql.CreateView{Name: name, Q: ts.Query},
			&sql.Batch{})
	}
	return out
}
