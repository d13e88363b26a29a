package schema

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
)

// HTML writes the dictionary as one self-contained page: inline CSS, the
// join diagram as inline SVG (boxes link to the view's section), a section
// per view with its column table. It loads nothing, so it opens from a
// file share or an air-gapped laptop exactly as it does anywhere.
func HTML(w io.Writer, d *Dictionary) error {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data dictionary</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1b1b1b; }
h1 { margin-top: 0; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; padding-bottom: .25rem; }
code, .mono { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: .9em; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d0d0d0; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.path { max-width: 28rem; overflow-wrap: anywhere; }
.grain { color: #555; }
.warn { color: #8a4b00; }
figure { margin: 1rem 0; overflow: auto; border: 1px solid #e3e3e3; background: #fcfcfd; }
svg text { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: 12px; }
svg .box rect.frame { fill: #fff; stroke: #5b6b7c; }
svg .box rect.head { fill: #dfe9f3; stroke: #5b6b7c; }
svg .box text.title { font-weight: bold; }
svg .box text.more { fill: #666; }
svg path.edge { fill: none; stroke: #3a6ea5; stroke-width: 1.4; }
svg path.edge.parent { stroke: #7a7a7a; stroke-dasharray: 5 3; }
svg a:hover rect.frame { stroke-width: 2; }
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>Data dictionary</h1>\n<p>%d view%s, checked against FHIR %s. SQL types for %s.</p>\n",
		len(d.Views), plural(len(d.Views)), esc(d.FHIRVersion), esc(strings.Join(d.Targets, ", ")))
	if len(d.Views) > 0 {
		b.WriteString("<figure id=\"diagram\">\n")
		b.WriteString(SVG(d))
		b.WriteString("<figcaption>Solid arrows: a reference key to the referenced view's key. Dashed: a view with forEach to its resource's main view.</figcaption>\n</figure>\n")
	}
	for _, v := range d.Views {
		fmt.Fprintf(&b, "<section class=\"view\" id=\"%s\">\n<h2>%s</h2>\n", esc(anchor(v.Name)), esc(v.Name))
		if v.Description != "" {
			fmt.Fprintf(&b, "<p>%s</p>\n", esc(v.Description))
		}
		fmt.Fprintf(&b, "<p class=\"grain\">Of <b>%s</b>: %s", esc(v.Resource), esc(v.Grain))
		if v.Key != "" {
			fmt.Fprintf(&b, ", keyed by <code>%s</code>", esc(v.Key))
		}
		b.WriteString(".")
		if v.Source != "" {
			fmt.Fprintf(&b, " Source: <code>%s</code>.", esc(v.Source))
		}
		b.WriteString("</p>\n")
		for _, u := range v.Unsupported {
			fmt.Fprintf(&b, "<p class=\"warn\">Not buildable for %s</p>\n", esc(u))
		}
		b.WriteString("<table>\n<thead><tr><th>column</th><th>FHIR type</th>")
		for _, t := range d.Targets {
			fmt.Fprintf(&b, "<th>%s</th>", esc(t))
		}
		b.WriteString("<th>FHIRPath</th><th>definition</th></tr></thead>\n<tbody>\n")
		links := map[string][]Join{}
		for _, j := range d.Joins {
			if j.From == v.Name {
				links[j.FromColumn] = append(links[j.FromColumn], j)
			}
		}
		for _, c := range v.Columns {
			name := "<code>" + esc(c.Name) + "</code>"
			if c.Collection {
				name += " <span title=\"collection: a JSON array\">[]</span>"
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td>", name, esc(c.FHIRType))
			for _, t := range c.SQLTypes {
				fmt.Fprintf(&b, "<td class=\"mono\">%s</td>", esc(t))
			}
			fmt.Fprintf(&b, "<td class=\"path\"><code>%s</code></td><td>", esc(c.FHIRPath))
			var parts []string
			if c.Description != "" {
				parts = append(parts, esc(c.Description))
			}
			if c.Element != "" {
				parts = append(parts, "<i>"+esc(c.Element)+"</i>: "+esc(c.Definition))
			}
			for _, j := range links[c.Name] {
				parts = append(parts, fmt.Sprintf("→ <a href=\"#%s\">%s.%s</a>", esc(anchor(j.To)), esc(j.To), esc(j.ToColumn)))
			}
			b.WriteString(strings.Join(parts, "<br>"))
			b.WriteString("</td></tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n</section>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func esc(s string) string { return html.EscapeString(s) }

// anchor is a view's fragment id.
func anchor(name string) string {
	return "view-" + strings.Map(func(r rune) rune {
		if r == ' ' || r == '"' || r == '#' || r == '%' {
			return '_'
		}
		return r
	}, name)
}

// Diagram geometry, in SVG user units (CSS pixels).
const (
	boxMinW  = 220
	boxMaxW  = 420
	charW    = 7.3 // 12px monospace advance, with a margin
	headH    = 24
	rowH     = 18
	padX     = 8
	gapX     = 110
	gapY     = 22
	margin   = 16
	maxShown = 12 // columns listed in a box before "+ n more"
)

// box is one view in the diagram.
type box struct {
	v       *View
	x, y    float64
	w, h    float64
	rows    []string // columns shown
	more    int
	rank    int
	rowOf   map[string]int
	outJoin []Join
}

// SVG draws the views as boxes listing their key and joining columns, in
// layers: a view that references nothing sits in the leftmost layer, every
// other one layer right of the rightmost view it references, so that every
// arrow points left, to the view it joins to. Within a layer, views are
// ordered by the mean height of what they reference, which keeps arrows
// short and mostly uncrossed for the star shapes FHIR data has (everything
// points at the patient).
func SVG(d *Dictionary) string {
	boxes := layout(d)
	var width, height float64
	for _, bx := range boxes {
		width = max(width, bx.x+bx.w+margin)
		height = max(height, bx.y+bx.h+margin)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<svg class=\"joins\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"join diagram of %d views\">\n",
		width, height, width, height, len(boxes))
	b.WriteString("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#3a6ea5\"/></marker></defs>\n")
	byName := map[string]*box{}
	for _, bx := range boxes {
		byName[bx.v.Name] = bx
	}
	for _, j := range d.Joins {
		from, to := byName[j.From], byName[j.To]
		if from == nil || to == nil {
			continue
		}
		sy := from.y + headH + float64(from.rowOf[j.FromColumn])*rowH + rowH/2
		ty := to.y + headH + float64(to.rowOf[j.ToColumn])*rowH + rowH/2
		var sx, tx, c1, c2 float64
		if from.x > to.x {
			sx, tx = from.x, to.x+to.w
			c1, c2 = sx-gapX/2, tx+gapX/2
		} else if from.x < to.x {
			sx, tx = from.x+from.w, to.x
			c1, c2 = sx+gapX/2, tx-gapX/2
		} else { // same layer: loop out on the right
			sx, tx = from.x+from.w, to.x+to.w
			c1, c2 = sx+gapX/2, tx+gapX/2
		}
		class := "edge"
		if j.Kind == "parent" {
			class += " parent"
		}
		fmt.Fprintf(&b, "<path class=\"%s\" d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" marker-end=\"url(#arrow)\"><title>%s.%s → %s.%s</title></path>\n",
			class, sx, sy, c1, sy, c2, ty, tx, ty, esc(j.From), esc(j.FromColumn), esc(j.To), esc(j.ToColumn))
	}
	for _, bx := range boxes {
		fmt.Fprintf(&b, "<a href=\"#%s\"><g class=\"box\" data-view=\"%s\">", esc(anchor(bx.v.Name)), esc(bx.v.Name))
		fmt.Fprintf(&b, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\"/>", bx.x, bx.y, bx.w, bx.h)
		fmt.Fprintf(&b, "<rect class=\"head\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"3\"/>", bx.x, bx.y, bx.w, headH)
		fmt.Fprintf(&b, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\">%s</text>", bx.x+padX, bx.y+16, esc(fit(bx.v.Name+" ("+bx.v.Resource+")", bx.w)))
		for i, r := range bx.rows {
			fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", bx.x+padX, bx.y+headH+float64(i)*rowH+13, esc(fit(r, bx.w)))
		}
		if bx.more > 0 {
			fmt.Fprintf(&b, "<text class=\"more\" x=\"%.1f\" y=\"%.1f\">+ %d more column%s</text>", bx.x+padX, bx.y+headH+float64(len(bx.rows))*rowH+13, bx.more, plural(bx.more))
		}
		b.WriteString("</g></a>\n")
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// fit shortens s with an ellipsis to what a box of width w shows.
func fit(s string, w float64) string {
	n := int((w - 2*padX) / charW)
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

// layout places the boxes (see SVG).
func layout(d *Dictionary) []*box {
	var boxes []*box
	byName := map[string]*box{}
	var width float64 = boxMinW
	for _, v := range d.Views {
		bx := &box{v: v, rowOf: map[string]int{}}
		joined := map[string]bool{}
		for _, j := range d.Joins {
			if j.From == v.Name {
				joined[j.FromColumn] = true
				bx.outJoin = append(bx.outJoin, j)
			}
			if j.To == v.Name {
				joined[j.ToColumn] = true
			}
		}
		// the key and joining columns first, then the others up to maxShown
		for _, c := range v.Columns {
			if c.Name == v.Key || joined[c.Name] {
				bx.rowOf[c.Name] = len(bx.rows)
				bx.rows = append(bx.rows, rowText(v, c, joined[c.Name]))
			}
		}
		for _, c := range v.Columns {
			if _, ok := bx.rowOf[c.Name]; ok {
				continue
			}
			if len(bx.rows) >= maxShown {
				bx.more++
				continue
			}
			bx.rowOf[c.Name] = len(bx.rows)
			bx.rows = append(bx.rows, rowText(v, c, false))
		}
		for _, r := range append([]string{v.Name + " (" + v.Resource + ")"}, bx.rows...) {
			width = max(width, float64(len([]rune(r)))*charW+2*padX)
		}
		boxes = append(boxes, bx)
		byName[v.Name] = bx
	}
	width = min(width, boxMaxW)
	// layers
	state := map[*box]int{} // 0 new, 1 visiting, 2 done
	var rank func(bx *box) int
	rank = func(bx *box) int {
		switch state[bx] {
		case 1:
			return 0 // a cycle: break it here
		case 2:
			return bx.rank
		}
		state[bx] = 1
		r := 0
		for _, j := range bx.outJoin {
			if t := byName[j.To]; t != nil && t != bx {
				r = max(r, rank(t)+1)
			}
		}
		bx.rank, state[bx] = r, 2
		return r
	}
	layers := map[int][]*box{}
	maxRank := 0
	for _, bx := range boxes {
		r := rank(bx)
		layers[r] = append(layers[r], bx)
		maxRank = max(maxRank, r)
	}
	for r := 0; r <= maxRank; r++ {
		layer := layers[r]
		if r > 0 {
			// order by the mean y of the referenced boxes (already placed)
			key := map[*box]float64{}
			for _, bx := range layer {
				var sum float64
				n := 0
				for _, j := range bx.outJoin {
					if t := byName[j.To]; t != nil && t.rank < r {
						sum += t.y
						n++
					}
				}
				if n > 0 {
					key[bx] = sum / float64(n)
				}
			}
			sort.SliceStable(layer, func(a, b int) bool { return key[layer[a]] < key[layer[b]] })
		}
		y := float64(margin)
		for _, bx := range layer {
			bx.w = width
			bx.h = headH + float64(len(bx.rows))*rowH + 6
			if bx.more > 0 {
				bx.h += rowH
			}
			bx.x = margin + float64(r)*(width+gapX)
			bx.y = y
			y += bx.h + gapY
		}
	}
	return boxes
}

// rowText is a column as a box lists it: name, type, and a mark: PK for
// the key of a view with one row per resource, FK for a column that joins
// to another view's key.
func rowText(v *View, c *Column, joins bool) string {
	s := c.Name
	if c.Collection {
		s += "[]"
	}
	s += " " + strings.TrimPrefix(c.FHIRType, "System.")
	switch {
	case c.Name == v.Key && v.PerResource:
		s += " PK"
	case joins:
		s += " FK"
	}
	return s
}
