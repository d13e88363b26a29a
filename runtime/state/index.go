package state

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strings"

	"compress/gzip"
	"github.com/fhirql/fhirql/runtime/ndjson"
)

// Key is a resource's identity, a 128-bit FNV-1a hash of "Type/id": two
// keys of 10 million ids collide with a probability near 1e-25, and the
// index holds 16 bytes per key whatever the length of the ids.
type Key [2]uint64

// KeyOf returns the key of a resource type and id: FNV-1a 128 of
// "Type/id", computed without allocating (hot in both passes and in table
// rewrites; a test checks it against hash/fnv).
func KeyOf(typ, id string) Key { return keyOf(typ, id) }

func keyOf[T string | []byte](typ, id T) Key {
	hi, lo := uint64(0x6c62272e07bb0142), uint64(0x62b821756295c58d)
	step := func(c byte) {
		lo ^= uint64(c)
		// (hi, lo) *= 2^88 + 0x13B, modulo 2^128.
		h, l := bits.Mul64(lo, 0x13B)
		h += hi*0x13B + lo<<24
		hi, lo = h, l
	}
	for i := 0; i < len(typ); i++ {
		step(typ[i])
	}
	step('/')
	for i := 0; i < len(id); i++ {
		step(id[i])
	}
	return Key{hi, lo}
}

// Index is the first pass's result: per key, the newest version or
// deletion seen.
type Index struct {
	m       map[Key]fact // the latest version per key
	dels    map[Key]fact // the latest deletion per key
	texts   []string     // text versionIds
	textIdx map[string]uint32
	// names, when not nil (an apply), maps each key to its "Type/id": the
	// touched lists name keys as readers see them (_resource_key).
	names map[Key]string
	// Counts for the summary.
	Versions  int64 // resource lines read
	Deletions int64 // deletion entries read
	BadLines  map[string]int64
	Problems  []string
	Skipped   int64
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{m: map[Key]fact{}, dels: map[Key]fact{}, textIdx: map[string]uint32{}, BadLines: map[string]int64{}}
}

// Len returns the number of keys with a version.
func (x *Index) Len() int { return len(x.m) }

func (x *Index) add(k Key, f fact) {
	if f.del {
		if old, ok := x.dels[k]; ok && !newerDeletion(&f, &old) {
			return
		}
		x.dels[k] = f
		return
	}
	if old, ok := x.m[k]; ok && !x.newer(&f, &old) {
		return
	}
	x.m[k] = f
}

// presize makes room for about n versions (a hint: exports with many
// versions of one id need fewer keys).
func (x *Index) presize(n int64) {
	if n <= int64(len(x.m)) || n > 1<<31 {
		return
	}
	m := make(map[Key]fact, n+n/16)
	for k, f := range x.m {
		m[k] = f
	}
	x.m = m
}

// present reports whether a key's latest version is current.
func (x *Index) present(k Key, v *fact) bool {
	d, ok := x.dels[k]
	return !ok || beats(v, &d)
}

// Current returns the number of current resources.
func (x *Index) Current() int64 {
	var n int64
	for k, f := range x.m {
		if x.present(k, &f) {
			n++
		}
	}
	return n
}

// Winners returns the sorted positions (input<<40 | offset) of the lines
// holding current versions: what the second pass keeps.
func (x *Index) Winners() []uint64 {
	out := make([]uint64, 0, len(x.m))
	for k, f := range x.m {
		if x.present(k, &f) {
			out = append(out, f.pos)
		}
	}
	slices.Sort(out)
	return out
}

// keyFields is the projection of the first pass: only the key and the
// version facts are built, the rest of each line is validated and skipped.
func keyFields() *ndjson.Fields {
	f := ndjson.NewFields()
	f.Add("id")
	m := f.Add("meta")
	m.Add("lastUpdated")
	m.Add("versionId")
	return f
}

