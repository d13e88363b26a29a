package ndjson

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// lineOffsets returns the offsets of the lines the reader cuts, from
// Chunk.Offset.
func lineOffsets(t *testing.T, in []Input, mmap bool, chunk, maxLine int) []int64 {
	t.Helper()
	r := NewReader(in, chunk, maxLine)
	if !mmap {
		r.NoMap()
	}
	defer r.Close()
	var out []int64
	for {
		c, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.TooLong {
			out = append(out, -c.Offset-1) // marked: the discarded line
		}
		for i := 0; i < len(c.Data); {
			out = append(out, c.Offset+int64(i))
			j := bytes.IndexByte(c.Data[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
		}
		r.Release(c)
	}
}

// TestChunkOffset checks that a line's offset (Chunk.Offset plus its place
// in Data) is its byte position in the input, whatever the chunk size, for
// mapped, read and gzip inputs, with a byte-order mark and a too-long
// line: runtime/state names lines by it across two passes.
func TestChunkOffset(t *testing.T) {
	dir := t.TempDir()
	content := "\xef\xbb\xbf" + `{"a":1}` + "\n" + `{"bb":22}` + "\n\n" + `{"long":"` + string(bytes.Repeat([]byte("x"), 300)) + `"}` + "\n" + `{"c":3}`
	var want []int64
	for i := 3; i < len(content); {
		want = append(want, int64(i))
		j := bytes.IndexByte([]byte(content[i:]), '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	plain := filepath.Join(dir, "a.ndjson")
	os.WriteFile(plain, []byte(content), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(content))
	zw.Close()
	zipped := filepath.Join(dir, "a.ndjson.gz")
	os.WriteFile(zipped, gz.Bytes(), 0o644)
	for _, chunk := range []int{1, 7, 64, 1 << 20} {
		for _, c := range []struct {
			name string
			path string
			mmap bool
		}{{"mapped", plain, true}, {"read", plain, false}, {"gzip", zipped, true}} {
			got := lineOffsets(t, []Input{{Name: c.path, path: c.path}}, c.mmap, chunk, 1<<20)
			if len(got) != len(want) {
				t.Fatalf("%s chunk %d: offsets %v, want %v", c.name, chunk, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s chunk %d: offsets %v, want %v", c.name, chunk, got, want)
				}
			}
		}
	}
	// A line longer than the buffer is discarded: the offsets after it
	// still count its bytes.
	got := lineOffsets(t, []Input{{Name: plain, path: plain}}, false, 16, 40)
	last := got[len(got)-1]
	if last != want[len(want)-1] {
		t.Errorf("after a discarded line: offsets %v, want the last at %d", got, want[len(want)-1])
	}
}
