package viewdef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/format"
)

// Write renders a view as a ViewDefinition JSON document, so any view, from
// .fview or JSON, can be handed to other SQL on FHIR tools.
//
// The output is indented with two spaces and its top-level properties follow
// the spec's element order (resourceType, id, meta, ..., url, identifier,
// version, name, title, status, ..., resource, profile, fhirVersion, constant,
// select, where), with properties the spec does not define last, in input
// order, so the same view always prints the same bytes. Inside a select the
// iteration (forEach, forEachOrNull, repeat) comes first, then column, select
// and unionAll; a column starts with name and path, as the spec's examples
// write them. Attrs are written back verbatim (number
// lexemes and string escapes included); resourceType appears only if the view
// carries it in Attrs. FHIRPath is written in format.Expr's canonical form.
//
// A view that references file- or directory-level .fview constants needs them
// to stand alone; use WriteShared for that.
func Write(v *ast.View) ([]byte, error) {
	return WriteShared(v, nil)
}

// WriteShared is Write for a view that may use constants declared outside it
// (.fview `const` at file or directory level): every shared constant the view
// references as %name, and does not shadow with its own, is copied into the
// output's constant list, ahead of the view's own, so the exported JSON is
// self-contained.
func WriteShared(v *ast.View, shared []*ast.Const) ([]byte, error) {
	w := &writer{v: v}
	compact, err := w.view(v, shared)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("viewdef: internal error: invalid JSON produced for view %q: %v", v.Name, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// WriteFile writes each view of a file as its own ViewDefinition document, in
// file order; one document per view is what FHIR servers and other SQL on
// FHIR runners load. dir holds constants declared in the file's other
// directory members; the file's own Consts are added ahead of them.
func WriteFile(f *ast.File, dir []*ast.Const) ([][]byte, error) {
	shared := append(append([]*ast.Const(nil), f.Consts...), dir...)
	out := make([][]byte, 0, len(f.Views))
	for _, v := range f.Views {
		b, err := WriteShared(v, shared)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

type writer struct {
	v *ast.View
}

func (w *writer) errorf(format string, args ...any) error {
	name := w.v.Name
	if name == "" {
		name = w.v.Resource
	}
	return fmt.Errorf("viewdef: cannot write view %q as a ViewDefinition: %s", name, fmt.Sprintf(format, args...))
}

// member is one property of an object being written; val is compact JSON.
type member struct {
	key string
	val string
}

func writeObject(b *strings.Builder, ms []member) {
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteJSON(m.key))
		b.WriteByte(':')
		b.WriteString(m.val)
	}
	b.WriteByte('}')
}

func object(ms []member) string {
	var b strings.Builder
	writeObject(&b, ms)
	return b.String()
}

func array(items []string) string {
	return "[" + strings.Join(items, ",") + "]"
}

// interpreted are the top-level keys the AST holds in its own fields; an Attr
// with one of these keys is ignored, the field being the truth.
var interpreted = map[string]bool{"name": true, "description": true, "resource": true, "constant": true, "select": true, "where": true}

// rank orders top-level keys: spec elements by element order, a FHIR
// primitive extension "_x" right after "x", everything else last.
func rank(key string) float64 {
	if i, ok := viewElementIndex[key]; ok {
		return float64(i)
	}
	if base, ok := strings.CutPrefix(key, "_"); ok {
		if i, ok := viewElementIndex[base]; ok {
			return float64(i) + 0.5
		}
	}
	return float64(len(viewElements))
}

func (w *writer) view(v *ast.View, shared []*ast.Const) ([]byte, error) {
	var ms []member
	var exts []string // the expectations, after any other extension
	for _, e := range v.Expects {
		exts = append(exts, object([]member{{"url", quoteJSON(ExpectURL)}, {"valueString", quoteJSON(strings.TrimSpace(e.Text))}}))
	}
	for _, a := range v.Attrs {
		if interpreted[a.Key] {
			continue
		}
		if !json.Valid([]byte(a.JSON)) {
			return nil, w.errorf("property %q holds invalid JSON %q", a.Key, a.JSON)
		}
		if a.Key == "extension" && len(exts) > 0 {
			var others []json.RawMessage
			if err := json.Unmarshal([]byte(a.JSON), &others); err != nil {
				return nil, w.errorf("property \"extension\" is not an array, so the expectations cannot join it")
			}
			all := make([]string, 0, len(others)+len(exts))
			for _, o := range others {
				all = append(all, string(o))
			}
			exts = append(all, exts...)
			continue
		}
		ms = append(ms, member{a.Key, a.JSON})
	}
	if len(exts) > 0 {
		ms = append(ms, member{"extension", array(exts)})
	}
	if v.Name != "" {
		ms = append(ms, member{"name", quoteJSON(v.Name)})
	}
	if v.Doc != "" {
		ms = append(ms, member{"description", quoteJSON(v.Doc)})
	}
	if v.Resource == "" {
		return nil, w.errorf("it has no resource")
	}
	ms = append(ms, member{"resource", quoteJSON(v.Resource)})
	consts, err := w.constants(v, shared)
	if err != nil {
		return nil, err
	}
	if len(consts) > 0 {
		ms = append(ms, member{"constant", array(consts)})
	}
	if len(v.Select) == 0 {
		return nil, w.errorf("it has no select")
	}
	sels, err := w.selects(v.Select)
	if err != nil {
		return nil, err
	}
	ms = append(ms, member{"select", sels})
	if len(v.Where) > 0 {
		var ws []string
		for _, wh := range v.Where {
			p, err := w.expr(wh.Path, "where")
			if err != nil {
				return nil, err
			}
			wm := []member{{"path", p}}
			if wh.Doc != "" {
				wm = append(wm, member{"description", quoteJSON(wh.Doc)})
			}
			ws = append(ws, object(wm))
		}
		ms = append(ms, member{"where", array(ws)})
	}
	sort.SliceStable(ms, func(i, j int) bool { return rank(ms[i].key) < rank(ms[j].key) })
	return []byte(object(ms)), nil
}

// constants lists the shared constants the view references (not shadowed by
// its own), then the view's own constants.
func (w *writer) constants(v *ast.View, shared []*ast.Const) ([]string, error) {
	own := make(map[string]bool, len(v.Consts))
	for _, c := range v.Consts {
		own[c.Name] = true
	}
	used := map[string]bool{}
	ast.Inspect(v, func(n ast.Node) bool {
		if x, ok := n.(*ast.Var); ok {
			used[x.Name] = true
		}
		return true
	})
	var list []*ast.Const
	seen := map[string]bool{}
	for _, c := range shared {
		if c == nil || own[c.Name] || !used[c.Name] || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		list = append(list, c)
	}
	list = append(list, v.Consts...)
	var out []string
	for _, c := range list {
		s, err := w.constant(c)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// kindTypes is the FHIR type a .fview constant without a type annotation is
// exported as, by literal kind.
var kindTypes = map[ast.LitKind]string{
	ast.String: "string", ast.Integer: "integer", ast.Decimal: "decimal",
	ast.Bool: "boolean", ast.Date: "date", ast.DateTime: "dateTime",
	ast.Time: "time", ast.Long: "integer64",
}

func (w *writer) constant(c *ast.Const) (string, error) {
	if c.Value == nil {
		return "", w.errorf("constant %q has no value", c.Name)
	}
	typ := c.Type
	if typ == "" {
		t, ok := kindTypes[c.Value.Kind]
		if !ok {
			return "", w.errorf("constant %q is a %s, which a ViewDefinition constant cannot hold", c.Name, c.Value.Kind)
		}
		typ = t
	}
	if _, ok := valueTypes[typ]; !ok {
		return "", w.errorf("constant %q has type %q, which a ViewDefinition constant cannot hold", c.Name, typ)
	}
	var val string
	switch typ {
	case "boolean":
		if c.Value.Value != "true" && c.Value.Value != "false" {
			return "", w.errorf("constant %q of type boolean has value %q", c.Name, c.Value.Value)
		}
		val = c.Value.Value
	case "decimal", "integer", "positiveInt", "unsignedInt":
		if !isJSONNumber(c.Value.Value) {
			return "", w.errorf("constant %q of type %s has value %q, which is not a number", c.Name, typ, c.Value.Value)
		}
		val = c.Value.Value
	default:
		val = quoteJSON(c.Value.Value)
	}
	return object([]member{{"name", quoteJSON(c.Name)}, {"value" + upperFirst(typ), val}}), nil
}

func isJSONNumber(s string) bool {
	v, err := parseJSON(s)
	return err == nil && v.kind == jNumber && v.text == s
}

func (w *writer) selects(ss []*ast.Select) (string, error) {
	items := make([]string, 0, len(ss))
	for _, s := range ss {
		x, err := w.select1(s)
		if err != nil {
			return "", err
		}
		items = append(items, x)
	}
	return array(items), nil
}

// select1 writes a select with its iteration first (forEach, forEachOrNull
// or repeat), then column, select and unionAll: the order the spec's examples
// use, because the iteration says what the columns are relative to.
func (w *writer) select1(s *ast.Select) (string, error) {
	var ms []member
	switch s.Kind {
	case ast.ForEach, ast.ForEachOrNull:
		x, err := w.expr(s.Iter, s.Kind.String())
		if err != nil {
			return "", err
		}
		ms = append(ms, member{s.Kind.String(), x})
	case ast.Repeat:
		if len(s.Repeat) == 0 {
			return "", w.errorf("a repeat select has no paths")
		}
		var ps []string
		for _, e := range s.Repeat {
			x, err := w.expr(e, "repeat")
			if err != nil {
				return "", err
			}
			ps = append(ps, x)
		}
		ms = append(ms, member{"repeat", array(ps)})
	}
	if len(s.Columns) > 0 {
		cols := make([]string, 0, len(s.Columns))
		for _, c := range s.Columns {
			x, err := w.column(c)
			if err != nil {
				return "", err
			}
			cols = append(cols, x)
		}
		ms = append(ms, member{"column", array(cols)})
	}
	if len(s.Selects) > 0 {
		x, err := w.selects(s.Selects)
		if err != nil {
			return "", err
		}
		ms = append(ms, member{"select", x})
	}
	if len(s.UnionAll) > 0 {
		x, err := w.selects(s.UnionAll)
		if err != nil {
			return "", err
		}
		ms = append(ms, member{"unionAll", x})
	}
	return object(ms), nil
}

// column writes a column as the spec's examples do: name, path,
// description, collection, type, tag.
func (w *writer) column(c *ast.Column) (string, error) {
	p, err := w.expr(c.Path, fmt.Sprintf("column %q", c.Name))
	if err != nil {
		return "", err
	}
	ms := []member{{"name", quoteJSON(c.Name)}, {"path", p}}
	if c.Doc != "" {
		ms = append(ms, member{"description", quoteJSON(c.Doc)})
	}
	if c.Collection || c.HasCollection {
		ms = append(ms, member{"collection", fmt.Sprint(c.Collection)})
	}
	if c.Type != "" {
		ms = append(ms, member{"type", quoteJSON(c.Type)})
	}
	if len(c.Tags) > 0 {
		tags := make([]string, 0, len(c.Tags))
		for _, t := range c.Tags {
			tags = append(tags, object([]member{{"name", quoteJSON(t.Name)}, {"value", quoteJSON(t.Value)}}))
		}
		ms = append(ms, member{"tag", array(tags)})
	}
	return object(ms), nil
}

// expr formats a FHIRPath expression as a JSON string; where says what holds
// it, for the error about an expression that failed to parse.
func (w *writer) expr(e ast.Expr, where string) (string, error) {
	if e == nil {
		return "", w.errorf("%s has no FHIRPath expression", where)
	}
	bad := false
	ast.Inspect(e, func(n ast.Node) bool {
		if _, ok := n.(*ast.Bad); ok {
			bad = true
		}
		return !bad
	})
	if bad {
		return "", w.errorf("the FHIRPath of %s did not parse", where)
	}
	return quoteJSON(format.Expr(e)), nil
}

// quoteJSON writes s as a JSON string. Unlike encoding/json it leaves <, >
// and & alone, which FHIRPath comparisons are full of.
func quoteJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				fmt.Fprintf(&b, `\u%04x`, c)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}
