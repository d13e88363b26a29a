package project_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/project"
)

// load compiles ViewDefinition JSON texts with the real front end.
func load(t *testing.T, defs ...string) []*plan.View {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, d := range defs {
		p := filepath.Join(dir, string(rune('a'+i))+".json")
		if err := os.WriteFile(p, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	res := compiler.Load(paths, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatalf("views do not compile: %v", res.Diags)
	}
	return res.Views()
}

func view(name, resource, selects string, where ...string) string {
	w := ""
	if len(where) > 0 {
		var parts []string
		for _, x := range where {
			parts = append(parts, `{"path":`+quote(x)+`}`)
		}
		w = `,"where":[` + strings.Join(parts, ",") + `]`
	}
	return `{"resourceType":"ViewDefinition","name":"` + name + `","status":"active","resource":"` + resource + `","select":` + selects + w + `}`
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func cols(paths ...string) string {
	var parts []string
	for i, p := range paths {
		parts = append(parts, `{"name":"c`+string(rune('a'+i))+`","path":`+quote(p)+`}`)
	}
	return `{"column":[` + strings.Join(parts, ",") + `]}`
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		defs []string
		want map[string]string
	}{
		{
			name: "bench patient view",
			defs: []string{view("p", "Patient", `[{"column":[
				{"name":"id","path":"getResourceKey()"},
				{"name":"gender","path":"gender"},
				{"name":"family","path":"name.where(use = 'official').first().family"},
				{"name":"given","path":"name.where(use = 'official').first().given.join(' ')"},
				{"name":"phone","path":"telecom.where(system = 'phone').first().value"}]}]`)},
			want: map[string]string{"Patient": "gender* id* name{family* given* use*} resourceType telecom{system* value*}"},
		},
		{
			name: "forEach focus and nested forEach",
			defs: []string{view("c", "Condition", `[`+cols("subject.getReferenceKey(Patient)")+`,
				{"forEach":"code.coding","column":[{"name":"s","path":"system"},{"name":"c","path":"code"}]}]`)},
			want: map[string]string{"Condition": "code{coding{code* system*}} id resourceType subject{reference* type*}"},
		},
		{
			name: "where filter, exists lambda, count keeps element only",
			defs: []string{view("p", "Patient", `[`+cols("address.count()")+`]`,
				"active", "identifier.exists(system = 'x')")},
			want: map[string]string{"Patient": "active* address id identifier{system*} resourceType"},
		},
		{
			name: "column returning an object keeps its subtree",
			defs: []string{view("p", "Patient", `[{"column":[{"name":"n","path":"name","collection":true}]}]`)},
			want: map[string]string{"Patient": "id name* resourceType"},
		},
		{
			name: "choice and ofType",
			defs: []string{view("o", "Observation", `[`+cols("value.ofType(Quantity).value", "effective.ofType(dateTime)")+`]`)},
			want: map[string]string{"Observation": "effectiveDateTime* id resourceType valueQuantity{value*}"},
		},
		{
			name: "primitive extension reads the underscore sibling",
			defs: []string{view("p", "Patient", `[`+cols("birthDate.extension('http://x').value.ofType(string)")+`]`)},
			want: map[string]string{"Patient": "_birthDate{extension{url* valueString*}} birthDate id resourceType"},
		},
		{
			name: "extension on a complex element",
			defs: []string{view("p", "Patient", `[`+cols("extension('http://y').extension('ombCategory').value.ofType(Coding).code")+`]`)},
			want: map[string]string{"Patient": "extension{extension{url* valueCoding{code*}} url*} id resourceType"},
		},
		{
			name: "repeat keeps whole subtrees",
			defs: []string{view("q", "QuestionnaireResponse", `[{"repeat":["item"],"column":[{"name":"l","path":"linkId"}]}]`)},
			want: map[string]string{"QuestionnaireResponse": "id item* resourceType"},
		},
		{
			name: "children keeps the subtree",
			defs: []string{view("p", "Patient", `[`+cols("contact.children().count()", "gender.descendants().count()")+`]`)},
			want: map[string]string{"Patient": "_gender* contact* gender* id resourceType"},
		},
		{
			name: "two views of one type share one projection; other types separate",
			defs: []string{
				view("a", "Patient", `[`+cols("gender")+`]`),
				view("b", "Patient", `[`+cols("birthDate")+`]`),
				view("c", "Encounter", `[`+cols("period.start")+`]`),
			},
			want: map[string]string{
				"Patient":   "birthDate* gender* id resourceType",
				"Encounter": "id period{start*} resourceType",
			},
		},
		{
			name: "unionAll branches and nested selects",
			defs: []string{view("p", "Patient", `[{"unionAll":[
				{"forEach":"address","column":[{"name":"x","path":"city"}]},
				{"forEach":"contact.address","column":[{"name":"x","path":"city"}]}]}]`)},
			want: map[string]string{"Patient": "address{city*} contact{address{city*}} id resourceType"},
		},
		{
			name: "iif and value arguments use the outer focus",
			defs: []string{view("p", "Patient", `[`+cols("iif(active, gender, birthDate)", "name.given.join(id)")+`]`)},
			want: map[string]string{"Patient": "active* birthDate* gender* id* name{given*} resourceType"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := project.Compute(load(t, tc.defs...))
			if len(p) != len(tc.want) {
				t.Errorf("types = %d, want %d", len(p), len(tc.want))
			}
			for typ, want := range tc.want {
				f := p[typ]
				if f == nil {
					t.Errorf("no projection for %s", typ)
					continue
				}
				if got := f.String(); got != want {
					t.Errorf("%s:\ngot  %s\nwant %s", typ, got, want)
				}
			}
		})
	}
}
