package schema_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/scaffold"
	"github.com/fhirql/fhirql/compiler/schema"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const examplesDir = "../../examples"

func targets() []schema.Target {
	return []schema.Target{
		serverless.New(serverless.Options{RepeatDepth: 8}),
		dedicated.New(dedicated.Options{RepeatDepth: 8, Distribution: "ROUND_ROBIN"}),
		sqlserver.New(sqlserver.Options{Table: sql.ObjectName{"dbo", "fhir_raw"}, DocColumn: "doc"}),
		duckdb.New(duckdb.Options{RepeatDepth: 8}),
	}
}

// examples loads the example views, with source names relative to the
// repository so that goldens do not depend on where the test runs.
func examples(t *testing.T) []*plan.View {
	t.Helper()
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, res.Diags)
		t.Fatalf("examples do not compile:\n%s", b.String())
	}
	vs := res.Views()
	for _, v := range vs {
		v.File.Name = "examples/" + filepath.Base(v.File.Name)
	}
	return vs
}

// scaffolded is the scaffold of a few resource types plus the examples: a
// bigger picture, with long names and many joins, for the layout tests.
func scaffolded(t *testing.T) []*plan.View {
	t.Helper()
	var files []*source.File
	for _, rt := range []string{"Patient", "Encounter", "Observation", "Condition", "MedicationRequest", "Practitioner", "Organization"} {
		f, err := scaffold.Resource(r4.Catalog(), rt)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, source.NewFile(scaffold.FileName(rt), format.File(f)))
	}
	ns, dl := compiler.CompileFiles(".", files, r4.Catalog())
	if dl.HasErrors() {
		t.Fatalf("%v", dl)
	}
	return ns.Views
}

func find(d *schema.Dictionary, view, col string) (*schema.View, *schema.Column) {
	for _, v := range d.Views {
		if v.Name != view {
			continue
		}
		for _, c := range v.Columns {
			if c.Name == col {
				return v, c
			}
		}
		return v, nil
	}
	return nil, nil
}

// TestExamples checks the dictionary's content against its sources: SQL
// types are what each target's emitter gives, definitions what the catalog
// says, and the joins the ones the example views are written for.
func TestExamples(t *testing.T) {
	views := examples(t)
	tg := targets()
	d := schema.Build(views, r4.Catalog(), tg)
	if len(d.Views) != len(views) || len(d.Targets) != 4 {
		t.Fatalf("%d views, targets %v", len(d.Views), d.Targets)
	}
	for i, v := range views {
		for ti, target := range tg {
			c, _ := sql.Emit(v, target)
			if c == nil {
				t.Fatalf("%s does not build for %s", v.Name, target.Name())
			}
			for ci, info := range c.Columns {
				if got := d.Views[i].Columns[ci].SQLTypes[ti]; got != info.SQLType || got == "" {
					t.Errorf("%s.%s on %s: %q, emitter says %q", v.Name, info.Name, target.Name(), got, info.SQLType)
				}
			}
		}
	}
	_, bd := find(d, "patient_demographics", "birth_date")
	if bd == nil || bd.Element != "Patient.birthDate" || bd.Definition != r4.Catalog().Type("Patient").Element("birthDate").Short || bd.Definition == "" {
		t.Errorf("birth_date: %+v", bd)
	}
	if _, g := find(d, "patient_demographics", "all_given"); g == nil || !g.Collection || g.FHIRPath != "name.given" {
		t.Errorf("all_given: %+v", g)
	}
	pv, _ := find(d, "patient_demographics", "id")
	if pv == nil || pv.Key != "id" || !pv.PerResource || pv.Grain != "one row per Patient" {
		t.Errorf("patient_demographics: %+v", pv)
	}
	av, _ := find(d, "patient_addresses", "patient_id")
	if av == nil || av.PerResource || !strings.Contains(av.Grain, "item of address") {
		t.Errorf("patient_addresses: %+v", av)
	}
	want := map[schema.Join]bool{
		{From: "encounters", FromColumn: "patient_id", To: "patient_demographics", ToColumn: "id", Kind: "reference"}:            true,
		{From: "condition_codings", FromColumn: "encounter_id", To: "encounters", ToColumn: "id", Kind: "reference"}:             true,
		{From: "patient_addresses", FromColumn: "patient_id", To: "patient_demographics", ToColumn: "id", Kind: "parent"}:        true,
		{From: "blood_pressure", FromColumn: "patient_id", To: "patient_demographics", ToColumn: "id", Kind: "reference"}:        true,
		{From: "questionnaire_answers", FromColumn: "patient_id", To: "patient_demographics", ToColumn: "id", Kind: "reference"}: true,
	}
	for _, j := range d.Joins {
		delete(want, j)
	}
	for j := range want {
		t.Errorf("missing join %+v (have %+v)", j, d.Joins)
	}
}

// TestGolden pins the three renderings of the examples' dictionary, which
// are the ones the README links to in docs/dictionary, so the published
// dictionary cannot go stale (go test -update rewrites them; review the
// diff).
func TestGolden(t *testing.T) {
	d := schema.Build(examples(t), r4.Catalog(), targets())
	for name, render := range map[string]func(io.Writer, *schema.Dictionary) error{
		"examples.md": schema.Markdown, "examples.html": schema.HTML, "examples.json": schema.JSON,
	} {
		var b bytes.Buffer
		if err := render(&b, d); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "docs", "dictionary", name)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update creates it)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs (go test -update rewrites it; review the diff)", path)
		}
	}
}

