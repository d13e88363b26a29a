package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/ndjson"
)

// Engine runs views over NDJSON inputs. The runtime is one; the SQL engines
// (verify/duckdbengine, verify/mssqlengine) run the SQL the compiler emits
// for them.
type Engine interface {
	// Name identifies the engine in reports ("runtime", "duckdb", "sqlserver").
	Name() string
	// Run evaluates one view over the inputs. An error means the view
	// failed as a whole (a several-values column, a bad input line, an
	// engine that rejects the SQL); it is reported, never compared as rows.
	Run(ctx context.Context, v *plan.View, inputs []string) (*Table, error)
	// Close releases the engine's resources (connections, loaded tables).
	Close() error
}

// Files expands inputs as the runtime does (files, directories, globs,
// .gz), so that a SQL engine reads exactly the files the runtime reads.
// Standard input cannot be read twice and is refused.
func Files(inputs []string) ([]string, error) {
	for _, in := range inputs {
		if in == "-" {
			return nil, errors.New("verify reads its input twice (runtime and engine), so it cannot read standard input: save it to a file")
		}
	}
	ins, err := ndjson.Expand(inputs, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range ins {
		out = append(out, in.Name)
	}
	return out, nil
}

// Runtime is the embedded runtime (package runtime) as an Engine: the
// reference every SQL engine is compared with. It goes through runtime.Run
// and its NDJSON writer, the same path as `fhirql run`.
type Runtime struct {
	// Now fixes now() and today(); the zero value is the time of each run.
	Now time.Time
	// MaxErrors is the runtime's --max-errors: bad lines (and failing
	// resources) skipped before a run fails.
	MaxErrors int
	// BadLines is what the last successful run skipped: bad lines per
	// input (runtime.Summary.BadLines), for CompareLines.
	BadLines map[string]int64
}

// Name implements Engine.
func (*Runtime) Name() string { return "runtime" }

// Close implements Engine.
func (*Runtime) Close() error { return nil }

// Run implements Engine.
func (r *Runtime) Run(ctx context.Context, v *plan.View, inputs []string) (*Table, error) {
	var out bytes.Buffer
	sum, err := runtime.Run(ctx, []*plan.View{v}, runtime.Options{
		Inputs:    inputs,
		Format:    "ndjson",
		Stdout:    &out,
		Now:       r.Now,
		MaxErrors: r.MaxErrors,
	})
	if err != nil {
		return nil, err
	}
	r.BadLines = sum.BadLines
	return ParseNDJSON(v, out.Bytes())
}

// ParseNDJSON reads rows written as NDJSON objects (the runtime's output
// format) into a table with the view's columns; numbers keep their text.
func ParseNDJSON(v *plan.View, data []byte) (*Table, error) {
	t := NewTable(v)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("output line %d: %v", line, err)
		}
		row := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			row[i] = m[c]
		}
		t.Rows = append(t.Rows, row)
	}
	return t, sc.Err()
}

// Result is the verification of one view.
type Result struct {
	View *plan.View
	// Reference and Engine are the two tables (nil when that side failed).
	Reference, Engine *Table
	// ReferenceErr and EngineErr are the failures of each side.
	ReferenceErr, EngineErr error
	// Diff compares the rows when both sides ran.
	Diff *Diff
	// CompareErr is a cell that does not fit its column's type.
	CompareErr error
	// ReferenceTime and EngineTime are how long each side took.
	ReferenceTime, EngineTime time.Duration
}

// OK reports whether the two engines agree: the same rows, or both failed.
func (r *Result) OK() bool {
	if r.ReferenceErr != nil || r.EngineErr != nil {
		return r.ReferenceErr != nil && r.EngineErr != nil
	}
	return r.CompareErr == nil && r.Diff != nil && r.Diff.Equal()
}

// Verify runs one view on both engines over the same inputs and compares.
func Verify(ctx context.Context, ref, eng Engine, v *plan.View, inputs []string) *Result {
	res := &Result{View: v}
	start := time.Now()
	res.Reference, res.ReferenceErr = ref.Run(ctx, v, inputs)
	res.ReferenceTime = time.Since(start)
	start = time.Now()
	res.Engine, res.EngineErr = eng.Run(ctx, v, inputs)
	res.EngineTime = time.Since(start)
	if res.ReferenceErr == nil && res.EngineErr == nil {
		res.Diff, res.CompareErr = Compare(ref.Name(), res.Reference, eng.Name(), res.Engine)
	}
	return res
}

// Write reports one result for a person: the row counts, then the first
// differing rows (up to max per side) or each side's error.
func (r *Result) Write(b *strings.Builder, refName, engName string, max int) {
	name := r.View.Name
	switch {
	case r.ReferenceErr != nil && r.EngineErr != nil:
		fmt.Fprintf(b, "view %s: both engines fail (as they should agree):\n  %s: %v\n  %s: %v\n", name, refName, oneLine(r.ReferenceErr), engName, oneLine(r.EngineErr))
	case r.ReferenceErr != nil:
		fmt.Fprintf(b, "view %s: DIFFERENT: %s fails, %s gives %d rows\n  %s: %v\n", name, refName, engName, len(r.Engine.Rows), refName, oneLine(r.ReferenceErr))
	case r.EngineErr != nil:
		fmt.Fprintf(b, "view %s: DIFFERENT: %s gives %d rows, %s fails\n  %s: %v\n", name, refName, len(r.Reference.Rows), engName, engName, oneLine(r.EngineErr))
	case r.CompareErr != nil:
		fmt.Fprintf(b, "view %s: DIFFERENT: %v\n", name, r.CompareErr)
	case r.Diff.Equal():
		fmt.Fprintf(b, "view %s: ", name)
		r.Diff.Write(b, max)
	default:
		fmt.Fprintf(b, "view %s: DIFFERENT: ", name)
		r.Diff.Write(b, max)
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "\n    ")
}
