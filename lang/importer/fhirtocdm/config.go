// Package fhirtocdm turns Microsoft FhirToCdm configurations (the seed
// document's second path, github.com/microsoft/FHIR-Analytics-Pipelines)
// into .fview syntax trees: YAML instructions (resourcesConfig.yml and
// propertiesGroupConfig.yml) or a generated table-configuration folder
// (table JSON files plus PropertiesGroup/).
//
// The trees it returns carry spans into the YAML or JSON files, so checking
// them (compiler/check) reports an invalid upstream path or expression at
// its line in the configuration, where the user wrote it; upstream's
// transformer silently writes an empty string there. Printing them through
// lang/format gives the .fview files. This package is the only one that
// imports the YAML library; JSON is YAML, so one reader with positions
// serves both forms.
//
// The translation follows upstream's conventions (see docs/import.md):
// a table per resource with its configured columns, a repeating element
// in it gives its first item; a table per unrollPath entry, one row per item
// at every repeating level, keyed by the resource key and %rowIndex per
// level instead of upstream's random RowId; property groups become column
// groups (`group ... of TYPE`), used as `Name = path use Group`, which
// expand to the PascalCase names upstream gives (NameFamily);
// `type: array` becomes a collection column (JSON text); choice elements
// pick their type with ofType.
package fhirtocdm

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of the importer (FQL1201-1299: the shape of a FhirToCdm
// configuration). Problems with paths, expressions and types are the
// checker's (FQL2xxx), reported at the same positions.
const (
	// CodeReadConfig: a configuration file or folder cannot be read.
	CodeReadConfig diag.Code = "FQL1201"
	// CodeBadYAML: a file is not valid YAML or JSON.
	CodeBadYAML diag.Code = "FQL1202"
	// CodeConfigShape: a value has the wrong shape (a list where a mapping
	// belongs, an unknown key, a property without path or expression).
	CodeConfigShape diag.Code = "FQL1203"
	// CodeNoConfig: a path holds nothing the importer reads.
	CodeNoConfig diag.Code = "FQL1204"
	// CodeChoiceNoType: a property reads a choice element (deceased[x])
	// without naming its type; upstream finds no such JSON key and writes
	// an empty string.
	CodeChoiceNoType diag.Code = "FQL1205"
)

// loc is where a scalar's value starts in its file.
type loc struct {
	file *source.File
	off  source.Pos // first byte of the value (after an opening quote)
	n    int        // length of the value's text in the file; -1 when escapes make it differ
}

func (l loc) span() source.Span {
	n := l.n
	if n < 0 {
		n = 1
	}
	return source.Span{Start: l.off, End: l.off + source.Pos(n)}
}

// at maps an offset in the value's text to the file; with escapes every
// offset maps to the value's start.
func (l loc) at(i int) source.Pos {
	if l.n < 0 {
		return l.off
	}
	return l.off + source.Pos(i)
}

// str is a scalar with its position.
type str struct {
	v   string
	loc loc
}

// prop is one upstream property: a column, a group reference or a custom
// expression.
type prop struct {
	at       loc // the property as a whole (its first key or list item)
	name     str
	path     str
	expr     str // fhirExpression (JSON) or expression (YAML)
	typ      str
	groupRef str
	implicit bool // a propertiesByDefault entry: the group follows the element's type
}

// table is a table configuration: one view.
type table struct {
	at       loc
	name     str
	resource str
	unroll   []str // steps after the resource; empty for a resource's main table
	props    []prop
}

// group is a properties group.
type group struct {
	at    loc
	name  str
	props []prop
}

// config is everything read from the given paths.
type config struct {
	tables []*table
	groups []*group
	files  []*source.File
}

// reader reads configuration files and collects diagnostics.
type reader struct {
	cat   *catalog.Catalog
	cfg   config
	diags diag.List
}

func (r *reader) errorf(code diag.Code, f *source.File, sp source.Span, format string, args ...any) *diag.Diagnostic {
	d := diag.New(diag.Error, code, f, sp, format, args...)
	r.diags = append(r.diags, d)
	return d
}

// readPaths reads YAML files, table JSON files and folders of either.
func (r *reader) readPaths(paths []string) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			r.errorf(CodeReadConfig, source.NewFileString(p, ""), source.Span{}, "cannot read %s: %v", p, errText(err))
			continue
		}
		if !st.IsDir() {
			r.readFile(p)
			continue
		}
		n := len(r.cfg.files)
		r.readDir(p)
		if len(r.cfg.files) == n {
			r.errorf(CodeNoConfig, source.NewFileString(p, ""), source.Span{}, "%s holds no FhirToCdm configuration: expected resourcesConfig.yml and propertiesGroupConfig.yml, or table JSON files with a PropertiesGroup folder", p)
		}
	}
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// readDir reads the .yml, .yaml and .json files of a folder and of its
// PropertiesGroup subfolder, in name order.
func (r *reader) readDir(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.errorf(CodeReadConfig, source.NewFileString(dir, ""), source.Span{}, "cannot read %s: %v", dir, errText(err))
		return
	}
	var sub []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if strings.EqualFold(e.Name(), "PropertiesGroup") {
				sub = append(sub, p)
			}
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yml", ".yaml", ".json":
			r.readFile(p)
		}
	}
	for _, s := range sub {
		r.readDir(s)
	}
}

