package state

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
)

// An index file of a state generation: a magic line, the text
// versionIds, then one 56-byte record per key, sorted by key, holding the
// key's latest version and latest deletion. A state keeps two: the base
// (index.bin, written at its last compaction and never changed after,
// hard-linked into each later generation, with its radix directory
// index.dir) and the delta (delta.bin: the records of the keys changed
// since the base, rewritten by each apply). An apply looks the export's
// keys up in the base through the directory, one bucket read per key,
// and merges them into the delta in one sequential pass: its cost follows
// the export and the changes since the base, not the state.
const indexMagic = "fhirql-state-index-3\n"

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
	hdr   int64 // the header's length: the first record's offset
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
	ir.hdr = int64(len(indexMagic)) + 8
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
		ir.hdr += 4 + int64(len(s))
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

// indexWriter writes an index file, and for a base its directory.
type indexWriter struct {
	f   *os.File
	w   *bufio.Writer
	buf [recSize]byte
	n   int64
	hdr int64
	// The radix directory (a base only): dir[i] is the number of the
	// first record whose key's top bits are i or more.
	dirPath string
	bits    uint
	dir     []uint32
	next    int
}

// dirBits sizes a base's directory for about n records: about 8 records
// per bucket (floor(log2 n) - 3 bits), so that one bucket is one small
// read and the directory 4 bytes per 8 keys (4 MB at 10 million keys).
func dirBits(n int64) uint {
	b := bits.Len64(uint64(n))
	return uint(min(max(b-4, 1), 30))
}

// createIndex creates an index file at path: a new file (callers never
// give a path holding a hard link of an older generation, whose file
// would be truncated under it). With dirPath, the base's directory is
// written there too, sized for about est records.
func createIndex(path string, texts []string, dirPath string, est int64) (*indexWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	iw := &indexWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), dirPath: dirPath}
	if dirPath != "" {
		iw.bits = dirBits(est)
		iw.dir = make([]uint32, 1<<iw.bits+1)
	}
	iw.w.WriteString(indexMagic)
	le := binary.LittleEndian
	var b [8]byte
	le.PutUint64(b[:], uint64(len(texts)))
	iw.w.Write(b[:])
	iw.hdr = int64(len(indexMagic)) + 8
	for _, s := range texts {
		le.PutUint32(b[:4], uint32(len(s)))
		iw.w.Write(b[:4])
		iw.w.WriteString(s)
		iw.hdr += 4 + int64(len(s))
	}
	return iw, nil
}

func (iw *indexWriter) put(r *record) {
	if iw.dir != nil {
		for bk := int(r.k[0] >> (64 - iw.bits)); iw.next <= bk; iw.next++ {
			iw.dir[iw.next] = uint32(iw.n)
		}
	}
	r.encode(iw.buf[:])
	iw.w.Write(iw.buf[:])
	iw.n++
}

const dirMagic = "fhirql-state-dir-1\n"

// close flushes and syncs the file (and writes the directory).
func (iw *indexWriter) close() error {
	err := iw.w.Flush()
	if err == nil {
		err = iw.f.Sync()
	}
	if cerr := iw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil || iw.dir == nil {
		return err
	}
	if iw.n >= 1<<32 {
		return fmt.Errorf("a state index of %d keys is beyond the 4 billion its directory addresses", iw.n)
	}
	for ; iw.next < len(iw.dir); iw.next++ {
		iw.dir[iw.next] = uint32(iw.n)
	}
	le := binary.LittleEndian
	b := make([]byte, 0, len(dirMagic)+20+4*len(iw.dir))
	b = append(b, dirMagic...)
	b = le.AppendUint64(b, uint64(iw.hdr))
	b = le.AppendUint64(b, uint64(iw.n))
	b = le.AppendUint32(b, uint32(iw.bits))
	for _, d := range iw.dir {
		b = le.AppendUint32(b, d)
	}
	return writeSynced(iw.dirPath, b)
}

// baseIndex looks keys up in a base index file without reading it whole:
// the directory names the records of a key's bucket, read with one pread.
type baseIndex struct {
	f     *os.File
	path  string
	texts []string
	hdr   int64
	n     int64
	bits  uint
	dir   []uint32
	// The last bucket read: the export's keys come sorted, so keys of one
	// bucket are looked up one after the other.
	bucket int
	recs   []byte
	reads  int64
}