// scanOutputs reads the output files of the exports: inputs are their
// paths in order, export[i] the export of inputs[i]. maxErrors bad lines
// are counted and skipped (they are not resources); one more fails.
func (x *Index) scanOutputs(ctx context.Context, inputs []string, export []int32, exports []*Export, maxErrors int, maxLine int) error {
	ins, err := ndjson.Expand(inputs, nil)
	if err != nil {
		return err
	}
	if len(ins) != len(inputs) {
		return fmt.Errorf("the exports' files name %d distinct inputs, not %d: an export lists a file twice or two exports share one", len(ins), len(inputs))
	}
	var total int64
	for _, p := range inputs {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	sized := false
	rd := ndjson.NewReader(ins, 4<<20, maxLine)
	defer rd.Close()
	sc := ndjson.NewScanner()
	proj := ndjson.Projection{}
	curInput, line := -1, int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c.Input != curInput {
			curInput, line = c.Input, 0
		}
		ex := exports[export[c.Input]]
		if c.TooLong {
			line++
			if err := x.bad(c.Name, line, fmt.Sprintf("more than the limit of %d bytes", maxLine), maxErrors); err != nil {
				return err
			}
			rd.Release(c)
			continue
		}
		data := c.Data
		for len(data) > 0 {
			line++
			off := c.Offset + int64(len(c.Data)-len(data))
			res, rt, n, err := sc.ScanLine(data, proj)
			if err == nil && res == nil && rt != "" {
				if _, ok := proj[rt]; !ok {
					proj[strings.Clone(rt)] = keyFields()
					sc.Reset()
					res, rt, n, err = sc.ScanLine(data, proj)
				}
			}
			if err != nil {
				end := bytes.IndexByte(data, '\n')
				l := data
				if end >= 0 {
					l, data = data[:end], data[end+1:]
				} else {
					data = nil
				}
				if isBlank(l) {
					continue
				}
				if e := x.bad(c.Name, line, err.Error(), maxErrors); e != nil {
					rd.Release(c)
					return e
				}
				continue
			}
			data = data[n:]
			if n > maxLine+2 {
				if e := x.bad(c.Name, line, fmt.Sprintf("%d bytes, more than the limit of %d bytes", n, maxLine), maxErrors); e != nil {
					rd.Release(c)
					return e
				}
				continue
			}
			f := fact{t: noTime, pos: uint64(c.Input)<<offsetBits | uint64(off), e: export[c.Input]}
			var k Key
			id := ""
			if v := res.Get("id"); v != nil && v.Str != "" {
				id = v.Str
			}
			if id == "" {
				// No id: it can be neither updated nor deleted; its own line
				// is its key.
				k = Key{^uint64(0), f.pos}
			} else {
				k = KeyOf(rt, id)
				if x.names != nil {
					if _, ok := x.names[k]; !ok {
						x.names[k] = rt + "/" + id
					}
				}
			}
			if m := res.Get("meta"); m != nil {
				if v := m.Get("lastUpdated"); v != nil && v.Str != "" {
					if t, err := parseInstant(v.Str); err == nil {
						f.t, f.own = t.UnixNano(), true
					}
				}
				if v := m.Get("versionId"); v != nil {
					f.v = x.version(v.Str)
				}
			}
			if f.t == noTime && !ex.at.IsZero() {
				f.t = ex.at.UnixNano()
			}
			x.Versions++
			x.add(k, f)
			sc.Reset()
		}
		if !sized && x.Versions > 0 {
			// Size the map once from the first chunk's mean line length:
			// growing it by doubling would hold the old and the new table
			// at once and leave twice the memory behind.
			sized = true
			x.presize(total / max(1, (c.Offset+int64(len(c.Data)))/x.Versions))
		}
		rd.Release(c)
	}
}

func isBlank(l []byte) bool {
	return len(bytes.Trim(l, " \t\r")) == 0
}

func (x *Index) bad(file string, line int64, msg string, maxErrors int) error {
	if x.Skipped >= int64(maxErrors) {
		return fmt.Errorf("%s:%d: %s. Fix or remove the line, or let the run skip bad lines (--max-errors N; %d allowed now)", file, line, msg, maxErrors)
	}
	x.Skipped++
	x.BadLines[file]++
	if len(x.Problems) < 20 {
		x.Problems = append(x.Problems, fmt.Sprintf("%s:%d: %s", file, line, msg))
	}
	return nil
}

// deletedEntry is the part of a deletion Bundle entry this package reads.
type deletedBundle struct {
	ResourceType string `json:"resourceType"`
	Entry        []struct {
		Request *struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"request"`
		Response *struct {
			LastModified string `json:"lastModified"`
		} `json:"response"`
	} `json:"entry"`
}

// readDeleted reads one deletion list: NDJSON of Bundles whose entries
// have request.method DELETE and request.url Type/id (an absolute URL or
// a _history suffix is accepted). An entry's time is its
// response.lastModified, else its export's transactionTime.
func (x *Index) readDeleted(name string, e int32, ex *Export) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("deletion list %s cannot be read: %v", name, err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("deletion list %s: %v", name, err)
		}
		defer gz.Close()
		r = gz
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var line int64
	for {
		l, err := br.ReadBytes('\n')
		if len(l) > 0 {
			line++
			if !isBlank(l) {
				if e2 := x.deletedLine(name, line, l, e, ex); e2 != nil {
					return e2
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("deletion list %s: %v", name, err)
		}
	}
}

func (x *Index) deletedLine(name string, line int64, l []byte, e int32, ex *Export) error {
	var b deletedBundle
	if err := json.Unmarshal(l, &b); err != nil || b.ResourceType != "Bundle" {
		return fmt.Errorf("%s:%d: a deletion list holds Bundles (Bulk Data 2.0 `deleted` files); this line is not one: fix the export or drop the file from the manifest's deleted list", name, line)
	}
	for i, en := range b.Entry {
		if en.Request == nil || !strings.EqualFold(en.Request.Method, "DELETE") {
			continue
		}
		typ, id, ok := typeID(en.Request.URL)
		if !ok {
			return fmt.Errorf("%s:%d: entry %d: request.url %q is not Type/id: fix the export", name, line, i, en.Request.URL)
		}
		f := fact{t: noTime, e: e, del: true}
		if en.Response != nil && en.Response.LastModified != "" {
			if t, err := parseInstant(en.Response.LastModified); err == nil {
				f.t, f.own = t.UnixNano(), true
			}
		}
		if f.t == noTime && !ex.at.IsZero() {
			f.t = ex.at.UnixNano()
		}
		x.Deletions++
		k := KeyOf(typ, id)
		if x.names != nil {
			x.names[k] = typ + "/" + id
		}
		x.add(k, f)
	}
	return nil
}

// typeID splits "Type/id", "Type/id/_history/v" or "http://base/Type/id".
func typeID(u string) (typ, id string, ok bool) {
	u = strings.TrimSuffix(u, "/")
	if i := strings.Index(u, "/_history/"); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return "", "", false
	}
	parts := strings.Split(u, "/")
	if len(parts) < 2 {
		return "", "", false
	}
	typ, id = parts[len(parts)-2], parts[len(parts)-1]
	if typ == "" || id == "" || typ[0] < 'A' || typ[0] > 'Z' {
		return "", "", false
	}
	return typ, id, true
}
