package eval

import (
	"strconv"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/value"
)

// Row generation. A select run on one focus item writes its own columns into
// the row under construction, then must produce the cross product of its
// nested selects and its unionAll group, followed by whatever the enclosing
// selects still have to produce. Instead of materialising partial rows, the
// pending work is kept on an explicit stack of tasks: running a task writes
// cells and pushes its children; when the stack is empty the row is complete
// and emitted. This is continuation passing without closures, so a row costs
// no allocation beyond the copy handed to emit.

// sel is a compiled select.
type sel struct {
	id       int
	kind     plan.SelectKind
	iter     evalFn
	iterText string
	// iterDirect, when set, is iter for a chain of fields from the focus
	// (code.coding) walked over single values; ok false sends it to iter.
	iterDirect func(e *env, focus []item) (coll []item, ok bool)
	repeat     []evalFn
	// nullRow lists the output columns of the whole subtree (nested
	// selects and unionAll branches included) that a forEachOrNull's
	// blank row sets: NULL, or 0 for a %rowIndex column (zero).
	nullRow  []nullCell
	cols     []colProg
	children []*sel
	union    []*sel
}

type nullCell struct {
	idx  int
	zero bool
}

type colProg struct {
	idx        int
	name       string
	fn         evalFn
	collection bool
	// direct, when set, computes the cell of a common shape (a chain of
	// fields and first() from the focus) without building collections;
	// ok false sends the column to fn (data of an unusual shape).
	direct func(e *env, focus []item) (cell *value.Value, ok bool)
}

// task is a select still to run for the current row: the select itself, or
// (union) its unionAll branches one after another.
type task struct {
	s        *sel
	focus    []item
	rowIndex int
	union    bool
}

// maxRepeatDepth bounds repeat recursion, so that a path that does not
// descend ($this) fails instead of exhausting the stack.
const maxRepeatDepth = 1000

func (c *compiler) sel(s *plan.Select) *sel {
	out := &sel{id: c.nsels, kind: s.Kind}
	c.nsels++
	switch s.Kind {
	case plan.Plain:
	case plan.ForEach, plan.ForEachOrNull:
		if s.Iter == nil {
			c.failf("%s without an expression", s.Kind)
			return out
		}
		out.iter = c.expr(s.Iter)
		out.iterText = plan.ExprString(s.Iter)
		out.iterDirect = c.directIter(s.Iter)
		if s.Kind == plan.ForEachOrNull {
			plan.Selects(s, func(n *plan.Select) {
				for _, col := range n.Columns {
					if idx, ok := c.index[col]; ok {
						_, zero := col.Expr.(*plan.RowIndex)
						out.nullRow = append(out.nullRow, nullCell{idx: idx, zero: zero})
					}
				}
			})
		}
	case plan.Repeat:
		if len(s.Repeat) == 0 {
			c.failf("repeat without paths")
		}
		for _, r := range s.Repeat {
			out.repeat = append(out.repeat, c.expr(r))
		}
	default:
		c.failf("unknown select kind %d", s.Kind)
	}
	for _, col := range s.Columns {
		if col == nil || col.Expr == nil {
			c.failf("column without an expression")
			continue
		}
		idx, ok := c.index[col]
		if !ok {
			c.failf("column %q is not an output column", col.Name)
			continue
		}
		cp := colProg{idx: idx, name: col.Name, fn: c.expr(col.Expr), collection: col.Collection}
		if !col.Collection {
			cp.direct = c.direct(col.Expr)
		}
		out.cols = append(out.cols, cp)
	}
	for _, n := range s.Selects {
		out.children = append(out.children, c.sel(n))
	}
	for _, n := range s.UnionAll {
		out.union = append(out.union, c.sel(n))
	}
	return out
}

