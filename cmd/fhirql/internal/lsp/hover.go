package lsp

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	req("textDocument/hover", func(s *Server, p *TextDocumentPositionParams) (any, error) {
		_, a, pf, err := s.fileOf(p.TextDocument.URI)
		if err != nil {
			return nil, err
		}
		pos := offset(pf.src, p.Position)
		text, sp := s.hoverAt(a, pf, pos)
		if text == "" {
			return nil, nil
		}
		r := spanRange(pf.src, sp)
		return Hover{Contents: MarkupContent{Kind: "markdown", Value: text}, Range: &r}, nil
	})
}

// builtinVars documents the environment variables FHIRPath and SQL on FHIR
// define, for hover and completion.
var builtinVars = []struct{ name, typ, doc string }{
	{"rowIndex", "integer", "The 0-based index of the current item in the nearest enclosing forEach, forEachOrNull or repeat (0 outside one)."},
	{"resource", "Resource", "The resource the view is evaluated on."},
	{"rootResource", "Resource", "The resource the view is evaluated on (the container, for contained resources)."},
	{"context", "Resource", "The original input of the expression: the view's resource."},
	{"ucum", "string", "The UCUM code system URL, 'http://unitsofmeasure.org'."},
	{"sct", "string", "The SNOMED CT code system URL, 'http://snomed.info/sct'."},
	{"loinc", "string", "The LOINC code system URL, 'http://loinc.org'."},
}

func builtinVar(name string) (typ, doc string, ok bool) {
	for _, b := range builtinVars {
		if b.name == name {
			return b.typ, b.doc, true
		}
	}
	return "", "", false
}

// hoverAt builds the markdown shown for the node at pos.
func (s *Server) hoverAt(a *analysis, pf *parsedFile, pos source.Pos) (string, source.Span) {
	if isSQLName(pf.src.Name) {
		return s.hoverSQL(a, pf.src, pos)
	}
	path := nodeAt(pf.ast, pos)
	if len(path) == 0 {
		return "", source.Span{}
	}
	if g, use, sp := a.groupAt(pf, pos); g != nil {
		return s.hoverGroup(a, g, use), sp
	}
	c := a.checked
	src := pf.src
	for i := len(path) - 1; i >= 0; i-- {
		switch n := path[i].(type) {
		case *ast.Group:
			if within(n.TypeSpan, pos) {
				return s.hoverType(n.Type), n.TypeSpan
			}
			continue
		case *ast.Ident:
			if c == nil {
				return "", source.Span{}
			}
			return s.hoverStep(c, src, n, n.Name, n.Sp), n.Sp
		case *ast.Member:
			if !within(n.NameSpan, pos) {
				continue
			}
			if c == nil {
				return "", source.Span{}
			}
			return s.hoverStep(c, src, n, n.Name, n.NameSpan), n.NameSpan
		case *ast.Call:
			if !within(n.NameSpan, pos) {
				continue
			}
			return s.hoverCall(c, src, n), n.NameSpan
		case *ast.Var:
			return s.hoverVar(a, n), n.Sp
		case *ast.Const:
			if within(n.NameSpan, pos) {
				return s.hoverConst(a, n), n.NameSpan
			}
			return "", source.Span{}
		case *ast.Column:
			if within(n.NameSpan, pos) || within(n.TypeSpan, pos) {
				return s.hoverColumn(c, src, n), n.NameSpan
			}
			continue
		case *ast.View:
			if within(n.ResourceSpan, pos) {
				return s.hoverType(n.Resource), n.ResourceSpan
			}
			if within(n.NameSpan, pos) {
				return s.hoverView(c, n), n.NameSpan
			}
			return "", source.Span{}
		case *ast.TypeOp:
			if within(n.Type.Sp, pos) {
				return s.hoverType(n.Type.Name), n.Type.Sp
			}
			if c != nil {
				return exprHover(c, src, n), n.Sp
			}
		case *ast.Literal, *ast.Binary, *ast.Unary, *ast.Index, *ast.This, *ast.Special, *ast.Paren:
			if c != nil {
				e := n.(ast.Expr)
				return exprHover(c, src, e), e.Span()
			}
			return "", source.Span{}
		case *ast.Select:
			if within(n.KeywordSpan, pos) {
				return selectHover(c, n), n.KeywordSpan
			}
			return "", source.Span{}
		}
	}
	return "", source.Span{}
}

