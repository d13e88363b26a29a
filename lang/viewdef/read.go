package viewdef

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

// Read turns a ViewDefinition JSON file into the same tree the .fview parser
// builds, so everything after parsing is indifferent to the input form.
//
// The file may hold one ViewDefinition object, a JSON array of them, or a FHIR
// Bundle whose entries' resources are ViewDefinitions; SQL on FHIR v2 2.0.0
// and 3.0.0-ballot shapes are both accepted. Every span points into the JSON
// text, FHIRPath spans included, even through escapes in the JSON strings.
//
// Read reports structural problems only (invalid JSON, missing or mistyped
// properties, unknown keys inside select and column, FHIRPath syntax); names
// and types are the checker's business. It returns whatever views it could
// build alongside the diagnostics, so tools keep a tree for broken input.
func Read(f *source.File) (*ast.File, diag.List) {
	out := &ast.File{Source: f}
	src := source.BlankBOM(f.Text) // a byte-order mark is whitespace
	r := &reader{f: f, src: src}
	root, jerr := parseJSON(src)
	if jerr != nil {
		r.report(errInvalidJSON(f, jerr.off, jerr.msg))
		return out, r.diags
	}
	switch root.kind {
	case jArray:
		for _, e := range root.elems {
			if e.kind != jObject {
				r.report(errNotObject(f, span(e), "each element of the array", e.kind))
				continue
			}
			out.Views = append(out.Views, r.view(e))
		}
	case jObject:
		if rt := lookup(root, "resourceType"); rt != nil && rt.val.kind == jString && rt.val.text == "Bundle" {
			out.Views = r.bundle(root)
		} else {
			out.Views = append(out.Views, r.view(root))
		}
	default:
		r.report(errNotObject(f, span(root), "the file", root.kind))
	}
	return out, r.diags
}

type reader struct {
	f     *source.File
	src   string
	diags diag.List
}

func (r *reader) report(d *diag.Diagnostic) { r.diags = append(r.diags, d) }

// span is a value's whole raw extent; for a string, quotes included.
func span(v *jval) source.Span {
	return source.Span{Start: source.Pos(v.start), End: source.Pos(v.end)}
}

// inner is a string's extent without its quotes: what an edit replacing the
// name should cover.
func inner(v *jval) source.Span {
	return source.Span{Start: source.Pos(v.start + 1), End: source.Pos(v.end - 1)}
}

// brace is an object's opening brace, where "this object lacks X" points.
func brace(v *jval) source.Span {
	return source.Span{Start: source.Pos(v.start), End: source.Pos(v.start + 1)}
}

// memberSpan runs from the key to the end of its value.
func memberSpan(m *jmember) source.Span {
	return source.Span{Start: source.Pos(m.key.start), End: source.Pos(m.val.end)}
}

func lookup(obj *jval, key string) *jmember {
	for _, m := range obj.members {
		if m.key.text == key {
			return m
		}
	}
	return nil
}

// members yields obj's members once per key, reporting later duplicates, so
// every interpreter below sees each property at most once.
func (r *reader) members(obj *jval) []*jmember {
	seen := make(map[string]*jmember, len(obj.members))
	out := make([]*jmember, 0, len(obj.members))
	for _, m := range obj.members {
		if first, ok := seen[m.key.text]; ok {
			r.report(errDuplicateProperty(r.f, span(m.key), m.key.text, span(first.key)))
			continue
		}
		seen[m.key.text] = m
		out = append(out, m)
	}
	return out
}

func (r *reader) bundle(b *jval) []*ast.View {
	var views []*ast.View
	for _, m := range r.members(b) {
		if m.key.text != "entry" {
			continue
		}
		if m.val.kind != jArray {
			r.report(errWrongType(r.f, span(m.val), "entry", "an array of bundle entries", m.val.kind))
			continue
		}
		for i, e := range m.val.elems {
			if e.kind != jObject {
				r.report(errNotObject(r.f, span(e), "a bundle entry", e.kind))
				continue
			}
			res := lookup(e, "resource")
			switch {
			case res == nil:
				r.report(warnBundleEntry(r.f, brace(e), i, "has no resource"))
			case res.val.kind != jObject:
				r.report(errNotObject(r.f, span(res.val), "a bundle entry's resource", res.val.kind))
			default:
				if rt := lookup(res.val, "resourceType"); rt != nil && rt.val.kind == jString && rt.val.text != "ViewDefinition" {
					r.report(warnBundleEntry(r.f, span(rt.val), i, "holds a "+strconv.Quote(rt.val.text)+", not a ViewDefinition"))
					continue
				}
				views = append(views, r.view(res.val))
			}
		}
	}
	return views
}

