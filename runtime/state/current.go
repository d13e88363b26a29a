package state

import (
	"context"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
)

// Stats reports what the first pass found.
type Stats struct {
	Exports    int
	Versions   int64 // resource lines read
	Deletions  int64 // deletion entries read
	Ids        int   // resource types and ids with a version
	Current    int64 // of those, present (not deleted)
	IndexBytes int64 // heap in use after the first pass (Go runtime's figure)
	KeyScan    time.Duration
}

// Write prints the stats for a person, as `fhirql run --export` does.
func (s *Stats) Write(w io.Writer) {
	fmt.Fprintf(w, "exports: %d; %d resource version(s) and %d deletion(s) read in %s; %d id(s), %d current, %d superseded version(s) and %d deleted id(s) left out\n",
		s.Exports, s.Versions, s.Deletions, s.KeyScan.Round(time.Millisecond), s.Ids, s.Current, s.Versions-int64(s.Ids), int64(s.Ids)-s.Current)
	fmt.Fprintf(w, "key index: %.0f MB of heap after the first pass\n", float64(s.IndexBytes)/1e6)
}

// Plan is the result of the first pass: the exports' output files in the
// order the second pass reads them, and the positions of their current
// versions.
type Plan struct {
	Inputs  []string
	winners []uint64
	Stats   Stats
	index   *Index
}

// Keep is the runtime.Options.Keep of the second pass.
func (p *Plan) Keep(input int, offset int64) bool {
	pos := uint64(input)<<offsetBits | uint64(offset)
	_, ok := sort.Find(len(p.winners), func(i int) int {
		switch w := p.winners[i]; {
		case pos < w:
			return -1
		case pos > w:
			return 1
		}
		return 0
	})
	return ok
}

// Prepare runs the first pass over exports (in command-line order, which
// breaks ties the rule leaves): it reads every deletion list and the key
// and version facts of every resource line. maxErrors and maxLine are
// those of the run (bad lines are reported here, once).
func Prepare(ctx context.Context, exports []*Export, maxErrors, maxLine int) (*Plan, error) {
	start := time.Now()
	x := NewIndex()
	var inputs []string
	var export []int32
	var prev time.Time
	for _, e := range exports {
		e.at = e.TransactionTime
		if e.at.IsZero() {
			e.at = prev
		}
		prev = e.at
	}
	for i, e := range exports {
		for _, f := range e.Output {
			inputs = append(inputs, f)
			export = append(export, int32(i))
		}
	}
	for i, e := range exports {
		for _, f := range e.Deleted {
			if err := x.readDeleted(f, int32(i), e); err != nil {
				return nil, err
			}
		}
	}
	if maxLine <= 0 {
		maxLine = runtime.DefaultMaxLineBytes
	}
	if len(inputs) > 0 {
		if err := x.scanOutputs(ctx, inputs, export, exports, maxErrors, maxLine); err != nil {
			return nil, err
		}
	}
	p := &Plan{Inputs: inputs, index: x}
	p.winners = x.Winners()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	p.Stats = Stats{Exports: len(exports), Versions: x.Versions, Deletions: x.Deletions, Ids: x.Len(),
		Current: int64(len(p.winners)), IndexBytes: int64(ms.HeapAlloc), KeyScan: time.Since(start)}
	return p, nil
}

// Release drops the index, keeping only the winners the second pass needs.
func (p *Plan) Release() { p.index = nil }

// Run evaluates views over the current state of exports: Prepare, then
// runtime.Run over the exports' output files keeping only current
// versions. Each view's rows end with KeyColumn. opts.Inputs and opts.Keep are set here; bad lines found by the
// first pass are in the summary.
func Run(ctx context.Context, views []*plan.View, exports []*Export, opts runtime.Options) (*runtime.Summary, *Stats, error) {
	p, err := Prepare(ctx, exports, opts.MaxErrors, opts.MaxLineBytes)
	if err != nil {
		return &runtime.Summary{Resources: map[string]int64{}}, nil, err
	}
	// Only the winners go on to the second pass: the index's memory is
	// returned before it starts.
	skipped, badLines, problems := p.index.Skipped, p.index.BadLines, p.index.Problems
	p.Release()
	goruntime.GC()
	debug.FreeOSMemory()
	if len(p.Inputs) == 0 {
		return &runtime.Summary{Resources: map[string]int64{}}, &p.Stats, fmt.Errorf("the exports hold no resource files, only deletion lists: give at least one export with output files")
	}
	opts.Inputs = p.Inputs
	opts.Stdin = nil
	opts.Keep = p.Keep
	opts.MaxErrors -= int(skipped) // one budget for both passes
	sum, err := runtime.Run(ctx, withKeys(views), opts)
	if sum != nil && skipped > 0 {
		sum.Skipped += skipped
		if sum.BadLines == nil {
			sum.BadLines = map[string]int64{}
		}
		for f, n := range badLines {
			sum.BadLines[f] += n
		}
		sum.Problems = append(problems, sum.Problems...)
	}
	return sum, &p.Stats, err
}
