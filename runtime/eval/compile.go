package eval

import (
	"fmt"
	"time"

	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
)

// evalFn evaluates one expression node. focus is the collection the
// expression is evaluated against ($this, or the resource at the top). The
// result may alias focus, a shared constant or the node's own buffer in e:
// callers read it and never modify it, and use it before the same node runs
// again.
type evalFn func(e *env, focus []item) []item

// compiler turns plan expressions into closures, handing each closure that
// builds a collection its own buffer index.
type compiler struct {
	nhints int
	extOf  map[*plan.Field]bool // primitive fields whose extensions are read
	view   *plan.View
	index  map[*plan.Column]int // output position of every column of the tree
	now    time.Time
	nbufs  int
	nsels  int
	err    error
}

// newHint allocates a member-position hint slot (see env.member).
func (c *compiler) newHint() int {
	c.nhints++
	return c.nhints - 1
}

func (c *compiler) newBuf() int {
	c.nbufs++
	return c.nbufs - 1
}

func (c *compiler) failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func empty(*env, []item) []item { return nil }

// extensionReceivers finds the fields whose items reach an extension()
// call, directly or through subsetting and filtering (birthDate.extension(u),
// given.first().extension(u)): only those navigations pay for looking up the
// "_key" sibling that holds a primitive's extensions.
func extensionReceivers(v *plan.View) map[*plan.Field]bool {
	found := map[*plan.Field]bool{}
	visit := func(x plan.Expr) bool {
		call, ok := x.(*plan.Call)
		if !ok || call.Func == nil || call.Func.Name != "extension" {
			return true
		}
		r := call.X
		for r != nil {
			switch n := r.(type) {
			case *plan.Field:
				found[n] = true
				r = nil
			case *plan.Subscript:
				r = n.X
			case *plan.Call:
				r = nil
				if n.Func != nil {
					switch n.Func.Name {
					case "first", "last", "single", "tail", "skip", "take", "where", "ofType", "distinct":
						r = n.X
					}
				}
			case *plan.TypeOp:
				r = n.X
			default:
				r = nil
			}
		}
		return true
	}
	for _, w := range v.Where {
		plan.Walk(w, visit)
	}
	if v.Root != nil {
		plan.Selects(v.Root, func(s *plan.Select) {
			plan.Walk(s.Iter, visit)
			for _, r := range s.Repeat {
				plan.Walk(r, visit)
			}
			for _, col := range s.Columns {
				if col != nil {
					plan.Walk(col.Expr, visit)
				}
			}
		})
	}
	return found
}

// expr compiles one expression.
func (c *compiler) expr(x plan.Expr) evalFn {
	switch x := x.(type) {
	case nil:
		c.failf("missing expression")
		return empty
	case *plan.Lit:
		return c.lit(x)
	case *plan.Focus:
		return func(_ *env, focus []item) []item { return focus }
	case *plan.Root:
		return func(e *env, _ []item) []item { return e.root }
	case *plan.RowIndex:
		return func(e *env, _ []item) []item { return intColl(int64(e.rowIndex)) }
	case *plan.IndexVar:
		return func(e *env, _ []item) []item { return intColl(int64(e.index)) }
	case *plan.TotalVar:
		return empty
	case *plan.Field:
		return c.field(x)
	case *plan.Choice:
		return c.choice(x)
	case *plan.Call:
		return c.call(x)
	case *plan.TypeArg:
		c.failf("type name %s used as a value", x.Name)
		return empty
	case *plan.Unary:
		return c.unaryOp(x)
	case *plan.Binary:
		return c.binary(x)
	case *plan.TypeOp:
		return c.typeOp(x)
	case *plan.Subscript:
		return c.subscript(x)
	}
	c.failf("unsupported expression node %T", x)
	return empty
}

// lit builds a literal's one-item collection once.
func (c *compiler) lit(x *plan.Lit) evalFn {
	var it item
	switch x.Kind {
	case plan.Empty:
		return empty
	case plan.Bool:
		switch x.Value {
		case "true":
			it = trueItem
		case "false":
			it = falseItem
		default:
			c.failf("bad boolean literal %q", x.Value)
		}
	case plan.String:
		it = strItem(x.Value)
	case plan.Integer:
		if !isIntegerLexeme(x.Value) {
			c.failf("bad integer literal %q", x.Value)
		}
		it = item{v: value.NewNumber(x.Value), t: tidInteger, k: kInt}
	case plan.Long:
		if !isIntegerLexeme(x.Value) {
			c.failf("bad long literal %q", x.Value)
		}
		it = item{v: value.NewNumber(x.Value), t: tidLong, k: kLong}
	case plan.Decimal:
		if _, ok := parseDec(x.Value); !ok {
			c.failf("bad decimal literal %q", x.Value)
		}
		it = item{v: value.NewNumber(x.Value), t: tidDecimal, k: kDec}
	case plan.Date, plan.DateTime:
		d, ok := parseDateTime(x.Value)
		if !ok {
			c.failf("bad date/time literal %q", x.Value)
		}
		k := kDateTime
		if x.Kind == plan.Date && d.prec <= pDay {
			k = kDate
		}
		text := x.Value
		if len(text) > 0 && text[len(text)-1] == 'T' {
			text = text[:len(text)-1]
		}
		it = tempItem(k, text)
	case plan.Time:
		if _, ok := parseTime(x.Value); !ok {
			c.failf("bad time literal %q", x.Value)
		}
		it = tempItem(kTime, trimT(x.Value))
	case plan.Quantity:
		if _, ok := parseDec(x.Value); !ok {
			c.failf("bad quantity literal %q", x.Value)
		}
		it = quantityItem(x.Value, x.Unit)
	default:
		c.failf("unknown literal kind %d", x.Kind)
		return empty
	}
	coll := []item{it}
	return func(*env, []item) []item { return coll }
}

