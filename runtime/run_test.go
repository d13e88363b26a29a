package runtime_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
)

// loadViews compiles ViewDefinition JSON texts with the real front end.
func loadViews(t testing.TB, defs ...string) []*plan.View {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, d := range defs {
		p := filepath.Join(dir, fmt.Sprintf("v%d.json", i))
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

const patientView = `{"resourceType":"ViewDefinition","name":"patients","status":"active","resource":"Patient","select":[{"column":[
	{"name":"id","path":"getResourceKey()"},
	{"name":"gender","path":"gender"},
	{"name":"birth_date","path":"birthDate","type":"date"},
	{"name":"active","path":"active"},
	{"name":"family","path":"name.where(use = 'official').first().family"},
	{"name":"given","path":"name.given","collection":true}]}]}`

const conditionView = `{"resourceType":"ViewDefinition","name":"conditions","status":"active","resource":"Condition","select":[
	{"column":[{"name":"id","path":"getResourceKey()"},{"name":"patient","path":"subject.getReferenceKey(Patient)"}]},
	{"forEach":"code.coding","column":[{"name":"code","path":"code"}]}]}`

// A view that fails at runtime on a resource with two names.
const strictView = `{"resourceType":"ViewDefinition","name":"strict","status":"active","resource":"Patient","select":[{"column":[
	{"name":"id","path":"getResourceKey()"},{"name":"family","path":"name.family"}]}]}`

func patient(i int) string {
	return fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","gender":"female","birthDate":"1970-01-%02d","active":true,"name":[{"use":"official","family":"Fam%d","given":["A","B"]}],"text":{"div":"skip me"}}`, i, i%28+1, i)
}

func condition(i int) string {
	return fmt.Sprintf(`{"resourceType":"Condition","id":"c%d","subject":{"reference":"Patient/p%d"},"code":{"coding":[{"code":"x%d"},{"code":"y%d"}]}}`, i, i, i, i)
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func runStdout(t *testing.T, views []*plan.View, opts runtime.Options) (string, *runtime.Summary, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Stdout = &out
	sum, err := runtime.Run(context.Background(), views, opts)
	return out.String(), sum, err
}

func TestRunNDJSONToStdout(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "mixed.ndjson", lines(patient(1), condition(1), `{"resourceType":"Patient","id":"p2","active":false}`))
	got, sum, err := runStdout(t, loadViews(t, patientView), runtime.Options{Inputs: []string{in}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"p1","gender":"female","birth_date":"1970-01-02","active":true,"family":"Fam1","given":["A","B"]}
{"id":"p2","gender":null,"birth_date":null,"active":false,"family":null,"given":[]}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if sum.Resources["Patient"] != 2 || sum.Resources["Condition"] != 1 || sum.Views[0].Rows != 2 {
		t.Errorf("summary: %+v", sum)
	}
	var b strings.Builder
	sum.Write(&b)
	for _, s := range []string{"read 3 resources", "Patient", "Condition", "view patients", "2 rows"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary text lacks %q:\n%s", s, b.String())
		}
	}
}

func TestRunCSVQuoting(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "p.ndjson", lines(
		`{"resourceType":"Patient","id":"q1","name":[{"use":"official","family":"O\"Brien, Jr.","given":["a,b"]}]}`,
		`{"resourceType":"Patient","id":"q2","name":[{"use":"official","family":"two\nlines"}]}`,
		`{"resourceType":"Patient","id":"q3","active":true,"name":[{"use":"official","family":""}]}`,
	))
	got, _, err := runStdout(t, loadViews(t, patientView), runtime.Options{Inputs: []string{in}, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := "id,gender,birth_date,active,family,given\r\n" +
		`q1,,,,"O""Brien, Jr.","[""a,b""]"` + "\r\n" +
		"q2,,,,\"two\nlines\",[]\r\n" +
		`q3,,,true,"",[]` + "\r\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestRunInputs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "data/a.ndjson", lines(patient(1)))
	writeFile(t, dir, "data/sub/b.jsonl", lines(patient(2)))
	writeFile(t, dir, "data/ignored.txt", lines(patient(99)))
	writeFile(t, dir, "data/b-empty.ndjson", "")
	writeFile(t, dir, "data/b-blank.ndjson", "\n  \r\n\n")
	writeFile(t, dir, "data/b-crlf.ndjson", patient(8)+"\r\n"+patient(9)) // CRLF, no final newline
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(lines(patient(3), patient(4))))
	zw.Close()
	writeFile(t, dir, "data/c.ndjson.gz", gz.String())
	writeFile(t, dir, "glob/x1.ndjson", lines(patient(5)))
	writeFile(t, dir, "glob/x2.ndjson", lines(patient(6)))
	views := loadViews(t, strictView)
	ids := func(out string) string {
		var s []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			s = append(s, strings.Split(l, ",")[0])
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name   string
		inputs []string
		stdin  string
		want   string
	}{
		{"directory, recursive, sorted, gz by content", []string{filepath.Join(dir, "data")}, "", "id p1 p8 p9 p3 p4 p2"},
		{"glob", []string{filepath.Join(dir, "glob", "x*.ndjson")}, "", "id p5 p6"},
		{"gz file", []string{filepath.Join(dir, "data", "c.ndjson.gz")}, "", "id p3 p4"},
		{"stdin and a file", []string{"-", filepath.Join(dir, "glob", "x1.ndjson")}, lines(patient(7)), "id p7 p5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := runStdout(t, views, runtime.Options{Inputs: tc.inputs, Stdin: strings.NewReader(tc.stdin), Format: "csv"})
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != tc.want {
				t.Errorf("got %q want %q", ids(got), tc.want)
			}
		})
	}
	for _, bad := range [][]string{{filepath.Join(dir, "nope.ndjson")}, {filepath.Join(dir, "glob", "*.none")}, {filepath.Join(dir, "glob", "x1.ndjson"), filepath.Join(dir, "empty")}} {
		os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
		if _, _, err := runStdout(t, views, runtime.Options{Inputs: bad}); err == nil {
			t.Errorf("inputs %v: want an error", bad)
		}
	}
}

func TestRunBadLines(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "bad.ndjson", lines(
		patient(1),
		`{"resourceType":"Patient","id":`, // line 2: not JSON
		`["Patient"]`,                     // line 3: not an object
		`{"id":"x"}`,                      // line 4: no resourceType
		"",                                // line 5: blank, fine
		`{"resourceType":"Patient","id":"`+strings.Repeat("x", 300)+`"}`, // line 6: too long
		patient(2),
	))
	views := loadViews(t, strictView)
	opts := runtime.Options{Inputs: []string{in}, Format: "csv", MaxLineBytes: 200}

	// Default: stop at the first bad line, naming file and line.
	_, _, err := runStdout(t, views, opts)
	if err == nil || !strings.Contains(err.Error(), "bad.ndjson:2: not valid JSON") || !strings.Contains(err.Error(), "--max-errors") {
		t.Fatalf("err = %v", err)
	}

	// Skip and count, losing no good row.
	opts.MaxErrors = 4
	got, sum, err := runStdout(t, views, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got != "id,family\r\np1,Fam1\r\np2,Fam2\r\n" {
		t.Errorf("rows: %q", got)
	}
	if sum.Skipped != 4 || len(sum.Problems) != 4 {
		t.Fatalf("summary: %+v", sum)
	}
	for i, want := range []string{"bad.ndjson:2: not valid JSON", "bad.ndjson:3: not a JSON object", "bad.ndjson:4: no resourceType", "bad.ndjson:6: line too long"} {
		if !strings.Contains(sum.Problems[i], "/"+want) {
			t.Errorf("problem %d = %q, want prefix %q", i, sum.Problems[i], want)
		}
	}

	// One more bad line than allowed fails, naming the one over the limit.
	opts.MaxErrors = 3
	_, _, err = runStdout(t, views, opts)
	if err == nil || !strings.Contains(err.Error(), "bad.ndjson:6: line too long") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunTooLongLineBeyondBuffer(t *testing.T) {
	dir := t.TempDir()
	long := `{"resourceType":"Patient","id":"` + strings.Repeat("y", 5000) + `"}`
	content := lines(patient(1), long, patient(2), long) + long // last one without newline
	in := writeFile(t, dir, "long.ndjson", content)
	views := loadViews(t, strictView)
	// A file is memory-mapped; stdin is read through buffers, where a
	// line longer than the buffer is dropped without being held.
	for _, src := range []struct{ input, name string }{{in, "/long.ndjson"}, {"-", "<stdin>"}} {
		got, sum, err := runStdout(t, views, runtime.Options{Inputs: []string{src.input}, Stdin: strings.NewReader(content),
			Format: "csv", MaxLineBytes: 1000, ChunkBytes: 256, MaxErrors: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got != "id,family\r\np1,Fam1\r\np2,Fam2\r\n" || sum.Skipped != 3 {
			t.Errorf("%s: rows %q, summary %+v", src.name, got, sum)
		}
		for i, l := range []int{2, 4, 5} {
			if want := fmt.Sprintf("%s:%d: line too long", src.name, l); !strings.Contains(sum.Problems[i], want) {
				t.Errorf("problem %d = %q, want %q", i, sum.Problems[i], want)
			}
		}
	}
}

func TestRunViewError(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "p.ndjson", lines(patient(1), `{"resourceType":"Patient","id":"twin","name":[{"family":"A"},{"family":"B"}]}`, patient(3)))
	views := loadViews(t, strictView)
	_, _, err := runStdout(t, views, runtime.Options{Inputs: []string{in}, Format: "csv"})
	if err == nil {
		t.Fatal("want a view error")
	}
	for _, s := range []string{"p.ndjson:2", "view strict", "column family", "Patient/twin"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	got, sum, err := runStdout(t, views, runtime.Options{Inputs: []string{in}, Format: "csv", MaxErrors: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got != "id,family\r\np1,Fam1\r\np3,Fam3\r\n" || sum.Skipped != 1 {
		t.Errorf("rows %q summary %+v", got, sum)
	}
}

func TestRunAtomicOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	good := writeFile(t, dir, "good.ndjson", lines(patient(1), condition(1)))
	bad := writeFile(t, dir, "bad.ndjson", lines(patient(2), "oops"))
	views := loadViews(t, strictView, conditionView)
	if _, err := runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{good}, OutDir: out, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	before := readDir(t, out)
	if len(before) != 2 || !strings.Contains(before["strict.csv"], "p1") || !strings.Contains(before["conditions.csv"], "x1") {
		t.Fatalf("first run wrote %v", before)
	}
	if _, err := runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{bad}, OutDir: out, Format: "csv"}); err == nil {
		t.Fatal("want an error")
	}
	after := readDir(t, out)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a failed run changed the output:\nbefore %v\nafter  %v", before, after)
	}
	st, err := os.Stat(filepath.Join(out, "strict.csv"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v", st.Mode(), err)
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = string(b)
	}
	return m
}

func TestRunDeterministic(t *testing.T) {
	dir := t.TempDir()
	var ls []string
	for i := 0; i < 3000; i++ {
		ls = append(ls, patient(i), condition(i))
		if i%500 == 7 {
			ls = append(ls, "bad line")
		}
	}
	in := writeFile(t, dir, "many.ndjson", lines(ls...))
	views := loadViews(t, patientView, conditionView)
	for _, format := range []string{"csv", "ndjson", "parquet"} {
		var outs []map[string]string
		for _, workers := range []int{1, 4} {
			out := filepath.Join(dir, fmt.Sprintf("%s-%d", format, workers))
			sum, err := runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{in}, OutDir: out, Format: format,
				Workers: workers, ChunkBytes: 4096, MaxErrors: 100})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Views[0].Rows != 3000 || sum.Views[1].Rows != 6000 || sum.Skipped != 6 {
				t.Fatalf("summary %+v", sum)
			}
			outs = append(outs, readDir(t, out))
		}
		for name, a := range outs[0] {
			if b := outs[1][name]; a != b {
				t.Errorf("%s: %s differs between 1 and 4 workers", format, name)
			}
		}
	}
}

func TestRunSetupErrors(t *testing.T) {
	views := loadViews(t, patientView, conditionView)
	dir := t.TempDir()
	in := writeFile(t, dir, "p.ndjson", lines(patient(1)))
	for _, tc := range []struct {
		opts runtime.Options
		want string
	}{
		{runtime.Options{Inputs: []string{in}}, "--out DIR"},
		{runtime.Options{Inputs: []string{in}, OutDir: dir, Format: "xml"}, "unknown output format"},
		{runtime.Options{}, "no input"},
	} {
		vs := views
		if tc.opts.OutDir == "" && tc.opts.Inputs == nil {
			vs = views[:1]
		}
		_, err := runtime.Run(context.Background(), vs, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "p.ndjson", lines(patient(1), patient(2)))
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := runtime.Run(ctx, loadViews(t, patientView), runtime.Options{Inputs: []string{in}, OutDir: out})
	if err == nil {
		t.Fatal("want context.Canceled")
	}
	if m := readDir(t, out); len(m) != 0 {
		t.Errorf("a cancelled run left %v", m)
	}
}

// TestRunByteOrderMark: a UTF-8 BOM at the start of each input (a mapped
// file, a .gz file, stdin) is skipped; anywhere else it makes its line a
// bad line, as in DuckDB's reader (docs/input.md).
func TestRunByteOrderMark(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	dir := t.TempDir()
	plain := writeFile(t, dir, "a.ndjson", bom+lines(patient(1), patient(2)))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(bom + lines(patient(3))))
	zw.Close()
	zipped := writeFile(t, dir, "b.ndjson.gz", gz.String())
	only := writeFile(t, dir, "c.ndjson", bom) // nothing but a BOM: no lines
	views := loadViews(t, strictView)
	got, sum, err := runStdout(t, views, runtime.Options{Inputs: []string{plain, zipped, only, "-"}, Format: "csv",
		Stdin: strings.NewReader(bom + lines(patient(4)))})
	if err != nil {
		t.Fatal(err)
	}
	if want := "id,family\r\np1,Fam1\r\np2,Fam2\r\np3,Fam3\r\np4,Fam4\r\n"; got != want {
		t.Errorf("rows: %q, want %q", got, want)
	}
	if sum.Skipped != 0 {
		t.Errorf("skipped %d", sum.Skipped)
	}

	// Not at the start of an input: a bad line (line 2).
	mid := writeFile(t, dir, "mid.ndjson", lines(patient(1), bom+patient(2)))
	_, _, err = runStdout(t, views, runtime.Options{Inputs: []string{mid}, Format: "csv"})
	if err == nil || !strings.Contains(err.Error(), "mid.ndjson:2: not valid JSON: unexpected byte 0xef") {
		t.Fatalf("err = %v", err)
	}
}

// TestRunInvalidText: invalid UTF-8 and lone surrogate escapes make a line
// bad, in kept and in skipped values alike (docs/input.md).
func TestRunInvalidText(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "text.ndjson", lines(
		patient(1),
		`{"resourceType":"Patient","id":"p2","text":{"div":"skipped \ud800"}}`,
		"{\"resourceType\":\"Patient\",\"id\":\"p3\",\"text\":{\"div\":\"skipped \xff\"}}",
		"{\"resourceType\":\"Patient\",\"id\":\"p4\xc3\"}",
		`{"resourceType":"Patient","id":"p5\ud83c\udf89"}`,
	))
	views := loadViews(t, strictView)
	got, sum, err := runStdout(t, views, runtime.Options{Inputs: []string{in}, Format: "csv", MaxErrors: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := "id,family\r\np1,Fam1\r\np5🎉,\r\n"; got != want {
		t.Errorf("rows: %q, want %q", got, want)
	}
	if sum.Skipped != 3 || len(sum.BadLines) != 1 || sum.BadLines[in] != 3 {
		t.Fatalf("skipped %d %v: %v", sum.Skipped, sum.BadLines, sum.Problems)
	}
	for i, want := range []string{"text.ndjson:2: not valid UTF-8: lone surrogate escape \\ud800", "text.ndjson:3: not valid UTF-8: invalid UTF-8 byte 0xff", "text.ndjson:4: not valid UTF-8: invalid UTF-8 byte 0xc3"} {
		if !strings.Contains(sum.Problems[i], want) {
			t.Errorf("problem %d = %q, want %q", i, sum.Problems[i], want)
		}
	}
}
