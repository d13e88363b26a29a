// Package runtime runs compiled views over FHIR NDJSON: `fhirql run`.
//
// One pass over the input feeds every view. A reader cuts the inputs into
// chunks of whole lines; GOMAXPROCS workers scan each line with the
// projection the views need (runtime/project, runtime/ndjson), evaluate
// the views (runtime/eval) and encode the rows (runtime/write); a single
// merger writes the encoded chunks in input order. Chunks carry sequence
// numbers and a fixed number of tokens bounds the chunks in flight, so
// output is byte-identical whatever the number of workers and memory stays
// bounded whatever the input size.
package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/internal/outname"
	"github.com/fhirql/fhirql/runtime/eval"
	"github.com/fhirql/fhirql/runtime/ndjson"
	"github.com/fhirql/fhirql/runtime/project"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
	"github.com/fhirql/fhirql/storage"
)

// Options configure a run. The zero value of every field but Inputs is a
// sensible default.
type Options struct {
	// Inputs are NDJSON files, directories, globs, .gz files, or "-" for
	// Stdin (see ndjson.Expand).
	Inputs []string
	Stdin  io.Reader
	// Format is "csv", "ndjson" (the default), "parquet" or "cdm" (a CDM
	// folder in OutDir: CSV partitions, entity documents, a manifest).
	Format string
	// OutDir, when set, receives one file per view (<view>.<format>),
	// each written atomically. Without it the run must have exactly one
	// view, whose rows go to Stdout.
	OutDir string
	Stdout io.Writer
	// Progress, when set, receives a progress line (bytes read, rows
	// written, rate) about once a second; the CLI passes stderr when it
	// is a terminal.
	Progress io.Writer
	// MaxErrors is how many bad lines (and resources a view fails on) to
	// skip and count before failing; 0 fails at the first.
	MaxErrors int
	// MaxLineBytes is the longest accepted line (default 64 MiB).
	MaxLineBytes int
	// Workers is the number of parallel workers (default GOMAXPROCS).
	Workers int
	// ChunkBytes is the size of the unit of parallel work (default 1 MiB).
	ChunkBytes int
	// Now fixes now() and today() for the run (default: the start time).
	Now time.Time
	// Rows, when set, receives every view's rows instead of files or
	// Stdout (Format and OutDir are ignored): the view's index, where the
	// row came from, and the row, whose values are the callback's to keep.
	// It is called from one goroutine, in input order (fhirql test).
	Rows func(view int, src write.Source, row []*value.Value) error
	// Storage opens inputs and the output directory written as Azure
	// locations (storage/azure.Opener); nil refuses them. Local paths
	// never need it.
	Storage storage.Opener
	// Keep, when set, is asked about every line before it is read: the
	// input's index (in the order of ndjson.Expand over Inputs) and the
	// line's offset (ndjson.Chunk.Offset). Lines it refuses are skipped
	// unread and uncounted. runtime/state uses it to evaluate only each
	// resource's current version; it is called from several goroutines.
	Keep func(input int, offset int64) bool
}

// DefaultMaxLineBytes is the default line limit.
const DefaultMaxLineBytes = 64 << 20

// Summary reports what a run did; Run returns it even when it fails.
type Summary struct {
	Inputs    int              // input sources read
	Bytes     int64            // bytes read (decompressed)
	Lines     int64            // lines read, blank ones included
	Resources map[string]int64 // resources read, per resourceType
	Views     []ViewSummary    // in the order of the views given
	Skipped   int64            // bad lines and failed resources skipped (MaxErrors)
	Problems  []string         // the first skipped problems, for the user
	// BadLines counts the skipped bad lines (not failed resources) per
	// input name, all of them: verify lines them up with a SQL engine's
	// rejects view (docs/input.md).
	BadLines map[string]int64
	Elapsed  time.Duration
}

// ViewSummary is the result of one view.
type ViewSummary struct {
	Name string
	Rows int64
	Path string // the file written, "" for stdout or when the run failed
	// Unfit lists the columns some of whose values did not fit the
	// column's type and were written as NULL (runtime/write declared.go).
	Unfit []write.Unfit
}

// maxProblems bounds Summary.Problems.
const maxProblems = 20

