package lsp

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/lang/format"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
)

func TestLifecycle(t *testing.T) {
	c := startClient(t, Options{Debounce: -1})
	if err := c.call("textDocument/hover", tdp("file:///x.fview", Position{}), nil); err == nil || err.Code != codeServerNotInitialized {
		t.Fatalf("request before initialize: got %v, want code %d", err, codeServerNotInitialized)
	}
	res := c.initialize(t.TempDir())
	caps, _ := res["capabilities"].(map[string]any)
	for _, k := range []string{"hoverProvider", "completionProvider", "definitionProvider", "referencesProvider", "documentSymbolProvider", "documentFormattingProvider", "renameProvider", "codeActionProvider", "semanticTokensProvider"} {
		if caps[k] == nil {
			t.Errorf("capability %s missing", k)
		}
	}
	if err := c.call("initialize", map[string]any{}, nil); err == nil {
		t.Errorf("second initialize accepted")
	}
	if err := c.call("no/such/method", map[string]any{}, nil); err == nil || err.Code != codeMethodNotFound {
		t.Errorf("unknown method: got %v", err)
	}
	if err := c.call("textDocument/hover", tdp("file:///not/open.fview", Position{}), nil); err == nil || err.Code != codeInvalidParams {
		t.Errorf("hover on a closed document: got %v", err)
	}
	// A body that is not JSON gets a parse error and the server carries on.
	body := "{not json"
	if _, err := io.WriteString(c.in, "Content-Length: "+itoa(len(body))+"\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	if err := c.call("textDocument/hover", "not an object", nil); err == nil || err.Code != codeInvalidParams {
		t.Errorf("bad params: got %v", err)
	}
	c.mustCall("shutdown", nil, nil)
	if err := c.call("textDocument/hover", tdp("file:///x.fview", Position{}), nil); err == nil || err.Code != codeInvalidRequest {
		t.Errorf("request after shutdown: got %v", err)
	}
	c.notify("exit", nil)
	select {
	case err := <-c.done:
		if err != nil {
			t.Errorf("Serve after shutdown+exit: %v", err)
		}
		c.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("server did not exit")
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	c := startClient(t, Options{Debounce: -1})
	c.initialize(t.TempDir())
	c.notify("exit", nil)
	select {
	case err := <-c.done:
		if !errors.Is(err, ErrNoShutdown) {
			t.Errorf("got %v, want ErrNoShutdown", err)
		}
		c.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("server did not exit")
	}
}

func TestExamplesHaveNoDiagnostics(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	names, _ := filepath.Glob(filepath.Join(dir, "*.fview"))
	if len(names) < 5 {
		t.Fatalf("only %d examples", len(names))
	}
	for _, n := range names {
		uri := c.open(n, "")
		for _, d := range c.waitDiags(uri, 1) {
			t.Errorf("%s: %s %s", filepath.Base(n), d.Code, d.Message)
		}
	}
}

const brokenView = `view broken of Patient
{
  id    = getResourceKey()
  birth = birthdate
  fam   = name.family
  sys   = %lonic
}
`

func TestDiagnosticsAndQuickFixes(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	path := filepath.Join(dir, "broken.fview")
	uri := c.open(path, brokenView)
	ds := c.waitDiags(uri, 1)
	byCode := map[string]Diagnostic{}
	for _, d := range ds {
		byCode[d.Code] = d
	}
	unknown, ok := byCode["FQL2003"]
	if !ok {
		t.Fatalf("no unknown-element diagnostic in %+v", ds)
	}
	if want := posOf(t, brokenView, "birthdate", 0); unknown.Range.Start != want || unknown.Range.End.Character != want.Character+len("birthdate") {
		t.Errorf("unknown element range %+v, want start %+v", unknown.Range, want)
	}
	if unknown.Severity != sevError || unknown.Source != "fhirql" || !strings.Contains(unknown.Message, `did you mean "birthDate"?`) {
		t.Errorf("unknown element diagnostic: %+v", unknown)
	}
	// %lonic is undefined; %loinc comes from constants.fview, which is on
	// disk and not open: the directory is one namespace.
	undef, ok := byCode["FQL2015"]
	if !ok || !strings.Contains(undef.Message, "loinc") {
		t.Fatalf("undefined constant: %+v", ds)
	}
	many, ok := byCode["FQL2011"]
	if !ok || many.Severity != sevWarning {
		t.Fatalf("no maybe-many warning: %+v", ds)
	}

	actions := func(r Range) []CodeAction {
		var out []CodeAction
		p := CodeActionParams{TextDocument: TextDocumentIdentifier{URI: uri}, Range: r}
		c.mustCall("textDocument/codeAction", p, &out)
		return out
	}
	titles := func(as []CodeAction) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Title)
		}
		return out
	}
	// The cursor anywhere on the diagnostic (an empty range) is enough.
	at := func(marker string, d int) Range { p := posOf(t, brokenView, marker, d); return Range{p, p} }
	a1 := actions(at("birthdate", 3))
	if len(a1) != 1 || a1[0].Title != `change to "birthDate"` || a1[0].Kind != "quickfix" || !a1[0].IsPreferred {
		t.Fatalf("did-you-mean action: %+v", a1)
	}
	a2 := actions(at("name.family", 2))
	if got := titles(a2); len(got) != 2 || got[0] != "take the first value" || got[1] != "make the column a collection" {
		t.Fatalf("maybe-many actions: %v", got)
	}
	a3 := actions(at("%lonic", 1))
	if got := titles(a3); len(got) != 1 || got[0] != "change to %loinc" {
		t.Fatalf("constant actions: %v", got)
	}
	if len(a1[0].Diagnostics) != 1 || a1[0].Diagnostics[0].Code != "FQL2003" {
		t.Errorf("action does not name its diagnostic: %+v", a1[0].Diagnostics)
	}

	// Apply one fix of each and the file is clean.
	text := brokenView
	var edits []TextEdit
	for _, a := range []CodeAction{a1[0], a2[0], a3[0]} {
		edits = append(edits, a.Edit.Changes[uri]...)
	}
	text = applyEdits(t, text, edits)
	if !strings.Contains(text, "birth = birthDate") || !strings.Contains(text, "name.family.first()") || !strings.Contains(text, "%loinc") {
		t.Fatalf("fixed text:\n%s", text)
	}
	c.change(uri, 2, text)
	if ds := c.waitDiags(uri, 2); len(ds) != 0 {
		t.Errorf("after the fixes: %+v", ds)
	}
	// The other fix of the warning: mark the column as a collection.
	text2 := applyEdits(t, brokenView, a2[1].Edit.Changes[uri])
	if !strings.Contains(text2, "fam[]   = name.family") {
		t.Errorf("collection fix:\n%s", text2)
	}
	// Closing the document clears its diagnostics.
	n := c.published(uri)
	c.notify("textDocument/didClose", DidCloseTextDocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}})
	c.waitPublish(uri, n, func(p PublishDiagnosticsParams) bool { return p.Version == nil && len(p.Diagnostics) == 0 })
}

