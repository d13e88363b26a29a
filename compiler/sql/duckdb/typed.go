package duckdb

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// The typed reader: each resource's line is parsed once, by
// json_transform into a STRUCT holding exactly the elements the view reads
// from the resource, and every column is then read from that STRUCT, instead
// of every column parsing the whole line again with json_value (which made
// the generated SQL 10-40x slower than a hand-written typed read_json).
//
// The STRUCT's leaves are DuckDB's JSON type, not VARCHAR or DOUBLE: a leaf
// holds the element's own JSON text, which the same json_value /
// json_extract_string / json_each as before turn into a value. That keeps
// every rule of docs/input.md for free and exactly: a number where text is
// expected still reads as its JSON text ("id": 12345 is "12345"), an array
// or object where a primitive is expected is still absent, a single value
// where an array is expected is still no rows. json_transform itself is
// lenient where the JSON path is: a key that is absent, null, or below a
// string or array where an object is expected gives NULL; keys match case-
// sensitively; of duplicate keys the first wins, as json_value.
//
// What the STRUCT cannot express falls back to the JSON path, per
// expression: reads through something other than the resource itself
// (elements of a forEach, which json_each already cut down to their own
// small text), an element read both as a whole and through its children,
// sibling keys that differ only in case (DuckDB's STRUCT field names are
// case-insensitive), keys other than ASCII letters, digits and '_', and the current-state source of Options.Exports.
type typedRoot struct {
	alias string      // the source's alias
	doc   sql.Expr    // the document inside the source (json_transform's input)
	sel   *sql.Select // the source's SELECT, which gets the STRUCT column on the first read
	spec  *sql.Str    // json_transform's structure, rewritten as reads register
	tree  *typedNode
}

// typedNode is one object of the STRUCT: its keys in the order first read.
type typedNode struct {
	keys []string
	kids map[string]*typedNode // nil child: a JSON leaf
}

// leaf registers the element at keys below the resource and returns its
// JSON text as a typed column, or nil when the STRUCT cannot hold it.
func (r *typedRoot) leaf(keys []string) sql.Expr {
	if len(keys) == 0 {
		return nil
	}
	n := r.tree
	for i, k := range keys {
		if !plainKey(k) {
			return nil
		}
		kid, ok := n.kids[k]
		last := i == len(keys)-1
		if ok {
			if last != (kid == nil) {
				return nil // read both as a whole and through its children
			}
			if !last {
				n = kid
			}
			continue
		}
		for _, sib := range n.keys {
			if strings.EqualFold(sib, k) {
				return nil
			}
		}
		n.keys = append(n.keys, k)
		if last {
			n.kids[k] = nil
		} else {
			kid = &typedNode{kids: map[string]*typedNode{}}
			n.kids[k] = kid
			n = kid
		}
	}
	if r.spec == nil {
		r.spec = &sql.Str{}
		r.sel.Items = append(r.sel.Items, sql.Item{X: call("json_transform", r.doc, r.spec), Alias: "t"})
	}
	r.spec.V = r.tree.spec()
	var x sql.Expr = &sql.Col{Table: r.alias, Name: "t"}
	for _, k := range keys {
		x = call("struct_extract", x, &sql.Str{V: k})
	}
	return x
}

// plainKey: the STRUCT holds keys of ASCII letters, digits and '_' only
// (every FHIR element name); any other key is read with the JSON path.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// spec is json_transform's structure for the node: {"key":"JSON",...}.
func (n *typedNode) spec() string {
	var b strings.Builder
	b.WriteString("{")
	for i, k := range n.keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + k + `"`) // a plainKey needs no escaping
		b.WriteString(":")
		if kid := n.kids[k]; kid != nil {
			b.WriteString(kid.spec())
		} else {
			b.WriteString(`"JSON"`)
		}
	}
	b.WriteString("}")
	return b.String()
}

// typedLeaf is the typed column for keys below doc when doc is a resource
// read by Source, nil otherwise.
func (t *Target) typedLeaf(doc sql.Expr, keys []string) sql.Expr {
	r := t.roots[doc]
	if r == nil {
		return nil
	}
	return r.leaf(keys)
}