// cardinality prints an element's [min..max].
func cardinality(e *catalog.Element) string {
	max := "*"
	if e.Max >= 0 {
		max = fmt.Sprint(e.Max)
	}
	return fmt.Sprintf("[%d..%s]", e.Min, max)
}

// elementTypes prints an element's allowed types ("HumanName", "Quantity |
// string | ..."), as the specification's tables do: a backbone element's
// type is BackboneElement, not the path the catalog names it by.
func elementTypes(e *catalog.Element) string {
	ts := make([]string, len(e.Types))
	for i, t := range e.Types {
		ts[i] = displayType(t)
		if strings.Contains(t, ".") && !strings.HasPrefix(t, "System.") {
			ts[i] = "BackboneElement"
		}
	}
	return strings.Join(ts, " | ")
}

// displayType names a type as users read it: backbone types keep their path,
// System types lose their prefix.
func displayType(t string) string {
	return strings.TrimPrefix(t, "System.")
}

// elementSignature is the first line of an element's hover:
// `Patient.name : HumanName [0..*]`.
func elementSignature(e *catalog.Element) string {
	return fmt.Sprintf("%s : %s %s", e.Path, elementTypes(e), cardinality(e))
}

func infoText(t types.Info) string {
	if t.Type == types.Unknown {
		return "unknown type"
	}
	card := "one value"
	if t.Many {
		card = "collection"
	}
	return fmt.Sprintf("%s, %s", displayType(string(t.Type)), card)
}

func code(lang, s string) string { return "```" + lang + "\n" + s + "\n```" }

// snippet is a node's source text, shortened for a hover line.
func snippet(src *source.File, sp source.Span) string {
	if src == nil || sp.IsZero() || int(sp.End) > len(src.Text) || sp.Start > sp.End {
		return ""
	}
	t := strings.Join(strings.Fields(src.Text[sp.Start:sp.End]), " ")
	if len(t) > 60 {
		t = t[:57] + "..."
	}
	return t
}

func (s *Server) hoverStep(c *check.Checked, src *source.File, e ast.Expr, name string, nameSp source.Span) string {
	var b strings.Builder
	if el := c.ElementOf(e); el != nil {
		b.WriteString(code("fhirql", elementSignature(el)))
		if el.Short != "" {
			b.WriteString("\n\n" + el.Short)
		}
		if el.Binding != nil && el.Binding.ValueSet != "" {
			fmt.Fprintf(&b, "\n\nBinding (%s): %s", el.Binding.Strength, el.Binding.ValueSet)
			if n := len(el.Binding.Codes); n > 0 && n <= 12 {
				fmt.Fprintf(&b, " — %s", strings.Join(el.Binding.Codes, ", "))
			}
		}
		if t := c.TypeOf(e); t.Type != types.Unknown {
			fmt.Fprintf(&b, "\n\n`%s` : %s", snippet(src, e.Span()), infoText(t))
		}
		return b.String()
	}
	if id, ok := e.(*ast.Ident); ok && c.IsRoot(id) {
		return s.hoverType(name)
	}
	if ref, ok := c.TypeArgOf(e); ok {
		return s.hoverType(string(ref.Type))
	}
	if t := c.TypeOf(e); t.Type != types.Unknown {
		return code("fhirql", fmt.Sprintf("%s : %s", snippet(src, e.Span()), infoText(t)))
	}
	return ""
}

func (s *Server) hoverType(name string) string {
	name = strings.TrimPrefix(name, "FHIR.")
	if strings.HasPrefix(name, "System.") {
		return code("fhirql", name) + "\n\nA FHIRPath system type."
	}
	t := s.cat.Type(name)
	if t == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(code("fhirql", fmt.Sprintf("%s (%s)", t.Name, t.Kind)))
	if t.Short != "" {
		b.WriteString("\n\n" + t.Short)
	}
	if t.Base != "" {
		fmt.Fprintf(&b, "\n\nBase: %s", t.Base)
	}
	return b.String()
}