func (r *reader) readFile(p string) {
	text, err := os.ReadFile(p)
	if err != nil {
		r.errorf(CodeReadConfig, source.NewFileString(p, ""), source.Span{}, "cannot read %s: %v", p, errText(err))
		return
	}
	f := source.NewFile(p, text)
	r.cfg.files = append(r.cfg.files, f)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(source.BlankBOM(f.Text)), &doc); err != nil {
		r.yamlError(f, err)
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		r.shape(f, root, "the file is a %s; a FhirToCdm configuration is a mapping (resource or type names in YAML, a table or properties group object in JSON)", kindName(root))
		return
	}
	if strings.EqualFold(filepath.Ext(p), ".json") {
		r.readJSON(f, root)
		return
	}
	r.readYAML(f, root)
}

// yamlError turns the library's message ("yaml: line 3: ...") into a
// diagnostic at that line.
func (r *reader) yamlError(f *source.File, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	sp := source.Span{}
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				off := f.Offset(n, 1)
				sp = source.Span{Start: off, End: off}
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	r.errorf(CodeBadYAML, f, sp, "%s is not valid YAML or JSON: %s", filepath.Base(f.Name), msg)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// locOf is where a node's value starts in f.
func locOf(f *source.File, n *yaml.Node) loc {
	off := f.Offset(n.Line, n.Column)
	l := loc{file: f, off: off, n: len(n.Value)}
	if n.Kind != yaml.ScalarNode {
		l.n = 1
		return l
	}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		l.off++
		if int(l.off)+len(n.Value) > len(f.Text) || f.Text[int(l.off):int(l.off)+len(n.Value)] != n.Value {
			l.n = -1
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		l.n = -1
	}
	return l
}

func (r *reader) shape(f *source.File, n *yaml.Node, format string, args ...any) {
	r.errorf(CodeConfigShape, f, locOf(f, n).span(), format, args...)
}

// scalar reads a scalar value; another kind is reported and gives "".
func (r *reader) scalar(f *source.File, n *yaml.Node, what string) (str, bool) {
	if n.Kind != yaml.ScalarNode {
		r.shape(f, n, "%s is a %s, expected a string", what, kindName(n))
		return str{}, false
	}
	return str{v: n.Value, loc: locOf(f, n)}, true
}

// readYAML reads YAML instructions. A key that names a resource type is a
// resource's instructions (resourcesConfig.yml); any other key is a
// properties group for a data type or backbone element
// (propertiesGroupConfig.yml), so the two files may also be one.
func (r *reader) readYAML(f *source.File, root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key, ok := r.scalar(f, k, "a top-level key")
		if !ok {
			continue
		}
		if v.Kind != yaml.MappingNode {
			if v.Kind == yaml.ScalarNode && v.Value == "" {
				continue // `Account:` with nothing under it
			}
			r.shape(f, v, "%q holds a %s, expected a mapping with unrollPath, propertiesByDefault or customProperties", key.v, kindName(v))
			continue
		}
		var unroll []str
		var props []prop
		for j := 0; j+1 < len(v.Content); j += 2 {
			sk, sv := v.Content[j], v.Content[j+1]
			switch sk.Value {
			case "unrollPath":
				unroll = append(unroll, r.list(f, sv, "unrollPath")...)
			case "propertiesByDefault":
				for _, p := range r.list(f, sv, "propertiesByDefault") {
					props = append(props, prop{at: p.loc, name: str{v: pascal(p.v), loc: p.loc}, path: p, implicit: true})
				}
			case "customProperties":
				if sv.Kind != yaml.SequenceNode {
					r.shape(f, sv, "customProperties is a %s, expected a list of {name, path, expression, type}", kindName(sv))
					continue
				}
				for _, item := range sv.Content {
					if p, ok := r.yamlProp(f, item); ok {
						props = append(props, p)
					}
				}
			default:
				r.shape(f, sk, "unknown key %q in %q; expected unrollPath, propertiesByDefault or customProperties", sk.Value, key.v)
			}
		}
		if r.cat.IsResource(key.v) {
			main := &table{at: key.loc, name: key, resource: key, props: props}
			r.cfg.tables = append(r.cfg.tables, main)
			for _, u := range unroll {
				r.cfg.tables = append(r.cfg.tables, r.unrollTable(key, u))
			}
			continue
		}
		if len(unroll) > 0 {
			r.shape(f, k, "%q has an unrollPath but is not a resource type; child tables are made from a resource's instructions", key.v)
		}
		r.cfg.groups = append(r.cfg.groups, &group{at: key.loc, name: key, props: props})
	}
}

