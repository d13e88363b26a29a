package sqltest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/internal/sqlcheck"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// writeBefore, with -update, also rewrites the reference counts of
// TestOpenJSONCounts (only when regenerating them on the commit they name).
var writeBefore = flag.Bool("write-before", false, "with -update, rewrite testdata/"+countsBefore+" too")

const (
	suiteDir    = "../../../testdata/sql-on-fhir-v2/tests"
	examplesDir = "../../../examples"
	lake        = "https://acct.dfs.core.windows.net/fhir/{resource}-*.ndjson" // Azure Health Data Services' layout
)

func targets() []sql.Target {
	return []sql.Target{
		serverless.New(serverless.Options{Source: lake}),
		dedicated.New(dedicated.Options{Source: lake}),
		sqlserver.New(sqlserver.Options{}),
	}
}

// sections compiles one view for every target: serverless.sql in full, the
// others as diffs against it. Every script is also checked for bare words.
func sections(t *testing.T, prefix string, v *plan.View) []txtar.File {
	t.Helper()
	var files []txtar.File
	var base string
	for i, tg := range targets() {
		c, diags := sql.Emit(v, tg)
		var text string
		if diags.HasErrors() {
			var b bytes.Buffer
			diag.RenderText(&b, diags)
			text = b.String()
			files = append(files, txtar.File{Name: prefix + tg.Name() + ".error", Data: []byte(text)})
			continue
		}
		text = sql.DeployScript(tg, []*sql.Compiled{c})
		if again := sql.DeployScript(tg, []*sql.Compiled{mustEmit(t, v, tg)}); again != text {
			t.Errorf("%s%s: output is not deterministic", prefix, tg.Name())
		}
		if bare, err := sqlcheck.Bare(text); err != nil || len(bare) > 0 {
			t.Errorf("%s%s: unquoted words %q (%v)", prefix, tg.Name(), bare, err)
		}
		if bad := sqlcheck.AggregatesOverSubqueries(text); len(bad) > 0 {
			t.Errorf("%s%s: aggregates over subqueries: %q", prefix, tg.Name(), bad)
		}
		if i == 0 {
			base = text
			files = append(files, txtar.File{Name: prefix + tg.Name() + ".sql", Data: []byte(text)})
			continue
		}
		d := diff.Diff("serverless.sql", []byte(base), tg.Name()+".sql", []byte(text))
		files = append(files, txtar.File{Name: prefix + tg.Name() + ".diff", Data: d})
	}
	return files
}

func mustEmit(t *testing.T, v *plan.View, tg sql.Target) *sql.Compiled {
	c, diags := sql.Emit(v, tg)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	return c
}

// golden compares an archive with its file, or rewrites it with -update.
func golden(t *testing.T, name string, a *txtar.Archive) {
	t.Helper()
	got := txtar.Format(a)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it; review the git diff):\n%s", path, diff.Diff(path, want, "got", got))
	}
}

// TestExamples: every view of examples/, all files as one namespace (they
// share constants), one golden archive per .fview file.
func TestExamples(t *testing.T) {
	res := compiler.Load([]string{examplesDir}, r4.Catalog())
	if res.Diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, res.Diags)
		t.Fatalf("examples do not compile:\n%s", b.String())
	}
	byFile := map[string][]*plan.View{}
	for _, v := range res.Views() {
		// Headers name the source file; keep the goldens independent of
		// where the test runs from.
		v.File.Name = "examples/" + filepath.Base(v.File.Name)
		byFile[filepath.Base(v.File.Name)] = append(byFile[filepath.Base(v.File.Name)], v)
	}
	if len(byFile) == 0 {
		t.Fatal("no example views")
	}
	names := make([]string, 0, len(byFile))
	for n := range byFile {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := &txtar.Archive{Comment: []byte(fmt.Sprintf("SQL for examples/%s: serverless in full, the other targets as diffs against it.\nRegenerate with go test -update.\n", n))}
		for _, v := range byFile[n] {
			a.Files = append(a.Files, sections(t, v.Name+"/", v)...)
		}
		golden(t, filepath.Join("examples", strings.TrimSuffix(n, ".fview")+".txtar"), a)
	}
}

type suiteFile struct {
	Title string `json:"title"`
	Tests []struct {
		Title       string          `json:"title"`
		View        json.RawMessage `json:"view"`
		ExpectError bool            `json:"expectError"`
	} `json:"tests"`
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

// TestSuite: every view of the SQL on FHIR v2 suite. Views the front end
// rejects (the suite's expectError cases, mostly) record the diagnostics.
func TestSuite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files in %s: %v", suiteDir, err)
	}
	compiled := 0
	for _, file := range files {
		var sf suiteFile
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		base := strings.TrimSuffix(filepath.Base(file), ".json")
		a := &txtar.Archive{Comment: []byte(fmt.Sprintf("SQL for the views of the SQL on FHIR v2 suite file %s.json: serverless in full,\nthe other targets as diffs against it. Regenerate with go test -update.\n", base))}
		seen := map[string]int{}
		for _, tc := range sf.Tests {
			name := slug(tc.Title)
			seen[name]++
			if seen[name] > 1 {
				name = fmt.Sprintf("%s_%d", name, seen[name])
			}
			src := source.NewFile(base+"/"+name+".json", tc.View)
			ns, diags := compiler.CompileFiles(base, []*source.File{src}, r4.Catalog())
			if diags.HasErrors() || len(ns.Views) == 0 {
				var b bytes.Buffer
				diag.RenderText(&b, diags)
				note := "front-end error"
				if tc.ExpectError {
					note += " (the suite expects an error)"
				}
				a.Files = append(a.Files, txtar.File{Name: name + "/error", Data: []byte(note + "\n" + b.String())})
				continue
			}
			for _, v := range ns.Views {
				a.Files = append(a.Files, sections(t, name+"/", v)...)
				compiled++
			}
		}
		golden(t, filepath.Join("suite", base+".txtar"), a)
	}
	t.Logf("%d suite views compiled", compiled)
}