// TestJSONRoundTrip: the JSON form holds the whole dictionary.
func TestJSONRoundTrip(t *testing.T) {
	d := schema.Build(examples(t), r4.Catalog(), targets())
	var b bytes.Buffer
	if err := schema.JSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var back schema.Dictionary
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Views) != len(d.Views) || len(back.Joins) != len(d.Joins) || back.Views[0].Columns[0].SQLTypes[3] != d.Views[0].Columns[0].SQLTypes[3] {
		t.Errorf("round trip lost content")
	}
}

type svgDoc struct {
	Boxes []struct {
		View  string `xml:"data-view,attr"`
		Rects []struct {
			Class string `xml:"class,attr"`
		} `xml:"rect"`
	} `xml:"a>g"`
	Paths []struct {
		Class string `xml:"class,attr"`
		D     string `xml:"d,attr"`
		Title string `xml:"title"`
	} `xml:"path"`
}

// TestHTMLStructure reads the page as a program would: the diagram is
// well-formed SVG with a box per view and an arrow per join, every link
// points at an anchor of the page, and nothing is loaded from elsewhere.
func TestHTMLStructure(t *testing.T) {
	for _, set := range []struct {
		name  string
		views []*plan.View
	}{{"examples", examples(t)}, {"scaffolded", scaffolded(t)}} {
		t.Run(set.name, func(t *testing.T) {
			d := schema.Build(set.views, r4.Catalog(), targets())
			var b bytes.Buffer
			if err := schema.HTML(&b, d); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			svg := page[strings.Index(page, "<svg"):]
			svg = svg[:strings.Index(svg, "</svg>")+len("</svg>")]
			var doc svgDoc
			if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
				t.Fatalf("the diagram is not well-formed SVG: %v", err)
			}
			if len(doc.Boxes) != len(d.Views) {
				t.Errorf("%d boxes for %d views", len(doc.Boxes), len(d.Views))
			}
			edges := 0
			for _, p := range doc.Paths {
				if strings.HasPrefix(p.Class, "edge") {
					edges++
				}
			}
			if edges != len(d.Joins) || edges == 0 {
				t.Errorf("%d arrows for %d joins", edges, len(d.Joins))
			}
			ids := map[string]bool{}
			for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
				ids[m[1]] = true
			}
			for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
				if !strings.HasPrefix(m[1], "#") || !ids[m[1][1:]] {
					t.Errorf("link %q does not point into the page", m[1])
				}
			}
			if m := regexp.MustCompile(`(?i)(\ssrc=|@import|url\(\s*['"]?[^#'"\s)])`).FindString(page); m != "" {
				t.Errorf("the page refers to something outside itself: %q", m)
			}
			for _, v := range d.Views {
				if !strings.Contains(page, `<section class="view" id="view-`+v.Name+`">`) {
					t.Errorf("no section for %s", v.Name)
				}
			}
		})
	}
}

// TestReadme: the README shows the examples' dictionary; its Mermaid
// diagram and its table rows must be the generated ones.
func TestReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	d := schema.Build(examples(t), r4.Catalog(), targets())
	if !bytes.Contains(readme, []byte("```mermaid\n"+schema.Mermaid(d)+"```\n")) {
		t.Errorf("README.md does not show the examples' join diagram as fhirql schema draws it:\n%s", schema.Mermaid(d))
	}
	var md bytes.Buffer
	if err := schema.Markdown(&md, d); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `") {
			if strings.HasPrefix(line, "| `fhirql ") { // the Commands table
				continue
			}
			rows++
			if !strings.Contains(md.String(), line+"\n") {
				t.Errorf("README.md row is not in the examples' dictionary: %s", line)
			}
		}
	}
	if rows < 3 {
		t.Errorf("README.md shows %d rows of the dictionary", rows)
	}
}

// TestUnsupported: a view a target cannot build stays in the dictionary,
// without SQL types for that target and with the reason.
func TestUnsupported(t *testing.T) {
	src := "view u of Patient {\n  id = getResourceKey()\n  m  = name.family.first().matches('a.*')\n}\n"
	ns, dl := compiler.CompileFiles(".", []*source.File{source.NewFile("u.fview", []byte(src))}, r4.Catalog())
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	d := schema.Build(ns.Views, r4.Catalog(), targets())
	v := d.Views[0]
	if len(v.Unsupported) != len(d.Targets) || !strings.Contains(v.Unsupported[1], `dedicated: function "matches" is not supported`) {
		t.Fatalf("unsupported: %q", v.Unsupported)
	}
	if c := v.Columns[1]; c.FHIRPath != "name.family.first().matches('a.*')" || c.SQLTypes[0] != "" || c.FHIRType != "System.Boolean" {
		t.Errorf("column m: %+v", c)
	}
	var b bytes.Buffer
	schema.Markdown(&b, d)
	if !strings.Contains(b.String(), "> Not buildable for dedicated: function \"matches\"") {
		t.Errorf("the Markdown does not say the view cannot be built:\n%s", b.String())
	}
}
