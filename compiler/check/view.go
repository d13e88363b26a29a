package check

import (
	"regexp"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// viewCtx is what every expression of one view can see.
type viewCtx struct {
	r        *reporter
	file     *ast.File
	view     *ast.View
	resource *catalog.Type // nil when unknown
	resType  types.Type    // the resource type name, Unknown when unknown
	consts   map[string]*ast.Const
	names    []string // constant names in scope, for suggestions
}

// scope is the context of one (sub)expression: the type of one focus item
// and whether lambda variables ($index) are bound.
type scope struct {
	v      *viewCtx
	focus  types.Info
	lambda bool
}

func (ch *checker) checkView(f *ast.File, v *ast.View) {
	r := ch.reporter(f)
	cv := &View{AST: v, Written: v, File: f}
	ch.c.Views = append(ch.c.Views, cv)
	ch.c.views[v] = cv
	vc := &viewCtx{r: r, file: f, view: v, consts: map[string]*ast.Const{}}

	switch t := ch.cat.Type(v.Resource); {
	case v.Resource == "":
		r.missingResource(nameSpan(v.NameSpan, v.Sp), v.Name)
	case t == nil || t.Kind != catalog.Resource:
		r.unknownResource(nameSpan(v.ResourceSpan, v.Sp), v.Resource, ch.allResourceNames())
	case t.Abstract:
		r.abstractResource(nameSpan(v.ResourceSpan, v.Sp), v.Resource)
	default:
		vc.resource = t
		vc.resType = types.Type(t.Name)
		cv.Resource = t
	}

	// Constants: the namespace's, shadowed by the view's own.
	for name, d := range ch.fileConsts {
		vc.consts[name] = d.c
	}
	vc.names = append(vc.names, ch.constNames...)
	local := map[string]*ast.Const{}
	for _, k := range v.Consts {
		if k == nil {
			continue
		}
		ch.checkConst(r, k)
		if prev, ok := local[k.Name]; ok {
			r.duplicateConstant(nameSpan(k.NameSpan, k.Sp), k.Name, r.file, nameSpan(prev.NameSpan, prev.Sp))
			continue
		}
		local[k.Name] = k
		if _, shadow := vc.consts[k.Name]; !shadow {
			vc.names = append(vc.names, k.Name)
		}
		vc.consts[k.Name] = k
	}

	top := &scope{v: vc, focus: types.One(vc.resType)}
	for _, w := range v.Where {
		if w == nil || w.Path == nil {
			continue
		}
		t := ch.expr(w.Path, top)
		if !isBoolish(t) {
			r.notBoolean(w.Path.Span(), "a view's where", t)
		}
	}
	var cols []*Column
	var peers [][2]*Column // later union branch column -> first branch column
	for _, s := range v.Select {
		cols = append(cols, ch.checkSelect(s, top, &peers)...)
	}
	if len(cols) == 0 {
		r.noColumns(nameSpan(v.NameSpan, v.Sp), v.Name)
	}
	for i, c := range cols {
		c.Index = i
	}
	// Peers are recorded inner unions first; resolve them outermost first so
	// a column of a union nested in a later branch copies an index that is
	// already final.
	for i := len(peers) - 1; i >= 0; i-- {
		peers[i][0].Index = peers[i][1].Index
	}
	cv.Columns = cols
	if e := ch.expandedView(v); e != v {
		cv.AST = e
		ch.c.views[e] = cv
	}

	// Output names must be unique: they become SQL column names, which
	// SQL Server and Synapse compare without case.
	first := map[string]*Column{}
	folded := map[string]*Column{}
	for _, c := range cols {
		if prev, ok := first[c.AST.Name]; ok {
			r.duplicateColumn(nameSpan(c.AST.NameSpan, c.AST.Sp), c.AST.Name, r.file, nameSpan(prev.AST.NameSpan, prev.AST.Sp))
			continue
		}
		first[c.AST.Name] = c
		key := strings.ToLower(c.AST.Name)
		if prev, ok := folded[key]; ok {
			r.caseColumn(nameSpan(c.AST.NameSpan, c.AST.Sp), c.AST.Name, prev.AST.Name, r.file, nameSpan(prev.AST.NameSpan, prev.AST.Sp))
			continue
		}
		folded[key] = c
	}
}

// isBoolish accepts Boolean, a collection of Booleans (a view where is then
// true only when exactly one item is true), and types the checker cannot know.
func isBoolish(t types.Info) bool {
	switch t.Type {
	case types.Unknown, types.Any, types.Boolean, "boolean":
		return true
	}
	return false
}

// checkSelect checks a select and returns its output columns in output order.
func (ch *checker) checkSelect(s *ast.Select, sc *scope, peers *[][2]*Column) []*Column {
	if s == nil {
		return nil
	}
	inner := sc
	switch s.Kind {
	case ast.ForEach, ast.ForEachOrNull:
		if s.Iter != nil {
			t := ch.expr(s.Iter, sc)
			inner = &scope{v: sc.v, focus: types.One(t.Type)}
		} else {
			inner = &scope{v: sc.v}
		}
	case ast.Repeat:
		inner = &scope{v: sc.v, focus: ch.repeat(s.Repeat, sc)}
	}
	ch.c.selects[s] = inner.focus

	var cols []*Column
	for _, col := range s.Columns {
		if col == nil {
			continue
		}
		c := ch.checkColumn(col, inner)
		if col.Use != "" {
			cols = append(cols, ch.checkUse(col, c, inner)...)
			continue
		}
		cols = append(cols, c)
	}
	for _, n := range s.Selects {
		cols = append(cols, ch.checkSelect(n, inner, peers)...)
	}
	if len(s.UnionAll) > 0 {
		var branches [][]*Column
		var spans []source.Span
		for _, b := range s.UnionAll {
			if b == nil {
				continue
			}
			branches = append(branches, ch.checkSelect(b, inner, peers))
			spans = append(spans, b.Sp)
		}
		if len(branches) > 0 {
			for i := 1; i < len(branches); i++ {
				ch.compareBranch(sc.v.r, branches[0], spans[0], branches[i], spans[i])
				for j, c := range branches[i] {
					if j < len(branches[0]) {
						*peers = append(*peers, [2]*Column{c, branches[0][j]})
					}
				}
			}
			cols = append(cols, branches[0]...)
		}
	}
	return cols
}

// compareBranch reports the first way a unionAll branch's columns differ
// from the first branch's: name, order or count, else type.
func (ch *checker) compareBranch(r *reporter, first []*Column, firstSp source.Span, got []*Column, gotSp source.Span) {
	n := max(len(first), len(got))
	for j := 0; j < n; j++ {
		switch {
		case j >= len(got):
			r.unionColumns(gotSp, "", first[j].AST.Name, j, colSpan(first[j]))
			return
		case j >= len(first):
			r.unionColumns(colSpan(got[j]), got[j].AST.Name, "", j, firstSp)
			return
		case got[j].AST.Name != first[j].AST.Name:
			r.unionColumns(colSpan(got[j]), got[j].AST.Name, first[j].AST.Name, j, colSpan(first[j]))
			return
		}
	}
	for j := range got {
		a, b := systemOf(got[j].Type), systemOf(first[j].Type)
		if a == types.Unknown || b == types.Unknown || a == types.Any || b == types.Any || a == b {
			continue
		}
		r.unionTypes(colSpan(got[j]), got[j].AST.Name, got[j].Type, first[j].Type, colSpan(first[j]))
		return
	}
}

func colSpan(c *Column) source.Span { return nameSpan(c.AST.NameSpan, c.AST.Sp) }

// systemOf maps FHIR primitives to their System type, so that "code" and
// "string" compare equal; other names are returned unchanged.
func systemOf(t types.Type) types.Type {
	if types.IsPrimitiveName(string(t)) {
		return types.Primitive(string(t))
	}
	switch t {
	case "Quantity", "Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity":
		// FHIR Quantity and the R4 types derived from it convert implicitly
		// to System.Quantity (FHIRPath §"Implicit conversion"), so
		// value.ofType(Quantity) > 5 'mg' is well-typed.
		return types.Quantity
	}
	return t
}

func (ch *checker) checkColumn(col *ast.Column, sc *scope) *Column {
	c := &Column{AST: col}
	ch.c.columns[col] = c
	r := sc.v.r
	if col.Path != nil {
		c.Expr = ch.expr(col.Path, sc)
	}
	c.Type = c.Expr.Type
	if col.Type != "" {
		if t := ch.cat.Type(col.Type); t != nil && (t.Kind == catalog.Primitive || t.Kind == catalog.Complex) {
			c.Type = types.Type(col.Type)
		} else {
			r.unknownColumnType(nameSpan(col.TypeSpan, col.Sp), col.Name, col.Type, ch.allTypeNames())
		}
	}
	for _, tag := range col.Tags {
		if tag.Name != "ansi/type" {
			continue
		}
		sqlType := strings.ToUpper(strings.TrimSpace(tag.Value))
		if sqlType != "DATE" && sqlType != "TIMESTAMP" {
			continue
		}
		switch t := systemOf(c.Type); {
		case t == types.Date || (t == types.DateTime && c.Type != "instant"):
			fhir := "date"
			if t == types.DateTime {
				fhir = "dateTime"
			}
			r.partialDates(tag.Sp, col.Name, sqlType, fhir)
		}
	}
	if !col.Collection && c.Expr.Many && col.Path != nil {
		c.MaybeMany = true
		sp := col.Path.Span()
		text, paren := "", false
		if r.file != nil && sp.Start >= 0 && sp.Start <= sp.End && int(sp.End) <= len(r.file.Text) {
			text = r.file.Text[sp.Start:sp.End]
			switch unparen(col.Path).(type) {
			case *ast.Binary, *ast.Unary, *ast.TypeOp:
				paren = true
			}
		}
		r.maybeMany(col.Name, nameSpan(col.NameSpan, col.Sp), text, sp, paren, c.Expr)
	}
	return c
}

// repeat types a repeat select: each path is applied to the focus and then,
// recursively, to whatever it reaches. A path may make sense only on some of
// the reached types (answer.item exists on an item, not on the resource), so
// each path is reported only when it resolves on none of them; the focus of
// the select's columns is the reached type (Any when several).
func (ch *checker) repeat(paths []ast.Expr, sc *scope) types.Info {
	start := sc.focus.Type
	chosen := make([]types.Type, len(paths))
	resolved := make([]bool, len(paths))
	var reached []types.Type
	seen := map[types.Type]bool{}
	frontier := []types.Type{start}
	for round := 0; round < 16 && len(frontier) > 0 && start != types.Unknown; round++ {
		var next []types.Type
		for _, t := range frontier {
			for i, p := range paths {
				if p == nil {
					continue
				}
				got, ok := ch.trial(p, &scope{v: sc.v, focus: types.One(t)})
				if !ok {
					continue
				}
				if !resolved[i] {
					resolved[i], chosen[i] = true, t
				}
				if !seen[got.Type] {
					seen[got.Type] = true
					reached = append(reached, got.Type)
					next = append(next, got.Type)
				}
			}
		}
		frontier = next
	}
	// Check each path for real once, where it resolves, so that the side
	// tables describe that resolution (or, failing that, report why not).
	for i, p := range paths {
		if p == nil {
			continue
		}
		focus := start
		if resolved[i] {
			focus = chosen[i]
		}
		ch.expr(p, &scope{v: sc.v, focus: types.One(focus)})
	}
	switch len(reached) {
	case 0:
		return types.Info{}
	case 1:
		return types.One(reached[0])
	}
	return types.One(types.Any)
}

// trial types an expression without reporting anything, to see whether it
// resolves cleanly against a focus.
func (ch *checker) trial(e ast.Expr, sc *scope) (types.Info, bool) {
	saved := ch.diags
	ch.diags = nil
	quiet := *sc.v
	r := *quiet.r
	r.out = &ch.diags
	quiet.r = &r
	t := ch.expr(e, &scope{v: &quiet, focus: sc.focus, lambda: sc.lambda})
	ok := len(ch.diags) == 0 && t.Type != types.Unknown && t.Type != types.Any
	ch.diags = saved
	return t, ok
}

// FHIR primitive formats (from the FHIR R4 datatype regexes), for string
// constants declared with a date or time type.
var (
	yearRE     = `([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)`
	zoneRE     = `(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))`
	timeRE     = `([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?`
	dateRE     = regexp.MustCompile(`^` + yearRE + `(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$`)
	dateTimeRE = regexp.MustCompile(`^` + yearRE + `(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T` + timeRE + zoneRE + `?)?)?)?$`)
	timeOnlyRE = regexp.MustCompile(`^` + timeRE + `$`)
)

// litSystem is the System type of a literal of each kind.
var litSystem = [...]types.Type{
	ast.Empty:    types.Any,
	ast.Bool:     types.Boolean,
	ast.String:   types.String,
	ast.Integer:  types.Integer,
	ast.Long:     types.Long,
	ast.Decimal:  types.Decimal,
	ast.Date:     types.Date,
	ast.DateTime: types.DateTime,
	ast.Time:     types.Time,
	ast.Quantity: types.Quantity,
}

func literalType(k ast.LitKind) types.Type {
	if int(k) < 0 || int(k) >= len(litSystem) {
		return types.Unknown
	}
	return litSystem[k]
}

// checkConst checks a constant's declared type against its value and
// records the constant's type.
func (ch *checker) checkConst(r *reporter, k *ast.Const) {
	if k.Value == nil {
		// ViewDefinition JSON reports a constant without a value itself; a
		// hand-built tree might still carry one.
		if !r.json {
			r.constantNoValue(nameSpan(k.NameSpan, k.Sp), k.Name)
		}
		if k.Type != "" {
			ch.c.cinfo[k] = types.One(types.Type(k.Type))
		}
		return
	}
	lit := k.Value
	info := types.One(literalType(lit.Kind))
	if k.Type == "" {
		ch.c.cinfo[k] = info
		return
	}
	t := ch.cat.Type(k.Type)
	if t == nil || (t.Kind != catalog.Primitive && k.Type != "Quantity") {
		var prims []string
		for _, n := range ch.allTypeNames() {
			if types.IsPrimitiveName(n) {
				prims = append(prims, n)
			}
		}
		r.unknownConstantType(nameSpan(k.TypeSpan, k.Sp), k.Name, k.Type, prims)
		ch.c.cinfo[k] = types.Info{}
		return
	}
	ch.c.cinfo[k] = types.One(types.Type(k.Type))
	if !constFits(k.Type, lit) {
		r.constantType(lit.Sp, k.Name, k.Type, lit.Kind.String()+" "+litText(lit))
	}
}

func litText(l *ast.Literal) string {
	switch l.Kind {
	case ast.String:
		return "'" + l.Value + "'"
	case ast.Empty:
		return "{}"
	}
	return l.Value
}

// constFits reports whether a literal is a value of the FHIR type typ.
func constFits(typ string, lit *ast.Literal) bool {
	if typ == "Quantity" {
		return lit.Kind == ast.Quantity
	}
	switch types.Primitive(typ) {
	case types.Boolean:
		return lit.Kind == ast.Bool
	case types.String:
		return lit.Kind == ast.String
	case types.Integer:
		return lit.Kind == ast.Integer
	case types.Long:
		return lit.Kind == ast.Integer || lit.Kind == ast.Long
	case types.Decimal:
		return lit.Kind == ast.Integer || lit.Kind == ast.Decimal
	case types.Date:
		return lit.Kind == ast.Date || lit.Kind == ast.String && dateRE.MatchString(lit.Value)
	case types.DateTime:
		return lit.Kind == ast.DateTime || lit.Kind == ast.Date ||
			lit.Kind == ast.String && dateTimeRE.MatchString(lit.Value)
	case types.Time:
		return lit.Kind == ast.Time || lit.Kind == ast.String && timeOnlyRE.MatchString(lit.Value)
	}
	return true
}