func trimT(s string) string {
	if len(s) > 0 && s[0] == 'T' {
		return s[1:]
	}
	return s
}

// field navigates to a child key over every input item.
func (c *compiler) field(x *plan.Field) evalFn {
	key := x.Key
	sk := staticKind(x.T.Type)
	t := tidOf(x.T.Type)
	id := c.newBuf()
	ext := c.extOf[x]
	extKey := "_" + key
	hint := c.newHint()
	// The kinds of a string and of an object node depend on sk only.
	strK := classify(&value.Value{Kind: value.String}, sk)
	objK := classify(&value.Value{Kind: value.Object}, sk)
	array := shapeOf(x.T.Type, x.Array)
	strConv := sk.isNum() || sk == kBool // a string is converted (asText)
	nav := func(e *env, in []item) []item {
		out := e.bufs[id][:0]
		for i := range in {
			v := in[i].v
			if v.Kind != value.Object {
				continue
			}
			// e.member's first guess, inline
			var m *value.Value
			if h := int(e.hints[hint]); h < len(v.Obj) && v.Obj[h].Key == key {
				m = v.Obj[h].Val
			} else if m = e.member(v, key, hint); m == nil {
				continue
			}
			if !shapeOK(m, array) {
				continue
			}
			switch {
			case ext:
				out = appendNodeExt(out, m, v.Get(extKey), sk, t)
			case m.Kind == value.String && !strConv:
				out = append(out, item{v: m, t: t, k: strK})
			case m.Kind == value.Object && !sk.primitive():
				out = append(out, item{v: m, t: t, k: objK})
			default:
				out = appendNode(out, m, sk, t)
			}
		}
		e.keep(id, out)
		return out
	}
	if _, ok := x.X.(*plan.Focus); ok {
		return func(e *env, focus []item) []item { return nav(e, focus) }
	}
	sub := c.expr(x.X)
	return func(e *env, focus []item) []item { return nav(e, sub(e, focus)) }
}

// shapeOK reports whether a member's JSON value has its element's shape:
// an array where the element repeats, anything else (null included) where
// it does not. A value of the other shape is read as absent, as the SQL
// targets read it (JSON_VALUE and OPENJSON do not step into an array they
// were not told of): docs/input.md.
func shapeOK(m *value.Value, s shape) bool {
	return s == anyShape || m.Kind == value.Null || (m.Kind == value.Array) == (s == manyShape)
}

// shape is the JSON shape a field's value must have.
type shape uint8

const (
	anyShape  shape = iota // an untyped field (hand-built plans): either
	oneShape               // a single value
	manyShape              // an array
)

// shapeOf is the shape of a field of type t (none when t is unknown).
func shapeOf(t types.Type, array bool) shape {
	switch {
	case t == "":
		return anyShape
	case array:
		return manyShape
	}
	return oneShape
}

// choice reads whichever typed key of a choice element is present.
func (c *compiler) choice(x *plan.Choice) evalFn {
	type ck struct {
		key   string
		t     tid
		sk    kind
		array shape
	}
	keys := make([]ck, len(x.Keys))
	for i, k := range x.Keys {
		keys[i] = ck{key: k.Key, t: tidOf(k.Type), sk: staticKind(k.Type), array: shapeOf(k.Type, k.Array)}
	}
	sub := c.expr(x.X)
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		in := sub(e, focus)
		out := e.bufs[id][:0]
		for i := range in {
			v := in[i].v
			if v.Kind != value.Object {
				continue
			}
			for j := range keys {
				if m := v.Get(keys[j].key); m != nil && shapeOK(m, keys[j].array) {
					out = appendNode(out, m, keys[j].sk, keys[j].t)
				}
			}
		}
		e.keep(id, out)
		return out
	}
}

