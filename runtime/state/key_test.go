package state

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
)

// TestKeyOfIsFNV128a checks the allocation-free hash against hash/fnv:
// the index on disk depends on it staying the same.
func TestKeyOfIsFNV128a(t *testing.T) {
	for _, c := range [][2]string{{"Patient", "p1"}, {"Observation", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}, {"", ""}, {"X", "ü"}} {
		h := fnv.New128a()
		h.Write([]byte(c[0] + "/" + c[1]))
		b := h.Sum(nil)
		want := Key{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
		if got := KeyOf(c[0], c[1]); got != want {
			t.Errorf("KeyOf(%q, %q) = %x, want %x", c[0], c[1], got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { KeyOf("Patient", "p1") }); n != 0 {
		t.Errorf("KeyOf allocates %v times", n)
	}
}