func TestRelatedInformation(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	// A second definition of %loinc, in another file of the directory.
	text := "const loinc = 'x'\n"
	uri := c.open(filepath.Join(dir, "dup.fview"), text)
	ds := c.waitDiags(uri, 1)
	var dup *Diagnostic
	for i := range ds {
		if ds[i].Code == "FQL2020" {
			dup = &ds[i]
		}
	}
	constants := pathToURI(filepath.Join(dir, "constants.fview"))
	if dup == nil {
		// The checker reports the duplicate on whichever file comes second.
		t.Skipf("duplicate reported elsewhere: %+v", ds)
	}
	if len(dup.RelatedInformation) != 1 || dup.RelatedInformation[0].Location.URI != constants {
		t.Errorf("related information: %+v", dup.RelatedInformation)
	}
}

func TestSyntaxErrorStillAnswers(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	text := "view v of Patient\n{\n  id = getResourceKey(\n  fam = name.family.first()\n}\n"
	uri := c.open(filepath.Join(dir, "syntax.fview"), text)
	ds := c.waitDiags(uri, 1)
	if len(ds) == 0 || !strings.HasPrefix(ds[0].Code, "FQL1") {
		t.Fatalf("syntax error diagnostics: %+v", ds)
	}
	// Completion still works in the broken file.
	var cl CompletionList
	c.mustCall("textDocument/completion", tdp(uri, posOf(t, text, "name.", 5)), &cl)
	if !hasLabel(cl.Items, "family") {
		t.Errorf("completion after a syntax error: %v", sortedLabels(cl.Items))
	}
	var h *Hover
	c.mustCall("textDocument/hover", tdp(uri, posOf(t, text, "getResourceKey", 2)), &h)
	var syms []DocumentSymbol
	c.mustCall("textDocument/documentSymbol", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}, &syms)
	var edits []TextEdit
	c.mustCall("textDocument/formatting", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}, &edits)
	if len(edits) != 0 {
		t.Errorf("formatting a file with a syntax error changed it: %+v", edits)
	}
}

func TestDebounce(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: 200 * time.Millisecond})
	c.initialize(dir)
	uri := c.open(filepath.Join(dir, "b.fview"), brokenView)
	c.waitDiags(uri, 1)
	for v := 2; v <= 6; v++ {
		c.change(uri, v, strings.Replace(brokenView, "birthdate", "birthDate"+strings.Repeat("x", v-2), 1))
	}
	ds := c.waitDiags(uri, 6)
	for _, d := range ds {
		if d.Code == "FQL2003" && !strings.Contains(d.Message, "birthDatexxxx") {
			t.Errorf("diagnostics of an old version: %s", d.Message)
		}
	}
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	n := len(c.diags[uri])
	c.mu.Unlock()
	if n > 3 {
		t.Errorf("%d publishes for one open and a burst of 5 changes; debounce should merge them", n)
	}
}

