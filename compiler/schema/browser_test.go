package schema_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/schema"
)

// browserCheck is appended to a copy of the page: it measures what the
// browser actually laid out and writes the findings into the DOM, which
// --dump-dom then prints. It checks that every text of the diagram fits
// inside its box (the Go layout guesses text widths), that no two boxes
// overlap, that every arrow starts and ends on the border of the boxes of
// its join, that the diagram fits its viewBox, and that each view's table
// has the view's columns.
const browserCheck = `<script>
(function () {
  const problems = [];
  const svg = document.querySelector("svg.joins");
  const boxes = [...svg.querySelectorAll("g.box")];
  const frames = new Map();
  const vb = svg.viewBox.baseVal;
  for (const g of boxes) {
    const f = g.querySelector("rect.frame").getBBox();
    frames.set(g.dataset.view, f);
    if (f.x < 0 || f.y < 0 || f.x + f.width > vb.width + 0.5 || f.y + f.height > vb.height + 0.5)
      problems.push("box " + g.dataset.view + " outside the viewBox");
    for (const t of g.querySelectorAll("text")) {
      const b = t.getBBox();
      if (b.width === 0) problems.push("empty text in " + g.dataset.view);
      if (b.x < f.x || b.x + b.width > f.x + f.width || b.y < f.y || b.y + b.height > f.y + f.height + 1)
        problems.push("text '" + t.textContent + "' overflows box " + g.dataset.view +
          " (" + Math.round(b.x + b.width) + " > " + Math.round(f.x + f.width) + ")");
    }
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = frames.get(boxes[i].dataset.view), b = frames.get(boxes[j].dataset.view);
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      problems.push("boxes " + boxes[i].dataset.view + " and " + boxes[j].dataset.view + " overlap");
  }
  const onBorder = (p, f) => (Math.abs(p.x - f.x) < 1 || Math.abs(p.x - f.x - f.width) < 1) && p.y > f.y && p.y < f.y + f.height;
  let edges = 0;
  for (const p of svg.querySelectorAll("path.edge")) {
    edges++;
    const m = p.querySelector("title").textContent.match(/^(.*)\.[^.]* → (.*)\.[^.]*$/);
    const from = frames.get(m[1]), to = frames.get(m[2]);
    const len = p.getTotalLength();
    if (!from || !to || !onBorder(p.getPointAtLength(0), from) || !onBorder(p.getPointAtLength(len), to))
      problems.push("arrow " + p.querySelector("title").textContent + " does not join its boxes");
  }
  const sections = document.querySelectorAll("section.view");
  let rows = 0;
  for (const s of sections) rows += s.querySelectorAll("tbody tr").length;
  const out = document.createElement("pre");
  out.id = "browser-check";
  out.textContent = JSON.stringify({boxes: boxes.length, edges: edges, sections: sections.length, rows: rows,
    svgWidth: vb.width, problems: problems});
  document.body.appendChild(out);
})();
</script>
`

// chromium finds Debian's chromium (or another Chromium-family browser).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: the page is checked in a real browser only where one is installed (apt-get install chromium; .ci/run does)")
	return ""
}

// TestHTMLInChromium opens the data dictionary page in headless Chromium,
// with networking off, and checks the layout the browser computed (see
// browserCheck), for the examples and for a larger scaffolded set.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	for _, set := range []struct {
		name  string
		views func(*testing.T) []*plan.View
	}{{"examples", examples}, {"scaffolded", scaffolded}} {
		t.Run(set.name, func(t *testing.T) {
			d := schema.Build(set.views(t), r4.Catalog(), targets())
			var b bytes.Buffer
			if err := schema.HTML(&b, d); err != nil {
				t.Fatal(err)
			}
			page := strings.Replace(b.String(), "</body>", browserCheck+"</body>", 1)
			dir := t.TempDir()
			file := filepath.Join(dir, "schema.html")
			if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+file)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			dom, err := cmd.Output()
			if err != nil {
				t.Fatalf("chromium: %v\n%s", err, stderr.String())
			}
			m := regexp.MustCompile(`(?s)<pre id="browser-check">(.*?)</pre>`).FindSubmatch(dom)
			if m == nil {
				t.Fatalf("the check script did not run; chromium printed:\n%.2000s\nstderr:\n%s", dom, stderr.String())
			}
			var got struct {
				Boxes, Edges, Sections, Rows int
				SVGWidth                     float64
				Problems                     []string
			}
			if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
				t.Fatalf("%v: %s", err, m[1])
			}
			cols := 0
			for _, v := range d.Views {
				cols += len(v.Columns)
			}
			if got.Boxes != len(d.Views) || got.Sections != len(d.Views) || got.Edges != len(d.Joins) || got.Rows != cols {
				t.Errorf("browser sees %d boxes, %d sections, %d arrows, %d table rows; want %d, %d, %d, %d",
					got.Boxes, got.Sections, got.Edges, got.Rows, len(d.Views), len(d.Views), len(d.Joins), cols)
			}
			for _, p := range got.Problems {
				t.Error(p)
			}
			t.Logf("%d boxes, %d arrows, %d column rows laid out by %s", got.Boxes, got.Edges, got.Rows, filepath.Base(bin))
		})
	}
}