// viewElements are the ViewDefinition's own elements and those it inherits
// from CanonicalResource/DomainResource, in the spec's element order. Write
// emits properties in this order; Read warns about top-level keys not here.
var viewElements = []string{
	"resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
	"extension", "modifierExtension",
	"url", "identifier", "version", "versionAlgorithmString", "versionAlgorithmCoding",
	"name", "title", "status", "experimental", "date", "publisher", "contact",
	"description", "useContext", "jurisdiction", "purpose", "copyright", "copyrightLabel",
	"resource", "profile", "fhirVersion", "constant", "select", "where",
}

var viewElementIndex = func() map[string]int {
	m := make(map[string]int, len(viewElements))
	for i, e := range viewElements {
		m[e] = i
	}
	return m
}()

func (r *reader) view(obj *jval) *ast.View {
	v := &ast.View{Sp: span(obj)}
	var haveResource, haveSelect bool
	for _, m := range r.members(obj) {
		key, val := m.key.text, m.val
		switch key {
		case "name":
			if s, ok := r.str(m, "a string"); ok {
				v.Name, v.NameSpan = s, inner(val)
				r.checkName(val, "view")
			}
		case "resource":
			haveResource = true
			if s, ok := r.str(m, `a string naming a FHIR resource type, e.g. "Patient"`); ok {
				v.Resource, v.ResourceSpan = s, inner(val)
				if s == "" {
					r.report(errEmptyResource(r.f, span(val)))
				}
			}
		case "description":
			if s, ok := r.str(m, "a string"); ok {
				v.Doc = s
			}
		case "constant":
			for _, c := range r.objects(m, "constant") {
				v.Consts = append(v.Consts, r.constant(c))
			}
		case "where":
			for _, w := range r.objects(m, "where") {
				v.Where = append(v.Where, r.where(w))
			}
		case "select":
			haveSelect = true
			if val.kind == jArray && len(val.elems) == 0 {
				r.report(errMissingSelect(r.f, span(val), true))
			}
			v.Select = r.selects(m)
		case "extension":
			if rest := r.extensions(m, v); rest != "" {
				v.Attrs = append(v.Attrs, &ast.Attr{Sp: memberSpan(m), Key: key, JSON: rest})
			}
		default:
			if key == "resourceType" && (val.kind != jString || val.text != "ViewDefinition") {
				if val.kind == jString {
					r.report(errNotViewDefinition(r.f, span(val), val.text))
				} else {
					r.report(errWrongType(r.f, span(val), key, `"ViewDefinition"`, val.kind))
				}
			}
			if _, known := viewElementIndex[key]; !known && !strings.HasPrefix(key, "_") {
				r.report(warnUnknownViewProperty(r.f, span(m.key), key, viewElements))
			}
			v.Attrs = append(v.Attrs, &ast.Attr{Sp: memberSpan(m), Key: key, JSON: compactJSON(r.src, val)})
		}
	}
	if !haveResource {
		r.report(errMissingResource(r.f, brace(obj)))
	}
	if !haveSelect {
		r.report(errMissingSelect(r.f, brace(obj), false))
	}
	return v
}

// ExpectURL identifies the extension of a ViewDefinition that carries one
// expectation (`expect` in .fview): its valueString is the rule's text.
const ExpectURL = "https://fhirql.dev/fhir/StructureDefinition/expect"

