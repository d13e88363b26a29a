// Command scale builds a benchmark corpus of any size from real FHIR NDJSON
// (by default the project's examples/data); see package bench/scale for
// the rules.
//
//	go run ./bench/cmd/scale -out bench/corpus -mb 200
//	go run ./bench/cmd/scale -out /tmp/c -types Patient,Condition -copies 3
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/fhirql/fhirql/bench/scale"
)

func main() {
	src := flag.String("src", "examples/data", "directory of source *.ndjson files (searched recursively)")
	out := flag.String("out", "", "output directory (required)")
	mb := flag.Float64("mb", 200, "target size of each output file, MB (1e6 bytes)")
	copies := flag.Int("copies", 0, "exact number of copies of every type (overrides -mb)")
	types := flag.String("types", "Patient,Condition,Encounter", "resource types to keep (comma-separated; empty for all)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "scale: -out DIR is required")
		os.Exit(2)
	}
	var ts []string
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			ts = append(ts, t)
		}
	}
	err := scale.Scale(scale.Options{Src: *src, Out: *out, MB: *mb, Copies: *copies, Types: ts, Log: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}
