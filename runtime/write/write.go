// Package write turns a view's rows into CSV, NDJSON or Parquet, or a CDM
// folder (CSV partitions described by CDM entity documents and a manifest,
// cdm.go).
//
// Encoding is split from writing so that the run's workers encode rows in
// parallel (Append is safe for concurrent use and keeps no state), while
// one goroutine writes the encoded batches in input order (Write), which
// is what keeps output byte-identical whatever the number of workers.
// Files are written through Atomic, so a failed run never leaves a
// half-written file where a good one was.
package write

import (
	"fmt"
	"io"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/parquet-go/parquet-go"
)

// Formats lists the output formats by name.
var Formats = []string{"csv", "ndjson", "parquet", "cdm"}

// Ext returns a format's file extension (with the dot); a CDM folder's
// partitions are CSV files.
func Ext(format string) string {
	if format == "cdm" {
		return ".csv"
	}
	return "." + format
}

// Buffer holds the encoded rows of one batch for one view.
type Buffer struct {
	Bytes []byte        // CSV and NDJSON
	Rows  []parquet.Row // Parquet; values own their bytes
	N     int           // rows in the buffer
	// Unfit counts, per column, the values that did not fit the column's
	// type and were written as NULL (declared.go); nil when none.
	Unfit []int64
	// Src is where the rows being appended come from, and Recs the rows a
	// Sink keeps (sink.go); both are used only when a run has a sink.
	Src  Source
	Recs []Record
}

// Reset empties the buffer, keeping its memory.
func (b *Buffer) Reset() {
	b.Bytes = b.Bytes[:0]
	clear(b.Rows)
	b.Rows = b.Rows[:0]
	b.N = 0
	clear(b.Unfit)
	clear(b.Recs)
	b.Recs = b.Recs[:0]
}

// Mark is a position in a Buffer, to drop the rows of a resource that
// failed halfway (Truncate).
type Mark struct{ bytes, rows, recs, n int }

// Mark returns the current end of the buffer.
func (b *Buffer) Mark() Mark { return Mark{len(b.Bytes), len(b.Rows), len(b.Recs), b.N} }

// Truncate drops everything appended after m.
func (b *Buffer) Truncate(m Mark) {
	b.Bytes = b.Bytes[:m.bytes]
	clear(b.Rows[m.rows:])
	b.Rows = b.Rows[:m.rows]
	clear(b.Recs[m.recs:])
	b.Recs = b.Recs[:m.recs]
	b.N = m.n
}

// Writer writes one view's rows in one format.
type Writer interface {
	// Append encodes row (one cell per view column; nil is NULL) at the
	// end of buf. It is safe for concurrent use with different buffers.
	// The row's values may be reused after it returns.
	Append(buf *Buffer, row []*value.Value) error
	// Write writes an encoded batch; batches must come in output order.
	Write(buf *Buffer) error
	// Close finishes the output (a Parquet footer) without closing the
	// underlying writer.
	Close() error
}

// New returns a writer of v's rows to w. The header (CSV) is written now.
func New(format string, v *plan.View, w io.Writer) (Writer, error) {
	switch format {
	case "csv", "cdm":
		return newCSV(v, w)
	case "ndjson", "":
		return newNDJSON(v, w), nil
	case "parquet":
		return newParquet(v, w)
	}
	return nil, fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// CellError is a value that the output format cannot represent in its
// column (a Parquet column typed boolean receiving a string, say).
type CellError struct {
	Column string
	Msg    string
}

func (e *CellError) Error() string { return "column " + e.Column + ": " + e.Msg }
