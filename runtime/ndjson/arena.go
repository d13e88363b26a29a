package ndjson

// slab hands out slices of T from large chunks, so that building a
// projected resource costs a few pointer bumps instead of one heap
// allocation per node. Chunks are reused after reset; a handed-out slice
// is never moved, so pointers into it stay valid until then.
type slab[T any] struct {
	chunks [][]T
	ci     int // current chunk
	pos    int // next free index in chunks[ci]
	size   int // default chunk length
}

func (s *slab[T]) alloc(n int) []T {
	for {
		if s.ci < len(s.chunks) {
			c := s.chunks[s.ci]
			if s.pos+n <= len(c) {
				r := c[s.pos : s.pos+n : s.pos+n]
				s.pos += n
				return r
			}
			if s.ci+1 < len(s.chunks) || n <= s.size {
				s.ci++
				s.pos = 0
				if s.ci < len(s.chunks) {
					continue
				}
			}
		}
		size := s.size
		if n > size {
			size = n
		}
		s.chunks = append(s.chunks, make([]T, size))
		s.ci = len(s.chunks) - 1
		s.pos = 0
	}
}

// reset makes every chunk available again. Used parts are not cleared
// (they are overwritten before being handed out again): stale values keep
// at most the reader's pooled buffers reachable until then, and clearing
// cost several percent of a run.
func (s *slab[T]) reset() {
	s.ci, s.pos = 0, 0
}