// openBase opens the base index at path and its directory at dirPath.
func openBase(path, dirPath string) (*baseIndex, error) {
	ir, err := openIndex(path)
	if err != nil {
		return nil, err
	}
	bi := &baseIndex{f: ir.f, path: path, texts: ir.texts, hdr: ir.hdr, bucket: -1}
	data, err := os.ReadFile(dirPath)
	le := binary.LittleEndian
	if err != nil || len(data) < len(dirMagic)+20 || string(data[:len(dirMagic)]) != dirMagic {
		bi.f.Close()
		return nil, fmt.Errorf("state index directory %s is missing or damaged (%v): rebuild the state from the exports", dirPath, err)
	}
	data = data[len(dirMagic):]
	hdr, n, b := int64(le.Uint64(data)), int64(le.Uint64(data[8:])), uint(le.Uint32(data[16:]))
	data = data[20:]
	st, err := bi.f.Stat()
	if err != nil || hdr != bi.hdr || b < 1 || b > 30 || len(data) != 4*(1<<b+1) || st.Size() != hdr+n*recSize {
		bi.f.Close()
		return nil, fmt.Errorf("state index %s does not match its directory %s: rebuild the state from the exports", path, dirPath)
	}
	bi.n, bi.bits = n, b
	bi.dir = make([]uint32, 1<<b+1)
	for i := range bi.dir {
		bi.dir[i] = le.Uint32(data[4*i:])
	}
	return bi, nil
}

// find looks k up; ok is false when the base does not hold it.
func (bi *baseIndex) find(k Key, r *record) (ok bool, err error) {
	bk := int(k[0] >> (64 - bi.bits))
	if bk != bi.bucket {
		start, end := int64(bi.dir[bk]), int64(bi.dir[bk+1])
		if end < start || end > bi.n {
			return false, fmt.Errorf("state index directory of %s is damaged: rebuild the state from the exports", bi.path)
		}
		need := int((end - start) * recSize)
		if cap(bi.recs) < need {
			bi.recs = make([]byte, need)
		}
		bi.recs = bi.recs[:need]
		if need > 0 {
			if _, err := bi.f.ReadAt(bi.recs, bi.hdr+start*recSize); err != nil {
				return false, fmt.Errorf("state index %s is damaged (%v): rebuild the state from the exports", bi.path, err)
			}
			bi.reads++
		}
		bi.bucket = bk
	}
	le := binary.LittleEndian
	n := len(bi.recs) / recSize
	lo, hi := 0, n
	for lo < hi {
		m := (lo + hi) / 2
		b := bi.recs[m*recSize:]
		if keyLess(Key{le.Uint64(b), le.Uint64(b[8:])}, k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n {
		b := bi.recs[lo*recSize:]
		if (Key{le.Uint64(b), le.Uint64(b[8:])}) == k {
			r.decode(b[:recSize])
			return true, nil
		}
	}
	return false, nil
}

func (bi *baseIndex) Close() error { return bi.f.Close() }

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

// mergeIndex writes to iw the records of old (nil for none) with the
// changes merged in, both in key order, in one pass. next yields the
// changes in key order (false at the end). merge decides each changed
// key from its record in old (nil when old lacks it) and the change, and
// says whether the result is written.
func mergeIndex(iw *indexWriter, old *indexReader, next func(*record) (bool, error), merge func(old *record, ch *record) (record, bool, error)) error {
	var cur, ch record
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
		return err
	}
	for {
		ok, err := next(&ch)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		for have && keyLess(cur.k, ch.k) < 0 {
			iw.put(&cur)
			if err := advance(); err != nil {
				return err
			}
		}
		var o *record
		if have && cur.k == ch.k {
			o = &cur
		}
		r, put, err := merge(o, &ch)
		if err != nil {
			return err
		}
		if put {
			iw.put(&r)
		}
		if o != nil {
			if err := advance(); err != nil {
				return err
			}
		}
	}
	for have {
		iw.put(&cur)
		if err := advance(); err != nil {
			return err
		}
	}
	return nil
}

// sliceChanges yields the records of rs in order.
func sliceChanges(rs []record) func(*record) (bool, error) {
	i := 0
	return func(r *record) (bool, error) {
		if i == len(rs) {
			return false, nil
		}
		*r = rs[i]
		i++
		return true, nil
	}
}