// unrollTable is the child table the YAML generator makes for one
// unrollPath entry: named after the resource and the path's steps, with
// one column, or a group's columns, for the element unrolled.
func (r *reader) unrollTable(res str, u str) *table {
	var steps []str
	off := 0
	for _, s := range strings.Split(u.v, ".") {
		l := u.loc
		l.off, l.n = u.loc.at(off), len(s)
		if u.loc.n < 0 {
			l.n = -1
		}
		steps = append(steps, str{v: s, loc: l})
		off += len(s) + 1
	}
	name := res.v
	for _, s := range steps {
		name += pascal(s.v)
	}
	last := steps[len(steps)-1]
	return &table{
		at: u.loc, name: str{v: name, loc: u.loc}, resource: res, unroll: steps,
		props: []prop{{at: u.loc, name: str{v: pascal(last.v), loc: last.loc}, path: str{loc: last.loc}, implicit: true}},
	}
}

// list reads a list of strings (a flow or block sequence).
func (r *reader) list(f *source.File, n *yaml.Node, what string) []str {
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.ScalarNode && n.Value == "" {
			return nil
		}
		r.shape(f, n, "%s is a %s, expected a list of element paths, e.g. [name, birthDate]", what, kindName(n))
		return nil
	}
	var out []str
	for _, it := range n.Content {
		if s, ok := r.scalar(f, it, "an item of "+what); ok {
			out = append(out, s)
		}
	}
	return out
}

// yamlProp reads one customProperties item.
func (r *reader) yamlProp(f *source.File, n *yaml.Node) (prop, bool) {
	if n.Kind != yaml.MappingNode {
		r.shape(f, n, "a custom property is a %s, expected {name, path, expression, type}", kindName(n))
		return prop{}, false
	}
	p := prop{at: locOf(f, n)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		s, ok := r.scalar(f, v, fmt.Sprintf("%q", k.Value))
		if !ok {
			continue
		}
		switch k.Value {
		case "name":
			p.name = s
		case "path":
			p.path = s
		case "expression":
			p.expr = s
		case "type":
			p.typ = s
		default:
			r.shape(f, k, "unknown key %q in a custom property; expected name, path, expression or type", k.Value)
		}
	}
	return r.finishProp(f, n, p)
}