func TestHover(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	path := filepath.Join(dir, "patient_demographics.fview")
	text := readFile(t, path)
	uri := c.open(path, "")
	hover := func(marker string, d int) string {
		t.Helper()
		var h *Hover
		c.mustCall("textDocument/hover", tdp(uri, posOf(t, text, marker, d)), &h)
		if h == nil {
			return ""
		}
		if h.Contents.Kind != "markdown" || h.Range == nil {
			t.Errorf("hover %q: %+v", marker, h)
		}
		return h.Contents.Value
	}
	for _, tc := range []struct {
		marker string
		delta  int
		want   []string
	}{
		{"name.where", 1, []string{"Patient.name : HumanName [0..*]", "A name associated with the patient", "collection"}},
		{"family.first", 2, []string{"HumanName.family : string [0..1]"}},
		{"birthDate", 3, []string{"Patient.birthDate : date [0..1]"}},
		{"where(use", 1, []string{"where(criteria: expression) : collection", "criteria is true"}},
		{"ofType(dateTime)", 1, []string{"ofType(type: TypeSpecifier)", "Patient.deceased[x]"}},
		{"getResourceKey", 3, []string{"getResourceKey() : KeyType"}},
		{"patient_demographics", 2, []string{"view patient_demographics of Patient", "One row per patient"}},
		{"of Patient", 4, []string{"Patient (resource)"}},
		{"family      =", 1, []string{"column family", "from the name marked official"}},
		{"gender      = gender", 16, []string{"Patient.gender : code [0..1]", "administrative-gender"}},
	} {
		got := hover(tc.marker, tc.delta)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("hover on %q: want %q in\n%s", tc.marker, w, got)
			}
		}
	}
	// Constants and %rowIndex, in another file of the namespace.
	cpath := filepath.Join(dir, "condition_codings.fview")
	ctext := readFile(t, cpath)
	curi := c.open(cpath, "")
	var h Hover
	c.mustCall("textDocument/hover", tdp(curi, posOf(t, ctext, "%snomed", 2)), &h)
	if !strings.Contains(h.Contents.Value, "const snomed : String = 'http://snomed.info/sct'") || !strings.Contains(h.Contents.Value, "SNOMED CT") {
		t.Errorf("constant hover:\n%s", h.Contents.Value)
	}
	c.mustCall("textDocument/hover", tdp(curi, posOf(t, ctext, "%rowIndex", 2)), &h)
	if !strings.Contains(h.Contents.Value, "%rowIndex : integer") {
		t.Errorf("rowIndex hover:\n%s", h.Contents.Value)
	}
	// Nothing under the cursor: a null result, not an error.
	var none *Hover
	c.mustCall("textDocument/hover", tdp(uri, Position{Line: 0, Character: 3}), &none)
	if none != nil {
		t.Errorf("hover on a comment: %+v", none)
	}
}

func hasLabel(items []CompletionItem, label string) bool {
	for _, it := range items {
		if it.Label == label {
			return true
		}
	}
	return false
}

func indexOf(labels []string, label string) int {
	for i, l := range labels {
		if l == label {
			return i
		}
	}
	return -1
}

