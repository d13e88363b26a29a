package compiler

import (
	"os"
	"path/filepath"
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