// finishProp names a property that has no name after its path, as the
// generator does, and rejects one that says nothing.
func (r *reader) finishProp(f *source.File, n *yaml.Node, p prop) (prop, bool) {
	if p.name.v == "" {
		if p.path.v == "" && p.groupRef.v == "" {
			r.shape(f, n, "a property needs a name, or a path to name it after")
			return prop{}, false
		}
		if p.path.v != "" {
			p.name = str{v: pascal(p.path.v), loc: p.path.loc}
		}
	}
	return p, true
}

// readJSON reads one file of a table-configuration folder: a table
// ({"name", "resourceType", "unrollPath", "properties"}) or a properties
// group ({"propertiesGroupName", "properties"}).
func (r *reader) readJSON(f *source.File, root *yaml.Node) {
	var name, res, unroll, groupName str
	var props []prop
	isGroup := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name":
			name, _ = r.scalar(f, v, `"name"`)
		case "resourceType":
			res, _ = r.scalar(f, v, `"resourceType"`)
		case "unrollPath":
			unroll, _ = r.scalar(f, v, `"unrollPath"`)
		case "propertiesGroupName":
			groupName, _ = r.scalar(f, v, `"propertiesGroupName"`)
			isGroup = true
		case "properties":
			if v.Kind != yaml.SequenceNode {
				r.shape(f, v, `"properties" is a %s, expected a list of properties`, kindName(v))
				continue
			}
			for _, it := range v.Content {
				if p, ok := r.jsonProp(f, it); ok {
					props = append(props, p)
				}
			}
		case "comments", "description":
		default:
			r.shape(f, k, "unknown key %q; a table has name, resourceType, unrollPath and properties, a properties group propertiesGroupName and properties", k.Value)
		}
	}
	if isGroup {
		r.cfg.groups = append(r.cfg.groups, &group{at: locOf(f, root), name: groupName, props: props})
		return
	}
	if res.v == "" {
		r.shape(f, root, `%s has no "resourceType" or "propertiesGroupName"; it is neither a table nor a properties group`, filepath.Base(f.Name))
		return
	}
	if name.v == "" {
		name = res
	}
	t := &table{at: locOf(f, root), name: name, resource: res, props: props}
	if unroll.v != "" {
		// "Patient.contact.telecom": the steps after the resource type.
		parts := strings.Split(unroll.v, ".")
		off := 0
		for i, s := range parts {
			if i > 0 || s != res.v {
				l := unroll.loc
				l.off, l.n = unroll.loc.at(off), len(s)
				if unroll.loc.n < 0 {
					l.n = -1
				}
				t.unroll = append(t.unroll, str{v: s, loc: l})
			}
			off += len(s) + 1
		}
	}
	r.cfg.tables = append(r.cfg.tables, t)
}

// jsonProp reads one property of a table or group JSON file.
func (r *reader) jsonProp(f *source.File, n *yaml.Node) (prop, bool) {
	if n.Kind != yaml.MappingNode {
		r.shape(f, n, "a property is a %s, expected an object", kindName(n))
		return prop{}, false
	}
	p := prop{at: locOf(f, n)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "comments" || k.Value == "description" {
			continue
		}
		s, ok := r.scalar(f, v, fmt.Sprintf("%q", k.Value))
		if !ok {
			continue
		}
		switch k.Value {
		case "name":
			p.name = s
		case "path":
			p.path = s
		case "fhirExpression":
			p.expr = s
		case "type":
			p.typ = s
		case "propertiesGroupRef":
			p.groupRef = s
		default:
			r.shape(f, k, "unknown key %q in a property; expected name, path, fhirExpression, type or propertiesGroupRef", k.Value)
		}
	}
	return r.finishProp(f, n, p)
}

// pascal names a column after a path as the generator does: each step
// with its first letter upper-cased, dots dropped (name.use → NameUse).
func pascal(path string) string {
	var b strings.Builder
	for _, s := range strings.Split(path, ".") {
		if s == "" {
			continue
		}
		b.WriteString(strings.ToUpper(s[:1]))
		b.WriteString(s[1:])
	}
	return b.String()
}
