//go:build !linux

package ndjson

import (
	"os"
	"sync/atomic"
)

// mapping is never made outside Linux: the map depends on madvise
// (MADV_DONTNEED to keep resident memory bounded, MADV_POPULATE_READ),
// which Go's syscall package offers there only, so files are read with
// read(2) instead. The methods exist for the reader's code to compile.
type mapping struct {
	data []byte
	refs atomic.Int64
}

func mapFile(*os.File) *mapping            { return nil }
func (m *mapping) populate(start, end int) {}
func (m *mapping) release(start, end int)  {}
func (m *mapping) unref()                  {}