func funcDoc(f *funcs.Func) string {
	var b strings.Builder
	b.WriteString(code("fhirql", f.Signature))
	if f.Doc != "" {
		b.WriteString("\n\n" + capitalise(f.Doc))
	}
	if f.Experimental {
		b.WriteString("\n\n*Experimental in SQL on FHIR v2.*")
	}
	return b.String()
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func (s *Server) hoverCall(c *check.Checked, src *source.File, n *ast.Call) string {
	var f *funcs.Func
	if c != nil {
		f = c.FuncOf(n)
	}
	if f == nil {
		f = funcs.Lookup(n.Name)
	}
	if f == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(funcDoc(f))
	if c != nil {
		if flt := c.FilterOf(n); flt.Mode == check.FilterChoice && flt.Element != nil {
			fmt.Fprintf(&b, "\n\nPicks `%s` of %s (JSON key `%s`).", flt.Type, flt.Element.Path, flt.Element.ChoiceKey(flt.Type))
		}
		if t := c.TypeOf(n); t.Type != types.Unknown {
			fmt.Fprintf(&b, "\n\n`%s` : %s", snippet(src, n.Span()), infoText(t))
		}
	}
	return b.String()
}

func (s *Server) hoverVar(a *analysis, v *ast.Var) string {
	if a.checked != nil {
		if k := a.checked.ConstOf(v); k != nil {
			return s.hoverConst(a, k)
		}
	}
	if typ, doc, ok := builtinVar(v.Name); ok {
		return code("fhirql", "%"+v.Name+" : "+typ) + "\n\n" + doc
	}
	return ""
}

func (s *Server) hoverConst(a *analysis, k *ast.Const) string {
	value := ""
	if pf := a.fileOfConst(k); pf != nil && k.Value != nil {
		value = snippet(pf.src, k.Value.Sp)
	}
	typ := k.Type
	if a.checked != nil {
		if t := a.checked.ConstType(k); t.Type != types.Unknown && typ == "" {
			typ = displayType(string(t.Type))
		}
	}
	line := "const " + k.Name
	if typ != "" {
		line += " : " + typ
	}
	if value != "" {
		line += " = " + value
	}
	out := code("fhirql", line)
	if k.Doc != "" {
		out += "\n\n" + k.Doc
	}
	return out
}

func (s *Server) hoverColumn(c *check.Checked, src *source.File, col *ast.Column) string {
	line := "column " + col.Name
	if c != nil {
		if cc := c.ColumnOf(col); cc != nil {
			t := displayType(string(cc.Type))
			if t == "" {
				t = "?"
			}
			line += " : " + t
		}
	}
	if col.Collection {
		line += " (collection)"
	}
	var b strings.Builder
	b.WriteString(code("fhirql", line))
	if col.Doc != "" {
		b.WriteString("\n\n" + col.Doc)
	}
	if c != nil && col.Path != nil {
		if t := c.TypeOf(col.Path); t.Type != types.Unknown {
			fmt.Fprintf(&b, "\n\n`%s` : %s", snippet(src, col.Path.Span()), infoText(t))
		}
		if el := c.ElementOf(col.Path); el != nil {
			fmt.Fprintf(&b, "\n\n%s — %s", elementSignature(el), el.Short)
		}
	}
	return b.String()
}

func (s *Server) hoverView(c *check.Checked, v *ast.View) string {
	var b strings.Builder
	b.WriteString(code("fhirql", fmt.Sprintf("view %s of %s", v.Name, v.Resource)))
	if v.Doc != "" {
		b.WriteString("\n\n" + v.Doc)
	}
	if c != nil {
		if cv := c.ViewOf(v); cv != nil && len(cv.Columns) > 0 {
			b.WriteString("\n\nColumns:")
			for i, col := range cv.Columns {
				if i == 40 {
					fmt.Fprintf(&b, "\n- ... %d more", len(cv.Columns)-40)
					break
				}
				if col.AST == nil {
					continue
				}
				fmt.Fprintf(&b, "\n- `%s` %s", col.AST.Name, displayType(string(col.Type)))
			}
		}
	}
	return b.String()
}

func exprHover(c *check.Checked, src *source.File, e ast.Expr) string {
	t := c.TypeOf(e)
	if t.Type == types.Unknown {
		return ""
	}
	return code("fhirql", fmt.Sprintf("%s : %s", snippet(src, e.Span()), infoText(t)))
}

func selectHover(c *check.Checked, s *ast.Select) string {
	docs := map[ast.SelectKind]string{
		ast.Plain:         "Columns evaluated once per incoming row; nested selects are cross-joined.",
		ast.ForEach:       "One row per item of the collection; no row when it is empty.",
		ast.ForEachOrNull: "One row per item of the collection, and one row of nulls when it is empty.",
		ast.Repeat:        "One row per node reached by following the paths recursively.",
	}
	out := code("fhirql", s.Kind.String()) + "\n\n" + docs[s.Kind]
	if c != nil {
		if t := c.SelectFocus(s); t.Type != types.Unknown {
			out += fmt.Sprintf("\n\nEach row's focus: %s", displayType(string(t.Type)))
		}
	}
	return out
}
