package runtime_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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

// BenchmarkView runs each benchmark view alone, on one worker, over its
// resource's example file, and reports MB per CPU-second: a steadier
// figure than wall-clock MB/s for comparing changes to the scanner,
// evaluator or writer on a shared machine.
//
//	go test -run '^$' -bench View -cpu 1 -count 5 ./runtime
func BenchmarkView(b *testing.B) {
	for _, bv := range []struct{ name, resource string }{
		{"patient_demographics", "Patient"},
		{"condition_flat", "Condition"},
		{"encounter_flat", "Encounter"},
		{"observation_flat", "Observation"},
	} {
		res := compiler.Load([]string{filepath.Join("../bench/views", bv.name+".json")}, r4.Catalog())
		if res.Diags.HasErrors() {
			b.Fatal(res.Diags)
		}
		files, _ := filepath.Glob(filepath.Join("../examples/data", bv.resource+".*ndjson"))
		if len(files) != 1 {
			b.Fatalf("want one example file of %s, found %v", bv.resource, files)
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			b.Fatal(err)
		}
		// The file repeated to about 32 MB: the run's fixed costs
		// (compiling the view, starting workers) then hardly count.
		input := filepath.Join(b.TempDir(), bv.resource+".ndjson")
		if err := os.WriteFile(input, bytes.Repeat(data, (32<<20)/len(data)+1), 0o644); err != nil {
			b.Fatal(err)
		}
		size := int64(((32<<20)/len(data))+1) * int64(len(data))
		b.Run(bv.name, func(b *testing.B) {
			b.SetBytes(size)
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				if _, err := runtime.Run(context.Background(), res.Views(), runtime.Options{
					Inputs: []string{input}, Format: "csv", Stdout: io.Discard, Workers: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)*float64(b.N)/1e6/(processCPU()-cpu0).Seconds(), "MB/cpu-s")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
