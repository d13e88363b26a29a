package state

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// The index file of a state generation: a magic line, the text
// versionIds, then one 56-byte record per key, sorted by key, holding the
// key's latest version and latest deletion. Sorted records let an apply
// merge the export's few changes into it in one sequential pass (read,
// decide, write) instead of loading every key into memory.
const indexMagic = "fhirql-state-index-2\n"

const recSize = 56

// record is one key's entry in the index file.
type record struct {
	k          Key
	v, d       fact
	hasV, hasD bool
}

func (r *record) encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint64(b[0:], r.k[0])
	le.PutUint64(b[8:], r.k[1])
	le.PutUint64(b[16:], uint64(r.v.t))
	le.PutUint64(b[24:], r.v.v)
	le.PutUint64(b[32:], uint64(r.d.t))
	le.PutUint32(b[40:], uint32(r.v.e))
	le.PutUint32(b[44:], uint32(r.d.e))
	var flags uint32
	for i, on := range []bool{r.hasV, r.v.own, r.hasD, r.d.own} {
		if on {
			flags |= 1 << i
		}
	}
	le.PutUint32(b[48:], flags)
	le.PutUint32(b[52:], 0)
}

func (r *record) decode(b []byte) {
	le := binary.LittleEndian
	flags := le.Uint32(b[48:])
	*r = record{k: Key{le.Uint64(b[0:]), le.Uint64(b[8:])},
		v:    fact{t: int64(le.Uint64(b[16:])), v: le.Uint64(b[24:]), e: int32(le.Uint32(b[40:])), own: flags&2 != 0},
		d:    fact{t: int64(le.Uint64(b[32:])), e: int32(le.Uint32(b[44:])), own: flags&8 != 0, del: true},
		hasV: flags&1 != 0, hasD: flags&4 != 0}
}

func keyLess(a, b Key) int {
	switch {
	case a[0] != b[0]:
		if a[0] < b[0] {
			return -1
		}
		return 1
	case a[1] < b[1]:
		return -1
	case a[1] > b[1]:
		return 1
	}
	return 0
}

// indexReader reads an index file's records in key order.
type indexReader struct {
	f     *os.File
	r     *bufio.Reader
	path  string
	texts []string
	buf   [recSize]byte
}

func openIndex(path string) (*indexReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	ir := &indexReader{f: f, r: bufio.NewReaderSize(f, 1<<20), path: path}
	magic := make([]byte, len(indexMagic))
	if _, err := io.ReadFull(ir.r, magic); err != nil || string(magic) != indexMagic {
		f.Close()
		return nil, fmt.Errorf("%s is not a fhirql state index (or one of an older version): rebuild the state from the exports", path)
	}
	le := binary.LittleEndian
	var b [8]byte
	if _, err := io.ReadFull(ir.r, b[:8]); err != nil {
		f.Close()
		return nil, ir.damaged(err)
	}
	nt := le.Uint64(b[:8])
	for i := uint64(0); i < nt; i++ {
		if _, err := io.ReadFull(ir.r, b[:4]); err != nil {
			f.Close()
			return nil, ir.damaged(err)
		}
		s := make([]byte, le.Uint32(b[:4]))
		if _, err := io.ReadFull(ir.r, s); err != nil {
			f.Close()
			return nil, ir.damaged(err)
		}
		ir.texts = append(ir.texts, string(s))
	}
	return ir, nil
}

func (ir *indexReader) damaged(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("state index %s is damaged (%v): rebuild the state from the exports", ir.path, err)
}

// next returns the next record; ok is false at the end.
func (ir *indexReader) next(r *record) (ok bool, err error) {
	n, err := io.ReadFull(ir.r, ir.buf[:])
	if err == io.EOF && n == 0 {
		return false, nil
	}
	if err != nil {
		return false, ir.damaged(err)
	}
	r.decode(ir.buf[:])
	return true, nil
}

func (ir *indexReader) Close() error { return ir.f.Close() }

// indexWriter writes an index file.
type indexWriter struct {
	f   *os.File
	w   *bufio.Writer
	buf [recSize]byte
	n   int64
}

func createIndex(path string, texts []string) (*indexWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	iw := &indexWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	iw.w.WriteString(indexMagic)
	le := binary.LittleEndian
	var b [8]byte
	le.PutUint64(b[:], uint64(len(texts)))
	iw.w.Write(b[:])
	for _, s := range texts {
		le.PutUint32(b[:4], uint32(len(s)))
		iw.w.Write(b[:4])
		iw.w.WriteString(s)
	}
	return iw, nil
}

func (iw *indexWriter) put(r *record) {
	r.encode(iw.buf[:])
	iw.w.Write(iw.buf[:])
	iw.n++
}

// close flushes and syncs the file.
func (iw *indexWriter) close() error {
	err := iw.w.Flush()
	if err == nil {
		err = iw.f.Sync()
	}
	if cerr := iw.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// changes returns the keys of nx (versions or deletions), sorted, with
// their facts: what an apply merges into the index file.
func (nx *Index) changes() []record {
	out := make([]record, 0, len(nx.m)+len(nx.dels))
	for k, v := range nx.m {
		r := record{k: k, v: v, hasV: true}
		if d, ok := nx.dels[k]; ok {
			r.d, r.hasD = d, true
		}
		out = append(out, r)
	}
	for k, d := range nx.dels {
		if _, ok := nx.m[k]; !ok {
			out = append(out, record{k: k, d: d, hasD: true})
		}
	}
	slices.SortFunc(out, func(a, b record) int { return keyLess(a.k, b.k) })
	return out
}

// mergeIndex writes the index of the next generation to path: the records
// of old (nil for a new state) with the changes merged in, both in key
// order, in one pass. merge decides each changed key from its old record
// (nil when new) and the change; the result is written.
func mergeIndex(path string, texts []string, old *indexReader, changes []record, merge func(old *record, ch *record) record) (int64, error) {
	iw, err := createIndex(path, texts)
	if err != nil {
		return 0, err
	}
	var cur record
	have := false
	advance := func() error {
		if old == nil {
			have = false
			return nil
		}
		ok, err := old.next(&cur)
		have = ok
		return err
	}
	if err := advance(); err != nil {
		iw.close()
		return 0, err
	}
	for i := range changes {
		ch := &changes[i]
		for have && keyLess(cur.k, ch.k) < 0 {
			iw.put(&cur)
			if err := advance(); err != nil {
				iw.close()
				return 0, err
			}
		}
		if have && cur.k == ch.k {
			r := merge(&cur, ch)
			iw.put(&r)
			if err := advance(); err != nil {
				iw.close()
				return 0, err
			}
			continue
		}
		r := merge(nil, ch)
		iw.put(&r)
	}
	for have {
		iw.put(&cur)
		if err := advance(); err != nil {
			iw.close()
			return 0, err
		}
	}
	return iw.n, iw.close()
}
