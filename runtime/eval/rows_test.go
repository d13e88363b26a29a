package eval

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/eval/evaltest"
)

const qr = `{"resourceType":"QuestionnaireResponse","id":"qr1","item":[
 {"linkId":"1","item":[{"linkId":"1.1","answer":[{"valueString":"a","item":[{"linkId":"1.1.1"}]}]},{"linkId":"1.2"}]},
 {"linkId":"2"}]}`

func psel(cols ...*plan.Column) *plan.Select { return &plan.Select{Columns: cols} }

func forEach(kind plan.SelectKind, iter plan.Expr, cols ...*plan.Column) *plan.Select {
	return &plan.Select{Kind: kind, Iter: iter, Columns: cols}
}

func withSelects(s *plan.Select, n ...*plan.Select) *plan.Select { s.Selects = n; return s }
func withUnion(s *plan.Select, n ...*plan.Select) *plan.Select   { s.UnionAll = n; return s }

type rowCase struct {
	name string
	v    *plan.View
	res  string
	want string // rows joined by newlines, or "err:" and a substring
}

var rowCases = []rowCase{
	{"plain", view("Patient", psel(col("id", P("id"), false), col("g", P("gender"), false))), pt,
		`["p1","female"]`},
	{"null cell", view("Patient", psel(col("x", P("nothing"), false))), pt, `[null]`},
	{"collection cell", view("Patient", psel(col("x", P("name.given"), true), col("y", P("nothing"), true))), pt,
		`[["Ann","Marie","Annie"],[]]`},
	{"several values in a one-value column", view("Patient", psel(col("given", P("name.given"), false))), pt,
		`err:column "given" produced 3 values; mark it as a collection`},
	{"object cell", view("Patient", psel(col("o", P("managingOrganization"), false))), pt,
		`[{"reference":"Organization/o1"}]`},
	{"forEach with rowIndex", view("Patient", withSelects(psel(col("id", P("id"), false)),
		forEach(plan.ForEach, P("name"), col("i", &plan.RowIndex{}, false), col("use", P("use"), false)))), pt,
		"[\"p1\",0,\"official\"]\n[\"p1\",1,\"nickname\"]"},
	{"forEach over nothing", view("Patient", withSelects(psel(col("id", P("id"), false)),
		forEach(plan.ForEach, P("nothing"), col("x", P("a"), false)))), pt, ""},
	{"forEachOrNull over nothing", view("Patient", withSelects(psel(col("id", P("id"), false)),
		forEach(plan.ForEachOrNull, P("nothing"), col("i", &plan.RowIndex{}, false), col("x", P("a"), false)))), pt,
		`["p1",0,null]`},
	{"nested forEach and cross product", view("Patient", withSelects(psel(),
		withSelects(forEach(plan.ForEach, P("name"), col("use", P("use"), false)),
			forEach(plan.ForEach, P("given"), col("g", this, false), col("gi", &plan.RowIndex{}, false))),
		forEach(plan.ForEach, P("telecom"), col("sys", P("system"), false), col("ti", &plan.RowIndex{}, false)))), pt,
		strings.Join([]string{
			`["official","Ann",0,"phone",0]`, `["official","Ann",0,"email",1]`,
			`["official","Marie",1,"phone",0]`, `["official","Marie",1,"email",1]`,
			`["nickname","Annie",0,"phone",0]`, `["nickname","Annie",0,"email",1]`,
		}, "\n")},
	{"unionAll", view("Patient", withUnion(psel(col("id", P("id"), false)),
		forEach(plan.ForEach, P("telecom"), col("v", P("value"), false), col("i", &plan.RowIndex{}, false)),
		psel(col("v", P("gender"), false), col("i", &plan.RowIndex{}, false)))), pt,
		"[\"p1\",\"555\",0]\n[\"p1\",\"a@b.c\",1]\n[\"p1\",\"female\",0]"},
	{"nested unionAll in a later branch", view("Patient", withUnion(psel(col("id", P("id"), false)),
		psel(col("v", S("a"), false)),
		withUnion(psel(), psel(col("v", S("b"), false)), psel(col("v", S("c"), false))))), pt,
		"[\"p1\",\"a\"]\n[\"p1\",\"b\"]\n[\"p1\",\"c\"]"},
	{"repeat pre-order with rowIndex", view("QuestionnaireResponse", withSelects(psel(),
		&plan.Select{Kind: plan.Repeat, Repeat: []plan.Expr{P("item"), P("answer.item")},
			Columns: []*plan.Column{col("link", P("linkId"), false), col("i", &plan.RowIndex{}, false)}})), qr,
		strings.Join([]string{`["1",0]`, `["1.1",1]`, `["1.1.1",2]`, `["1.2",3]`, `["2",4]`}, "\n")},
	{"repeat that does not descend", view("QuestionnaireResponse", withSelects(psel(),
		&plan.Select{Kind: plan.Repeat, Repeat: []plan.Expr{this}, Columns: []*plan.Column{col("i", P("id"), false)}})), qr,
		"err:recurse"},
	{"where passes", view("Patient", psel(col("id", P("id"), false)), Op("=", P("gender"), S("female"))), pt, `["p1"]`},
	{"where fails", view("Patient", psel(col("id", P("id"), false)), Op("=", P("gender"), S("male"))), pt, ""},
	{"where empty", view("Patient", psel(col("id", P("id"), false)), P("deceasedBoolean")), pt, ""},
	{"where not boolean", view("Patient", psel(col("id", P("id"), false)), P("gender")), pt, "err:not a boolean"},
	{"where several values", view("Patient", psel(col("id", P("id"), false)), P("name.given")), pt, "err:3 values"},
	{"every filter must pass", view("Patient", psel(col("id", P("id"), false)), B(true), B(false)), pt, ""},
	{"other resource type", view("Observation", psel(col("id", P("id"), false))), pt, ""},
	{"projection without resourceType", view("Patient", psel(col("id", P("id"), false), col("p", Is(this, "", "Patient"), false))),
		`{"id":"x"}`, `["x",true]`},
	{"error inside forEach names the column", view("Patient", withSelects(psel(),
		forEach(plan.ForEach, P("name"), col("s", Call(P("given"), "single"), false)))), pt,
		`err:column "s": single()`},
	{"null elements of arrays are dropped", view("Patient", psel(col("g", P("name.given"), true))),
		`{"resourceType":"Patient","name":[{"given":["a",null,"b"]},null]}`, `[["a","b"]]`},
	// A value of the wrong shape for its element is absent, as in SQL
	// (docs/input.md); an untyped field (F) takes either shape.
	{"array where one value is declared", view("Patient", psel(col("g", FT(this, "gender", "code", false), true))),
		`{"resourceType":"Patient","gender":["a","b"]}`, `[[]]`},
	{"object where an array is declared", view("Patient", psel(col("f", F(FT(this, "name", "HumanName", true), "family"), false))),
		`{"resourceType":"Patient","name":{"family":"x"}}`, `[null]`},
	{"either shape when untyped", view("Patient", psel(col("g", F(this, "gender"), true), col("f", F(F(this, "name"), "family"), true))),
		`{"resourceType":"Patient","gender":["a","b"],"name":{"family":"x"}}`, `[["a","b"],["x"]]`},
	{"primitive with only an extension", view("Patient", psel(col("b", birthDate, false), col("e", Call(birthDate, "extension", S("u")), true))),
		`{"resourceType":"Patient","_birthDate":{"extension":[{"url":"u"}]}}`, `[null,[]]`},
}