// call binds a function call to its implementation.
func (c *compiler) call(x *plan.Call) evalFn {
	if x.Func == nil {
		c.failf("call without a function")
		return empty
	}
	b := builders[x.Func.Name]
	if b == nil {
		c.failf("function %s() has no runtime implementation", x.Func.Name)
		return empty
	}
	if len(x.Args) > len(x.Func.Args) || len(x.Args) < x.Func.MinArgs {
		c.failf("%s() takes %d to %d arguments, got %d", x.Func.Name, x.Func.MinArgs, len(x.Func.Args), len(x.Args))
		return empty
	}
	for i, a := range x.Args {
		_, isType := a.(*plan.TypeArg)
		if (x.Func.Args[i] == funcs.TypeSpec) != isType {
			c.failf("%s(): argument %d has the wrong form", x.Func.Name, i+1)
			return empty
		}
	}
	if x.X == nil {
		c.failf("%s() without a receiver", x.Func.Name)
		return empty
	}
	return b(c, x)
}

// subscript is X[i].
func (c *compiler) subscript(x *plan.Subscript) evalFn {
	sub := c.expr(x.X)
	idx := c.expr(x.Index)
	return func(e *env, focus []item) []item {
		in := sub(e, focus)
		n, ok := e.intArg(idx, focus, "[]")
		if !ok || n < 0 || n >= int64(len(in)) {
			return nil
		}
		return in[n : n+1 : n+1]
	}
}

// intArg evaluates an argument that must be one integer; ok is false when
// it is empty (or on error, which is recorded).
func (e *env) intArg(f evalFn, focus []item, what string) (int64, bool) {
	r := f(e, focus)
	if len(r) == 0 {
		return 0, false
	}
	if len(r) > 1 {
		e.fail(what + ": the argument has " + itoa(len(r)) + " values, expected one integer")
		return 0, false
	}
	if !r[0].k.isNum() {
		e.fail(what + ": the argument is a " + string(typeName(r[0])) + ", expected an integer")
		return 0, false
	}
	n, ok := parseInt(r[0].v.Str)
	if !ok {
		e.fail(what + ": the argument " + r[0].v.Str + " is not an integer")
		return 0, false
	}
	return n, true
}

// strArg evaluates an argument that must be one string (empty: ok false).
func (e *env) strArg(f evalFn, focus []item, what string) (string, bool) {
	r := f(e, focus)
	if len(r) == 0 {
		return "", false
	}
	if len(r) > 1 {
		e.fail(what + ": the argument has " + itoa(len(r)) + " values, expected one string")
		return "", false
	}
	s, ok := textOf(r[0])
	if !ok {
		e.fail(what + ": the argument is a " + string(typeName(r[0])) + ", expected a string")
	}
	return s, ok
}

// columnPositions derives the output position of every column from the
// select tree, as the spec defines it: a select's own columns, then its
// nested selects', then its unionAll's, where the columns of every branch
// after the first take the positions of the first branch's, one by one. The
// positions must agree with View.Columns; column j of a later branch gets
// the position of column j of the first branch whatever its Index says, so
// that a plan with inconsistent branch indexes still fills the right cells.
func (c *compiler) columnPositions(v *plan.View) {
	c.index = map[*plan.Column]int{}
	peer := map[*plan.Column]*plan.Column{}
	var walk func(s *plan.Select) []*plan.Column
	walk = func(s *plan.Select) []*plan.Column {
		if s == nil {
			return nil
		}
		var out []*plan.Column
		for _, col := range s.Columns {
			if col != nil {
				out = append(out, col)
			}
		}
		for _, n := range s.Selects {
			out = append(out, walk(n)...)
		}
		var first []*plan.Column
		for i, b := range s.UnionAll {
			cols := walk(b)
			if i == 0 {
				first = cols
				continue
			}
			if len(cols) != len(first) {
				c.failf("unionAll branch %d has %d columns, the first branch %d", i+1, len(cols), len(first))
				continue
			}
			for j, col := range cols {
				if col.Name != first[j].Name {
					c.failf("unionAll branch %d has column %q where the first branch has %q", i+1, col.Name, first[j].Name)
				}
				peer[col] = first[j]
			}
		}
		return append(out, first...)
	}
	order := walk(v.Root)
	if len(order) != len(v.Columns) {
		c.failf("the select tree has %d output columns, View.Columns %d", len(order), len(v.Columns))
		return
	}
	for i, col := range order {
		if col.Name != v.Columns[i].Name {
			c.failf("output column %d is %q in the select tree but %q in View.Columns", i, col.Name, v.Columns[i].Name)
		}
		c.index[col] = i
	}
	for col := range peer {
		p := col
		for n := 0; n < len(peer)+1; n++ {
			if q, ok := peer[p]; ok {
				p = q
				continue
			}
			break
		}
		c.index[col] = c.index[p]
	}
}
