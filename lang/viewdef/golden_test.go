package viewdef

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden sections of testdata/*.txtar")

// TestGolden reads the `-- in.json --` section of each testdata/*.txtar and
// compares what Read and Write make of it with the other sections:
// `-- diag --` (rendered diagnostics, absent when there are none), `-- ast --`
// (ast.Dump of the tree, spans as byte offsets) and `-- out.json --` (Write's output, absent
// when Read reported errors). Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no testdata/*.txtar")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ar := parseTxtar(data)
			in, ok := ar.get("in.json")
			if !ok {
				t.Fatal("no in.json section")
			}
			got := &txtar{comment: ar.comment}
			got.add("in.json", in)
			f := source.NewFile("in.json", in)
			file, diags := Read(f)
			checkSpans(t, f, file, diags)
			if len(diags) > 0 {
				got.add("diag", []byte(render(diags)))
			}
			got.add("ast", []byte(ast.Dump(file)))
			if !diags.HasErrors() {
				var out bytes.Buffer
				for _, v := range file.Views {
					b, err := Write(v)
					if err != nil {
						t.Fatalf("Write: %v", err)
					}
					out.Write(b)
				}
				got.add("out.json", out.Bytes())
			}
			if *update {
				if err := os.WriteFile(path, got.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, s := range got.files {
				want, ok := ar.get(s.name)
				if !ok {
					t.Errorf("section %q missing from golden file; run go test -update", s.name)
					continue
				}
				if string(want) != string(s.data) {
					t.Errorf("section %q differs; run go test -update and review the diff\n--- want\n%s--- got\n%s", s.name, want, s.data)
				}
			}
			for _, s := range ar.files {
				if _, ok := got.get(s.name); !ok {
					t.Errorf("golden file has section %q, which the test no longer produces; run go test -update", s.name)
				}
			}
		})
	}
}

// txtar is the archive format of golang.org/x/tools/txtar, reimplemented in a
// few lines to spare a dependency: a comment, then `-- name --` sections.
type txtar struct {
	comment []byte
	files   []txtarFile
}

type txtarFile struct {
	name string
	data []byte
}

func parseTxtar(data []byte) *txtar {
	a := &txtar{}
	var cur *txtarFile
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		trimmed := strings.TrimRight(string(line), "\r\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			a.files = append(a.files, txtarFile{name: strings.TrimSpace(trimmed[3 : len(trimmed)-3])})
			cur = &a.files[len(a.files)-1]
			continue
		}
		if cur == nil {
			a.comment = append(a.comment, line...)
		} else {
			cur.data = append(cur.data, line...)
		}
	}
	return a
}

func (a *txtar) get(name string) ([]byte, bool) {
	for _, f := range a.files {
		if f.name == name {
			return f.data, true
		}
	}
	return nil, false
}

func (a *txtar) add(name string, data []byte) {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(append([]byte(nil), data...), '\n')
	}
	a.files = append(a.files, txtarFile{name, data})
}

func (a *txtar) format() []byte {
	var b bytes.Buffer
	b.Write(a.comment)
	for _, f := range a.files {
		fmt.Fprintf(&b, "-- %s --\n", f.name)
		b.Write(f.data)
	}
	return b.Bytes()
}
