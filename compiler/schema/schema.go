// Package schema builds the data dictionary of a set of views (`fhirql
// schema`): what each table holds, column by column, and how the tables
// join. It is the "schema viewer" of the seed's FhirToCdm pipeline done
// from the compiler's own knowledge instead of a second reading of the
// configuration.
//
// Everything comes from where the rest of fhirql gets it, never computed a
// second time: column names, FHIR types, collection flags and FHIRPath text
// from each SQL target's ColumnInfo (the same record `fhirql build` writes
// to manifest.json), SQL types from each target's own emitter, element
// definitions from the catalog entry behind the column's last step in the
// plan. The renderers (Markdown with a Mermaid diagram, a self-contained
// HTML page with an inline SVG diagram, JSON) sit side by side and only
// format a Dictionary.
package schema

import (
	"regexp"
	"slices"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/diag"
)

// Dictionary is the data dictionary of a set of views.
type Dictionary struct {
	// FHIRVersion is the catalog's release ("4.0.1").
	FHIRVersion string `json:"fhirVersion"`
	// Targets are the SQL targets whose column types the dictionary gives,
	// in the order of Column.SQLTypes.
	Targets []string `json:"targets"`
	Views   []*View  `json:"views"`
	// Joins are the links between views, in view and column order.
	Joins []Join `json:"joins"`
}

// View is one view's entry.
type View struct {
	Name        string `json:"name"`
	Resource    string `json:"resource"`
	Description string `json:"description,omitempty"`
	Source      string `json:"source,omitempty"`
	// Grain says what one row is: "one row per Patient", or "one row per
	// Patient and item of contact" for a view with forEach.
	Grain string `json:"grain"`
	// PerResource is true when the view has at most one row per resource
	// (no forEach, forEachOrNull, repeat or unionAll): the views other views
	// join to.
	PerResource bool `json:"perResource"`
	// Key is the column holding getResourceKey(), "" when there is none.
	Key     string    `json:"key,omitempty"`
	Columns []*Column `json:"columns"`
	// Unsupported lists the targets that cannot build the view, with why.
	Unsupported []string `json:"unsupported,omitempty"`
}

// Column is one column's entry.
type Column struct {
	Name     string `json:"name"`
	FHIRType string `json:"fhirType"`
	// SQLTypes are the column's SQL types, one per Dictionary.Targets
	// entry ("" where the target cannot build the view).
	SQLTypes   []string `json:"sqlTypes"`
	Collection bool     `json:"collection"`
	FHIRPath   string   `json:"fhirPath"`
	// Element is the catalog element the value comes from
	// ("Patient.birthDate"), "" for computed values.
	Element string `json:"element,omitempty"`
	// Definition is the element's short definition from the catalog.
	Definition string `json:"definition,omitempty"`
	// Description is the column's own documentation (`///` in the view).
	Description string `json:"description,omitempty"`
	// References is the resource type a getReferenceKey(T) column points at.
	References string `json:"references,omitempty"`
}

// Join links a column of one view to the key column of another.
type Join struct {
	From       string `json:"from"`
	FromColumn string `json:"fromColumn"`
	To         string `json:"to"`
	ToColumn   string `json:"toColumn"`
	// Kind is "reference" (a getReferenceKey(T) column to a T view's key)
	// or "parent" (a view with forEach to the one-row-per-resource view of
	// the same resource type, both keyed by getResourceKey()).
	Kind string `json:"kind"`
}

// Target is an SQL target whose types the dictionary reports.
type Target interface {
	sql.Dialect
}

// Build makes the dictionary of views. Each view is compiled for every
// target to read its column types; a view a target cannot build is noted in
// View.Unsupported with the first error, not dropped.
func Build(views []*plan.View, cat *catalog.Catalog, targets []Target) *Dictionary {
	d := &Dictionary{FHIRVersion: cat.Version(), Views: []*View{}, Joins: []Join{}}
	for _, t := range targets {
		d.Targets = append(d.Targets, t.Name())
	}
	for _, v := range views {
		dv := &View{Name: sql.ViewName(v), Resource: v.Resource, Description: strings.TrimSpace(v.Description)}
		if v.File != nil {
			dv.Source = v.File.Name
		}
		iters := iterations(v)
		dv.PerResource = len(iters) == 0
		dv.Grain = "one row per " + v.Resource
		if len(iters) > 0 {
			dv.Grain += " and " + strings.Join(iters, ", ")
		}
		infos := make([][]sql.ColumnInfo, len(targets))
		for i, t := range targets {
			c, dl := sql.Emit(v, t)
			if c == nil {
				msg := "cannot be built"
				for _, x := range dl {
					if x.Severity == diag.Error {
						msg = x.Message
						break
					}
				}
				dv.Unsupported = append(dv.Unsupported, t.Name()+": "+msg)
				continue
			}
			infos[i] = c.Columns
		}
		for ci, col := range v.Columns {
			dc := &Column{Name: col.Name, FHIRType: string(col.Type), Collection: col.Collection,
				FHIRPath: oneLine(exprText(v, col.Expr)), Description: strings.TrimSpace(col.Description),
				SQLTypes: make([]string, len(targets))}
			first := true
			for ti := range targets {
				if infos[ti] == nil || ci >= len(infos[ti]) {
					continue
				}
				info := infos[ti][ci]
				dc.SQLTypes[ti] = info.SQLType
				if first {
					dc.FHIRType, dc.FHIRPath, dc.Collection = info.FHIRType, oneLine(info.Path), info.Collection
					first = false
				}
			}
			if e := elementOf(cat, col.Expr); e != nil {
				dc.Element, dc.Definition = e.Path, e.Short
			}
			switch fn, arg := keyCall(col.Expr); fn {
			case "getResourceKey":
				if dv.Key == "" {
					dv.Key = col.Name
				}
			case "getReferenceKey":
				dc.References = arg
			}
			dv.Columns = append(dv.Columns, dc)
		}
		d.Views = append(d.Views, dv)
	}
	d.Joins = joins(d.Views)
	return d
}

