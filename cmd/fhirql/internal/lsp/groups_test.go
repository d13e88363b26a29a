package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGroups: a group declared in one file of the directory and used in
// another hovers with its members and expansion, jumps to its declaration,
// lists and renames its uses in both files, and is offered after `use`.
func TestGroups(t *testing.T) {
	dir := t.TempDir()
	gtext := "/// A name in two columns.\ngroup Name of HumanName {\n  text   = text\n  family = family\n}\n\ngroup Contact of Patient.contact {\n  n = name use Name\n}\n"
	vtext := "view v of Patient {\n  id   = getResourceKey()\n  name = name.first() use Name\n}\n"
	gpath, vpath := filepath.Join(dir, "groups.fview"), filepath.Join(dir, "v.fview")
	for p, text := range map[string]string{gpath: gtext, vpath: vtext} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := startClient(t, Options{Debounce: -1})
	c.initialize(dir)
	vuri := c.open(vpath, "")
	guri := pathToURI(gpath)
	if d := c.waitDiags(vuri, 1); len(d) != 0 {
		t.Fatalf("diagnostics: %+v", d)
	}

	var h *Hover
	c.mustCall("textDocument/hover", tdp(vuri, posOf(t, vtext, "use Name", 5)), &h)
	if h == nil {
		t.Fatal("no hover on a group use")
	}
	for _, want := range []string{"group Name of HumanName", "A name in two columns.", "`family` = `family`", "`name_text` string", "`name_family` string"} {
		if !strings.Contains(h.Contents.Value, want) {
			t.Errorf("hover lacks %q:\n%s", want, h.Contents.Value)
		}
	}

	var locs []Location
	c.mustCall("textDocument/definition", tdp(vuri, posOf(t, vtext, "use Name", 5)), &locs)
	if len(locs) != 1 || locs[0].URI != guri || locs[0].Range.Start != posOf(t, gtext, "Name of", 0) {
		t.Fatalf("definition: %+v", locs)
	}

	var refs []Location
	p := ReferenceParams{TextDocumentPositionParams: tdp(vuri, posOf(t, vtext, "use Name", 5))}
	p.Context.IncludeDeclaration = true
	c.mustCall("textDocument/references", p, &refs)
	if len(refs) != 3 { // the declaration, the use in Contact, the use in v
		t.Errorf("references: %+v", refs)
	}

	var we WorkspaceEdit
	c.mustCall("textDocument/rename", RenameParams{TextDocumentPositionParams: tdp(vuri, posOf(t, vtext, "use Name", 5)), NewName: "HName"}, &we)
	newV := applyEdits(t, vtext, we.Changes[vuri])
	newG := applyEdits(t, gtext, we.Changes[guri])
	if !strings.Contains(newV, "use HName") || !strings.Contains(newG, "group HName of HumanName") || !strings.Contains(newG, "n = name use HName") {
		t.Errorf("rename:\n%s\n%s", newV, newG)
	}

	// Completion after `use`, with the file mid-edit.
	typing := "view v of Patient {\n  id   = getResourceKey()\n  name = name.first() use \n}\n"
	c.change(vuri, 2, typing)
	var cl CompletionList
	c.mustCall("textDocument/completion", tdp(vuri, posOf(t, typing, "use \n", 4)), &cl)
	if labels := sortedLabels(cl.Items); !slices.Contains(labels, "Name") || !slices.Contains(labels, "Contact") || slices.Contains(labels, "gender") {
		t.Errorf("completion after use: %v", labels)
	}

	// In a group's body the focus is the group's type; after `group X of`, type names.
	body := "group G of HumanName {\n  x = \n}\n"
	c.change(vuri, 3, body)
	c.mustCall("textDocument/completion", tdp(vuri, posOf(t, body, "x = ", 4)), &cl)
	if labels := sortedLabels(cl.Items); !slices.Contains(labels, "family") || slices.Contains(labels, "birthDate") {
		t.Errorf("completion in a group body: %v", labels)
	}
	head := "group G of \n"
	c.change(vuri, 4, head)
	c.mustCall("textDocument/completion", tdp(vuri, posOf(t, head, "of ", 3)), &cl)
	if labels := sortedLabels(cl.Items); !slices.Contains(labels, "HumanName") || !slices.Contains(labels, "Patient.contact") {
		t.Errorf("completion after group ... of: %d labels, e.g. %v", len(labels), labels[:min(5, len(labels))])
	}
}
