// Package scaffold writes starter views for FHIR resource types from the
// catalog alone (`fhirql scaffold`), the counterpart of the seed pipeline's
// 145 default tables: nobody should have to hand-write the obvious columns
// of an Encounter before asking a real question of it.
//
// It builds AST, not text: the caller prints the views with lang/format and
// checks them like any other view, so a scaffolded view is exactly as valid
// as a hand-written one and the rules below are the only thing this package
// decides. For a resource type R it makes:
//
//   - a main view, named after R in snake_case (MedicationRequest →
//     medication_request), with `id = getResourceKey()` and a column per
//     element: a primitive element as itself, a repeating one as its first
//     item (`.first()`), a choice element as one column per type
//     (`deceased_boolean = deceased.ofType(boolean)`), a Reference as its
//     key (see refColumns), the common data types (CodeableConcept, Coding,
//     Quantity and its profiles, Period, Identifier, HumanName, Address,
//     ContactPoint, Money, Range, Ratio, Annotation, Attachment) as a few
//     primitive columns each (subColumns), and a single backbone element as
//     its own columns under its name as prefix;
//   - a child view per repeating backbone element (`patient_contact`): the
//     resource key under `<resource>_id`, then `forEach` over the element
//     with `<element>_index = %rowIndex` and the element's columns by the
//     same rules, nested to maxDepth levels (Claim.item.detail).
//
// Elements are skipped when a starter view has no use for them: the
// resource's narrative, contained resources, extensions, implicitRules and
// language, nested resources, and data types outside the list above (Timing,
// Dosage, SampledData...), which a user adds by hand when needed.
package scaffold

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/lang/ast"
)

// maxDepth bounds the nesting of forEach in child views: the FhirToCdm
// pipeline's default maxDepth is 3 as well, and it also stops the recursion
// of elements that contain themselves (Questionnaire.item.item).
const maxDepth = 3

// skipped are elements no starter view columns, everywhere: extensions
// need a URL to mean anything, and element ids are internal to the JSON.
var skipped = map[string]bool{"id": true, "extension": true, "modifierExtension": true}

// skippedInResource are the resource-level elements left out as well: the
// resource id is the key column, and the narrative, contained resources
// and metadata are documents of their own. Backbone elements keep their
// own "text" or "language" (Questionnaire.item.text,
// Patient.communication.language).
var skippedInResource = map[string]bool{
	"meta": true, "implicitRules": true, "language": true, "text": true, "contained": true,
}

// subColumn is one column of a data type: a name suffix and the element
// path below the type, first items taken where an element repeats.
type subColumn struct{ suffix, path string }

// subColumns lists the columns of the data types worth flattening. Quantity
// covers its profiles (Age, Duration, Count, Distance, SimpleQuantity,
// MoneyQuantity) through catalog.Derives.
var subColumns = map[string][]subColumn{
	"CodeableConcept": {{"system", "coding.system"}, {"code", "coding.code"}, {"display", "coding.display"}, {"text", "text"}},
	"Coding":          {{"system", "system"}, {"code", "code"}, {"display", "display"}},
	"Quantity":        {{"value", "value"}, {"unit", "unit"}, {"system", "system"}, {"code", "code"}},
	"Period":          {{"start", "start"}, {"end", "end"}},
	"Identifier":      {{"system", "system"}, {"value", "value"}},
	"HumanName":       {{"use", "use"}, {"family", "family"}, {"given", "given"}, {"text", "text"}},
	"Address":         {{"use", "use"}, {"line", "line"}, {"city", "city"}, {"state", "state"}, {"postal_code", "postalCode"}, {"country", "country"}},
	"ContactPoint":    {{"system", "system"}, {"value", "value"}, {"use", "use"}},
	"Money":           {{"value", "value"}, {"currency", "currency"}},
	"Range":           {{"low_value", "low.value"}, {"low_unit", "low.unit"}, {"high_value", "high.value"}, {"high_unit", "high.unit"}},
	"Ratio":           {{"numerator_value", "numerator.value"}, {"numerator_unit", "numerator.unit"}, {"denominator_value", "denominator.value"}, {"denominator_unit", "denominator.unit"}},
	"Annotation":      {{"text", "text"}, {"time", "time"}},
	"Attachment":      {{"content_type", "contentType"}, {"url", "url"}, {"title", "title"}},
}

