package write

import (
	"github.com/fhirql/fhirql/runtime/value"
)

// Source says where a row came from: the input file, the line (1-based)
// and the resource key ("Patient/p1"), so a consumer can point the user at
// the data behind a row (fhirql test's examples).
type Source struct {
	File string
	Line int64
	Key  string
}

// Record is one row with its source.
type Record struct {
	Src Source
	Row []*value.Value
}

// Sink hands a view's rows to a function instead of encoding them: Append
// keeps a deep copy of each row with the buffer's current Source, and
// Write passes them on in input order, from one goroutine.
type Sink struct {
	view int
	fn   func(view int, src Source, row []*value.Value) error
}

// NewSink returns a Writer that calls fn for every row of view number view.
func NewSink(view int, fn func(view int, src Source, row []*value.Value) error) *Sink {
	return &Sink{view: view, fn: fn}
}

// Append implements Writer.
func (s *Sink) Append(buf *Buffer, row []*value.Value) error {
	cp := make([]*value.Value, len(row))
	for i, v := range row {
		cp[i] = value.Clone(v)
	}
	buf.Recs = append(buf.Recs, Record{Src: buf.Src, Row: cp})
	buf.N++
	return nil
}

// Write implements Writer.
func (s *Sink) Write(buf *Buffer) error {
	for _, r := range buf.Recs {
		if err := s.fn(s.view, r.Src, r.Row); err != nil {
			return err
		}
	}
	return nil
}

// Close implements Writer.
func (s *Sink) Close() error { return nil }