// Write prints the summary for a person, as `fhirql run` does at the end.
func (s *Summary) Write(w io.Writer) {
	var b strings.Builder
	var total int64
	for _, n := range s.Resources {
		total += n
	}
	fmt.Fprintf(&b, "read %s resources (%s) from %d input(s) in %s", count(total), mb(s.Bytes), s.Inputs, s.Elapsed.Round(time.Millisecond))
	if secs := s.Elapsed.Seconds(); secs > 0 {
		fmt.Fprintf(&b, ", %.0f MB/s", float64(s.Bytes)/1e6/secs)
	}
	b.WriteString("\n")
	for _, t := range sortedKeys(s.Resources) {
		fmt.Fprintf(&b, "  %-24s %12s\n", t, count(s.Resources[t]))
	}
	for _, v := range s.Views {
		fmt.Fprintf(&b, "view %-24s %12s rows", v.Name, count(v.Rows))
		if v.Path != "" {
			fmt.Fprintf(&b, "  -> %s", v.Path)
		}
		b.WriteString("\n")
		for _, u := range v.Unfit {
			fmt.Fprintf(&b, "  column %s: %s value(s) did not fit %s and were written as NULL\n", u.Column, count(u.N), u.Rule)
		}
	}
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "skipped %s bad line(s) or failed resource(s):\n", count(s.Skipped))
		for _, p := range s.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
		if int64(len(s.Problems)) < s.Skipped {
			fmt.Fprintf(&b, "  ... and %s more\n", count(s.Skipped-int64(len(s.Problems))))
		}
	}
	io.WriteString(w, b.String())
}