// runSel runs s on focus; rowIndex is the %rowIndex inherited from the
// enclosing iteration.
func (e *env) runSel(s *sel, focus []item, rowIndex int) error {
	switch s.kind {
	case plan.ForEach, plan.ForEachOrNull:
		e.rowIndex = rowIndex
		var coll []item
		ok := false
		if s.iterDirect != nil {
			coll, ok = s.iterDirect(e, focus)
		}
		if !ok {
			coll = s.iter(e, focus)
		}
		if e.err != "" {
			return e.error("", s.kind.String()+" "+strconv.Quote(s.iterText)+": "+e.err)
		}
		if len(coll) == 0 {
			if s.kind == plan.ForEachOrNull {
				return e.blankRow(s)
			}
			return nil
		}
		for i := range coll {
			if err := e.body(s, coll[i:i+1], i); err != nil {
				return err
			}
		}
		return nil
	case plan.Repeat:
		e.rowIndex = rowIndex
		out := e.expand(s, focus, e.trav[s.id][:0], 0)
		e.trav[s.id] = out
		if e.err != "" {
			return e.error("", "repeat: "+e.err)
		}
		for i := range out {
			if err := e.body(s, out[i:i+1], i); err != nil {
				return err
			}
		}
		return nil
	}
	return e.body(s, focus, rowIndex)
}

// blankRow is what forEachOrNull gives for an empty collection: one row
// in which every column of the select's subtree is null, its nested
// selects and unionAll branches included, and a %rowIndex column is 0 —
// the specification's processing algorithm (select step 3). The body is
// not evaluated: a literal column is null too, and a nested forEach
// cannot remove the row.
func (e *env) blankRow(s *sel) error {
	for _, c := range s.nullRow {
		if c.zero {
			e.cells[c.idx] = zeroValue
		} else {
			e.cells[c.idx] = nil
		}
	}
	return e.next()
}

// zeroValue is the %rowIndex of a blank row.
var zeroValue = &value.Value{Kind: value.Number, Str: "0"}

// expand appends, in pre-order, every node reached from node by the repeat
// paths, applying all paths again to each node reached.
func (e *env) expand(s *sel, node []item, out []item, depth int) []item {
	if depth > maxRepeatDepth {
		e.fail("the repeat paths recurse more than " + strconv.Itoa(maxRepeatDepth) + " levels (a path that does not descend?)")
		return out
	}
	for _, p := range s.repeat {
		r := p(e, node)
		if e.err != "" || len(r) == 0 {
			continue
		}
		start := len(e.scratch)
		e.scratch = append(e.scratch, r...)
		end := len(e.scratch)
		for i := start; i < end && e.err == ""; i++ {
			out = append(out, e.scratch[i])
			out = e.expand(s, e.scratch[i:i+1], out, depth+1)
		}
		e.scratch = e.scratch[:start]
	}
	return out
}

// body writes the columns of s for one focus and continues with its
// children and the rest of the pending work.
func (e *env) body(s *sel, focus []item, rowIndex int) error {
	e.rowIndex = rowIndex
	for i := range s.cols {
		c := &s.cols[i]
		if c.direct != nil {
			if v, ok := c.direct(e, focus); ok {
				e.cells[c.idx] = v
				continue
			}
		}
		r := c.fn(e, focus)
		if e.err != "" {
			return e.error(c.name, "column "+strconv.Quote(c.name)+": "+e.err)
		}
		if c.collection {
			arr := e.carve(len(r))
			for j := range r {
				arr[j] = r[j].v
			}
			e.cells[c.idx] = &value.Value{Kind: value.Array, Arr: arr}
			continue
		}
		switch len(r) {
		case 0:
			e.cells[c.idx] = nil
		case 1:
			e.cells[c.idx] = r[0].v
		default:
			return e.error(c.name, "column "+strconv.Quote(c.name)+" produced "+strconv.Itoa(len(r))+
				" values; mark it as a collection (\""+c.name+"[] = ...\" / \"collection\": true) or pick one with .first()")
		}
	}
	base := len(e.tasks)
	if len(s.union) > 0 {
		e.tasks = append(e.tasks, task{s: s, focus: focus, rowIndex: rowIndex, union: true})
	}
	for i := len(s.children) - 1; i >= 0; i-- {
		e.tasks = append(e.tasks, task{s: s.children[i], focus: focus, rowIndex: rowIndex})
	}
	err := e.next()
	e.tasks = e.tasks[:base]
	return err
}