func TestCompletion(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	version := 1
	uri := c.open(filepath.Join(dir, "typing.fview"), "// empty\n")
	complete := func(text, marker string, delta int) ([]string, []CompletionItem) {
		t.Helper()
		version++
		c.change(uri, version, text)
		var cl CompletionList
		c.mustCall("textDocument/completion", tdp(uri, posOf(t, text, marker, delta)), &cl)
		return sortedLabels(cl.Items), cl.Items
	}
	const head = "view v of Patient\n{\n  id = getResourceKey()\n"
	for _, tc := range []struct {
		name   string
		text   string
		marker string
		delta  int
		first  []string // the leading items, in order
		has    []string
		hasnt  []string
	}{
		{"after name.", head + "  x = name.\n}\n", "name.", 5, nil, []string{"family", "given", "use", "where", "first"}, []string{"birthDate"}},
		{"partial word", head + "  x = name.giv\n}\n", "name.giv", 8, nil, []string{"given"}, nil},
		{"ranked", head + "  x = name.\n}\n", "name.", 5, []string{"use", "text", "family", "given"}, nil, nil},
		{"next line continues", head + "  x = name.\n  y = gender\n}\n", "name.", 5, nil, []string{"family"}, nil},
		{"start of expression", head + "  x = \n}\n", "x = ", 4, nil, []string{"birthDate", "gender", "name", "%loinc", "exists"}, nil},
		{"id column", head + "  id2 = 1\n  id = \n}\n", "id = \n", 5, []string{"getResourceKey"}, nil, nil},
		{"choice type", "view v of Observation\n{\n  x = value.ofType(\n}\n", "ofType(", 7, []string{"Quantity", "CodeableConcept", "string"}, nil, []string{"Patient"}},
		{"choice dot", "view v of Observation\n{\n  x = value.\n}\n", "value.", 6, []string{"ofType(Quantity)"}, nil, nil},
		{"choice forms", "view v of Observation\n{\n  x = \n}\n", "x = ", 4, nil, []string{"value", "value.ofType(Quantity)", "effective.ofType(dateTime)"}, nil},
		{"reference key", head + "  x = generalPractitioner.getReferenceKey(\n}\n", "ReferenceKey(", 13, []string{"Organization"}, []string{"Practitioner", "Patient"}, nil},
		{"constants", head + "  x = %\n}\n", "%\n", 1, nil, []string{"%loinc", "%snomed", "%rowIndex", "%resource"}, nil},
		{"rowIndex in forEach", head + "  forEach address {\n    i = %\n  }\n}\n", "%\n", 1, []string{"%loinc", "%snomed", "%rowIndex"}, nil, nil},
		{"forEach focus", head + "  forEach telecom {\n    s = \n  }\n}\n", "s = ", 4, nil, []string{"system", "value", "use"}, []string{"birthDate"}},
		{"where focus", head + "  x = name.where(\n}\n", "where(", 6, nil, []string{"use", "family"}, []string{"birthDate"}},
		{"where focus closed", head + "  x = name.where().first()\n}\n", "where(", 6, nil, []string{"use", "family"}, nil},
		{"type test", head + "  x = gender is \n}\n", "is ", 3, nil, []string{"Coding", "string"}, []string{"family"}},
		{"nested focus", head + "  forEach contact {\n    x = name.\n  }\n}\n", "name.", 5, nil, []string{"family"}, nil},
		{"statement typed after a syntax error", head + "  forEach tel\n}\n", "tel", 3, nil, []string{"telecom"}, nil},
		{"resource types", "view v of \n", "of ", 3, []string{"Patient", "Observation"}, nil, nil},
		{"statement keywords", head + "  \n}\n", "()\n  ", 5, []string{"forEach", "forEachOrNull"}, []string{"unionAll", "repeat"}, []string{"view"}},
		{"top-level keywords", head + "}\n\n", "}\n\n", 3, []string{"view", "const"}, nil, nil},
		{"in comment", head + "  // name.\n}\n", "name.", 5, nil, nil, []string{"family"}},
		{"in string", head + "  x = 'name.\n}\n", "name.", 5, nil, nil, []string{"family"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels, items := complete(tc.text, tc.marker, tc.delta)
			for i, w := range tc.first {
				if i >= len(labels) || labels[i] != w {
					t.Errorf("item %d: want %q; got %v", i, w, head10(labels))
				}
			}
			for _, w := range tc.has {
				if indexOf(labels, w) < 0 {
					t.Errorf("missing %q in %v", w, head10(labels))
				}
			}
			for _, w := range tc.hasnt {
				if indexOf(labels, w) >= 0 {
					t.Errorf("unexpected %q in %v", w, head10(labels))
				}
			}
			for _, it := range items {
				if it.TextEdit == nil {
					t.Errorf("item %q has no text edit", it.Label)
				}
			}
		})
	}
	// A space triggers completion only after `of`, `is` and `as`.
	trig := func(text, marker string, delta int) int {
		version++
		c.change(uri, version, text)
		var cl CompletionList
		p := CompletionParams{TextDocumentPositionParams: tdp(uri, posOf(t, text, marker, delta))}
		p.Context = &struct {
			TriggerKind      int    `json:"triggerKind"`
			TriggerCharacter string `json:"triggerCharacter,omitempty"`
		}{2, " "}
		c.mustCall("textDocument/completion", p, &cl)
		return len(cl.Items)
	}
	if n := trig("view v of \n", "of ", 3); n == 0 {
		t.Errorf("no resource types after `of ` typed")
	}
	if n := trig(head+"  x = a and \n}\n", "and ", 4); n != 0 {
		t.Errorf("%d items after a space in an expression", n)
	}
	// Items carry their documentation and signatures.
	_, items := complete(head+"  x = name.\n}\n", "name.", 5)
	for _, it := range items {
		switch it.Label {
		case "where":
			if it.Detail != "where(criteria: expression) : collection" || it.InsertTextFormat != formatSnippet || it.TextEdit.NewText != "where($1)" {
				t.Errorf("where item: %+v", it)
			}
		case "family":
			if !strings.Contains(it.Detail, "string [0..1]") || it.Documentation == nil || !strings.Contains(it.Documentation.Value, "Family name") {
				t.Errorf("family item: %+v", it)
			}
		}
	}
}

func head10(s []string) []string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