func TestRows(t *testing.T) {
	for _, tc := range rowCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rows(t, tc.v, tc.res)
			if msg, ok := strings.CutPrefix(tc.want, "err:"); ok {
				var ee *Error
				if err == nil || !errors.As(err, &ee) || !strings.Contains(err.Error(), msg) {
					t.Fatalf("error %v (rows %q), want an *Error containing %q", err, got, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got, "\n"); s != tc.want {
				t.Fatalf("rows:\n%s\nwant:\n%s", s, tc.want)
			}
		})
	}
}

func TestEmitErrorStops(t *testing.T) {
	v := view("Patient", withSelects(psel(), forEach(plan.ForEach, P("name.given"), col("g", this, false))))
	p, err := Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = p.Eval(evaltest.MustDecode(pt), func(Row) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("err %v after %d rows, want the emit error after 1 row", err, n)
	}
}

func TestRowsAreOwned(t *testing.T) {
	v := view("Patient", withSelects(psel(), forEach(plan.ForEach, P("name.given"), col("g", this, false))))
	p, _ := Compile(v)
	var kept []Row
	res := evaltest.MustDecode(pt)
	for range 3 {
		if err := p.Eval(res, func(r Row) error { kept = append(kept, r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range kept {
		got = append(got, r[0].Str)
	}
	if s := strings.Join(got, ","); s != "Ann,Marie,Annie,Ann,Marie,Annie,Ann,Marie,Annie" {
		t.Fatalf("kept rows changed: %s", s)
	}
}

func TestCompileRejectsBadPlans(t *testing.T) {
	bad := []*plan.View{
		nil,
		{Name: "v", Resource: "Patient"},
		view("Patient", psel(col("x", &plan.TypeArg{Name: "X"}, false))),
		view("Patient", psel(col("x", &plan.Call{X: this, Func: nil}, false))),
		view("Patient", psel(col("x", Call(this, "first", S("extra")), false))),
		view("Patient", withSelects(psel(), &plan.Select{Kind: plan.ForEach, Columns: []*plan.Column{col("x", this, false)}})),
		view("Patient", psel(col("x", &plan.Lit{Kind: plan.Integer, Value: "x"}, false))),
	}
	for i, v := range bad {
		if _, err := Compile(v); err == nil {
			t.Errorf("plan %d: Compile succeeded, want an error", i)
		}
	}
	// a later unionAll branch whose columns differ from the first's
	v := view("Patient", withUnion(psel(), psel(col("a", S("x"), false)), psel(col("b", S("y"), false))))
	v.Columns = v.Columns[:1]
	if _, err := Compile(v); err == nil {
		t.Errorf("mismatched unionAll branches: Compile succeeded")
	}
}

// TestConcurrentEval runs one Program from several goroutines (run it with
// -race).
func TestConcurrentEval(t *testing.T) {
	v := view("Patient", withSelects(psel(col("id", P("id"), false)),
		forEach(plan.ForEach, P("name"), col("i", &plan.RowIndex{}, false), col("g", Call(P("given"), "join", S(" ")), false))))
	p, err := Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	res := evaltest.MustDecode(pt)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				var got []string
				err := p.Eval(res, func(r Row) error {
					got = append(got, evaltest.Encode(r[1])+evaltest.Encode(r[2]))
					return nil
				})
				if err != nil || strings.Join(got, ",") != `0"Ann Marie",1"Annie"` {
					t.Errorf("concurrent eval: %v %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