// next runs the top pending task, or emits the row when none is left.
func (e *env) next() error {
	n := len(e.tasks)
	if n == 0 {
		return e.emitRow()
	}
	t := e.tasks[n-1]
	e.tasks = e.tasks[:n-1]
	var err error
	if t.union {
		for _, b := range t.s.union {
			if err = e.runSel(b, t.focus, t.rowIndex); err != nil {
				break
			}
		}
	} else {
		err = e.runSel(t.s, t.focus, t.rowIndex)
	}
	e.tasks = append(e.tasks[:n-1], t)
	return err
}

// noDirect turns direct paths off (tests compare both ways).
var noDirect bool

// pathStep is one step of a direct path: a field or first().
type pathStep struct {
	key   string
	hint  int
	first bool
	array shape // the field's JSON shape: see shapeOK
	sk    kind  // the kind of the field's elements (which JSON kinds are one)
}

// direct compiles a column that is a chain of fields and first() calls
// from the focus (code, subject.reference, status.coding.first().code)
// into a walk over single values. It returns nil for any other shape. The
// walk gives up (ok false) on what it does not model, an array not
// followed by first() or a focus of several items, so fn decides those.
func (c *compiler) direct(x plan.Expr) func(e *env, focus []item) (*value.Value, bool) {
	if noDirect {
		return nil
	}
	// A key function may end the path.
	const (
		endValue = iota
		endResourceKey
		endReferenceKey
	)
	end, want := endValue, ""
	if call, ok := x.(*plan.Call); ok && call.Func != nil && call.X != nil {
		switch {
		case call.Func.Name == "getResourceKey" && len(call.Args) == 0:
			end, x = endResourceKey, call.X
		case call.Func.Name == "getReferenceKey" && len(call.Args) <= 1:
			if len(call.Args) == 1 {
				ta, ok := call.Args[0].(*plan.TypeArg)
				if !ok {
					return nil
				}
				want = ta.Name
			}
			end, x = endReferenceKey, call.X
		}
	}
	var steps []pathStep
	var lastField *plan.Field // the outermost field: the column's element
	for {
		switch n := x.(type) {
		case *plan.Field:
			if c.extOf[n] || n.Key == "" {
				return nil
			}
			if lastField == nil {
				lastField = n
			}
			steps = append(steps, pathStep{key: n.Key, hint: c.newHint(), array: shapeOf(n.T.Type, n.Array), sk: staticKind(n.T.Type)})
			x = n.X
			continue
		case *plan.Call:
			if n.Func == nil || n.Func.Name != "first" || len(n.Args) != 0 || n.X == nil {
				return nil
			}
			steps = append(steps, pathStep{first: true})
			x = n.X
			continue
		case *plan.Focus:
		default:
			return nil
		}
		break
	}
	if end == endValue && (len(steps) == 0 || steps[len(steps)-1].first) {
		return nil
	}
	// steps were collected from the outside in
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	lastSK := kNone
	if lastField != nil {
		lastSK = staticKind(lastField.T.Type)
	}
	return func(e *env, focus []item) (*value.Value, bool) {
		if len(focus) != 1 {
			return nil, false
		}
		v := focus[0].v
		for i := 0; i < len(steps); i++ {
			st := &steps[i]
			if st.first {
				continue // a single value is its own first()
			}
			if v.Kind != value.Object {
				return nil, true // navigation from a primitive is empty
			}
			var m *value.Value
			if h := int(e.hints[st.hint]); h < len(v.Obj) && v.Obj[h].Key == st.key {
				m = v.Obj[h].Val
			} else if m = e.member(v, st.key, st.hint); m == nil {
				return nil, true
			}
			if !shapeOK(m, st.array) {
				return nil, true
			}
			switch m.Kind {
			case value.Null:
				return nil, true
			case value.Array:
				if i+1 >= len(steps) || !steps[i+1].first {
					return nil, false
				}
				// first() of the flattened array: its first element
				// that is present, as appendNode reads them: not null,
				// not an array, of a JSON kind that fits the element's
				// type (docs/input.md)
				var el *value.Value
				for _, a := range m.Arr {
					if a != nil && a.Kind != value.Null && a.Kind != value.Array && (!odd(a, st.sk) || asText(a, st.sk) != nil) {
						el = a
						break
					}
				}
				if el == nil {
					return nil, true
				}
				m = el
				i++ // the first() is done
			}
			v = m
		}
		switch end {
		case endResourceKey:
			// as bResourceKey
			if v.Kind != value.Object || (v != e.root[0].v && v.Get("resourceType") == nil) {
				return nil, true
			}
			if key := v.Get("id"); key != nil && key.Kind == value.String {
				return key, true
			} else if key != nil && key.Kind == value.Number {
				return e.newStr(key.Str), true // a number id is its text, as bResourceKey
			}
			return nil, true
		case endReferenceKey:
			// as bReferenceKey
			if v.Kind != value.Object {
				return nil, true
			}
			ref := v.Get("reference")
			if ref == nil || ref.Kind != value.String {
				return nil, true
			}
			if key, ok := referenceKey(ref.Str, want); ok {
				return e.newStr(key), true
			}
			return nil, true
		}
		if lastSK != kNone && !lastSK.complex() {
			if v = asText(v, lastSK); v == nil { // as appendNode
				return nil, true
			}
		}
		return v, true
	}
}