func TestCompletionJSON(t *testing.T) {
	dir := t.TempDir()
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	text := `{
  "resourceType": "ViewDefinition",
  "name": "pats",
  "resource": "Patient",
  "select": [{"column": [
    {"name": "id", "path": "getResourceKey()"},
    {"name": "fam", "path": "name.famly.first()"}
  ]}]
}
`
	uri := c.open(filepath.Join(dir, "pats.json"), text)
	ds := c.waitDiags(uri, 1)
	if len(ds) != 1 || ds[0].Code != "FQL2003" || ds[0].Range.Start != posOf(t, text, "famly", 0) {
		t.Fatalf("JSON diagnostics: %+v", ds)
	}
	var acts []CodeAction
	c.mustCall("textDocument/codeAction", CodeActionParams{TextDocument: TextDocumentIdentifier{URI: uri}, Range: ds[0].Range}, &acts)
	if len(acts) != 1 || !strings.Contains(applyEdits(t, text, acts[0].Edit.Changes[uri]), `"name.family.first()"`) {
		t.Errorf("JSON quick fix: %+v", acts)
	}
	var cl CompletionList
	c.mustCall("textDocument/completion", tdp(uri, posOf(t, text, "name.", 5)), &cl)
	if !hasLabel(cl.Items, "family") {
		t.Errorf("JSON completion: %v", head10(sortedLabels(cl.Items)))
	}
	var h Hover
	c.mustCall("textDocument/hover", tdp(uri, posOf(t, text, "name.famly", 1)), &h)
	if !strings.Contains(h.Contents.Value, "Patient.name : HumanName [0..*]") {
		t.Errorf("JSON hover: %s", h.Contents.Value)
	}
	// Only FHIRPath strings and the resource get completions.
	c.mustCall("textDocument/completion", tdp(uri, posOf(t, text, `"pats"`, 2)), &cl)
	if len(cl.Items) != 0 {
		t.Errorf("completion in a name: %v", head10(sortedLabels(cl.Items)))
	}
	c.mustCall("textDocument/completion", tdp(uri, posOf(t, text, `"Patient"`, 4)), &cl)
	if !hasLabel(cl.Items, "Patient") {
		t.Errorf("completion of the resource: %v", head10(sortedLabels(cl.Items)))
	}
	// Other JSON files of a project are not views: no diagnostics.
	other := c.open(filepath.Join(dir, "package.json"), `{"name": "x", "version": "1.0.0"}`)
	if ds := c.waitDiags(other, 1); len(ds) != 0 {
		t.Errorf("diagnostics on a JSON file that is no ViewDefinition: %+v", ds)
	}
}

func TestDefinitionReferencesRename(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	opath := filepath.Join(dir, "observations.fview")
	otext := readFile(t, opath)
	ouri := c.open(opath, "")
	constURI := pathToURI(filepath.Join(dir, "constants.fview"))
	ctext := readFile(t, filepath.Join(dir, "constants.fview"))

	var locs []Location
	c.mustCall("textDocument/definition", tdp(ouri, posOf(t, otext, "%loinc", 3)), &locs)
	if len(locs) != 1 || locs[0].URI != constURI || locs[0].Range.Start != posOf(t, ctext, "loinc =", 0) {
		t.Fatalf("definition of %%loinc: %+v", locs)
	}
	var refs []Location
	p := ReferenceParams{TextDocumentPositionParams: tdp(ouri, posOf(t, otext, "%loinc", 1))}
	p.Context.IncludeDeclaration = true
	c.mustCall("textDocument/references", p, &refs)
	if n := strings.Count(otext, "%loinc"); len(refs) != n+1 {
		t.Errorf("references: got %d, want %d declaration+uses: %+v", len(refs), n+1, refs)
	}
	// From the declaration, in a file that is not even open.
	curi := c.open(filepath.Join(dir, "constants.fview"), "")
	c.mustCall("textDocument/definition", tdp(curi, posOf(t, ctext, "snomed =", 2)), &locs)
	if len(locs) != 1 || locs[0].URI != curi {
		t.Errorf("definition on a declaration: %+v", locs)
	}

	var prep PrepareRenameResult
	c.mustCall("textDocument/prepareRename", tdp(ouri, posOf(t, otext, "%loinc", 2)), &prep)
	if prep.Placeholder != "loinc" {
		t.Errorf("prepareRename: %+v", prep)
	}
	var we WorkspaceEdit
	c.mustCall("textDocument/rename", RenameParams{TextDocumentPositionParams: tdp(ouri, posOf(t, otext, "%loinc", 2)), NewName: "lnc"}, &we)
	newObs := applyEdits(t, otext, we.Changes[ouri])
	newConst := applyEdits(t, ctext, we.Changes[constURI])
	if strings.Contains(newObs, "%loinc") || !strings.Contains(newObs, "%lnc and code") || !strings.Contains(newConst, "const lnc = ") {
		t.Errorf("rename:\n%s\n%s", newObs, newConst)
	}
	if err := c.call("textDocument/rename", RenameParams{TextDocumentPositionParams: tdp(ouri, posOf(t, otext, "%loinc", 2)), NewName: "not valid"}, nil); err == nil {
		t.Errorf("rename to an invalid name accepted")
	}
	// A column.
	c.mustCall("textDocument/rename", RenameParams{TextDocumentPositionParams: tdp(ouri, posOf(t, otext, "loinc_code", 1)), NewName: "code"}, &we)
	if got := applyEdits(t, otext, we.Changes[ouri]); !strings.Contains(got, "  code = code.coding") {
		t.Errorf("column rename:\n%s", got)
	}
	// Renaming one column of a unionAll renames its peers in the other branches.
	utext := "view u of Patient\n{\n  unionAll {\n    select { a = gender }\n    select { a = 'x' }\n  }\n}\n"
	uuri := c.open(filepath.Join(dir, "union.fview"), utext)
	c.waitDiags(uuri, 1)
	c.mustCall("textDocument/rename", RenameParams{TextDocumentPositionParams: tdp(uuri, posOf(t, utext, "a = gender", 0)), NewName: "b"}, &we)
	if got := applyEdits(t, utext, we.Changes[uuri]); strings.Count(got, "b = ") != 2 {
		t.Errorf("unionAll column rename:\n%s", got)
	}
}

