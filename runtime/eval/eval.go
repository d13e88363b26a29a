// Package eval evaluates a compiled view plan over one FHIR resource and
// yields its rows, with the semantics of SQL on FHIR v2 ViewDefinitions and
// FHIRPath (N1).
//
// The plan is turned once into a tree of Go closures (the cel-go "planner"
// style): every FHIRPath node becomes a function from a focus collection to a
// result collection, and every select becomes a row generator. Evaluating a
// resource then walks only those closures. Collections are slices of small
// items that point into the resource's JSON, so navigation copies no data;
// each closure writes its result into a buffer owned by a per-goroutine
// environment that is pooled and reused, so the steady state allocates only
// the rows handed out and the values FHIRPath computes (numbers, strings).
//
// A Program holds no mutable state and may be used by several goroutines at
// once; each Eval borrows its own environment.
package eval

import (
	"strconv"
	"sync"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
)

// Row is one output row: one cell per plan column, in View.Columns order. A
// nil cell is SQL NULL; a collection column holds a value.Array (empty when
// nothing was found). Each Row passed to emit is freshly allocated and owned
// by the receiver: it may be kept, sent to another goroutine or modified. The
// cells point into the resource and must not be modified.
type Row []*value.Value

// Error is a runtime error of one view on one resource: the spec's
// mandatory failures (several values in a non-collection column, a where
// filter that is not boolean) and FHIRPath errors (single() on several
// items, arithmetic on collections). It names the view and column so that
// the pipeline can report it with the input position.
type Error struct {
	View    string
	Column  string // "" when the error is not in a column (where, forEach)
	Message string
}

// Error formats the error as `view "v": message`.
func (e *Error) Error() string {
	return "view " + strconv.Quote(e.View) + ": " + e.Message
}

// Options tune compilation.
type Options struct {
	// Now is the instant now() and today() return for every resource (the
	// functions are "fixed for one run"); the zero value means the time of
	// Compile. Passing the same Now to every view of a run makes them agree.
	Now time.Time
}

// Program is a compiled view. It is immutable after Compile and safe for
// concurrent use.
type Program struct {
	view   *plan.View
	where  []whereProg
	root   *sel
	ncols  int
	nbufs  int
	nsels  int
	nhints int
	// resourceType checked against each resource's own resourceType.
	resource string
	rootType tid
	pool     sync.Pool
}

type whereProg struct {
	fn   evalFn
	text string
}

// Compile builds the closures for a view with default options.
func Compile(v *plan.View) (*Program, error) {
	return CompileWith(v, Options{})
}

