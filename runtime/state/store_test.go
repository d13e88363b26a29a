package state

import (
	"math/rand"
	"path/filepath"
	"slices"
	"testing"
)

// TestBaseIndexFind checks lookups through the radix directory: every key
// of a base is found with its record, at bucket edges too, and keys it
// lacks are not, for bases from empty to a few thousand keys.
func TestBaseIndexFind(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 7, 100, 5000} {
		dir := t.TempDir()
		var recs []record
		for i := 0; i < n; i++ {
			k := Key{rng.Uint64(), rng.Uint64()}
			if i%10 == 0 && i > 0 {
				// Keys sharing their first word: equal top bits.
				k[0] = recs[i-1].k[0]
			}
			recs = append(recs, record{k: k, v: fact{t: int64(i), e: 1}, hasV: true})
		}
		slices.SortFunc(recs, func(a, b record) int { return keyLess(a.k, b.k) })
		iw, err := createIndex(filepath.Join(dir, "index.bin"), []string{"x"}, filepath.Join(dir, "index.dir"), int64(n))
		if err != nil {
			t.Fatal(err)
		}
		for i := range recs {
			iw.put(&recs[i])
		}
		if err := iw.close(); err != nil {
			t.Fatal(err)
		}
		bi, err := openBase(filepath.Join(dir, "index.bin"), filepath.Join(dir, "index.dir"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range recs {
			var got record
			ok, err := bi.find(want.k, &got)
			if err != nil || !ok || got.k != want.k || got.v.t != want.v.t {
				t.Fatalf("n=%d: find(%x) = %v, %v, %+v; want %+v", n, want.k, ok, err, got, want)
			}
		}
		for i := 0; i < 1000; i++ {
			k := Key{rng.Uint64(), rng.Uint64()}
			if _, found := slices.BinarySearchFunc(recs, k, func(r record, k Key) int { return keyLess(r.k, k) }); found {
				continue
			}
			var got record
			if ok, err := bi.find(k, &got); ok || err != nil {
				t.Fatalf("n=%d: find(%x) of an absent key = %v, %v", n, k, ok, err)
			}
		}
		bi.Close()
	}
}
