package sqltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/lang/source"
)

// jsonCounts are the JSON function calls written in one view's SELECT (the
// text of the query, not how often the engine runs them): on Synapse each
// call parses JSON text, and a call on the resource document ([r].[doc])
// parses the whole resource.
type jsonCounts struct {
	openJSON, jsonValue, jsonQuery, docReads int
}

func countJSON(query string) jsonCounts {
	return jsonCounts{
		openJSON:  strings.Count(query, "OPENJSON("),
		jsonValue: strings.Count(query, "JSON_VALUE("),
		jsonQuery: strings.Count(query, "JSON_QUERY("),
		docReads:  strings.Count(query, "[r].[doc]"),
	}
}

func (c jsonCounts) add(o jsonCounts) jsonCounts {
	return jsonCounts{c.openJSON + o.openJSON, c.jsonValue + o.jsonValue, c.jsonQuery + o.jsonQuery, c.docReads + o.docReads}
}

func (c jsonCounts) cells() [4]string {
	return [4]string{fmt.Sprint(c.openJSON), fmt.Sprint(c.jsonValue), fmt.Sprint(c.jsonQuery), fmt.Sprint(c.docReads)}
}

// countsBefore is the file of the same counts for the generator at
// commit b63d985 (before issue 16's T-SQL work), kept as it was written
// then, so that the golden shows each figure as before -> now.
const countsBefore = "openjson-counts-b63d985.txt"

// TestOpenJSONCounts writes testdata/openjson-counts.txt: for every example
// view and every T-SQL target, the OPENJSON, JSON_VALUE and JSON_QUERY
// calls of its SELECT and how many of them read the whole resource
// document, before (b63d985) and now; and the same summed over each file of
// the SQL on FHIR suite. A reviewer compares the cost of the generated
// T-SQL without a Synapse workspace. The calls the counts are made of are
// in the example goldens (testdata/examples).
func TestOpenJSONCounts(t *testing.T) {
	type row struct {
		name string
		c    jsonCounts
	}
	var rows []row
	emit := func(name string, v *plan.View) {
		for _, tg := range targets() {
			c, diags := sql.Emit(v, tg)
			if diags.HasErrors() {
				continue
			}
			rows = append(rows, row{name + " " + tg.Name(), countJSON(queryText(tg, c))})
		}
	}
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	views := res.Views()
	sort.SliceStable(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	for _, v := range views {
		emit(v.Name, v)
	}
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var sf suiteFile
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(file), ".json")
		sums := map[string]jsonCounts{}
		n := map[string]int{}
		for _, tc := range sf.Tests {
			src := source.NewFile(base+"/"+slug(tc.Title)+".json", tc.View)
			ns, diags := compiler.CompileFiles(base, []*source.File{src}, r4.Catalog())
			if diags.HasErrors() {
				continue
			}
			for _, v := range ns.Views {
				for _, tg := range targets() {
					c, diags := sql.Emit(v, tg)
					if diags.HasErrors() {
						continue
					}
					sums[tg.Name()] = sums[tg.Name()].add(countJSON(queryText(tg, c)))
					n[tg.Name()]++
				}
			}
		}
		for _, tg := range targets() {
			if n[tg.Name()] > 0 {
				rows = append(rows, row{fmt.Sprintf("suite/%s(%d) %s", base, n[tg.Name()], tg.Name()), sums[tg.Name()]})
			}
		}
	}

	before := readCounts(t, filepath.Join("testdata", countsBefore))
	var b bytes.Buffer
	b.WriteString(`# JSON function calls written in the SELECT of each example view, per T-SQL
# target (and summed per file of the SQL on FHIR v2 suite: suite/<file>(<views>)),
# as "before -> now", before being the generator at commit b63d985 (testdata/` + countsBefore + `).
# OPENJSON, JSON_VALUE, JSON_QUERY: calls in the query text and the helper functions
# it calls (sqlserver's recursive repeat); each call parses JSON text; all: their sum;
# doc: how many of them read the resource document [r].[doc] itself, i.e. parse the
# whole resource. Counts are of the text, not of executions: a call inside a
# correlated subquery runs once per resource, or per array element. See docs/sql.md,
# "How many times the JSON is parsed". Regenerate with go test ./compiler/sql/sqltest -update.
`)
	fmt.Fprintf(&b, "%-44s %-12s %-12s %-12s %-12s %-12s\n", "# view target", "OPENJSON", "JSON_VALUE", "JSON_QUERY", "all", "doc")
	var plain bytes.Buffer
	for _, r := range rows {
		now := r.c.cells()
		fmt.Fprintf(&plain, "%s %s %s %s %s\n", r.name, now[0], now[1], now[2], now[3])
		old, ok := before[r.name]
		total := func(c [4]string) string {
			n := 0
			for _, x := range c[:3] {
				var k int
				fmt.Sscan(x, &k)
				n += k
			}
			return fmt.Sprint(n)
		}
		olds := []string{"-", "-", "-", "-", "-"}
		if ok {
			olds = []string{old[0], old[1], old[2], total(old), old[3]}
		}
		nows := []string{now[0], now[1], now[2], total(now), now[3]}
		cells := make([]string, 5)
		for i := range cells {
			cells[i] = olds[i] + " -> " + nows[i]
			if olds[i] == nows[i] {
				cells[i] = nows[i]
			}
		}
		fmt.Fprintf(&b, "%-44s %-12s %-12s %-12s %-12s %-12s\n", r.name, cells[0], cells[1], cells[2], cells[3], cells[4])
	}
	path := filepath.Join("testdata", "openjson-counts.txt")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if *writeBefore {
			if err := os.WriteFile(filepath.Join("testdata", countsBefore), plain.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("%s differs (go test -update rewrites it; review the git diff):\n%s", path, diff.Diff(path, want, "got", b.Bytes()))
	}
}

// queryText is a view's SELECT and the helper functions it calls (the
// recursive repeat of the sqlserver target).
func queryText(tg sql.Target, c *sql.Compiled) string {
	text := sql.PrintQuery(tg, c.Query)
	for _, h := range c.Helpers {
		text += "\n" + sql.Print(tg, []sql.Stmt{h.Stmt})
	}
	return text
}

// readCounts reads a file of "view target O V Q D" lines.
func readCounts(t *testing.T, path string) map[string][4]string {
	t.Helper()
	out := map[string][4]string{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 6 {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		out[fs[0]+" "+fs[1]] = [4]string{fs[2], fs[3], fs[4], fs[5]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
