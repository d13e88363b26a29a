package fhirtocdm_test

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/internal/golden"
	"github.com/fhirql/fhirql/lang/diag"
)

// TestGolden imports every upstream configuration of testdata/upstream (a
// copy of the FhirToCdm samples, generator tests and transformer tests; MIT)
// as testdata/*.txtar name them: the `paths` section lists the inputs,
// relative to testdata/upstream; `diag` holds the rendered diagnostics and
// one section per generated .fview file holds its text. An import with
// errors generates nothing, so its archive is its diagnostics: each one at
// the YAML or JSON line it comes from. `go test -update` rewrites the
// outputs; review the diff.
func TestGolden(t *testing.T) {
	used := map[string]bool{}
	for _, path := range golden.Archives(t) {
		ar := golden.Read(t, path)
		var inputs []string
		for _, f := range ar.Files {
			if f.Name == "paths" {
				for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
					if l = strings.TrimSpace(l); l != "" {
						inputs = append(inputs, filepath.Join("testdata", "upstream", l))
					}
				}
			}
		}
		if len(inputs) == 0 {
			t.Fatalf("%s: no paths section", path)
		}
		for _, in := range inputs {
			filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					used[filepath.ToSlash(p)] = true
				}
				return nil
			})
		}
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			gen, dl := compiler.ImportFhirToCdm(inputs, r4.Catalog())
			var b bytes.Buffer
			diag.RenderText(&b, dl)
			if dl.HasErrors() && len(gen) > 0 {
				t.Errorf("an import with errors returned %d files", len(gen))
			}
			want := []txtar.File{ar.Files[0], golden.File("diag", b.String())}
			for _, g := range gen {
				want = append(want, golden.File(g.Name, string(g.Text)))
			}
			golden.Check(t, path, ar, want)
		})
	}
	// Every upstream configuration is imported by some archive.
	filepath.WalkDir(filepath.Join("testdata", "upstream"), func(p string, d fs.DirEntry, err error) error {
		ext := filepath.Ext(p)
		if err == nil && !d.IsDir() && (ext == ".json" || ext == ".yml") && !used[filepath.ToSlash(p)] {
			t.Errorf("%s is imported by no testdata/*.txtar", p)
		}
		return nil
	})
}