// joins links each typed reference column to every one-row-per-resource
// view of the referenced type that has a key, and each view with forEach to
// the one-row-per-resource views of its own resource type.
func joins(views []*View) []Join {
	out := []Join{}
	for _, v := range views {
		for _, c := range v.Columns {
			if c.References == "" {
				continue
			}
			for _, w := range views {
				if w.PerResource && w.Key != "" && w.Resource == c.References && w != v {
					out = append(out, Join{From: v.Name, FromColumn: c.Name, To: w.Name, ToColumn: w.Key, Kind: "reference"})
				}
			}
		}
		if v.PerResource || v.Key == "" {
			continue
		}
		for _, w := range views {
			if w.PerResource && w.Key != "" && w.Resource == v.Resource {
				out = append(out, Join{From: v.Name, FromColumn: v.Key, To: w.Name, ToColumn: w.Key, Kind: "parent"})
			}
		}
	}
	return out
}

// lineBreak is a line break of a FHIRPath wrapped by the formatter, which
// breaks only before a "." step: joined without it, the path reads as one.
var lineBreak = regexp.MustCompile(`[ \t\r]*\n[ \t]*`)

func oneLine(path string) string { return lineBreak.ReplaceAllString(path, "") }

// iterations lists the FHIRPaths a view iterates over, outermost first:
// "item of contact", "item of contact.telecom"...
func iterations(v *plan.View) []string {
	var out []string
	var walk func(s *plan.Select)
	walk = func(s *plan.Select) {
		switch s.Kind {
		case plan.ForEach, plan.ForEachOrNull:
			out = append(out, "item of "+oneLine(exprText(v, s.Iter)))
		case plan.Repeat:
			var ps []string
			for _, r := range s.Repeat {
				ps = append(ps, oneLine(exprText(v, r)))
			}
			out = append(out, "node reached by repeat "+strings.Join(ps, ", "))
		}
		for _, c := range s.Selects {
			walk(c)
		}
		if len(s.UnionAll) > 0 {
			out = append(out, "branch of a unionAll")
		}
		for _, c := range s.UnionAll {
			walk(c)
		}
	}
	if v.Root != nil {
		walk(v.Root)
	}
	return slices.Compact(out)
}

// exprText is an expression as written in the view's source, or as the
// plan prints it.
func exprText(v *plan.View, x plan.Expr) string {
	if v.File != nil && x != nil {
		sp := x.Span()
		if sp.End > sp.Start && int(sp.End) <= len(v.File.Text) {
			return v.File.Text[sp.Start:sp.End]
		}
	}
	if x == nil {
		return ""
	}
	return plan.ExprString(x)
}

// keyCall recognises getResourceKey() and getReferenceKey([T]) at the top of
// a column's expression, returning the function name and T.
func keyCall(x plan.Expr) (string, string) {
	c, ok := x.(*plan.Call)
	if !ok || c.Func == nil {
		return "", ""
	}
	switch c.Func.Name {
	case "getResourceKey":
		return c.Func.Name, ""
	case "getReferenceKey":
		if len(c.Args) == 1 {
			if ta, ok := c.Args[0].(*plan.TypeArg); ok {
				return c.Func.Name, ta.Name
			}
		}
		return c.Func.Name, ""
	}
	return "", ""
}

// sameElement are the functions whose result is (part of) their input
// collection, so the element behind it is the input's.
var sameElement = map[string]bool{
	"first": true, "last": true, "single": true, "where": true, "ofType": true, "tail": true,
	"skip": true, "take": true, "distinct": true, "getReferenceKey": true, "as": true,
	"join": true, "lower": true, "upper": true, "trim": true,
}

// elementOf finds the catalog element a value is read from: the last field
// step of the expression, through functions that keep their input's items.
func elementOf(cat *catalog.Catalog, x plan.Expr) *catalog.Element {
	for x != nil {
		switch e := x.(type) {
		case *plan.Field:
			t := cat.Type(string(e.X.Type().Type))
			if el := t.Element(e.Key); el != nil {
				return el
			}
			el, _ := t.ChoiceElement(e.Key)
			return el
		case *plan.Choice:
			return cat.Type(string(e.X.Type().Type)).Element(e.Name)
		case *plan.Call:
			if e.Func == nil || !sameElement[e.Func.Name] {
				return nil
			}
			x = e.X
		default:
			return nil
		}
	}
	return nil
}
