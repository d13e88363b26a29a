package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/runtime"
)

// BenchmarkRun measures the whole pipeline (read, scan, evaluate, write
// CSV) of the three benchmark views over the example data. The
// comparison with DuckDB on a large corpus is bench/.
//
//	go test -bench Run -cpu 1,2 ./runtime
func BenchmarkRun(b *testing.B) {
	views, _ := filepath.Glob("../bench/views/*.json")
	res := compiler.Load(views, r4.Catalog())
	if res.Diags.HasErrors() {
		b.Fatal(res.Diags)
	}
	var size int64
	paths, _ := filepath.Glob("../examples/data/*.ndjson")
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	out := b.TempDir()
	b.SetBytes(size)
	for i := 0; i < b.N; i++ {
		_, err := runtime.Run(context.Background(), res.Views(), runtime.Options{
			Inputs: []string{"../examples/data"}, Format: "csv", OutDir: out})
		if err != nil {
			b.Fatal(err)
		}
	}
}
