package duckdb

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// The typed reader: each resource's line is parsed once, by json_transform
// into a STRUCT holding exactly the elements the view reads from the
// resource, and every column is then read from that STRUCT, instead of every
// column parsing the whole line again with json_value (which, with the
// correlated subqueries reading the whole line, made the generated SQL
// 10-40x slower than a hand-written typed read_json; docs/sql.md has the
// figures).
//
// A primitive (JSONValue) is a VARCHAR leaf. json_transform gives a string
// unescaped and a number or boolean as its JSON text, exactly as
// json_extract_string(json_value(...)) does ("id": 12345 is "12345", 1.50 is
// "1.5"), and NULL for null or absent. It gives an array or object as its
// JSON text, where the rules of docs/input.md want nothing ("gender":
// ["male"] is absent): so a leaf whose text starts with '[' or '{' is read
// again with the JSON path (typedRoot.guard), which leaves a string that
// starts with a bracket its value and an array or object absent, at the cost
// of a second read on those rare rows only.
//
// An array (JSONEach) is a JSON leaf: its own JSON text, expanded by the
// same json_each as before (only an array; an element that repeats but holds
// a single value is no rows), so the elements and everything read from them
// stay on the JSON path, on the element's own small text.
//
// json_transform is lenient where the JSON path is: a key that is absent,
// null, or below a string or array where an object is expected gives NULL;
// keys match case-sensitively; of duplicate keys the first wins, as
// json_value. It never fails on a document (an invalid line is a NULL
// document before it, Source).
//
// What the STRUCT does not hold falls back to the JSON path, per expression:
// reads through anything but the resource itself (elements of arrays, choice
// members, repeat), an element read both as a whole and through its
// children or both as a primitive and as an array, sibling keys that differ
// only in case (DuckDB's STRUCT field names are case-insensitive), keys other
// than ASCII letters, digits and '_', and the current-state source of
// Options.Exports.
//
// Each element read becomes a column of the source of its own (named after
// its path) rather than a field of the STRUCT read in place: a collection is
// a correlated subquery, which DuckDB runs once per distinct value of what it
// reads from the outer row, so it should read the one element it expands and
// not the whole STRUCT (that alone cut the patient view's time by five).
type typedRoot struct {
	alias string      // the source's alias
	doc   sql.Expr    // the document inside the source (json_transform's input)
	parse *sql.Select // the SELECT that gets the STRUCT column t on the first read
	cols  *sql.Select // the source's SELECT, which gets one column per element read
	spec  *sql.Str    // json_transform's structure, rewritten as reads register
	tree  *typedNode
	// onParse rewrites the line's test when the STRUCT is first made
	// (Source): json_valid parsed every line a second time.
	onParse func()
}

// Leaf types: a primitive read as text, an array kept as JSON text.
const (
	leafText = "VARCHAR"
	leafJSON = "JSON"
)

// typedNode is one object of the STRUCT (keys in the order first read) or,
// with typ set, one leaf.
type typedNode struct {
	keys []string
	kids map[string]*typedNode
	typ  string // leafText or leafJSON for a leaf
}

// leaf registers the element at keys below the resource as a leaf of type
// typ and returns the source column holding it, or nil when the STRUCT
// cannot hold it.
func (r *typedRoot) leaf(keys []string, typ string) sql.Expr {
	name := strings.Join(keys, ".")
	if len(keys) == 0 || name == "doc" {
		return nil // the source's own column is doc
	}
	n := r.tree
	for i, k := range keys {
		if !plainKey(k) {
			return nil
		}
		last := i == len(keys)-1
		if kid, ok := n.kids[k]; ok {
			if last && kid.typ != typ || !last && kid.typ != "" {
				return nil // read both as a whole and through its children, or as two types
			}
			if last {
				return &sql.Col{Table: r.alias, Name: name} // read before
			}
			n = kid
			continue
		}
		for _, sib := range n.keys {
			if strings.EqualFold(sib, k) {
				return nil
			}
		}
		kid := &typedNode{kids: map[string]*typedNode{}}
		if last {
			kid.typ = typ
		}
		n.keys = append(n.keys, k)
		n.kids[k] = kid
		n = kid
	}
	if r.spec == nil {
		// The one parse of the line is also its test: try() makes the
		// STRUCT NULL where the text is not JSON (json_transform fails),
		// and only then, so the document is the line where the STRUCT is
		// not NULL, without json_valid parsing every line a second time.
		// The line's test for what DuckDB alone accepts stays (onParse).
		r.spec = &sql.Str{}
		r.parse.Items = append(r.parse.Items, sql.Item{X: call("try", call("json_transform", r.doc, r.spec)), Alias: "t"})
		t := &sql.Col{Table: "p", Name: "t"}
		r.cols.Items[0].X = &sql.Case{Whens: []sql.When{{Cond: &sql.IsNull{X: t, Not: true}, Then: &sql.Col{Table: "p", Name: "doc"}}}}
		r.onParse()
	}
	r.spec.V = r.tree.spec()
	var x sql.Expr = &sql.Col{Table: "p", Name: "t"}
	for _, k := range keys {
		x = call("struct_extract", x, &sql.Str{V: k})
	}
	if typ == leafText {
		x = r.guard(x, keys)
	}
	r.cols.Items = append(r.cols.Items, sql.Item{X: x, Alias: name})
	return &sql.Col{Table: r.alias, Name: name}
}

// guard reads a text leaf that may be an array or object (its text starts
// with '[' or '{') again with the JSON path, which gives such a value NULL
// and a string its value.
func (r *typedRoot) guard(x sql.Expr, keys []string) sql.Expr {
	return &sql.Case{
		Whens: []sql.When{{
			Cond: &sql.In{X: call("left", x, num("1")), List: []sql.Expr{&sql.Str{V: "["}, &sql.Str{V: "{"}}},
			Then: jsonText(&sql.Col{Table: "p", Name: "doc"}, keys),
		}},
		Else: x,
	}
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

// spec is json_transform's structure for the node: {"key":"VARCHAR",...}.
// Keys are plainKeys, which need no escaping.
func (n *typedNode) spec() string {
	if n.typ != "" {
		return `"` + n.typ + `"`
	}
	var b strings.Builder
	b.WriteString("{")
	for i, k := range n.keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + k + `":`)
		b.WriteString(n.kids[k].spec())
	}
	b.WriteString("}")
	return b.String()
}

// typedLeaf is the source column for keys below doc when doc is a resource
// read by Source, nil otherwise.
func (t *Target) typedLeaf(doc sql.Expr, keys []string, typ string) sql.Expr {
	r := t.roots[doc]
	if r == nil {
		return nil
	}
	return r.leaf(keys, typ)
}