func count(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func mb(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f kB", float64(n)/1e3)
}

// LineError is a bad input line: not JSON, not an object, no
// resourceType, or too long.
type LineError struct {
	File string
	Line int64
	Err  *ndjson.LineError
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// ViewError is a view that failed on one resource: the evaluator's error
// (several values in a non-collection column, say) or a value the output
// format cannot hold, with the resource and its position.
type ViewError struct {
	View, Column string
	Resource     string // "Patient/123"
	File         string
	Line         int64
	Msg          string
}

func (e *ViewError) Error() string {
	where := "view " + e.View
	if e.Column != "" {
		where += ", column " + e.Column
	}
	return fmt.Sprintf("%s:%d: %s failed on %s: %s", e.File, e.Line, where, e.Resource, e.Msg)
}

// hint completes a fatal problem into the one-paragraph message Run returns.
func hint(err error, maxErrors int) error {
	var le *LineError
	if errors.As(err, &le) {
		what := "Fix or remove the line"
		if le.Err.Kind == ndjson.TooLong {
			what = "Raise the line limit if the resource is genuine"
		}
		return fmt.Errorf("%w. %s, or let the run skip bad lines (--max-errors N; %d allowed now)", err, what, maxErrors)
	}
	var ve *ViewError
	if errors.As(err, &ve) {
		return fmt.Errorf("%w. Fix the view (a non-collection column must yield at most one value; use first() or mark it a collection) or the resource, or let the run skip failing resources (--max-errors N; %d allowed now)", err, maxErrors)
	}
	return err
}

// Run evaluates views over opts.Inputs and writes their rows. It returns
// the summary (also on failure) and an error naming the input position and
// what to do when the run fails; a failed run leaves no output file
// changed.
func Run(ctx context.Context, views []*plan.View, opts Options) (*Summary, error) {
	start := time.Now()
	sum := &Summary{Resources: map[string]int64{}}
	defer func() { sum.Elapsed = time.Since(start) }()
	for _, v := range views {
		sum.Views = append(sum.Views, ViewSummary{Name: v.Name})
	}
	r, err := newRun(ctx, views, opts)
	if err != nil {
		return sum, err
	}
	sum.Inputs = len(r.reader.Inputs())
	err = r.run(ctx, sum)
	if err != nil {
		r.abort()
		return sum, err
	}
	if err := r.commit(sum); err != nil {
		r.abort()
		return sum, err
	}
	return sum, nil
}

type run struct {
	opts     Options
	views    []*plan.View
	progs    []*eval.Program
	writers  []write.Writer
	files    []storage.Writer
	bufs     []*bufio.Writer // Parquet's buffers in front of files
	stdout   *bufio.Writer
	byType   map[string][]int // resourceType -> views
	proj     ndjson.Projection
	reader   *ndjson.Reader
	workers  int
	maxLine  int
	rowsDone atomic.Int64
}

func newRun(ctx context.Context, views []*plan.View, opts Options) (*run, error) {
	if len(views) == 0 {
		return nil, errors.New("no view to run")
	}
	if opts.Format == "" || opts.Rows != nil {
		opts.Format = "ndjson"
	}
	known := false
	for _, f := range write.Formats {
		known = known || f == opts.Format
	}
	if !known {
		return nil, fmt.Errorf("unknown output format %q: use one of %s", opts.Format, strings.Join(write.Formats, ", "))
	}
	if opts.OutDir == "" && opts.Format == "cdm" && opts.Rows == nil {
		return nil, errors.New("a CDM folder is a directory: pass --out DIR")
	}
	if opts.OutDir == "" && len(views) > 1 && opts.Rows == nil {
		return nil, fmt.Errorf("%d views write to standard output only one at a time: pass --out DIR to get one file per view", len(views))
	}
	names := map[string]bool{}
	for _, v := range views {
		if names[v.Name] {
			return nil, fmt.Errorf("two views are named %q; their output files would collide: rename one", v.Name)
		}
		names[v.Name] = true
	}
	// A view name may hold any character (`../x`, `a/b`): outname keeps
	// every file inside OutDir and distinct.
	viewNames := make([]string, len(views))
	for i, v := range views {
		viewNames[i] = v.Name
	}
	files := outname.Files(viewNames, write.Ext(opts.Format))
	inputs, err := expandInputs(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	r := &run{opts: opts, views: views, byType: map[string][]int{}}
	r.workers = opts.Workers
	if r.workers <= 0 {
		r.workers = goruntime.GOMAXPROCS(0)
	}
	r.maxLine = opts.MaxLineBytes
	if r.maxLine <= 0 {
		r.maxLine = DefaultMaxLineBytes
	}
	for i, v := range views {
		p, err := eval.CompileWith(v, eval.Options{Now: opts.Now})
		if err != nil {
			return nil, fmt.Errorf("view %s cannot be evaluated: %v", v.Name, err)
		}
		r.progs = append(r.progs, p)
		r.byType[v.Resource] = append(r.byType[v.Resource], i)
	}
	r.proj = project.Compute(views)
	r.reader = ndjson.NewReader(inputs, opts.ChunkBytes, r.maxLine)
	// Outputs last, so that a setup error leaves nothing behind.
	if opts.Rows != nil {
		for i := range views {
			r.writers = append(r.writers, write.NewSink(i, opts.Rows))
		}
		return r, nil
	}
	if opts.OutDir != "" {
		store, dir, err := outputStore(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i, v := range views {
			name := files[i]
			if opts.Format == "cdm" {
				name = write.CDMPartition(v) // data/Local<view>/partition-data.csv
			}
			f, err := store.Create(ctx, storage.Join(dir, dir.Path, name))
			if err != nil {
				r.abort()
				return nil, err
			}
			r.files = append(r.files, f)
			var out io.Writer = f // CSV and NDJSON write whole batches
			var buf *bufio.Writer
			if opts.Format == "parquet" {
				buf = bufio.NewWriterSize(f, 1<<20) // Parquet writes small pieces
				out = buf
			}
			r.bufs = append(r.bufs, buf)
			w, err := write.New(opts.Format, v, out)
			if err != nil {
				r.abort()
				return nil, err
			}
			r.writers = append(r.writers, w)
		}
	} else {
		out := opts.Stdout
		if out == nil {
			out = os.Stdout
		}
		r.stdout = bufio.NewWriterSize(out, 1<<20)
		var wout io.Writer = r.stdout // Parquet writes small pieces
		if opts.Format != "parquet" {
			wout = out // CSV and NDJSON write whole batches
		}
		w, err := write.New(opts.Format, views[0], wout)
		if err != nil {
			return nil, err
		}
		r.writers = append(r.writers, w)
	}
	return r, nil
}

func (r *run) abort() {
	for _, f := range r.files {
		f.Abort()
	}
	if r.stdout != nil {
		r.stdout.Flush()
	}
	r.reader.Close()
}

func (r *run) commit(sum *Summary) error {
	for i, w := range r.writers {
		if err := w.Close(); err != nil {
			return fmt.Errorf("writing view %s: %v", r.views[i].Name, err)
		}
	}
	if r.stdout != nil {
		if err := r.stdout.Flush(); err != nil {
			return fmt.Errorf("writing to standard output: %v", err)
		}
	}
	for i, f := range r.files {
		if b := r.bufs[i]; b != nil {
			if err := b.Flush(); err != nil {
				return fmt.Errorf("cannot write %s: %v", f.Name(), err)
			}
		}
		if err := f.Commit(); err != nil {
			return err
		}
		sum.Views[i].Path = f.Name()
	}
	if r.opts.Format == "cdm" {
		return write.WriteCDMMetadata(r.opts.OutDir, r.views)
	}
	return nil
}

// batch is one chunk on its way through the pipeline.
type batch struct {
	seq      int64
	input    int // the chunk's input
	chunk    *ndjson.Chunk
	out      []write.Buffer // per view
	counts   map[string]int64
	problems []error // in line order; line numbers relative to the chunk
	lines    int64   // lines in the chunk
}

// ballast raises the garbage collector's heap goal once a process runs
// views. A run's live heap is small (the chunks in flight and their
// values), so with the default GOGC the collector would run every few
// megabytes of row allocations, and its write barriers slow the scanner
// while it does. The ballast holds no pointers and is never written, so
// it costs address space, not resident memory (it is allocated once:
// reallocating it per run would have the allocator zero reused pages).
var (
	ballastOnce sync.Once
	ballast     []byte
)

const ballastBytes = 64 << 20

func (r *run) run(ctx context.Context, sum *Summary) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ballastOnce.Do(func() { ballast = make([]byte, ballastBytes) })

	// Chunks in flight: enough that a worker never waits for the merger
	// (2 per worker measured slower on two cores), few enough to bound
	// memory (each holds at most a chunk of input and its encoded rows).
	inflight := 4*r.workers + 4
	tokens := make(chan *batch, inflight)
	for i := 0; i < inflight; i++ {
		tokens <- &batch{out: make([]write.Buffer, len(r.views)), counts: map[string]int64{}}
	}
	work := make(chan *batch, inflight)
	results := make(chan *batch, inflight)

	var readErr error
	go func() {
		defer close(work)
		debug.SetPanicOnFault(true)
		var seq int64
		for {
			var b *batch
			select {
			case b = <-tokens:
			case <-ctx.Done():
				return
			}
			c, err := nextChunk(r.reader)
			if err == io.EOF {
				return
			}
			if err != nil {
				readErr = err
				b.seq, b.chunk, b.input = seq, nil, -1
				b.problems = append(b.problems[:0], err)
				work <- b
				return
			}
			b.seq, b.chunk, b.input = seq, c, c.Input
			seq++
			select {
			case work <- b:
			case <-ctx.Done():
				r.reader.Release(c)
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for i := 0; i < r.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			debug.SetPanicOnFault(true)
			w := newWorker(r)
			for b := range work {
				if b.chunk != nil && ctx.Err() == nil {
					w.safeProcess(b)
				}
				results <- b
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	stopProgress := r.progress(ctx)
	defer stopProgress()

	pending := map[int64]*batch{}
	var next int64
	var fatal error
	lineBase := lineCounter{input: -1}
	for b := range results {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if fatal == nil {
				lineBase.fix(b)
				if err := r.merge(b, sum); err != nil {
					fatal = err
					cancel()
				}
			}
			if b.chunk != nil {
				r.reader.Release(b.chunk)
				b.chunk = nil
			}
			for i := range b.out {
				b.out[i].Reset()
			}
			clear(b.counts)
			b.problems = b.problems[:0]
			tokens <- b
		}
	}
	sum.Bytes = r.reader.BytesRead()
	if fatal != nil {
		return fatal
	}
	if readErr != nil {
		return readErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A cancelled parent context also ends the loop early.
	return nil
}

// lineCounter turns the chunk-relative line numbers of problems into
// line numbers of the input, chunk by chunk in input order.
type lineCounter struct {
	input int
	base  int64
}

func (lc *lineCounter) fix(b *batch) {
	if b.input != lc.input {
		lc.input, lc.base = b.input, 0
	}
	for _, p := range b.problems {
		switch e := p.(type) {
		case *LineError:
			e.Line += lc.base
		case *ViewError:
			e.Line += lc.base
		}
	}
	for i := range b.out {
		for j := range b.out[i].Recs {
			b.out[i].Recs[j].Src.Line += lc.base
		}
	}
	lc.base += b.lines
}

// resourceID is a resource's id, or "(no id)".
func resourceID(res *value.Value) string {
	if v := res.Get("id"); v != nil && v.Kind == value.String {
		return strings.Clone(v.Str)
	}
	return "(no id)"
}

// merge accounts for one batch, in input order, and writes its rows.
func (r *run) merge(b *batch, sum *Summary) error {
	for _, p := range b.problems {
		var le *LineError
		var ve *ViewError
		if !errors.As(p, &le) && !errors.As(p, &ve) {
			return p // an input that cannot be read
		}
		if sum.Skipped >= int64(r.opts.MaxErrors) {
			return hint(p, r.opts.MaxErrors) // stopped on it: not skipped
		}
		sum.Skipped++
		if le != nil {
			if sum.BadLines == nil {
				sum.BadLines = map[string]int64{}
			}
			sum.BadLines[le.File]++
		}
		if len(sum.Problems) < maxProblems {
			sum.Problems = append(sum.Problems, p.Error())
		}
	}
	for i := range b.out {
		if err := r.writers[i].Write(&b.out[i]); err != nil {
			return fmt.Errorf("writing view %s: %v", r.views[i].Name, err)
		}
		sum.Views[i].Rows += int64(b.out[i].N)
		if b.out[i].Unfit != nil {
			sum.Views[i].Unfit = write.AddUnfit(sum.Views[i].Unfit, r.views[i], b.out[i].Unfit)
		}
		r.rowsDone.Add(int64(b.out[i].N))
	}
	for t, n := range b.counts {
		if _, ok := sum.Resources[t]; !ok {
			t = strings.Clone(t)
		}
		sum.Resources[t] += n
	}
	sum.Lines += b.lines
	return nil
}

// progressEvery is the interval of progress lines (shorter in tests).
var progressEvery = time.Second

// progress prints a progress line about once a second until stopped.
func (r *run) progress(ctx context.Context) func() {
	w := r.opts.Progress
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		printed := false
		for {
			select {
			case <-t.C:
				n := r.reader.BytesRead()
				secs := time.Since(start).Seconds()
				fmt.Fprintf(w, "\rread %s, %s rows written, %.0f MB/s   ", mb(n), count(r.rowsDone.Load()), float64(n)/1e6/secs)
				printed = true
			case <-done:
				if printed {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-ctx.Done():
				if printed {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// worker owns a scanner and the per-view emit functions.
type worker struct {
	r     *run
	s     *ndjson.Scanner
	b     *batch
	emits []func(eval.Row) error
	types map[string]string // interned resource types
}

func newWorker(r *run) *worker {
	w := &worker{r: r, s: ndjson.NewScanner(), types: map[string]string{}}
	w.s.Bind(r.proj)
	for i := range r.views {
		i := i
		wr := r.writers[i]
		w.emits = append(w.emits, func(row eval.Row) error {
			return wr.Append(&w.b.out[i], row)
		})
	}
	return w
}

// faultError turns a memory fault on a mapped input (the file shrank
// while being read) into an error instead of a crash.
func faultError(e any, name string) error {
	if re, ok := e.(goruntime.Error); ok && strings.Contains(re.Error(), "fault") {
		return fmt.Errorf("input %s changed while it was being read (%v): run again on a file that is not being written", name, re)
	}
	panic(e)
}

func nextChunk(rd *ndjson.Reader) (c *ndjson.Chunk, err error) {
	defer func() {
		if e := recover(); e != nil {
			err = faultError(e, "file")
		}
	}()
	return rd.Next()
}

func (w *worker) safeProcess(b *batch) {
	defer func() {
		if e := recover(); e != nil {
			b.problems = append(b.problems[:0], faultError(e, b.chunk.Name))
		}
	}()
	w.process(b)
}

func (w *worker) process(b *batch) {
	w.b = b
	defer func() { w.s.Reset(); w.b = nil }()
	r := w.r
	c := b.chunk
	stop := r.opts.MaxErrors == 0
	if c.TooLong && r.opts.Keep != nil && !r.opts.Keep(c.Input, c.Offset) {
		b.lines = 1
		return
	}
	if c.TooLong {
		b.problems = append(b.problems, &LineError{File: c.Name, Line: 1, Err: &ndjson.LineError{Kind: ndjson.TooLong,
			Msg: fmt.Sprintf("more than the limit of %d bytes", r.maxLine)}})
		b.lines = 1
		return
	}
	data := c.Data
	var n int64 // the current line, relative to the chunk
	var curT string
	var curN int64
	var curViews []int
	defer func() {
		if curN > 0 {
			b.counts[curT] += curN
		}
	}()
	for len(data) > 0 {
		n++
		if keep := r.opts.Keep; keep != nil && !keep(c.Input, c.Offset+int64(len(c.Data)-len(data))) {
			if end := bytes.IndexByte(data, '\n'); end >= 0 {
				data = data[end+1:]
			} else {
				data = nil
			}
			continue
		}
		res, rt, size, err := w.s.ScanNext(data)
		if err != nil {
			end := bytes.IndexByte(data, '\n')
			line := data
			if end >= 0 {
				line, data = data[:end], data[end+1:]
			} else {
				data = nil
			}
			if blank(line) {
				continue
			}
			if len(bytes.TrimSuffix(line, []byte{'\r'})) > r.maxLine {
				err = &ndjson.LineError{Kind: ndjson.TooLong,
					Msg: fmt.Sprintf("%d bytes, more than the limit of %d bytes", len(line), r.maxLine)}
			}
			le, _ := err.(*ndjson.LineError)
			if le == nil {
				le = &ndjson.LineError{Kind: ndjson.BadJSON, Msg: err.Error()}
			}
			b.problems = append(b.problems, &LineError{File: c.Name, Line: n, Err: le})
			if stop {
				break
			}
			continue
		}
		line := data[:size]
		data = data[size:]
		if l := lineLen(line); l > r.maxLine {
			b.problems = append(b.problems, &LineError{File: c.Name, Line: n, Err: &ndjson.LineError{Kind: ndjson.TooLong,
				Msg: fmt.Sprintf("%d bytes, more than the limit of %d bytes", l, r.maxLine)}})
			if stop {
				break
			}
			continue
		}
		// Lines of one type come in runs (an export has a file per
		// type): count a run locally, and look the type up only when it
		// changes.
		if rt != curT {
			if curN > 0 {
				b.counts[curT] += curN
				curN = 0
			}
			t, ok := w.types[rt]
			if !ok {
				t = strings.Clone(rt)
				w.types[t] = t
			}
			curT, curViews = t, r.byType[t]
		}
		curN++
		if res == nil {
			continue
		}
		failed := false
		var src write.Source
		if r.opts.Rows != nil {
			src = write.Source{File: c.Name, Line: n, Key: curT + "/" + resourceID(res)}
		}
		for _, vi := range curViews {
			b.out[vi].Src = src
			mark := b.out[vi].Mark()
			if err := r.progs[vi].EvalShared(res, w.emits[vi]); err != nil {
				b.out[vi].Truncate(mark)
				b.problems = append(b.problems, w.viewError(vi, res, curT, c.Name, n, err))
				failed = true
			}
		}
		// The rows are encoded: nothing refers to the resource's values
		// any more, and reusing their memory right away keeps it cached.
		w.s.Reset()
		if failed && stop {
			break
		}
	}
	// Lines not reached after a stop do not matter: the run fails.
	b.lines = n
}

func (w *worker) viewError(vi int, res *value.Value, typ, file string, line int64, err error) error {
	ve := &ViewError{View: w.r.views[vi].Name, File: file, Line: line, Msg: err.Error()}
	ve.Resource = typ + "/" + resourceID(res)
	var ee *eval.Error
	var ce *write.CellError
	switch {
	case errors.As(err, &ee):
		ve.Column, ve.Msg = ee.Column, ee.Message
	case errors.As(err, &ce):
		ve.Column, ve.Msg = ce.Column, ce.Msg
	}
	return ve
}

// lineLen is the length of a line without its "\n" or "\r\n".
func lineLen(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return n
}

func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