// FileName is the file a resource type's views are written to.
func FileName(resource string) string { return Snake(resource) + ".fview" }

// Resource returns the starter views of one concrete resource type: the
// main view first, then the child views in element order.
func Resource(cat *catalog.Catalog, resource string) (*ast.File, error) {
	t := cat.Type(resource)
	if t == nil || t.Kind != catalog.Resource || t.Abstract {
		return nil, fmt.Errorf("%q is not a FHIR %s resource type", resource, cat.Version())
	}
	b := &builder{cat: cat, resource: resource}
	main := &ast.View{
		Doc:      docOf(t.Short, "One row per "+resource+" resource."),
		Name:     Snake(resource),
		Resource: resource,
	}
	cols := &columns{}
	cols.add("id", call(nil, "getResourceKey"))
	b.elements(t, nil, "", cols, []string{Snake(resource)}, 1)
	main.Select = []*ast.Select{{Kind: ast.Plain, Columns: cols.list}}
	return &ast.File{Views: append([]*ast.View{main}, b.children...)}, nil
}

// docOf is a view's doc comment: the specification's one-line definition
// and what a row is.
func docOf(short, rows string) string {
	short = strings.TrimSpace(short)
	if short == "" {
		return rows + " Scaffolded by fhirql from the FHIR catalog."
	}
	return strings.TrimSuffix(short, ".") + ". " + rows + " Scaffolded by fhirql from the FHIR catalog."
}

type builder struct {
	cat      *catalog.Catalog
	resource string
	children []*ast.View
}

// columns collects a block's columns with distinct names: two rules can
// meet on one name (a `subject` reference next to a `subjectId` element),
// and the later column then gets a numeric suffix.
type columns struct {
	list []*ast.Column
	used map[string]bool
}

