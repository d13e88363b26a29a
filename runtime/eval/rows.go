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
	repeat   []evalFn
	cols     []colProg
	children []*sel
	union    []*sel
}

type colProg struct {
	idx        int
	name       string
	fn         evalFn
	collection bool
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
		out.cols = append(out.cols, colProg{idx: idx, name: col.Name, fn: c.expr(col.Expr), collection: col.Collection})
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
		coll := s.iter(e, focus)
		if e.err != "" {
			return e.error("", s.kind.String()+" "+strconv.Quote(s.iterText)+": "+e.err)
		}
		if len(coll) == 0 {
			if s.kind == plan.ForEachOrNull {
				// The null row: the body sees an empty focus, so paths
				// from it are null and %rowIndex is 0 (as in the suite and
				// as an outer join computes it).
				return e.body(s, nil, 0)
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
