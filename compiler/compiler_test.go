package compiler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A directory is one namespace even when a command names a single file: the
// constants of the other .fview files are visible, their views are not
// compiled, and their own syntax errors are not reported against this run.
func TestLoadSiblingConstants(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "constants.fview"), "const loinc = 'http://loinc.org'\n")
	write(t, filepath.Join(dir, "other.fview"), "view other of Patient {\n  id = getResourceKey()\n}\n")
	write(t, filepath.Join(dir, "broken.fview"), "view broken of {\n")
	write(t, filepath.Join(dir, "obs.fview"), "view obs of Observation\nwhere code.coding.exists(system = %loinc)\n{\n  id = getResourceKey()\n}\n")

	res := Load([]string{filepath.Join(dir, "obs.fview")}, r4.Catalog())
	if len(res.Diags) != 0 {
		t.Fatalf("unexpected diagnostics: %v", res.Diags.Err())
	}
	views := res.Views()
	if len(views) != 1 || views[0].Name != "obs" {
		t.Fatalf("views = %v, want only obs", views)
	}

	// Naming the directory compiles every view and reports the broken file.
	res = Load([]string{dir}, r4.Catalog())
	if !res.Diags.HasErrors() {
		t.Fatal("the broken sibling should be reported when the directory is named")
	}
}

func TestLoadMissingPath(t *testing.T) {
	res := Load([]string{filepath.Join(t.TempDir(), "nope.fview")}, r4.Catalog())
	if !res.Diags.HasErrors() || res.Diags[0].Code != CodeNoInput {
		t.Fatalf("want %s, got %v", CodeNoInput, res.Diags)
	}
}

// TestSkipsOtherJSON: a directory's JSON file that is no ViewDefinition
// (editor settings) is skipped with an info note; named on its own it is
// read, and fails as a ViewDefinition would.
func TestSkipsOtherJSON(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "v.fview"), "view v of Patient {\n  id = id\n}\n")
	write(t, filepath.Join(dir, "settings.json"), `{"editor.tabSize": 2}`)
	write(t, filepath.Join(dir, "w.json"), `{"resourceType":"ViewDefinition","name":"w","status":"active","resource":"Patient","select":[{"column":[{"name":"id","path":"id"}]}]}`)
	res := Load([]string{dir}, r4.Catalog())
	if res.Diags.HasErrors() || res.Files != 2 || len(res.Views()) != 2 {
		t.Fatalf("files %d, views %d, diags %v", res.Files, len(res.Views()), res.Diags)
	}
	if len(res.Diags) != 1 || res.Diags[0].Code != CodeSkipped || !strings.Contains(res.Diags[0].Message, "settings.json") {
		t.Errorf("want one FQL1100 note naming settings.json, got %v", res.Diags)
	}
	res = Load([]string{filepath.Join(dir, "settings.json")}, r4.Catalog())
	if !res.Diags.HasErrors() {
		t.Errorf("settings.json named on its own was accepted")
	}
}

// TestViewFileCap: a file larger than MaxViewFileBytes is an error that
// says so, read without holding more than the cap.
func TestViewFileCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.fview")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxViewFileBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	res := Load([]string{p}, r4.Catalog())
	if !res.Diags.HasErrors() || !strings.Contains(res.Diags.Err().Error(), "larger than 16 MiB") {
		t.Errorf("want a size error, got %v", res.Diags)
	}
	if err := os.Truncate(p, MaxViewFileBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadViewFile(p); err != nil {
		t.Errorf("a file of exactly the cap was refused: %v", err)
	}
}