// extensions reads the view's expectations out of its extension array and
// returns the other extensions as compact JSON ("" when none remain).
func (r *reader) extensions(m *jmember, v *ast.View) string {
	if m.val.kind != jArray {
		return compactJSON(r.src, m.val)
	}
	var rest []string
	for _, e := range m.val.elems {
		url, value := lookup(e, "url"), lookup(e, "valueString")
		if e.kind != jObject || url == nil || url.val.text != ExpectURL || value == nil || value.val.kind != jString {
			rest = append(rest, compactJSON(r.src, e))
			continue
		}
		offs := stringOffsets(r.src, value.val)
		pos := func(i int) source.Pos {
			i = max(0, min(i, len(offs)-1))
			return source.Pos(offs[i])
		}
		x, ds := parse.ParseExpect(r.f, value.val.text, pos)
		r.diags = append(r.diags, ds...)
		x.Sp = span(e)
		v.Expects = append(v.Expects, x)
	}
	if len(rest) == 0 {
		return ""
	}
	return "[" + strings.Join(rest, ",") + "]"
}

// str returns a string property's decoded value, or reports what it should be.
func (r *reader) str(m *jmember, want string) (string, bool) {
	if m.val.kind != jString {
		r.report(errWrongType(r.f, span(m.val), m.key.text, want, m.val.kind))
		return "", false
	}
	return m.val.text, true
}

// objects returns the object elements of an array-of-objects property such as
// "column", reporting a non-array or non-object elements; noun names one element.
func (r *reader) objects(m *jmember, noun string) []*jval {
	if m.val.kind != jArray {
		r.report(errWrongType(r.f, span(m.val), m.key.text, "an array of "+noun+" objects", m.val.kind))
		return nil
	}
	out := make([]*jval, 0, len(m.val.elems))
	for _, e := range m.val.elems {
		if e.kind != jObject {
			r.report(errWrongElement(r.f, span(e), m.key.text, noun, e.kind))
			continue
		}
		out = append(out, e)
	}
	return out
}

// expr parses a FHIRPath string property. The position function maps every
// offset of the decoded text to the raw JSON, so FHIRPath diagnostics land on
// the right column even after \" or \u00e9 escapes.
func (r *reader) expr(m *jmember, val *jval) ast.Expr {
	if val.kind != jString {
		r.report(errWrongType(r.f, span(val), m.key.text, "a FHIRPath string", val.kind))
		return nil
	}
	offs := stringOffsets(r.src, val)
	pos := func(i int) source.Pos {
		if i < 0 {
			i = 0
		}
		if i >= len(offs) {
			i = len(offs) - 1
		}
		return source.Pos(offs[i])
	}
	e, ds := parse.ParseExprAt(r.f, val.text, pos)
	for _, d := range ds {
		// A quick fix's text lands inside the JSON string, so it must be
		// written the way JSON spells it.
		for i := range d.Edits {
			if d.Edits[i].File == nil || d.Edits[i].File == r.f {
				q := quoteJSON(d.Edits[i].NewText)
				d.Edits[i].NewText = q[1 : len(q)-1]
			}
		}
	}
	r.diags = append(r.diags, ds...)
	if e == nil {
		e = &ast.Bad{Sp: inner(val)}
	}
	return e
}

// The properties each nested object may have, for did-you-mean.
var (
	selectKeys = []string{"column", "select", "forEach", "forEachOrNull", "repeat", "unionAll"}
	columnKeys = []string{"name", "path", "description", "collection", "type", "tag"}
	whereKeys  = []string{"path", "description"}
	tagKeys    = []string{"name", "value"}
	// elementKeys are allowed on every FHIR element but have no place in
	// the AST (see elementKey).
	elementKeys = map[string]bool{"id": true, "extension": true, "modifierExtension": true}
	// columnProps written directly in a select mean a forgotten "column" wrapper.
	columnProps = map[string]bool{"name": true, "path": true, "description": true, "collection": true, "type": true, "tag": true}
)

func (r *reader) selects(m *jmember) []*ast.Select {
	var out []*ast.Select
	for _, o := range r.objects(m, "select") {
		out = append(out, r.select1(o))
	}
	return out
}

