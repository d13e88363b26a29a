package ndjson_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/runtime/ndjson"
	"github.com/fhirql/fhirql/runtime/project"
)

// BenchmarkRead measures the scanner alone over the example data: with the
// projection of the three benchmark views, validating only (no view reads
// the type), and building whole documents.
//
//	go test -bench Read -benchmem ./runtime/ndjson
func BenchmarkRead(b *testing.B) {
	paths, _ := filepath.Glob("../../examples/data/*.ndjson")
	var lines [][]byte
	var size int64
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if len(l) > 0 {
				lines = append(lines, l)
				size += int64(len(l)) + 1
			}
		}
	}
	views, _ := filepath.Glob("../../bench/views/*.json")
	res := compiler.Load(views, r4.Catalog())
	if res.Diags.HasErrors() {
		b.Fatal(res.Diags)
	}
	all := ndjson.AllFields()
	for _, bc := range []struct {
		name string
		proj ndjson.Projection
	}{
		{"views", project.Compute(res.Views())},
		{"validate", ndjson.Projection{}},
		{"whole", ndjson.Projection{"Patient": all, "Condition": all, "Encounter": all, "MedicationRequest": all, "Observation": all, "QuestionnaireResponse": all}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := ndjson.NewScanner()
			b.SetBytes(size)
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPU()
			defer func() {
				b.ReportMetric(float64(size)*float64(b.N)/1e6/(threadCPU()-cpu0).Seconds(), "MB/cpu-s")
			}()
			for i := 0; i < b.N; i++ {
				var n int
				for _, l := range lines {
					if _, _, err := s.Scan(l, bc.proj); err != nil {
						b.Fatal(err)
					}
					if n += len(l); n > 1<<20 {
						s.Reset()
						n = 0
					}
				}
				s.Reset()
			}
		})
	}
}

// threadCPU is the CPU time of the calling OS thread: unlike wall time it
// is not inflated when other processes compete for the cores.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