func TestFormattingAndSymbols(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	messy := "// keep me\nview  v   of Patient {\n id=getResourceKey()\n  forEach name { fam = family\n given[] = given }\n}\n"
	uri := c.open(filepath.Join(dir, "messy.fview"), messy)
	var edits []TextEdit
	c.mustCall("textDocument/formatting", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}, &edits)
	got := applyEdits(t, messy, edits)
	af, dl := parse.ParseFile(source.NewFileString("messy.fview", messy))
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	if want := string(format.File(af)); got != want {
		t.Errorf("formatting:\n%s\nwant (fhirql fmt):\n%s", got, want)
	}
	// Already formatted: no edits.
	c.change(uri, 2, got)
	c.mustCall("textDocument/formatting", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}, &edits)
	if len(edits) != 0 {
		t.Errorf("formatting a formatted file: %+v", edits)
	}

	apath := filepath.Join(dir, "patient_addresses.fview")
	auri := c.open(apath, "")
	var syms []DocumentSymbol
	c.mustCall("textDocument/documentSymbol", DocumentParams{TextDocument: TextDocumentIdentifier{URI: auri}}, &syms)
	if len(syms) != 1 || syms[0].Name != "patient_addresses" || syms[0].Detail != "of Patient" {
		t.Fatalf("symbols: %+v", syms)
	}
	kids := syms[0].Children
	if len(kids) != 2 || kids[0].Name != "patient_id" || kids[1].Name != "forEachOrNull address" || len(kids[1].Children) != 9 {
		b, _ := json.MarshalIndent(kids, "", " ")
		t.Errorf("view children: %s", b)
	}
	cu := c.open(filepath.Join(dir, "constants.fview"), "")
	c.mustCall("textDocument/documentSymbol", DocumentParams{TextDocument: TextDocumentIdentifier{URI: cu}}, &syms)
	if len(syms) != 2 || syms[0].Name != "%loinc" || syms[0].Kind != symConstant {
		t.Errorf("constant symbols: %+v", syms)
	}
}

func TestSemanticTokens(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	path := filepath.Join(dir, "condition_codings.fview")
	text := readFile(t, path)
	uri := c.open(path, "")
	var st SemanticTokens
	c.mustCall("textDocument/semanticTokens/full", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}, &st)
	if len(st.Data) == 0 || len(st.Data)%5 != 0 {
		t.Fatalf("tokens: %d numbers", len(st.Data))
	}
	// Decode and look at a few.
	f := source.NewFileString("x", text)
	line, col := 0, 0
	got := map[string]string{}
	for i := 0; i < len(st.Data); i += 5 {
		if st.Data[i] > 0 {
			line += int(st.Data[i])
			col = int(st.Data[i+1])
		} else {
			col += int(st.Data[i+1])
		}
		start := offset(f, Position{line, col})
		end := offset(f, Position{line, col + int(st.Data[i+2])})
		got[text[start:end]] = tokenTypes[st.Data[i+3]]
	}
	for word, want := range map[string]string{"view": "keyword", "Condition": "type", "getResourceKey": "function", "%rowIndex": "variable", "'confirmed'": "string", "forEach": "keyword", "clinicalStatus": "property"} {
		if got[word] != want {
			t.Errorf("token %q: got %q, want %q", word, got[word], want)
		}
	}
}

func TestPanicInHandlerIsRecovered(t *testing.T) {
	requests["test/panic"] = func(s *Server, _ json.RawMessage) (any, error) { panic("boom") }
	defer delete(requests, "test/panic")
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	if err := c.call("test/panic", map[string]any{}, nil); err == nil || err.Code != codeInternalError {
		t.Fatalf("panicking handler: got %v", err)
	}
	uri := c.open(filepath.Join(dir, "encounters.fview"), "")
	var h *Hover
	c.mustCall("textDocument/hover", tdp(uri, Position{Line: 5, Character: 18}), &h)
	if h == nil {
		t.Errorf("no hover after a recovered panic")
	}
}

