package ndjson

import (
	"math/bits"
	"math/rand"
	"testing"
)

// TestStops checks stops against a byte-by-byte reference: no flag when
// no byte ends a plain run, else the lowest flag on the first that does.
// Words are drawn from the bytes around each boundary (so that borrows
// between neighbours happen) and at random.
func TestStops(t *testing.T) {
	edge := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0x81, 0xa2, 0xdc, 0xff, 'a'}
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 2_000_000; n++ {
		var w uint64
		for k := 0; k < 8; k++ {
			c := byte(r.Intn(256))
			if n%2 == 0 {
				c = edge[r.Intn(len(edge))]
			}
			w |= uint64(c) << (8 * k)
		}
		first := -1
		for k := 0; k < 8; k++ {
			c := byte(w >> (8 * k))
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				first = k
				break
			}
		}
		m := stops(w)
		if first < 0 && m != 0 || first >= 0 && (m == 0 || bits.TrailingZeros64(m)>>3 != first) {
			t.Fatalf("stops(%#016x) = %#016x, first stop at byte %d", w, m, first)
		}
	}
}
