package fhirtocdm

import (
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// Result is an imported configuration.
type Result struct {
	// Check holds one file per configuration file, whose views and groups
	// span into it: check them together (one namespace) and every
	// diagnostic points at the YAML or JSON line it comes from.
	Check []*ast.File
	// Out are the .fview files to write, the same views and groups grouped
	// by resource type (and groups.fview for the groups), in a stable
	// order; print each with lang/format. Their Source is nil.
	Out []Output
}

// Output is one .fview file of the import.
type Output struct {
	Name string // a base name: "Patient.fview", "groups.fview"
	File *ast.File
}

// Import reads the configurations under paths (YAML instruction files,
// table JSON files, or folders of either) and translates them. The
// diagnostics are the configuration's shape (then the result is nil),
// FHIRPath syntax and choice elements without a type (then the result
// lacks those columns and must not be written); check Result.Check for
// paths, types and groups.
func Import(paths []string, cat *catalog.Catalog) (*Result, diag.List) {
	r := &reader{cat: cat}
	r.readPaths(paths)
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	b := &builder{cat: cat, groups: map[string]*groupInfo{}, byType: map[string]string{}, diags: r.diags}
	return b.build(&r.cfg), b.diags
}

// groupInfo is a properties group with its resolved FHIR type.
type groupInfo struct {
	g   *group
	typ string // catalog type name; "" when unknown
}

type builder struct {
	cat    *catalog.Catalog
	groups map[string]*groupInfo
	order  []string
	byType map[string]string // catalog type → group name, for propertiesByDefault entries
	diags  diag.List
	over   *loc // when set, every span is this one (a group's members written inline in a table)
}

func (b *builder) build(cfg *config) *Result {
	for _, g := range cfg.groups {
		// A second group of one name is translated too: the checker
		// reports the duplicate where both are declared.
		if _, dup := b.groups[g.name.v]; !dup && g.name.v != "" {
			b.groups[g.name.v] = &groupInfo{g: g, typ: b.typeFromName(g.name.v)}
			b.order = append(b.order, g.name.v)
		}
	}
	b.inferGroupTypes(cfg)
	for _, name := range b.order {
		if gi := b.groups[name]; gi.typ != "" {
			if _, ok := b.byType[gi.typ]; !ok {
				b.byType[gi.typ] = name
			}
		}
	}

	res := &Result{}
	checkFiles := map[*source.File]*ast.File{}
	checkOf := func(f *source.File) *ast.File {
		if cf := checkFiles[f]; cf != nil {
			return cf
		}
		cf := &ast.File{Source: f}
		checkFiles[f] = cf
		return cf
	}
	outs := map[string]*ast.File{}
	var outNames []string
	outOf := func(name string) *ast.File {
		if of := outs[name]; of != nil {
			return of
		}
		of := &ast.File{}
		outs[name] = of
		outNames = append(outNames, name)
		return of
	}
	if len(cfg.groups) > 0 {
		outOf("groups.fview")
	}
	for _, g := range cfg.groups {
		ag := b.group(g)
		checkOf(g.at.file).Groups = append(checkOf(g.at.file).Groups, ag)
		outOf("groups.fview").Groups = append(outOf("groups.fview").Groups, ag)
	}
	for _, t := range cfg.tables {
		v := b.view(t)
		checkOf(t.at.file).Views = append(checkOf(t.at.file).Views, v)
		of := outOf(t.resource.v + ".fview")
		of.Views = append(of.Views, v)
	}
	for _, f := range cfg.files {
		if cf := checkFiles[f]; cf != nil {
			res.Check = append(res.Check, cf)
		}
	}
	for _, n := range outNames {
		res.Out = append(res.Out, Output{Name: n, File: outs[n]})
	}
	return res
}

// typeFromName finds the FHIR type a group is named after: a type name
// (HumanName), upstream's Resource_Element for a backbone element
// (Patient_Contact → Patient.contact), or a name with a Properties or
// PropertiesGroup suffix (HumanNameProperties).
func (b *builder) typeFromName(name string) string {
	for _, n := range []string{name, strings.TrimSuffix(name, "PropertiesGroup"), strings.TrimSuffix(name, "Properties")} {
		if n == "" {
			continue
		}
		if t := b.cat.Type(n); t != nil && t.Kind != catalog.Resource {
			return t.Name
		}
		// PatientContact: a resource type followed by an element.
		for i := 1; i < len(n); i++ {
			if n[i] >= 'A' && n[i] <= 'Z' && b.cat.IsResource(n[:i]) {
				if t := b.cat.Type(n[:i] + "." + lowerFirst(n[i:])); t != nil {
					return t.Name
				}
			}
		}
		if strings.Contains(n, "_") {
			parts := strings.Split(n, "_")
			for i := 1; i < len(parts); i++ {
				parts[i] = lowerFirst(parts[i])
			}
			if t := b.cat.Type(strings.Join(parts, ".")); t != nil {
				return t.Name
			}
		}
	}
	return ""
}

// inferGroupTypes gives a group whose name says nothing (PatientContact)
// the type of the elements it is used on.
func (b *builder) inferGroupTypes(cfg *config) {
	visit := func(ctx string, props []prop) bool {
		changed := false
		for _, p := range props {
			gi := b.groups[p.groupRef.v]
			if gi == nil || gi.typ != "" || ctx == "" {
				continue
			}
			t := ctx
			if p.path.v != "" {
				t = b.typeAt(ctx, p.path.v)
			}
			if t != "" {
				gi.typ, changed = t, true
			}
		}
		return changed
	}
	for _, t := range cfg.tables {
		ctx := t.resource.v
		for _, s := range t.unroll {
			ctx = b.typeAt(ctx, s.v)
		}
		visit(ctx, t.props)
	}
	for changed := true; changed; {
		changed = false
		for _, name := range b.order {
			if gi := b.groups[name]; gi.typ != "" && visit(gi.typ, gi.g.props) {
				changed = true
			}
		}
	}
}

// typeAt is the type a dotted path reaches from type ctx; "" when a step
// is unknown or a choice.
func (b *builder) typeAt(ctx, path string) string {
	for _, s := range strings.Split(path, ".") {
		t := b.cat.Type(ctx)
		if t == nil {
			return ""
		}
		e := t.Element(s)
		if e == nil || len(e.Types) != 1 {
			return ""
		}
		ctx = e.Types[0]
	}
	return ctx
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// groupKey names the group a propertiesByDefault entry of a type expects
// when the configuration declares none (Patient.contact → Patient_Contact),
// so that the checker's "unknown group" names what to add.
func groupKey(typ string) string {
	parts := strings.Split(typ, ".")
	for i := 1; i < len(parts); i++ {
		parts[i] = pascal(parts[i])
	}
	return strings.Join(parts, "_")
}

func (b *builder) sp(l loc) source.Span {
	if b.over != nil {
		return b.over.span()
	}
	return l.span()
}

func (b *builder) group(g *group) *ast.Group {
	gi := b.groups[g.name.v]
	typ := g.name.v
	if gi != nil && gi.g == g && gi.typ != "" {
		typ = gi.typ
	}
	out := &ast.Group{
		Sp: g.at.span(), Name: g.name.v, NameSpan: g.name.loc.span(), Type: typ, TypeSpan: g.name.loc.span(),
		Doc: "From " + filepath.Base(g.at.file.Name) + ".",
	}
	if g.name.v == "" {
		out.Name, out.NameSpan, out.TypeSpan = "unnamed", g.at.span(), g.at.span()
	}
	if gi != nil && gi.g == g && gi.typ == "" {
		// No type found: the checker says so at the group's name.
		typ = g.name.v
	}
	for _, p := range g.props {
		out.Columns = append(out.Columns, b.columns(p, typ, nil)...)
	}
	return out
}

// view translates a table: the resource key, then the table's columns; for
// an unrolled table, a forEach per repeating level with that level's
// %rowIndex (the row key upstream draws at random).
func (b *builder) view(t *table) *ast.View {
	v := &ast.View{
		Sp: t.at.span(), Name: t.name.v, NameSpan: t.name.loc.span(),
		Resource: t.resource.v, ResourceSpan: t.resource.loc.span(),
	}
	v.Doc = "One row per " + t.resource.v
	if len(t.unroll) > 0 {
		var steps []string
		for _, s := range t.unroll {
			steps = append(steps, s.v)
		}
		v.Doc += "." + strings.Join(steps, ".") + " item, keyed by ResourceId and the Index columns"
	}
	v.Doc += " (from " + filepath.Base(t.at.file.Name) + ")."
	body := &ast.Select{Sp: v.Sp, KeywordSpan: v.Sp, Kind: ast.Plain}
	v.Select = []*ast.Select{body}
	body.Columns = append(body.Columns, &ast.Column{
		Sp: t.name.loc.span(), Name: "ResourceId", NameSpan: t.name.loc.span(),
		Path: &ast.Call{Sp: t.name.loc.span(), Name: "getResourceKey", NameSpan: t.name.loc.span(), RParen: t.name.loc.span().End},
	})
	ctx := t.resource.v
	cur := body
	var seg ast.Expr
	for i, s := range t.unroll {
		var elem *catalog.Element
		if tt := b.cat.Type(ctx); tt != nil {
			elem = tt.Element(s.v)
		}
		sp := s.loc.span()
		if seg == nil {
			seg = &ast.Ident{Sp: sp, Name: s.v}
		} else {
			seg = &ast.Member{Sp: sp, X: seg, Name: s.v, NameSpan: sp}
		}
		ctx = ""
		if elem != nil && len(elem.Types) == 1 {
			ctx = elem.Types[0]
		}
		many := elem == nil || elem.Many()
		if !many && i < len(t.unroll)-1 {
			continue
		}
		fe := &ast.Select{Sp: sp, KeywordSpan: sp, Kind: ast.ForEach, Iter: seg}
		if many {
			fe.Columns = append(fe.Columns, &ast.Column{Sp: sp, Name: pascal(s.v) + "Index", NameSpan: sp, Path: &ast.Var{Sp: sp, Name: "rowIndex"}})
		}
		cur.Selects = append(cur.Selects, fe)
		cur, seg = fe, nil
	}
	for _, p := range t.props {
		cur.Columns = append(cur.Columns, b.columns(p, ctx, nil)...)
	}
	return v
}

// nav reads a dotted path from base (nil: the focus) in type ctx, taking
// the first item of every repeating step (but the last when keepLast),
// as upstream's transformer does. It returns the expression, the last
// step's element (nil when unknown) and the type reached ("" when unknown
// or a choice).
func (b *builder) nav(base ast.Expr, ctx string, path str, keepLast bool) (ast.Expr, *catalog.Element, string) {
	e := base
	var elem *catalog.Element
	off := 0
	steps := strings.Split(path.v, ".")
	for i, s := range steps {
		l := path.loc
		l.off, l.n = path.loc.at(off), len(s)
		if path.loc.n < 0 {
			l.n = -1
		}
		off += len(s) + 1
		sp := b.sp(l)
		if e == nil {
			e = &ast.Ident{Sp: sp, Name: s}
		} else {
			e = &ast.Member{Sp: sp, X: e, Name: s, NameSpan: sp}
		}
		elem = nil
		t := b.cat.Type(ctx)
		if t != nil {
			elem = t.Element(s)
		}
		ctx = ""
		if elem == nil && t != nil {
			// Upstream navigates JSON keys: deceasedBoolean is one form
			// of the choice element deceased[x].
			if ce, form := t.ChoiceElement(s); ce != nil {
				e = &ast.Call{Sp: sp, X: b.step(e, ce.Name, sp), Name: "ofType", NameSpan: sp,
					Args: []ast.Expr{&ast.Ident{Sp: sp, Name: form}}, RParen: sp.End}
				ctx = form
				continue
			}
		}
		if elem == nil {
			continue
		}
		if len(elem.Types) == 1 {
			ctx = elem.Types[0]
		}
		if elem.Many() && (i < len(steps)-1 || !keepLast) {
			e = &ast.Call{Sp: sp, X: e, Name: "first", NameSpan: sp, RParen: sp.End}
		}
	}
	return e, elem, ctx
}

// step replaces the last step of e (a JSON key such as deceasedBoolean)
// by the element's name, keeping the receiver.
func (b *builder) step(e ast.Expr, name string, sp source.Span) ast.Expr {
	if m, ok := e.(*ast.Member); ok {
		return &ast.Member{Sp: sp, X: m.X, Name: name, NameSpan: sp}
	}
	return &ast.Ident{Sp: sp, Name: name}
}

// columns translates one property read from base in type ctx.
func (b *builder) columns(p prop, ctx string, base ast.Expr) []*ast.Column {
	array := p.typ.v == "array"
	at := b.sp(p.at)
	e := base
	var elem *catalog.Element
	typ := ctx
	if p.path.v != "" {
		e, elem, typ = b.nav(base, ctx, p.path, array && p.expr.v == "")
	}
	if p.expr.v != "" {
		l := p.expr.loc
		pos := l.at
		if b.over != nil {
			pos = func(int) source.Pos { return b.over.off }
		}
		x, dl := parse.ParseExprAt(l.file, p.expr.v, pos)
		b.diags = append(b.diags, dl...)
		if e != nil {
			x = rebase(x, e)
		}
		e, elem, typ = x, nil, ""
	}
	if e == nil {
		e = &ast.This{Sp: b.sp(p.path.loc)}
		if p.path.loc.file == nil {
			e = &ast.This{Sp: at}
		}
	}
	nameSp := b.sp(p.name.loc)
	if p.name.loc.file == nil {
		nameSp = at
	}
	col := &ast.Column{Sp: at, Name: p.name.v, NameSpan: nameSp, Path: e, Collection: array}
	if elem != nil && elem.Choice && p.typ.v == "" && !array && p.expr.v == "" {
		d := diag.New(diag.Error, CodeChoiceNoType, p.path.loc.file, b.sp(p.path.loc),
			"%q is a choice element (%s[x]); a property reads one of its types: add a custom property per type, e.g. {name: %s%s, path: %s, type: %s}",
			elem.Name, elem.Name, pascal(p.path.v), pascal(elem.Types[0]), p.path.v, elem.Types[0])
		d.WithNote(source.Span{}, "its types: %s", strings.Join(elem.Types, ", "))
		b.diags = append(b.diags, d)
		return nil
	}
	if elem != nil && elem.Choice && p.typ.v != "" && !array {
		tsp := b.sp(p.typ.loc)
		col.Path = &ast.Call{Sp: tsp, X: e, Name: "ofType", NameSpan: tsp, Args: []ast.Expr{&ast.Ident{Sp: tsp, Name: p.typ.v}}, RParen: tsp.End}
		return []*ast.Column{col}
	}
	ref, refLoc := p.groupRef.v, p.groupRef.loc
	if ref == "" && p.implicit && !array && p.expr.v == "" {
		if t := b.cat.Type(typ); t != nil && (t.Kind == catalog.Complex || t.Kind == catalog.Backbone) {
			ref, refLoc = b.byType[t.Name], p.path.loc
			if ref == "" {
				ref = groupKey(t.Name)
			}
		}
	}
	if ref == "" || array {
		return []*ast.Column{col}
	}
	if refLoc.file == nil {
		refLoc = p.at
	}
	if p.name.v == "" {
		// An unnamed group reference: the group's columns, unprefixed, as
		// upstream writes them; they point at this property.
		gi := b.groups[ref]
		if gi == nil || gi.typ == "" || b.over != nil {
			col.Name = ref
			col.Use, col.UseSpan = ref, b.sp(refLoc)
			return []*ast.Column{col}
		}
		b.over = &p.at
		defer func() { b.over = nil }()
		var out []*ast.Column
		for _, m := range gi.g.props {
			out = append(out, b.columns(m, gi.typ, baseOrNil(e))...)
		}
		return out
	}
	col.Use, col.UseSpan = ref, b.sp(refLoc)
	return []*ast.Column{col}
}

// baseOrNil drops a $this base: members then read from the focus directly.
func baseOrNil(e ast.Expr) ast.Expr {
	if _, ok := e.(*ast.This); ok {
		return nil
	}
	return e
}

// rebase makes an upstream expression read from base (its property's
// path): a leading name becomes a step on base, $this becomes base, a call
// without a receiver gets base as receiver; function arguments keep their
// own focus. Spans stay those of the expression.
func rebase(e ast.Expr, base ast.Expr) ast.Expr {
	switch n := e.(type) {
	case *ast.Ident:
		return &ast.Member{Sp: n.Sp, X: base, Name: n.Name, NameSpan: n.Sp}
	case *ast.This:
		return base
	case *ast.Member:
		m := *n
		m.X = rebase(n.X, base)
		return &m
	case *ast.Call:
		c := *n
		if n.X == nil {
			c.X = base
		} else {
			c.X = rebase(n.X, base)
		}
		return &c
	case *ast.Index:
		i := *n
		i.X = rebase(n.X, base)
		return &i
	case *ast.Unary:
		u := *n
		u.X = rebase(n.X, base)
		return &u
	case *ast.Binary:
		x := *n
		x.X, x.Y = rebase(n.X, base), rebase(n.Y, base)
		return &x
	case *ast.TypeOp:
		t := *n
		t.X = rebase(n.X, base)
		return &t
	case *ast.Paren:
		p := *n
		p.X = rebase(n.X, base)
		return &p
	}
	return e
}
