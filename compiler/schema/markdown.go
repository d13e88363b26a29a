package schema

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// JSON writes the dictionary as indented JSON, for tools.
func JSON(w io.Writer, d *Dictionary) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Markdown writes the dictionary as Markdown: the join diagram in a
// ```mermaid block (GitHub, GitLab and Azure DevOps draw it), then a
// section per view with its column table.
func Markdown(w io.Writer, d *Dictionary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Data dictionary\n\n%d view%s, checked against FHIR %s. SQL types for %s.\n\n",
		len(d.Views), plural(len(d.Views)), d.FHIRVersion, strings.Join(d.Targets, ", "))
	if len(d.Joins) > 0 {
		b.WriteString("## Joins\n\n```mermaid\n")
		b.WriteString(Mermaid(d))
		b.WriteString("```\n\n")
		b.WriteString("| from | column | to | column | kind |\n|---|---|---|---|---|\n")
		for _, j := range d.Joins {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(j.From), mdCode(j.FromColumn), mdCell(j.To), mdCode(j.ToColumn), j.Kind)
		}
		b.WriteString("\n")
	}
	for _, v := range d.Views {
		fmt.Fprintf(&b, "## %s\n\n", mdCell(v.Name))
		if v.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", v.Description)
		}
		fmt.Fprintf(&b, "Of %s: %s", v.Resource, v.Grain)
		if v.Key != "" {
			fmt.Fprintf(&b, ", keyed by %s", mdCode(v.Key))
		}
		b.WriteString(".")
		if v.Source != "" {
			fmt.Fprintf(&b, " Source: %s.", mdCode(v.Source))
		}
		b.WriteString("\n\n")
		for _, u := range v.Unsupported {
			fmt.Fprintf(&b, "> Not buildable for %s\n\n", mdCell(u))
		}
		b.WriteString("| column | FHIR type |")
		for _, t := range d.Targets {
			fmt.Fprintf(&b, " %s |", t)
		}
		b.WriteString(" FHIRPath | definition |\n|---|---|")
		for range d.Targets {
			b.WriteString("---|")
		}
		b.WriteString("---|---|\n")
		for _, c := range v.Columns {
			name := mdCode(c.Name)
			if c.Collection {
				name += " []"
			}
			fmt.Fprintf(&b, "| %s | %s |", name, mdCell(c.FHIRType))
			for _, t := range c.SQLTypes {
				fmt.Fprintf(&b, " %s |", mdCell(t))
			}
			def := c.Definition
			if c.Element != "" {
				def = strings.TrimSpace(c.Element + ": " + def)
			}
			if c.Description != "" {
				def = strings.TrimSpace(c.Description + " " + def)
			}
			if c.References != "" {
				def = strings.TrimSpace(def + " → " + c.References)
			}
			fmt.Fprintf(&b, " %s | %s |\n", mdCode(c.FHIRPath), mdCell(def))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Mermaid is the join diagram as a Mermaid erDiagram: an entity per view
// taking part in a join, with its key (PK) and joining columns (FK).
func Mermaid(d *Dictionary) string {
	var b strings.Builder
	b.WriteString("erDiagram\n")
	inJoin := map[string]map[string]string{} // view -> column -> PK/FK
	mark := func(v, c, m string) {
		if inJoin[v] == nil {
			inJoin[v] = map[string]string{}
		}
		if inJoin[v][c] == "" || m == "PK" {
			inJoin[v][c] = m
		}
	}
	for _, j := range d.Joins {
		mark(j.To, j.ToColumn, "PK") // always the key of a one-row-per-resource view
		mark(j.From, j.FromColumn, "FK")
	}
	for _, v := range d.Views {
		cols := inJoin[v.Name]
		if cols == nil {
			continue
		}
		fmt.Fprintf(&b, "  %s {\n", mermaidName(v.Name))
		for _, c := range v.Columns {
			if m := cols[c.Name]; m != "" {
				fmt.Fprintf(&b, "    %s %s %s\n", mermaidName(mermaidType(c.FHIRType)), mermaidName(c.Name), m)
			}
		}
		b.WriteString("  }\n")
	}
	for _, j := range d.Joins {
		fmt.Fprintf(&b, "  %s ||--o{ %s : %q\n", mermaidName(j.To), mermaidName(j.From), j.FromColumn)
	}
	return b.String()
}

var nonMermaid = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// mermaidName keeps what Mermaid accepts in an entity or attribute name.
func mermaidName(s string) string {
	s = nonMermaid.ReplaceAllString(s, "_")
	if s == "" {
		return "_"
	}
	return s
}

func mermaidType(t string) string {
	if t == "" {
		return "any"
	}
	return strings.TrimPrefix(t, "System.")
}

func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", `\|`)
	n := 1
	for strings.Contains(s, strings.Repeat("`", n)) {
		n++
	}
	fence := strings.Repeat("`", n)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	r := strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`)
	return r.Replace(s)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
