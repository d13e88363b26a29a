package viewdef

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/fhirql/fhirql/internal/golden"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

// TestGolden reads the `-- in.json --` section of each testdata/*.txtar and
// compares what Read and Write make of it with the other sections:
// `-- diag --` (rendered diagnostics, absent when there are none), `-- ast --`
// (ast.Dump of the tree, spans as byte offsets) and `-- out.json --` (Write's output, absent
// when Read reported errors). Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, path := range golden.Archives(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ar := golden.Read(t, path)
			var in []byte
			for _, f := range ar.Files {
				if f.Name == "in.json" {
					in = f.Data
				}
			}
			if in == nil {
				t.Fatal("no in.json section")
			}
			want := []txtar.File{{Name: "in.json", Data: in}}
			f := source.NewFile("in.json", in)
			file, diags := Read(f)
			checkSpans(t, f, file, diags)
			if len(diags) > 0 {
				want = append(want, golden.File("diag", render(diags)))
			}
			want = append(want, golden.File("ast", ast.Dump(file)))
			if !diags.HasErrors() {
				var out bytes.Buffer
				for _, v := range file.Views {
					b, err := Write(v)
					if err != nil {
						t.Fatalf("Write: %v", err)
					}
					out.Write(b)
				}
				want = append(want, golden.File("out.json", out.String()))
			}
			golden.Check(t, path, ar, want)
		})
	}
}
