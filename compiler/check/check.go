// Package check resolves names and types in parsed views against the FHIR
// catalog: the step between the AST (from lang/parse or lang/viewdef) and
// lowering to a plan.
//
// Check takes every file of one directory (one namespace) and returns a
// Checked value plus diagnostics. The AST is never modified: what the checker
// learns — the FHIRPath type and cardinality of every expression, the catalog
// element behind every path step, the constant behind every %name, the
// function behind every call, the resolved columns of every view — lives in
// side tables keyed by AST node (cel-go's design), so the same tree serves the
// formatter, the lowering and the language server's hover and completion.
//
// Types follow FHIRPath with cardinality: a step through an element whose
// maximum is above one, or on a receiver that is already a collection, yields
// a collection; first(), single(), exists() and friends yield one value. An
// expression whose type cannot be known (after an error, or through an
// unchecked construct) gets the zero types.Info, which silences every
// diagnostic that would depend on it, so one mistake gives one diagnostic.
package check

import (
	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
	"slices"
)

// Checked is the result of checking one namespace. Its methods answer
// questions about AST nodes of the checked files; a node from elsewhere, or
// one the checker never reached because of an earlier error, gets the zero
// answer.
type Checked struct {
	// Files are the checked files, in the order given to Check.
	Files []*ast.File
	// Catalog is the catalog the files were checked against.
	Catalog *catalog.Catalog
	// Views are the namespace's views, in file order then source order.
	Views []*View

	types   map[ast.Expr]types.Info
	elems   map[ast.Expr]*catalog.Element
	focus   map[ast.Expr]types.Info
	roots   map[*ast.Ident]bool
	consts  map[*ast.Var]*ast.Const
	funcs   map[*ast.Call]*funcs.Func
	filters map[ast.Expr]Filter
	typeArg map[ast.Expr]TypeRef
	selects map[*ast.Select]types.Info
	columns map[*ast.Column]*Column
	views   map[*ast.View]*View
	cinfo   map[*ast.Const]types.Info
	empty   map[ast.Expr]bool

	groups     map[string]*groupDef
	groupNames []string
	expanded   map[*ast.Column][]*ast.Column
}

// View is one checked view.
type View struct {
	// AST is the view as parsed, for spans and the properties the checker
	// does not interpret, with every column that uses a group replaced by
	// the columns it expands to (a view that uses no group is the parsed
	// view itself).
	AST *ast.View
	// Written is the view as parsed, group uses and all: the node the
	// file's Views hold.
	Written *ast.View
	// File is the file the view came from: its constants are in scope, and
	// diagnostics and plans point into its text.
	File *ast.File
	// Resource is the catalog type the view reads; nil when the view names
	// an unknown type (an error was reported).
	Resource *catalog.Type
	// Columns are the output columns in output order (the spec's: a select's
	// columns, then its nested selects', then its unionAll's, taken from the
	// first branch); Column.Index is the position here.
	Columns []*Column
}

// Column is one checked output column.
type Column struct {
	// AST is the column as written (name, collection flag, declared type, tags).
	AST *ast.Column
	// Index is the column's position in the view's output. Columns of later
	// unionAll branches share the index of the first branch's column.
	Index int
	// Expr is the type of the column's path.
	Expr types.Info
	// Type is what one value of the column is: the declared type when the
	// column names one, else the inferred type ("string", "System.Boolean").
	Type types.Type
	// MaybeMany is true when the path may yield several values although the
	// column is not a collection; the spec makes that a runtime error.
	MaybeMany bool
}

// FilterMode says how a type filter (ofType(T), as T) is resolved.
type FilterMode int

const (
	// FilterNone: the node is not a resolved type filter.
	FilterNone FilterMode = iota
	// FilterChoice picks one form of a choice element: value.ofType(Quantity)
	// reads the JSON key valueQuantity.
	FilterChoice
	// FilterIdentity is a filter every item passes (name.ofType(HumanName)):
	// the result is the receiver.
	FilterIdentity
	// FilterNarrow keeps the items of a type at run time (contained.ofType(Patient)).
	FilterNarrow
)

// Filter is the resolution of an ofType call or an `as` operator.
type Filter struct {
	// Mode decides what lowering emits: a typed key, nothing, or a run-time filter.
	Mode FilterMode
	// Element is the choice element for FilterChoice.
	Element *catalog.Element
	// Type is the type filtered on, as the catalog names it ("Quantity", "dateTime").
	Type string
}

// TypeRef is a type named as a function argument (ofType(Quantity),
// getReferenceKey(Patient)).
type TypeRef struct {
	Namespace string // "FHIR", "System" or "" as written
	Name      string
	Type      types.Type // resolved: "Quantity", "Patient", "System.String"
}

// TypeOf returns the type and cardinality of an expression.
func (c *Checked) TypeOf(e ast.Expr) types.Info { return c.types[e] }

