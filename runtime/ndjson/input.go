package ndjson

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

// Input is one NDJSON source: a file or standard input.
type Input struct {
	// Name is what messages call the input: the path as found, or "<stdin>".
	Name  string
	path  string
	stdin io.Reader
	// opener streams a source that is not a local file (see OpenerInput).
	opener func() (io.ReadCloser, error)
}

// StdinName is the name messages use for standard input.
const StdinName = "<stdin>"

// Expand turns command-line inputs into an ordered list of sources:
// "-" is stdin, a directory contributes every *.ndjson, *.jsonl (and their
// .gz forms) below it in lexical order, a pattern with glob characters its
// matches in lexical order, and any other path itself whatever its name.
// A resource's type comes from its resourceType, never from a file name.
// The order is a function of the arguments and the file tree only, which
// keeps output deterministic.
func Expand(paths []string, stdin io.Reader) ([]Input, error) {
	var out []Input
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, Input{Name: p, path: p})
		}
	}
	addDir := func(dir string) error {
		var files []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isNDJSONName(d.Name()) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading input directory %s: %w", dir, err)
		}
		sort.Strings(files)
		if len(files) == 0 {
			return fmt.Errorf("input directory %s holds no *.ndjson, *.jsonl or .gz forms of them", dir)
		}
		for _, f := range files {
			add(f)
		}
		return nil
	}
	usedStdin := false
	for _, p := range paths {
		if p == "-" {
			if usedStdin {
				continue
			}
			if stdin == nil {
				return nil, errors.New("input '-' means standard input, but none is available")
			}
			usedStdin = true
			out = append(out, Input{Name: StdinName, stdin: stdin})
			continue
		}
		if strings.ContainsAny(p, "*?[") {
			if _, err := os.Stat(p); err != nil { // a literal name wins over a pattern
				matches, err := filepath.Glob(p)
				if err != nil {
					return nil, fmt.Errorf("input pattern %q is malformed: %v", p, err)
				}
				if len(matches) == 0 {
					return nil, fmt.Errorf("input pattern %q matches no file", p)
				}
				for _, m := range matches {
					st, err := os.Stat(m)
					if err != nil {
						return nil, fmt.Errorf("input %s: %v", m, err)
					}
					if st.IsDir() {
						if err := addDir(m); err != nil {
							return nil, err
						}
					} else {
						add(m)
					}
				}
				continue
			}
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("input %s cannot be read: %v", p, errors.Unwrap(err))
		}
		if st.IsDir() {
			if err := addDir(p); err != nil {
				return nil, err
			}
			continue
		}
		add(p)
	}
	if len(out) == 0 {
		return nil, errors.New("no input given: name NDJSON files, directories, globs, or '-' for standard input")
	}
	return out, nil
}

func isNDJSONName(name string) bool {
	name = strings.TrimSuffix(name, ".gz")
	return strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".jsonl")
}

// open returns the input's bytes, decompressed when they start with the
// gzip magic number (so a .gz name is not required, nor trusted).
func (in Input) open() (io.ReadCloser, error) {
	var r io.Reader
	var c io.Closer
	if in.stdin != nil {
		r = in.stdin
	} else if in.opener != nil {
		rc, err := in.opener()
		if err != nil {
			return nil, err
		}
		r, c = rc, rc
	} else {
		f, err := os.Open(in.path)
		if err != nil {
			return nil, err
		}
		r, c = f, f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if c != nil {
				c.Close()
			}
			return nil, fmt.Errorf("not a valid gzip file: %v", err)
		}
		return readCloser{zr, closers{zr, c}}, nil
	}
	return readCloser{br, c}, nil
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error {
	if r.c == nil {
		return nil
	}
	return r.c.Close()
}

type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Chunk is a run of whole lines of one input, the unit of parallel work.
// Chunks of an input come in order; line numbers are not counted here
// (the workers count lines as they parse them, which saves a pass over
// the input), so a chunk's first line number is known only once the
// chunks before it are done.
type Chunk struct {
	Input int    // index in the reader's inputs
	Name  string // the input's name
	Data  []byte // whole lines, each ending in '\n' except perhaps the input's last
	// Offset is the position of Data's first byte in the input, counted
	// in the bytes this reader cuts (decompressed, a leading byte-order
	// mark included). It names a line across runs over the same inputs:
	// runtime/state finds a resource's winning version in one pass and
	// keeps only that line in the next.
	Offset int64
	// TooLong reports that the next line exceeded the limit; Data is
	// empty and the line was discarded without being held in memory.
	TooLong bool
	buf     []byte   // owned buffer, returned by Release
	mm      *mapping // or the memory map Data points into
	off     int      // Data's offset in mm
}