func (r *reader) select1(obj *jval) *ast.Select {
	s := &ast.Select{Sp: span(obj), KeywordSpan: brace(obj)}
	var iter *jmember // the first of forEach, forEachOrNull, repeat
	claim := func(m *jmember) bool {
		if iter != nil {
			r.report(errConflictingIteration(r.f, span(m.key), m.key.text, iter.key.text, span(iter.key)))
			return false
		}
		iter = m
		return true
	}
	for _, m := range r.members(obj) {
		switch key := m.key.text; key {
		case "column":
			for _, c := range r.objects(m, "column") {
				s.Columns = append(s.Columns, r.column(c))
			}
		case "select":
			s.Selects = r.selects(m)
		case "unionAll":
			s.UnionAll = r.selects(m)
		case "forEach", "forEachOrNull":
			if !claim(m) {
				continue
			}
			e := r.expr(m, m.val)
			if e == nil {
				continue
			}
			s.Kind, s.Iter, s.KeywordSpan = ast.ForEach, e, span(m.key)
			if key == "forEachOrNull" {
				s.Kind = ast.ForEachOrNull
			}
		case "repeat":
			if !claim(m) {
				continue
			}
			if m.val.kind != jArray {
				r.report(errWrongType(r.f, span(m.val), key, "an array of FHIRPath strings", m.val.kind))
				continue
			}
			if len(m.val.elems) == 0 {
				r.report(errInvalidValue(r.f, span(m.val), `"repeat" is empty; list at least one FHIRPath to follow, e.g. ["item"]`))
				continue
			}
			var exprs []ast.Expr
			for _, e := range m.val.elems {
				if x := r.expr(m, e); x != nil {
					exprs = append(exprs, x)
				}
			}
			s.Kind, s.Repeat, s.KeywordSpan = ast.Repeat, exprs, span(m.key)
		default:
			switch {
			case elementKeys[key]:
				r.elementKey(m, "a select", key)
			case columnProps[key]:
				r.report(errMisplacedProperty(r.f, span(m.key), "a select", key, `a column: "column": [{"name": ..., "path": ...}]`))
			default:
				r.report(errUnknownProperty(r.f, span(m.key), "a select", key, selectKeys))
			}
		}
	}
	return s
}

func (r *reader) column(obj *jval) *ast.Column {
	c := &ast.Column{Sp: span(obj)}
	var havePath bool
	for _, m := range r.members(obj) {
		switch key := m.key.text; key {
		case "name":
			if s, ok := r.str(m, "a string"); ok {
				c.Name, c.NameSpan = s, inner(m.val)
				r.checkName(m.val, "column")
			}
		case "path":
			havePath = true
			c.Path = r.expr(m, m.val)
		case "description":
			if s, ok := r.str(m, "a string"); ok {
				c.Doc = s
			}
		case "collection":
			if m.val.kind != jBool {
				r.report(errWrongType(r.f, span(m.val), key, "true or false", m.val.kind))
				continue
			}
			c.Collection, c.HasCollection = m.val.text == "true", true
		case "type":
			if s, ok := r.str(m, `a string naming a FHIR type, e.g. "string"`); ok {
				c.Type, c.TypeSpan = s, inner(m.val)
			}
		case "tag":
			for _, t := range r.objects(m, "tag") {
				c.Tags = append(c.Tags, r.tag(t))
			}
		default:
			switch {
			case elementKeys[key]:
				r.elementKey(m, "a column", key)
			case key == "forEach" || key == "forEachOrNull" || key == "repeat" || key == "unionAll" || key == "select" || key == "column":
				r.report(errMisplacedProperty(r.f, span(m.key), "a column", key, "the select that holds the column"))
			default:
				r.report(errUnknownProperty(r.f, span(m.key), "a column", key, columnKeys))
			}
		}
	}
	if c.Name == "" && lookup(obj, "name") == nil {
		r.report(errMissingProperty(r.f, brace(obj), "column", "name", `"<column name>"`))
	}
	if !havePath {
		what := "column"
		if c.Name != "" {
			what = "column " + strconv.Quote(c.Name)
		}
		r.report(errMissingProperty(r.f, brace(obj), what, "path", `"<FHIRPath expression>"`))
	}
	return c
}

