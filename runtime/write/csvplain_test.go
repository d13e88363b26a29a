package write

import (
	"math/rand"
	"testing"
)

// TestCSVIsPlainWords checks the word-at-a-time check against a byte loop, for
// every length around the word size and every position of a special byte.
func TestCSVIsPlainWords(t *testing.T) {
	naive := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !csvPlain[s[i]] {
				return false
			}
		}
		return true
	}
	r := rand.New(rand.NewSource(1))
	for n := 0; n <= 40; n++ {
		for pos := -1; pos < n; pos++ {
			for _, c := range []byte{',', '"', '\n', '\r', 0, 0x1f, 'a', 0x80, 0xff} {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte('a' + r.Intn(26))
				}
				if pos >= 0 {
					b[pos] = c
				}
				if got, want := csvIsPlain(string(b)), naive(string(b)); got != want {
					t.Fatalf("csvIsPlain(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