// TestTypingNeverFails replays each example being typed (every prefix, every
// few bytes) with completion, hover and the other requests at the cursor:
// no request may fail, whatever the half-written text.
func TestTypingNeverFails(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	names, _ := filepath.Glob(filepath.Join(dir, "*.fview"))
	// The imported FhirToCdm views: groups, group uses, PascalCase names.
	imported, _ := filepath.Glob(filepath.Join("..", "..", "..", "..", "examples", "fhir-to-cdm", "*.fview"))
	names = append(names, imported...)
	step := 7
	if testing.Short() {
		step = 31
	}
	for _, n := range names {
		full := readFile(t, n)
		uri := c.open(filepath.Join(dir, "typing_"+filepath.Base(n)), "// typing\n")
		v := 1
		for i := 0; i <= len(full); i += step {
			text := full[:i]
			v++
			c.change(uri, v, text)
			f := source.NewFileString("x", text)
			end := position(f, source.Pos(len(text)))
			mid := position(f, source.Pos(len(text)/2))
			for _, m := range []struct {
				method string
				params any
			}{
				{"textDocument/completion", tdp(uri, end)},
				{"textDocument/hover", tdp(uri, mid)},
				{"textDocument/definition", tdp(uri, mid)},
				{"textDocument/documentSymbol", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}},
				{"textDocument/semanticTokens/full", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}},
				{"textDocument/formatting", DocumentParams{TextDocument: TextDocumentIdentifier{URI: uri}}},
				{"textDocument/codeAction", CodeActionParams{TextDocument: TextDocumentIdentifier{URI: uri}, Range: Range{Start: Position{}, End: end}}},
			} {
				if err := c.call(m.method, m.params, nil); err != nil {
					t.Fatalf("%s on %s[:%d]: %v", m.method, filepath.Base(n), i, err)
				}
			}
		}
	}
}

// TestEditsNeverFail applies random deletions and insertions of FHIRPath
// punctuation to the examples and asks for completion and hover at the edit.
func TestEditsNeverFail(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	names, _ := filepath.Glob(filepath.Join(dir, "*.fview"))
	rng := rand.New(rand.NewPCG(1, 2))
	inserts := []string{".", "(", ")", "{", "}", "'", "%", "[", "]", "=", " and ", "\n", "`", "\"", "/*", "//", "@", "$", "ü", "😀"}
	n := 60
	if testing.Short() {
		n = 15
	}
	for _, name := range names {
		full := readFile(t, name)
		uri := c.open(filepath.Join(dir, "edit_"+filepath.Base(name)), "// editing\n")
		for v := 2; v < n+2; v++ {
			text := full
			at := rng.IntN(len(text))
			if rng.IntN(2) == 0 {
				end := min(len(text), at+rng.IntN(12))
				text = text[:at] + text[end:]
			} else {
				text = text[:at] + inserts[rng.IntN(len(inserts))] + text[at:]
			}
			c.change(uri, v, text)
			f := source.NewFileString("x", text)
			p := position(f, source.Pos(at))
			for _, m := range []string{"textDocument/completion", "textDocument/hover", "textDocument/references", "textDocument/prepareRename"} {
				params := any(tdp(uri, p))
				if m == "textDocument/references" {
					params = ReferenceParams{TextDocumentPositionParams: tdp(uri, p)}
				}
				if err := c.call(m, params, nil); err != nil {
					t.Fatalf("%s at %d of %q: %v", m, at, text, err)
				}
			}
		}
	}
}