// CompileWith builds the closures for a view. It fails only on plans the
// runtime cannot evaluate (an unknown node or function), which is a bug in
// the front end, never in the data.
func CompileWith(v *plan.View, opt Options) (*Program, error) {
	if v == nil || v.Root == nil {
		return nil, &Error{Message: "cannot compile an empty plan"}
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := &compiler{view: v, now: now}
	c.extOf = extensionReceivers(v)
	p := &Program{view: v, ncols: len(v.Columns), resource: v.Resource, rootType: tidOf(types.Type(v.Resource))}
	for _, w := range v.Where {
		p.where = append(p.where, whereProg{fn: c.expr(w), text: plan.ExprString(w)})
	}
	c.columnPositions(v)
	p.root = c.sel(v.Root)
	if c.err != nil {
		return nil, &Error{View: v.Name, Message: c.err.Error()}
	}
	p.nbufs = c.nbufs
	p.nsels = c.nsels
	p.nhints = c.nhints
	p.pool.New = func() any { return p.newEnv() }
	return p, nil
}

// View returns the plan the program was compiled from.
func (p *Program) View() *plan.View { return p.view }

// Eval evaluates the view over one resource and calls emit for each row, in
// a deterministic order (document order of the data, select order of the
// view). res may be a projection holding only the keys the view reads; a
// resource whose resourceType differs from the view's yields no rows. An
// error returned by emit stops the evaluation and is returned unchanged;
// evaluation failures are *Error.
func (p *Program) Eval(res *value.Value, emit func(Row) error) error {
	return p.eval(res, emit, false)
}

// EvalShared is Eval for a receiver that is done with each row when emit
// returns (it encodes the row at once): the Row passed to emit is the
// evaluator's own buffer, and the values computed for it (not those that
// point into res) are reused by later evaluations, so both are valid only
// during the call and must not be kept or modified. It saves copying every
// row and allocating computed values.
func (p *Program) EvalShared(res *value.Value, emit func(Row) error) error {
	return p.eval(res, emit, true)
}

func (p *Program) eval(res *value.Value, emit func(Row) error, shared bool) error {
	if res == nil || res.Kind != value.Object {
		return nil
	}
	if rt := res.Get("resourceType"); rt != nil && rt.Kind == value.String && rt.Str != p.resource {
		return nil
	}
	e := p.pool.Get().(*env)
	e.start(res, emit)
	e.shared = shared
	if shared {
		// The rows are done with when emit returns: computed values
		// can be carved from the same block again.
		if e.valBuf == nil {
			e.valBuf = make([]value.Value, valSlab)
		}
		e.vals, e.valsShared = e.valBuf, true
	} else if e.valsShared {
		e.vals, e.valsShared = nil, false
	}
	err := e.run(p)
	e.finish()
	p.pool.Put(e)
	return err
}

func (p *Program) newEnv() *env {
	return &env{
		p:     p,
		bufs:  make([][]item, p.nbufs),
		trav:  make([][]item, p.nsels),
		hints: make([]int32, p.nhints),
		cells: make([]*value.Value, p.ncols),
	}
}

// env is the per-evaluation state: buffers, the row under construction and
// the pending-select stack. One env serves one goroutine at a time.
type env struct {
	p        *Program
	bufs     [][]item // result buffer of each closure that builds a collection
	trav     [][]item // repeat traversal of each select
	hints    []int32  // last member position of each field lookup
	scratch  []item
	rootArr  [1]item
	root     []item
	rowIndex int
	index    int // $index
	tasks    []task
	cells    []*value.Value
	slab     []*value.Value
	vals     []value.Value // computed values are carved from here (see newStr)
	shared   bool          // emit gets cells itself (EvalShared)
	// valBuf is the block EvalShared carves computed values from, again
	// for every resource; valsShared: vals is in it (Eval must not carve
	// from it, as its rows may be kept).
	valBuf     []value.Value
	valsShared bool
	emit       func(Row) error
	err        string // first FHIRPath error of the current expression
}

func (e *env) start(res *value.Value, emit func(Row) error) {
	// Eval has checked that resourceType is absent or the view's.
	e.rootArr[0] = item{v: res, t: e.p.rootType, k: kObj}
	e.root = e.rootArr[:]
	e.emit = emit
	e.rowIndex, e.index = 0, 0
	e.err = ""
	clear(e.cells)
}

func (e *env) finish() {
	e.emit = nil
	e.rootArr[0] = item{}
	e.tasks = e.tasks[:0]
	e.scratch = e.scratch[:0]
}

// member is v.Get(key) that first tries the position where the same field
// lookup found its key last time: resources of one kind mostly write their
// members in the same order, so the scan usually stops at the first
// comparison.
func (e *env) member(v *value.Value, key string, hint int) *value.Value {
	obj := v.Obj
	if h := int(e.hints[hint]); h < len(obj) && obj[h].Key == key {
		return obj[h].Val
	}
	if key == "" {
		return v.Get(key)
	}
	c := key[0]
	for i := range obj {
		// the length and first byte reject most keys without a call to
		// the runtime's string comparison
		if k := obj[i].Key; len(k) == len(key) && k[0] == c && k == key {
			e.hints[hint] = int32(i)
			return obj[i].Val
		}
	}
	return nil
}

// fail records a FHIRPath error; the first one wins. Callers return an
// empty result and the select machinery turns the message into an *Error.
func (e *env) fail(msg string) {
	if e.err == "" {
		e.err = msg
	}
}

func (e *env) run(p *Program) error {
	for _, w := range p.where {
		r := w.fn(e, e.root)
		if e.err != "" {
			return e.error("", "where "+strconv.Quote(w.text)+": "+e.err)
		}
		if len(r) == 0 {
			return nil
		}
		if len(r) > 1 {
			return e.error("", "where "+strconv.Quote(w.text)+" produced "+strconv.Itoa(len(r))+" values; a filter must yield one boolean")
		}
		if r[0].k != kBool {
			return e.error("", "where "+strconv.Quote(w.text)+" produced a "+string(typeName(r[0]))+", not a boolean")
		}
		if r[0].v.Str != "true" {
			return nil
		}
	}
	return e.runSel(p.root, e.root, 0)
}

func (e *env) error(column, msg string) error {
	return &Error{View: e.p.view.Name, Column: column, Message: msg}
}

// slabCells is the size of the blocks rows and collection cells are carved
// from.
const slabCells = 512

// carve returns n fresh cells from the slab: rows and collection arrays
// cost one allocation per block rather than one each. Carved slices are
// never reused (the receiver owns them) and are capped, so appending to one
// cannot reach its neighbour.
func (e *env) carve(n int) []*value.Value {
	if n > slabCells/4 {
		return make([]*value.Value, n)
	}
	if len(e.slab) < n {
		e.slab = make([]*value.Value, slabCells)
	}
	s := e.slab[:n:n]
	e.slab = e.slab[n:]
	return s
}

// valSlab is the size of the blocks computed values are carved from.
const valSlab = 256

// newStr returns a fresh string value carved from a block: one
// allocation per block instead of one per value. Carved values are never
// reused (rows may keep them), so a block lives as long as any of them.
func (e *env) newStr(s string) *value.Value {
	if len(e.vals) == 0 {
		e.vals = make([]value.Value, valSlab)
	}
	v := &e.vals[0]
	e.vals = e.vals[1:]
	*v = value.Value{Kind: value.String, Str: s}
	return v
}

// emitRow hands out a copy of the current cells (with EvalShared, the
// cells themselves).
func (e *env) emitRow() error {
	if e.shared {
		return e.emit(e.cells)
	}
	row := Row(e.carve(len(e.cells)))
	copy(row, e.cells)
	return e.emit(row)
}