// directIter compiles a forEach expression that is a chain of fields from
// the focus: the fields before the last are walked over single values
// (ok false on an array or several focus items), the last one's value is
// flattened as field navigation does.
func (c *compiler) directIter(x plan.Expr) func(e *env, focus []item) ([]item, bool) {
	if noDirect {
		return nil
	}
	last, ok := x.(*plan.Field)
	if !ok || c.extOf[last] || last.Key == "" {
		return nil
	}
	var steps []pathStep
	for x := plan.Expr(last); ; {
		if _, ok := x.(*plan.Focus); ok {
			break
		}
		f, ok := x.(*plan.Field)
		if !ok || c.extOf[f] || f.Key == "" {
			return nil
		}
		steps = append(steps, pathStep{key: f.Key, hint: c.newHint(), array: shapeOf(f.T.Type, f.Array)})
		x = f.X
	}
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	sk := staticKind(last.T.Type)
	t := tidOf(last.T.Type)
	id := c.newBuf()
	return func(e *env, focus []item) ([]item, bool) {
		if len(focus) != 1 {
			return nil, false
		}
		v := focus[0].v
		for i := range steps {
			st := &steps[i]
			if v.Kind != value.Object {
				return nil, true
			}
			var m *value.Value
			if h := int(e.hints[st.hint]); h < len(v.Obj) && v.Obj[h].Key == st.key {
				m = v.Obj[h].Val
			} else if m = e.member(v, st.key, st.hint); m == nil {
				return nil, true
			}
			if !shapeOK(m, st.array) {
				return nil, true
			}
			if i == len(steps)-1 {
				out := appendNode(e.bufs[id][:0], m, sk, t)
				e.keep(id, out)
				return out, true
			}
			switch m.Kind {
			case value.Null:
				return nil, true
			case value.Array:
				return nil, false
			}
			v = m
		}
		return nil, true // not reached: there is at least one step
	}
}
