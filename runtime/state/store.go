package state

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// The index file of a state directory: a magic line, the counts, the text
// versionIds, then fixed-size records of the latest version and the latest
// deletion per key. Little-endian; 41 bytes a record.
const indexMagic = "fhirql-state-index-1\n"

func (x *Index) writeTo(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(indexMagic)
	var b [41]byte
	le := binary.LittleEndian
	le.PutUint64(b[:8], uint64(len(x.texts)))
	w.Write(b[:8])
	for _, s := range x.texts {
		le.PutUint32(b[:4], uint32(len(s)))
		w.Write(b[:4])
		w.WriteString(s)
	}
	for _, m := range []map[Key]fact{x.m, x.dels} {
		le.PutUint64(b[:8], uint64(len(m)))
		w.Write(b[:8])
		for k, f := range m {
			le.PutUint64(b[0:], k[0])
			le.PutUint64(b[8:], k[1])
			le.PutUint64(b[16:], uint64(f.t))
			le.PutUint64(b[24:], f.v)
			le.PutUint32(b[32:], uint32(f.e))
			var flags uint32
			if f.del {
				flags |= 1
			}
			if f.own {
				flags |= 2
			}
			le.PutUint32(b[36:], flags)
			b[40] = 0
			w.Write(b[:])
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readIndex(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(indexMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != indexMagic {
		return nil, fmt.Errorf("%s is not a fhirql state index", path)
	}
	le := binary.LittleEndian
	var b [41]byte
	fail := func(err error) (*Index, error) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("state index %s is damaged (%v): rebuild the state from the exports", path, err)
	}
	x := NewIndex()
	if _, err := io.ReadFull(r, b[:8]); err != nil {
		return fail(err)
	}
	nt := le.Uint64(b[:8])
	for i := uint64(0); i < nt; i++ {
		if _, err := io.ReadFull(r, b[:4]); err != nil {
			return fail(err)
		}
		s := make([]byte, le.Uint32(b[:4]))
		if _, err := io.ReadFull(r, s); err != nil {
			return fail(err)
		}
		x.textIdx[string(s)] = uint32(len(x.texts))
		x.texts = append(x.texts, string(s))
	}
	for _, m := range []map[Key]fact{x.m, x.dels} {
		if _, err := io.ReadFull(r, b[:8]); err != nil {
			return fail(err)
		}
		n := le.Uint64(b[:8])
		for i := uint64(0); i < n; i++ {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return fail(err)
			}
			k := Key{le.Uint64(b[0:]), le.Uint64(b[8:])}
			flags := le.Uint32(b[36:])
			m[k] = fact{t: int64(le.Uint64(b[16:])), v: le.Uint64(b[24:]), e: int32(le.Uint32(b[32:])), del: flags&1 != 0, own: flags&2 != 0}
		}
	}
	return x, nil
}