func TestManyFilesAndDirectories(t *testing.T) {
	root := t.TempDir()
	c := startClient(t, Options{Debounce: -1})
	c.initialize(root)
	var uris []string
	for d := 0; d < 10; d++ {
		dir := filepath.Join(root, "d"+itoa(d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// Each directory has its own constant of the same name.
		if err := os.WriteFile(filepath.Join(dir, "k.fview"), []byte("const sys = 'http://d"+itoa(d)+"'\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			text := "view v" + itoa(i) + " of Patient\n{\n  id = getResourceKey()\n  s = identifier.where(system = %sys).value.first()\n}\n"
			uris = append(uris, c.open(filepath.Join(dir, "v"+itoa(i)+".fview"), text))
		}
	}
	for _, u := range uris {
		if ds := c.waitDiags(u, 1); len(ds) != 0 {
			t.Errorf("%s: %+v", u, ds)
		}
	}
	// A file removed from disk leaves the namespace after a watched-file event.
	k := filepath.Join(root, "d0", "k.fview")
	if err := os.Remove(k); err != nil {
		t.Fatal(err)
	}
	n := c.published(uris[0])
	c.notify("workspace/didChangeWatchedFiles", DidChangeWatchedFilesParams{Changes: []FileEvent{{URI: pathToURI(k), Type: 3}}})
	p := c.waitPublish(uris[0], n, func(p PublishDiagnosticsParams) bool { return true })
	if len(p.Diagnostics) == 0 || p.Diagnostics[0].Code != "FQL2015" {
		t.Errorf("after removing the constant: %+v", p.Diagnostics)
	}
}

func TestFraming(t *testing.T) {
	// Extra headers, lower-case names and bodies split across writes.
	in := "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 2\r\n\r\n{}" +
		"Content-Length: 5\r\n\r\n[1,2]"
	r := newReader(strings.NewReader(in))
	for _, want := range []string{"{}", "[1,2]"} {
		b, err := r.read()
		if err != nil || string(b) != want {
			t.Fatalf("read: %q, %v; want %q", b, err, want)
		}
	}
	if _, err := r.read(); err != io.EOF {
		t.Errorf("at the end: %v", err)
	}
	if _, err := newReader(strings.NewReader("garbage\r\n\r\n")).read(); !errors.Is(err, errFraming) {
		t.Errorf("garbage header: %v", err)
	}
	if _, err := newReader(strings.NewReader("Content-Length: 10\r\n\r\n{}")).read(); err != io.ErrUnexpectedEOF {
		t.Errorf("short body: %v", err)
	}
}

func TestURIs(t *testing.T) {
	for _, p := range []string{"/tmp/a b/c#d.fview", "/x/ü.fview"} {
		u := pathToURI(p)
		back, ok := uriToPath(u)
		if !ok || back != p {
			t.Errorf("%q -> %q -> %q", p, u, back)
		}
	}
	if _, ok := uriToPath("untitled:Untitled-1"); ok {
		t.Errorf("untitled URI taken as a path")
	}
}

func TestUntitledDocument(t *testing.T) {
	c := startClient(t, Options{Debounce: -1})
	c.initialize(t.TempDir())
	uri := "untitled:Untitled-1"
	c.notify("textDocument/didOpen", map[string]any{"textDocument": TextDocumentItem{URI: uri, LanguageID: "fview", Version: 1, Text: brokenView}})
	ds := c.waitDiags(uri, 1)
	if len(ds) == 0 {
		t.Errorf("no diagnostics for an unsaved buffer")
	}
}

func TestIncrementalChange(t *testing.T) {
	dir := copyExamples(t)
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	uri := c.open(filepath.Join(dir, "inc.fview"), brokenView)
	c.waitDiags(uri, 1)
	p := posOf(t, brokenView, "birthdate", 5)
	c.notify("textDocument/didChange", DidChangeTextDocumentParams{
		TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: 2},
		ContentChanges: []TextDocumentContentChangeEvent{{Range: &Range{p, Position{p.Line, p.Character + 1}}, Text: "D"}},
	})
	for _, d := range c.waitDiags(uri, 2) {
		if d.Code == "FQL2003" {
			t.Errorf("ranged change not applied: %s", d.Message)
		}
	}
}

func TestJSONKeyAt(t *testing.T) {
	text := `{"name": "x", "select": [{"forEach": "name.gi", "repeat": ["item", "answer.it"], "column": [{"path": "a.b"}]}]}`
	for marker, want := range map[string]string{`"x"`: "name", "name.gi": "forEach", `"item"`: "repeat", "answer.it": "repeat", "a.b": "path", `"select"`: ""} {
		i := strings.Index(text, marker) + 2
		if got := jsonKeyAt(text, i); got != want {
			t.Errorf("key at %q: got %q, want %q", marker, got, want)
		}
	}
}

func TestOtherViewsBlanked(t *testing.T) {
	text := "const a = 1\nview x of Patient\n{\n  a = b\n}\nview y of Patient { c = d }\n"
	got := otherViewsBlanked(text, strings.Index(text, "c = d"))
	if len(got) != len(text) || !strings.Contains(got, "const a = 1") || strings.Contains(got, "view x") || !strings.Contains(got, "view y of Patient { c = d }") || strings.Count(got, "\n") != strings.Count(text, "\n") {
		t.Errorf("%q", got)
	}
}

// TestExpectationDiagnostics: a rule's CEL is typed as `fhirql check`
// types it, with the diagnostic at its place in the rule and the column's
// did-you-mean.
func TestExpectationDiagnostics(t *testing.T) {
	dir := t.TempDir()
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	text := "view p of Patient {\n  id     = getResourceKey()\n  gender = gender\n  expect known: gendr == 'male'\n}\n"
	uri := c.open(filepath.Join(dir, "p.fview"), text)
	ds := c.waitDiags(uri, 1)
	if len(ds) != 1 || ds[0].Code != "FQL4001" || !strings.Contains(ds[0].Message, "gendr") {
		t.Fatalf("diagnostics %+v, want one FQL4001 on gendr", ds)
	}
	if want := posOf(t, text, "gendr", 0); ds[0].Range.Start != want {
		t.Errorf("range %+v, want start %+v", ds[0].Range, want)
	}
}