// Reader cuts inputs into chunks of whole lines. Regular files are
// memory-mapped and cut without copying (see mapping); compressed files
// and stdin are read into buffers, holding at most one partial line
// beyond the chunk size, and a line longer than the limit is reported and
// skipped without being buffered. Either way memory stays bounded
// whatever the input. Next is called from one goroutine; Release may be
// called from any.
type Reader struct {
	inputs    []Input
	chunkSize int
	maxLine   int
	free      chan []byte
	mmap      bool

	cur      int // current input
	rc       io.ReadCloser
	mm       *mapping // the current input's map, when it is mapped
	mmOff    int      // next byte of mm to cut
	carry    []byte   // a partial line carried to the next chunk
	eof      bool
	skipping bool // discarding the rest of a too-long line
	bom      bool // the current input's first bytes are still to be checked for a BOM
	read     atomic.Int64
	inOff    int64 // the current input's bytes cut so far (Chunk.Offset)
}

// NewReader returns a reader of inputs cutting chunks of about chunkSize
// bytes. A line that does not fit in maxLine+2 bytes of buffer is
// reported as a TooLong chunk and discarded without being held; a shorter
// line over the limit (or any line of a memory-mapped file) comes through
// in Data, and the consumer checks its length.
func NewReader(inputs []Input, chunkSize, maxLine int) *Reader {
	if chunkSize <= 0 {
		chunkSize = 1 << 20
	}
	if maxLine <= 0 {
		maxLine = 64 << 20
	}
	return &Reader{inputs: inputs, chunkSize: chunkSize, maxLine: maxLine, free: make(chan []byte, 64), mmap: true}
}

// NoMap makes the reader use read(2) even for regular files (memory maps
// are the default where the platform has them). A mapped file that
// shrinks during the run faults on access; the run turns that into an
// error (see runtime.Run).
func (r *Reader) NoMap() { r.mmap = false }

// Inputs returns the reader's inputs.
func (r *Reader) Inputs() []Input { return r.inputs }

// BytesRead returns the number of (decompressed) bytes read so far; safe
// for concurrent use, for progress lines.
func (r *Reader) BytesRead() int64 { return r.read.Load() }

// Release returns a chunk's buffer for reuse; the chunk's Data (and any
// value pointing into it) must not be used afterwards.
func (r *Reader) Release(c *Chunk) {
	if c.mm != nil {
		c.mm.release(c.off, c.off+len(c.Data))
		c.mm, c.Data = nil, nil
		return
	}
	if c.buf != nil && cap(c.buf) == r.chunkSize {
		select {
		case r.free <- c.buf[:0]:
		default:
		}
	}
	c.buf, c.Data = nil, nil
}

func (r *Reader) newBuf() []byte {
	select {
	case b := <-r.free:
		return b
	default:
		return make([]byte, 0, r.chunkSize)
	}
}

// Next returns the next chunk, or io.EOF after the last input. An error
// opening or reading an input names it.
func (r *Reader) Next() (*Chunk, error) {
	for r.cur < len(r.inputs) {
		c, err := r.next()
		if err != nil {
			if r.rc != nil {
				r.rc.Close()
				r.rc = nil
			}
			return nil, err
		}
		if c != nil {
			return c, nil
		}
		// Input exhausted.
		if r.rc != nil {
			r.rc.Close()
			r.rc = nil
		}
		if r.mm != nil {
			r.mm.unref()
			r.mm = nil
		}
		r.cur++
		r.carry, r.eof, r.skipping, r.inOff = nil, false, false, 0
	}
	return nil, io.EOF
}

// Close releases the current input.
func (r *Reader) Close() error {
	if r.mm != nil {
		r.mm.unref()
		r.mm = nil
	}
	if r.rc != nil {
		err := r.rc.Close()
		r.rc = nil
		return err
	}
	return nil
}