func (r *reader) tag(obj *jval) *ast.Tag {
	t := &ast.Tag{Sp: span(obj)}
	var haveName, haveValue bool
	for _, m := range r.members(obj) {
		switch key := m.key.text; key {
		case "name":
			haveName = true
			t.Name, _ = r.str(m, "a string")
		case "value":
			haveValue = true
			t.Value, _ = r.str(m, "a string")
		default:
			if elementKeys[key] {
				r.elementKey(m, "a tag", key)
			} else {
				r.report(errUnknownProperty(r.f, span(m.key), "a tag", key, tagKeys))
			}
		}
	}
	if !haveName {
		r.report(errMissingProperty(r.f, brace(obj), "tag", "name", `"<tag name>", e.g. "ansi/type"`))
	}
	if !haveValue {
		r.report(errMissingProperty(r.f, brace(obj), "tag", "value", `"<tag value>"`))
	}
	return t
}

func (r *reader) where(obj *jval) *ast.Where {
	w := &ast.Where{Sp: span(obj)}
	var havePath bool
	for _, m := range r.members(obj) {
		switch key := m.key.text; key {
		case "path":
			havePath = true
			w.Path = r.expr(m, m.val)
		case "description":
			if s, ok := r.str(m, "a string"); ok {
				w.Doc = s
			}
		default:
			if elementKeys[key] {
				r.elementKey(m, "a where", key)
			} else {
				r.report(errUnknownProperty(r.f, span(m.key), "a where", key, whereKeys))
			}
		}
	}
	if !havePath {
		r.report(errMissingProperty(r.f, brace(obj), "where", "path", `"<boolean FHIRPath expression>"`))
	}
	return w
}

// valueTypes are the FHIR types a constant's value[x] may have (SQL on FHIR
// 2.0.0 plus integer64 from 3.0.0-ballot) and the literal each becomes.
var valueTypes = map[string]ast.LitKind{
	"base64Binary": ast.String, "boolean": ast.Bool, "canonical": ast.String,
	"code": ast.String, "date": ast.Date, "dateTime": ast.DateTime,
	"decimal": ast.Decimal, "id": ast.String, "instant": ast.DateTime,
	"integer": ast.Integer, "integer64": ast.Long, "oid": ast.String,
	"string": ast.String, "positiveInt": ast.Integer, "time": ast.Time,
	"unsignedInt": ast.Integer, "uri": ast.String, "url": ast.String,
	"uuid": ast.String,
}

// valueKeys are the value[x] property names, for suggestions.
var valueKeys = func() []string {
	var out []string
	for t := range valueTypes {
		out = append(out, "value"+upperFirst(t))
	}
	slices.Sort(out)
	return out
}()

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// FHIR primitive formats (from the FHIR R4/R5 datatype regexes).
var (
	yearRE     = `([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)`
	zoneRE     = `(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))`
	timeRE     = `([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?`
	dateRE     = regexp.MustCompile(`^` + yearRE + `(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$`)
	dateTimeRE = regexp.MustCompile(`^` + yearRE + `(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T` + timeRE + zoneRE + `)?)?)?$`)
	instantRE  = regexp.MustCompile(`^` + yearRE + `-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T` + timeRE + zoneRE + `$`)
	timeOnlyRE = regexp.MustCompile(`^` + timeRE + `$`)
	integerRE  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
)

// formats names an example for each checked primitive, for messages.
var formats = map[string]struct {
	re      *regexp.Regexp
	example string
}{
	"date":     {dateRE, `"2020", "2020-01" or "2020-01-02"`},
	"dateTime": {dateTimeRE, `"2020-01-02" or "2020-01-02T10:00:00Z" (a time needs a zone)`},
	"instant":  {instantRE, `"2020-01-02T10:00:00.000Z"`},
	"time":     {timeOnlyRE, `"10:00:00"`},
}

