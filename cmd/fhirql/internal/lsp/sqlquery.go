package lsp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/query"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// A .sql file next to views is a query over them (docs/query.md): the
// server checks it against the views of its directory — the namespace
// `fhirql query --views DIR` would load — and completes and explains view
// and column names in it. It takes no part in the namespace's views.

func isSQLName(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".sql") }

// plans are the namespace's views, planned once per analysis; nil while
// the views have errors (the query could only echo them).
func (a *analysis) plans() []*plan.View {
	if a.plansDone {
		return a.planned
	}
	a.plansDone = true
	if a.checked == nil {
		return nil
	}
	for _, dl := range a.diags {
		if dl.HasErrors() {
			return nil
		}
	}
	func() {
		defer func() { recover() }() // planning bugs surface as view diagnostics
		ps, dl := lower.Lower(a.checked)
		if !dl.HasErrors() {
			a.planned = ps
		}
	}()
	return a.planned
}

// sqlDiags checks an open .sql document against its directory's views.
func (s *Server) sqlDiags(a *analysis, d *document) []Diagnostic {
	src := source.NewFileString(d.name, d.text)
	views := a.plans()
	if views == nil {
		return []Diagnostic{{
			Range: spanRange(src, source.Span{}), Severity: sevInfo, Source: "fhirql",
			Message: "the views of this directory have errors or none: fix them to check this query",
		}}
	}
	var dl diag.List
	func() {
		defer func() {
			if r := recover(); r != nil {
				dl = diag.List{diag.New(diag.Error, "FQL9999", src, source.Span{}, "internal error while checking the query: %v; this is a bug in fhirql, please report it with this input", r)}
			}
		}()
		_, dl = query.Compile(src, query.Options{Views: views})
	}()
	return s.convertDiags(src, d.uri, dl)
}

// completeSQL offers view names where a table is expected, the columns of
// a view after its name or alias and a dot, and otherwise the columns of
// the query's views, its view names and the portable functions.
func (s *Server) completeSQL(a *analysis, src *source.File, pos int) *CompletionList {
	views := a.plans()
	w := query.WordAt(src.Text, pos)
	var items []CompletionItem
	seen := map[string]bool{}
	add := func(it CompletionItem, rank int) {
		if seen[it.Label] || !strings.HasPrefix(strings.ToLower(it.Label), strings.ToLower(w.Text[:min(len(w.Text), pos-w.Start)])) {
			return
		}
		seen[it.Label] = true
		it.SortText = fmt.Sprintf("%d_%s", rank, it.Label)
		r := spanRange(src, source.Span{Start: source.Pos(w.Start), End: source.Pos(pos)})
		it.TextEdit = &TextEdit{Range: r, NewText: it.Label}
		items = append(items, it)
	}
	viewItem := func(v *plan.View) CompletionItem {
		return CompletionItem{Label: sql.ViewName(v), Kind: kindClass, Detail: "view of " + v.Resource,
			Documentation: &MarkupContent{Kind: "markdown", Value: viewDoc(v)}}
	}
	colItems := func(v *plan.View, rank int) {
		for _, c := range v.Columns {
			add(CompletionItem{Label: c.Name, Kind: kindField, Detail: query.ColumnType(c).String() + " · " + sql.ViewName(v),
				Documentation: &MarkupContent{Kind: "markdown", Value: columnDoc(v, c)}}, rank)
		}
	}
	tables := query.TableNames(src.Text, views)
	switch {
	case w.Qualifier != "":
		if v, ok := tables[strings.ToLower(w.Qualifier)]; ok {
			colItems(v, 0)
		}
	case w.AfterTable:
		for _, v := range views {
			add(viewItem(v), 0)
		}
	default:
		var inQuery []*plan.View
		for _, v := range tables {
			inQuery = append(inQuery, v)
		}
		sort.Slice(inQuery, func(i, j int) bool { return sql.ViewName(inQuery[i]) < sql.ViewName(inQuery[j]) })
		for _, v := range inQuery {
			colItems(v, 0)
		}
		for _, v := range views {
			add(viewItem(v), 1)
		}
		for _, f := range query.FunctionNames() {
			add(CompletionItem{Label: strings.ToUpper(f), Kind: kindFunction, Detail: "portable SQL function"}, 2)
		}
	}
	if items == nil {
		items = []CompletionItem{}
	}
	return &CompletionList{Items: items}
}

// hoverSQL explains the view or column name under the cursor.
func (s *Server) hoverSQL(a *analysis, src *source.File, pos source.Pos) (string, source.Span) {
	views := a.plans()
	w := query.WordAt(src.Text, int(pos))
	if w.Text == "" {
		return "", source.Span{}
	}
	sp := source.Span{Start: source.Pos(w.Start), End: source.Pos(w.End)}
	tables := query.TableNames(src.Text, views)
	name := strings.ToLower(w.Text)
	if w.Qualifier != "" {
		if v, ok := tables[strings.ToLower(w.Qualifier)]; ok {
			for _, c := range v.Columns {
				if strings.ToLower(c.Name) == name {
					return columnDoc(v, c), sp
				}
			}
		}
		return "", source.Span{}
	}
	if v, ok := tables[name]; ok {
		return viewDoc(v), sp
	}
	for _, v := range views {
		if strings.ToLower(sql.ViewName(v)) == name {
			return viewDoc(v), sp
		}
	}
	var names []string
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := tables[n]
		for _, c := range v.Columns {
			if strings.ToLower(c.Name) == name {
				return columnDoc(v, c), sp
			}
		}
	}
	return "", source.Span{}
}

func viewDoc(v *plan.View) string {
	var b strings.Builder
	fmt.Fprintf(&b, "```fview\nview %s of %s\n```\n", sql.ViewName(v), v.Resource)
	if v.Description != "" {
		b.WriteString(v.Description + "\n\n")
	}
	var cols []string
	for _, c := range v.Columns {
		cols = append(cols, fmt.Sprintf("`%s` %s", c.Name, query.ColumnType(c)))
	}
	b.WriteString("Columns: " + strings.Join(cols, ", "))
	return b.String()
}

func columnDoc(v *plan.View, c *plan.Column) string {
	var b strings.Builder
	fmt.Fprintf(&b, "```fview\n%s = %s\n```\n", c.Name, query.ColumnPath(v, c))
	fmt.Fprintf(&b, "Column of view `%s` (%s): **%s** in queries", sql.ViewName(v), v.Resource, query.ColumnType(c))
	if c.Type != "" {
		fmt.Fprintf(&b, ", FHIR type `%s`", c.Type)
	}
	if c.Collection {
		b.WriteString(", a collection (JSON array text)")
	}
	if c.Description != "" {
		b.WriteString("\n\n" + c.Description)
	}
	return b.String()
}