// utf8BOM is the byte-order mark some Windows tools write at the start of
// a UTF-8 file. It is skipped at the start of each input (docs/input.md);
// anywhere else it makes its line not valid JSON.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// next returns the next chunk of the current input, or nil at its end.
func (r *Reader) next() (*Chunk, error) {
	in := r.inputs[r.cur]
	if r.rc == nil && r.mm == nil && !r.eof {
		if r.mmap && in.stdin == nil && in.opener == nil {
			if f, err := os.Open(in.path); err == nil {
				m := mapFile(f)
				f.Close()
				if m != nil && !(len(m.data) >= 2 && m.data[0] == 0x1f && m.data[1] == 0x8b) {
					r.mm, r.mmOff = m, 0
					if bytes.HasPrefix(m.data, utf8BOM) {
						r.mmOff = len(utf8BOM)
						r.read.Add(int64(len(utf8BOM)))
					}
				} else if m != nil {
					m.unref()
				}
			}
		}
		if r.mm == nil {
			rc, err := in.open()
			if err != nil {
				return nil, fmt.Errorf("input %s cannot be read: %v", in.Name, unwrapPath(err))
			}
			r.rc = rc
			r.bom = true
		}
	}
	if r.mm != nil {
		return r.cutMapped(in), nil
	}
	if r.skipping {
		if err := r.discardLine(); err != nil {
			return nil, err
		}
	}
	buf := r.newBuf()
	buf = append(buf, r.carry...)
	r.carry = nil
	for {
		// Fill the buffer.
		for !r.eof && len(buf) < cap(buf) {
			n, err := r.rc.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			r.read.Add(int64(n))
			if err == io.EOF {
				r.eof = true
			} else if err != nil {
				return nil, fmt.Errorf("input %s: read error: %v", in.Name, unwrapPath(err))
			}
		}
		if r.bom && (len(buf) >= len(utf8BOM) || r.eof) {
			r.bom = false
			if bytes.HasPrefix(buf, utf8BOM) {
				buf = buf[:copy(buf, buf[len(utf8BOM):])]
				r.inOff += int64(len(utf8BOM))
			}
		}
		if len(buf) == 0 {
			r.Release(&Chunk{buf: buf})
			return nil, nil
		}
		if r.eof {
			return r.emit(in, buf, len(buf)), nil
		}
		if nl := bytes.LastIndexByte(buf, '\n'); nl >= 0 {
			if rest := buf[nl+1:]; len(rest) > 0 {
				r.carry = append(r.carry[:0:0], rest...)
			}
			return r.emit(in, buf, nl+1), nil
		}
		// One line fills the whole buffer.
		if len(buf) > r.maxLine {
			c := &Chunk{Input: r.cur, Name: in.Name, TooLong: true, Offset: r.inOff}
			r.inOff += int64(len(buf))
			r.Release(&Chunk{buf: buf})
			r.skipping = true
			return c, nil
		}
		size := 2 * cap(buf)
		if size > r.maxLine+2 {
			size = r.maxLine + 2
		}
		nb := make([]byte, len(buf), size)
		copy(nb, buf)
		r.Release(&Chunk{buf: buf})
		buf = nb
	}
}

// emit makes a chunk of buf[:n]. A line longer than the limit that still
// fit in the buffer is passed on: the worker rejects it (Chunk lines are
// checked against the limit there), which keeps this path simple.
func (r *Reader) emit(in Input, buf []byte, n int) *Chunk {
	c := &Chunk{Input: r.cur, Name: in.Name, Data: buf[:n], buf: buf, Offset: r.inOff}
	r.inOff += int64(n)
	return c
}

// cutMapped cuts the next chunk of whole lines from the current map, or
// returns nil at its end. Long lines cost nothing here: the worker rejects
// lines over the limit.
func (r *Reader) cutMapped(in Input) *Chunk {
	data := r.mm.data
	start := r.mmOff
	if start >= len(data) {
		r.eof = true
		return nil
	}
	end := start + r.chunkSize
	if end >= len(data) {
		end = len(data)
	} else if j := bytes.IndexByte(data[end-1:], '\n'); j < 0 {
		end = len(data)
	} else {
		end += j
	}
	r.mmOff = end
	r.read.Add(int64(end - start))
	r.mm.refs.Add(1)
	r.mm.populate(start, end)
	r.inOff = int64(start)
	c := r.emit(in, data[start:end:end], end-start)
	c.buf, c.mm, c.off = nil, r.mm, start
	return c
}

// discardLine reads and drops bytes up to and including the next newline.
func (r *Reader) discardLine() error {
	var scratch [32 << 10]byte
	for !r.eof {
		n, err := r.rc.Read(scratch[:])
		r.read.Add(int64(n))
		if i := bytes.IndexByte(scratch[:n], '\n'); i >= 0 {
			r.inOff += int64(i + 1)
			r.carry = append(r.carry[:0:0], scratch[i+1:n]...)
			r.skipping = false
			if err == io.EOF {
				r.eof = true
			}
			return nil
		}
		r.inOff += int64(n)
		if err == io.EOF {
			r.eof = true
		} else if err != nil {
			return fmt.Errorf("input %s: read error: %v", r.inputs[r.cur].Name, unwrapPath(err))
		}
	}
	r.skipping = false
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