// ElementOf returns the catalog element a path step navigates to (for
// Ident and Member nodes, and for a filter that picks a choice form), or nil.
func (c *Checked) ElementOf(e ast.Expr) *catalog.Element { return c.elems[e] }

// FocusOf returns the type of the implicit focus an expression starts from:
// for leading identifiers, $this, and calls without a receiver. Completion
// uses it to list what may follow.
func (c *Checked) FocusOf(e ast.Expr) types.Info { return c.focus[e] }

// IsRoot reports whether a leading identifier names the view's resource type
// (`Patient.name` in a view of Patient), so that it stands for the resource.
func (c *Checked) IsRoot(e *ast.Ident) bool { return c.roots[e] }

// AlwaysEmpty reports whether a path step names an element its receiver's
// type does not have, which ViewDefinition JSON accepts (with a warning)
// because FHIRPath evaluates such a step to the empty collection.
func (c *Checked) AlwaysEmpty(e ast.Expr) bool { return c.empty[e] }

// ConstOf returns the constant a %name refers to, or nil for the built-in
// variables (%resource, %rowIndex, ...) and undefined names.
func (c *Checked) ConstOf(v *ast.Var) *ast.Const { return c.consts[v] }

// ConstType returns the type of a constant's value: its declared FHIR type,
// or the System type of its literal.
func (c *Checked) ConstType(k *ast.Const) types.Info { return c.cinfo[k] }

// FuncOf returns the declaration a call resolves to, or nil for unknown functions.
func (c *Checked) FuncOf(call *ast.Call) *funcs.Func { return c.funcs[call] }

// FilterOf returns how an ofType call or `as` operator resolved.
func (c *Checked) FilterOf(e ast.Expr) Filter { return c.filters[e] }

// TypeArgOf returns the type named by a type argument of a call, when the
// argument resolved to one.
func (c *Checked) TypeArgOf(e ast.Expr) (TypeRef, bool) {
	t, ok := c.typeArg[e]
	return t, ok
}

// SelectFocus returns the type of one focus item inside a select: the
// resource for plain top-level selects, one item of the iterated collection
// for forEach and forEachOrNull, the nodes reached for repeat.
func (c *Checked) SelectFocus(s *ast.Select) types.Info { return c.selects[s] }

// ColumnOf returns the checked form of a column.
func (c *Checked) ColumnOf(col *ast.Column) *Column { return c.columns[col] }

// ViewOf returns the checked form of a view.
func (c *Checked) ViewOf(v *ast.View) *View { return c.views[v] }

// Check resolves and types every view of one namespace (the files of one
// directory). File-level constants are visible to every view of every file;
// a view's own constants shadow them. Check never panics, whatever the
// tree holds, and the returned Checked is usable (for hover and completion)
// even when there are errors.
func Check(files []*ast.File, cat *catalog.Catalog) (*Checked, diag.List) {
	// Sizing the side tables up front halves the checker's time: growing
	// maps is most of its work. A node per five bytes of source is about
	// what .fview and ViewDefinition text hold.
	n := 0
	for _, f := range files {
		if f != nil && f.Source != nil {
			n += len(f.Source.Text) / 5
		}
	}
	n = min(n, 1<<16)
	ch := &checker{
		cat: cat,
		c: &Checked{
			Files:   files,
			Catalog: cat,
			types:   make(map[ast.Expr]types.Info, n),
			elems:   make(map[ast.Expr]*catalog.Element, n/2),
			focus:   make(map[ast.Expr]types.Info, n/2),
			roots:   map[*ast.Ident]bool{},
			consts:  map[*ast.Var]*ast.Const{},
			funcs:   make(map[*ast.Call]*funcs.Func, n/4),
			filters: map[ast.Expr]Filter{},
			typeArg: map[ast.Expr]TypeRef{},
			selects: map[*ast.Select]types.Info{},
			columns: make(map[*ast.Column]*Column, n/8),
			views:   map[*ast.View]*View{},
			cinfo:   map[*ast.Const]types.Info{},
			empty:   map[ast.Expr]bool{},

			groups:   map[string]*groupDef{},
			expanded: map[*ast.Column][]*ast.Column{},
		},
		fileConsts: map[string]constDef{},
	}
	ch.checkNamespace()
	return ch.c, ch.diags
}

// checker holds the state of one Check call.
type checker struct {
	cat   *catalog.Catalog
	c     *Checked
	diags diag.List

	fileConsts map[string]constDef
	constNames []string // file-level constant names, for suggestions

	resourceNames []string // lazily filled: only error paths need them
	typeNames     []string
}

// constDef is a constant with the file it was declared in, for notes.
type constDef struct {
	c    *ast.Const
	file *source.File
}