func (r *reader) constant(obj *jval) *ast.Const {
	c := &ast.Const{Sp: span(obj)}
	var value *jmember
	var haveName, badValueKey bool
	for _, m := range r.members(obj) {
		key := m.key.text
		switch {
		case key == "name":
			haveName = true
			if s, ok := r.str(m, "a string"); ok {
				c.Name, c.NameSpan = s, inner(m.val)
				r.checkName(m.val, "constant")
			}
		case strings.HasPrefix(key, "value") && len(key) > len("value") && unicode.IsUpper(rune(key[len("value")])):
			typ := lowerFirst(key[len("value"):])
			kind, ok := valueTypes[typ]
			if !ok {
				r.report(errUnknownProperty(r.f, span(m.key), "a constant", key, valueKeys))
				badValueKey = true
				continue
			}
			if value != nil {
				r.report(errConstantTwoValues(r.f, span(m.key), key, value.key.text, span(value.key)))
				continue
			}
			value = m
			offs := stringOffsets(r.src, m.key)
			c.Type = typ
			c.TypeSpan = source.Span{Start: source.Pos(offs[len("value")]), End: source.Pos(offs[len(offs)-1])}
			c.Value = r.literal(m, typ, kind)
		case elementKeys[key]:
			r.elementKey(m, "a constant", key)
		default:
			r.report(errUnknownProperty(r.f, span(m.key), "a constant", key, append([]string{"name"}, valueKeys...)))
			badValueKey = badValueKey || strings.HasPrefix(strings.ToLower(key), "value")
		}
	}
	if !haveName {
		r.report(errMissingProperty(r.f, brace(obj), "constant", "name", `"<name>" (used in FHIRPath as %name)`))
	}
	if value == nil && !badValueKey {
		r.report(errConstantNoValue(r.f, brace(obj), c.Name))
	}
	return c
}

// literal converts a value[x] to the literal FHIRPath would see for %name,
// checking the JSON type FHIR's JSON format uses for typ and its lexical form.
func (r *reader) literal(m *jmember, typ string, kind ast.LitKind) *ast.Literal {
	val, key := m.val, m.key.text
	lit := &ast.Literal{Sp: span(val), Kind: kind, Value: val.text}
	switch typ {
	case "boolean":
		if val.kind != jBool {
			r.report(errWrongType(r.f, span(val), key, "true or false", val.kind))
			return nil
		}
	case "decimal":
		if val.kind != jNumber {
			r.report(errWrongType(r.f, span(val), key, "a JSON number", val.kind))
			return nil
		}
	case "integer", "positiveInt", "unsignedInt":
		if val.kind != jNumber {
			r.report(errWrongType(r.f, span(val), key, "a JSON number", val.kind))
			return nil
		}
		n, err := strconv.ParseInt(val.text, 10, 32)
		switch {
		case !integerRE.MatchString(val.text) || err != nil:
			r.report(errInvalidValue(r.f, span(val), "%q must be a whole number between -2147483648 and 2147483647, not %s", key, val.text))
			return nil
		case typ == "positiveInt" && n < 1:
			r.report(errInvalidValue(r.f, span(val), "%q must be 1 or more, not %s", key, val.text))
			return nil
		case typ == "unsignedInt" && n < 0:
			r.report(errInvalidValue(r.f, span(val), "%q must be 0 or more, not %s", key, val.text))
			return nil
		}
	case "integer64":
		// FHIR JSON writes integer64 as a string, to survive JavaScript numbers;
		// a bare number is accepted too.
		if val.kind != jString && val.kind != jNumber {
			r.report(errWrongType(r.f, span(val), key, "a string holding a whole number", val.kind))
			return nil
		}
		if _, err := strconv.ParseInt(val.text, 10, 64); err != nil || !integerRE.MatchString(val.text) {
			r.report(errInvalidValue(r.f, span(val), "%q must be a 64-bit whole number, not %q", key, val.text))
			return nil
		}
	default:
		if val.kind != jString {
			r.report(errWrongType(r.f, span(val), key, "a string", val.kind))
			return nil
		}
		if f, ok := formats[typ]; ok && !f.re.MatchString(val.text) {
			r.report(errInvalidValue(r.f, span(val), "%q %q is not a FHIR %s; write it like %s", key, val.text, typ, f.example))
			return nil
		}
	}
	return lit
}

// checkName enforces the spec's sql-name invariant on a view, column or
// constant name, since the name becomes a SQL identifier.
func (r *reader) checkName(v *jval, what string) {
	if !ast.IsSQLName(v.text) {
		r.report(errInvalidName(r.f, span(v), what, v.text))
	}
}

// elementKey reports an id, extension or modifierExtension inside obj:
// the first two are read past with a warning, the last is an error.
func (r *reader) elementKey(m *jmember, obj, key string) {
	if key == "modifierExtension" {
		r.report(errModifierExtension(r.f, span(m.key), obj))
		return
	}
	r.report(warnDroppedElement(r.f, span(m.key), obj, key))
}