func (c *columns) add(name string, x ast.Expr) {
	if c.used == nil {
		c.used = map[string]bool{}
	}
	n := name
	for i := 2; c.used[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	c.used[n] = true
	c.list = append(c.list, &ast.Column{Name: n, Path: x})
}

// elements adds the columns of type t's elements, read from base (nil: the
// focus), to cols, their names prefixed with prefix. viewPath names the
// view the block belongs to, for child views of repeating backbones; depth
// is the forEach nesting of the block (1 for the main view).
func (b *builder) elements(t *catalog.Type, base ast.Expr, prefix string, cols *columns, viewPath []string, depth int) {
	for _, e := range t.Elements {
		if skipped[e.Name] || (t.Kind == catalog.Resource && skippedInResource[e.Name]) || len(e.Types) == 0 {
			continue
		}
		name := prefix + Snake(e.Name)
		if e.Choice {
			for _, ty := range e.Types {
				x := call(step(base, e.Name), "ofType", &ast.Ident{Name: ty})
				b.typed(x, ty, e.TargetProfiles, name+"_"+Snake(ty), cols)
			}
			continue
		}
		ty := e.Types[0]
		et := b.cat.Type(ty)
		if et != nil && et.Kind == catalog.Backbone {
			if e.Many() {
				b.child(e, et, append(slices.Clone(viewPath), Snake(e.Name)), depth)
			} else if base == nil {
				// one level: a single backbone inside a single backbone
				// is rare and a starter view can leave it out
				b.elements(et, step(base, e.Name), name+"_", cols, append(slices.Clone(viewPath), Snake(e.Name)), depth)
			}
			continue
		}
		x := step(base, e.Name)
		if e.Many() {
			x = call(x, "first")
		}
		b.typed(x, ty, e.TargetProfiles, name, cols)
	}
}

// typed adds the columns of one value x of type ty.
func (b *builder) typed(x ast.Expr, ty string, targets []string, name string, cols *columns) {
	t := b.cat.Type(ty)
	switch {
	case t == nil:
		// System types (element ids, Extension.url) have no FHIR type.
	case t.Kind == catalog.Primitive:
		cols.add(name, x)
	case ty == "Reference":
		refColumns(x, targets, name, cols)
	default:
		subs, ok := subColumns[ty]
		if !ok && b.cat.Derives(ty, "Quantity") {
			subs, ok = subColumns["Quantity"]
		}
		if !ok {
			return
		}
		for _, s := range subs {
			if p := b.path(x, t, s.path); p != nil {
				cols.add(name+"_"+s.suffix, p)
			}
		}
	}
}

// path extends x by the dotted element path below type t, taking the first
// item of every repeating step; nil when the path leaves the catalog.
func (b *builder) path(x ast.Expr, t *catalog.Type, path string) ast.Expr {
	for _, n := range strings.Split(path, ".") {
		e := t.Element(n)
		if e == nil || len(e.Types) != 1 {
			return nil
		}
		x = &ast.Member{X: x, Name: n}
		if e.Many() {
			x = call(x, "first")
		}
		t = b.cat.Type(e.Types[0])
		if t == nil {
			return nil
		}
	}
	return x
}

// refColumns keys a Reference: with one target type T, `<name>_id =
// x.getReferenceKey(T)`, which joins to T's view; with several, the untyped
// key, plus `<name>_patient_id = x.getReferenceKey(Patient)` when Patient is
// one of them, because the patient is what most analyses join on.
func refColumns(x ast.Expr, targets []string, name string, cols *columns) {
	concrete := slices.DeleteFunc(slices.Clone(targets), func(s string) bool { return s == "Resource" })
	if len(concrete) == 1 && len(targets) == 1 {
		cols.add(name+"_id", call(x, "getReferenceKey", &ast.Ident{Name: concrete[0]}))
		return
	}
	cols.add(name+"_id", call(x, "getReferenceKey"))
	if slices.Contains(concrete, "Patient") {
		cols.add(name+"_patient_id", call(x, "getReferenceKey", &ast.Ident{Name: "Patient"}))
	}
}

// child adds the view of a repeating backbone element e: one row per item,
// keyed by the resource key and each level's %rowIndex.
func (b *builder) child(e *catalog.Element, t *catalog.Type, viewPath []string, depth int) {
	if depth > maxDepth {
		return
	}
	v := &ast.View{
		Doc:      docOf(e.Short, "One row per item of "+e.Path+"."),
		Name:     strings.Join(viewPath, "_"),
		Resource: b.resource,
	}
	b.children = append(b.children, v) // before its own children
	cols := &columns{}
	cols.add(Snake(b.resource)+"_id", call(nil, "getResourceKey"))
	root := &ast.Select{Kind: ast.Plain}
	// the chain of forEach from the resource down to e: the path is
	// recovered from the element path (Claim.item.detail → item, detail)
	steps := strings.Split(e.Path, ".")[1:]
	outer := root
	for i, s := range steps {
		fe := &ast.Select{Kind: ast.ForEach, Iter: &ast.Ident{Name: s}}
		fc := &columns{used: cols.used}
		fc.add(Snake(s)+"_index", &ast.Var{Name: "rowIndex"})
		if i == len(steps)-1 {
			b.elements(t, nil, "", fc, viewPath, depth+1)
		}
		fe.Columns = fc.list
		outer.Selects = append(outer.Selects, fe)
		outer = fe
	}
	root.Columns = cols.list
	v.Select = []*ast.Select{root}
}

// step is base.name, or the identifier name at the focus.
func step(base ast.Expr, name string) ast.Expr {
	if base == nil {
		return &ast.Ident{Name: name}
	}
	return &ast.Member{X: base, Name: name}
}

func call(x ast.Expr, name string, args ...ast.Expr) ast.Expr {
	return &ast.Call{X: x, Name: name, Args: args}
}

// Snake spells a FHIR name in snake_case (birthDate → birth_date,
// MedicationRequest → medication_request, valueCodeableConcept →
// value_codeable_concept), the style of fhirql's examples and of SQL
// columns that need no quoting.
func Snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
