//go:build linux

package ndjson

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// mapping is a read-only memory map of a whole input file. Chunks are cut
// from it without copying (reading a file through read(2) cost about a
// sixth of a run's CPU in the copy alone). Pages of released chunks are
// dropped from the process with MADV_DONTNEED, so resident memory stays
// bounded by the chunks in flight, not the file size; the map is removed
// when the reader is done with the file and every chunk is released.
type mapping struct {
	data []byte
	refs atomic.Int64

	mu      sync.Mutex
	dropped int // data[:dropped] is (page-aligned) released from the process
}

// populate maps the pages of data[start:end] in one call
// (MADV_POPULATE_READ, Linux 5.14+; elsewhere a no-op), so that the
// workers do not take a page fault every 64 kB. The reader calls it for
// each chunk it cuts.
func (m *mapping) populate(start, end int) {
	const madvPopulateRead = 22
	lo := start &^ (pageSize - 1)
	if end > lo {
		_ = syscall.Madvise(m.data[lo:end], madvPopulateRead)
	}
}

const pageSize = 4096

// mapFile maps f, or returns nil when it cannot be (not a regular file,
// empty, or the platform refuses): the caller then reads it instead.
func mapFile(f *os.File) *mapping {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 || st.Size() != int64(int(st.Size())) {
		return nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	_ = syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
	m := &mapping{data: data}
	m.refs.Store(1) // the reader's own reference
	return m
}

// release drops one chunk's reference. Chunks are released in order, so
// the pages below the chunk's end are no longer needed: they are dropped
// from the process in steps of dropBytes (one madvise per step, not per
// chunk, as each call interrupts the other cores to flush their TLBs).
func (m *mapping) release(start, end int) {
	const dropBytes = 16 << 20
	m.mu.Lock()
	hi := end &^ (pageSize - 1)
	if hi-m.dropped >= dropBytes || end == len(m.data) && hi > m.dropped {
		_ = syscall.Madvise(m.data[m.dropped:hi], syscall.MADV_DONTNEED)
		m.dropped = hi
	}
	m.mu.Unlock()
	m.unref()
}

func (m *mapping) unref() {
	if m.refs.Add(-1) == 0 {
		_ = syscall.Munmap(m.data)
		m.data = nil
	}
}