func (ch *checker) reporter(f *ast.File) *reporter {
	var src *source.File
	if f != nil {
		src = f.Source
	}
	return &reporter{file: src, json: isJSON(src), out: &ch.diags}
}

// isJSON tells ViewDefinition JSON from .fview text; a few severities and
// quick fixes differ between the two (see unknownElement and maybeMany).
func isJSON(f *source.File) bool {
	if f == nil {
		return false
	}
	if len(f.Name) >= 5 && f.Name[len(f.Name)-5:] == ".json" {
		return true
	}
	for i := 0; i < len(f.Text); i++ {
		switch f.Text[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

func (ch *checker) allResourceNames() []string {
	if ch.resourceNames == nil {
		ch.resourceNames = ch.cat.ResourceNames()
	}
	return ch.resourceNames
}

func (ch *checker) allTypeNames() []string {
	if ch.typeNames == nil {
		ch.typeNames = ch.cat.TypeNames()
	}
	return ch.typeNames
}

func (ch *checker) checkNamespace() {
	// File-level constants first: every view of every file may use them.
	for _, f := range ch.c.Files {
		if f == nil {
			continue
		}
		r := ch.reporter(f)
		for _, k := range f.Consts {
			if k == nil {
				continue
			}
			ch.checkConst(r, k)
			if prev, ok := ch.fileConsts[k.Name]; ok {
				r.duplicateConstant(nameSpan(k.NameSpan, k.Sp), k.Name, prev.file, nameSpan(prev.c.NameSpan, prev.c.Sp))
				continue
			}
			ch.fileConsts[k.Name] = constDef{c: k, file: f.Source}
			ch.constNames = append(ch.constNames, k.Name)
		}
	}
	ch.checkGroups()
	type viewDef struct {
		v    *ast.View
		file *source.File
	}
	seen := map[string]viewDef{}
	for _, f := range ch.c.Files {
		if f == nil {
			continue
		}
		for _, v := range f.Views {
			if v == nil {
				continue
			}
			if v.Name != "" {
				if prev, ok := seen[v.Name]; ok {
					ch.reporter(f).duplicateView(nameSpan(v.NameSpan, v.Sp), v.Name, prev.file, nameSpan(prev.v.NameSpan, prev.v.Sp))
				} else {
					seen[v.Name] = viewDef{v, f.Source}
				}
			}
			ch.checkView(f, v)
		}
	}
	for _, f := range ch.c.Files {
		if f == nil {
			continue
		}
		for _, v := range f.Views {
			if v != nil {
				ch.checkExpects(f, v, func(name string) *ast.View { return seen[name].v })
			}
		}
	}
}

// checkExpects checks the names an expectation uses: its columns, the view
// and column it references, and that rule names are unique in the view.
// Their CEL is typed by compiler/expect, once the columns have plan types.
func (ch *checker) checkExpects(f *ast.File, v *ast.View, viewNamed func(string) *ast.View) {
	if len(v.Expects) == 0 {
		return
	}
	r := ch.reporter(f)
	cols := ch.columnNames(v)
	names := map[string]*ast.Expect{}
	for _, e := range v.Expects {
		if e == nil {
			continue
		}
		if prev, ok := names[e.Name]; ok && e.Name != "" {
			r.duplicateExpect(nameSpan(e.NameSpan, e.Sp), e.Name, prev.NameSpan)
		}
		names[e.Name] = e
		for i, c := range e.Columns {
			if !slices.Contains(cols, c) {
				sp := e.Sp
				if i < len(e.ColSpan) {
					sp = e.ColSpan[i]
				}
				r.unknownExpectColumn(sp, c, v.Name, cols)
			}
		}
		if e.Kind != ast.ExpectReferences {
			continue
		}
		ref := viewNamed(e.RefView)
		if ref == nil {
			var views []string
			for _, ff := range ch.c.Files {
				if ff != nil {
					for _, vv := range ff.Views {
						if vv != nil && vv.Name != "" {
							views = append(views, vv.Name)
						}
					}
				}
			}
			r.unknownExpectView(e.RefSpan, e.RefView, views)
			continue
		}
		if refCols := ch.columnNames(ref); !slices.Contains(refCols, e.RefColumn) {
			r.unknownExpectColumn(e.RefSpan, e.RefColumn, e.RefView, refCols)
		}
	}
}

// columnNames lists a checked view's output column names.
func (ch *checker) columnNames(v *ast.View) []string {
	cv := ch.c.views[v]
	if cv == nil {
		return nil
	}
	var out []string
	for _, c := range cv.Columns {
		if c != nil && c.AST != nil {
			out = append(out, c.AST.Name)
		}
	}
	return out
}

// nameSpan prefers a name's own span, falling back to its node's.
func nameSpan(name, node source.Span) source.Span {
	if name.IsZero() {
		return node
	}
	return name
}
