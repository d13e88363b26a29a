package catalog

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The compact form is a gzip stream whose payload is:
//
//	magic "FQCAT" formatVersion
//	strings:  count, count lengths, then the bytes of all strings back to back
//	          (string 0 is ""); every later string is an index into this table
//	version string
//	totals:   types, elements, element type codes, target profiles, bindings
//	codes:    count of code lists, then per list: n, n strings (sorted)
//	types:    per type: name, kind, base, flags, short, system, element count,
//	          then per element: name, min, max+1, flags, short, type codes
//	          (n, n strings), [binding: strength, value set, code list+1 or 0],
//	          target profiles (n, n strings)
//
// All integers are unsigned varints. Paths are not stored: an element's path is
// always its type's name, ".", its name and "[x]" for choices. Decoding makes a
// handful of allocations (one per table), whatever the catalog's size, because
// every string is a slice of the payload and every struct lives in a slab.
const (
	magic         = "FQCAT"
	formatVersion = 1

	typeAbstract = 1

	elemChoice   = 1
	elemModifier = 2
	elemSummary  = 4
	elemBinding  = 8

	// maxPayload bounds what New will allocate for a declared payload size,
	// so that corrupt input fails cleanly instead of exhausting memory.
	maxPayload = 256 << 20
)

// Build assembles a catalog from types, checking the invariants lookups rely
// on, so that a generator (or a test) can make a catalog without going through
// the encoded form. Types are kept as given (not copied); their order does not
// matter. It fails on duplicate or empty names, on elements whose Path is not
// derived from their type and name, and on unsorted binding codes.
func Build(version string, types []*Type) (*Catalog, error) {
	c := &Catalog{version: version, types: make(map[string]*Type, len(types))}
	for _, t := range types {
		if t == nil || t.Name == "" {
			return nil, errors.New("catalog: type without a name")
		}
		if _, dup := c.types[t.Name]; dup {
			return nil, fmt.Errorf("catalog: duplicate type %q", t.Name)
		}
		if t.Kind < Primitive || t.Kind > Backbone {
			return nil, fmt.Errorf("catalog: type %q has invalid kind %d", t.Name, t.Kind)
		}
		for _, e := range t.Elements {
			if e == nil || e.Name == "" {
				return nil, fmt.Errorf("catalog: type %q has an element without a name", t.Name)
			}
			if want := elementPath(t.Name, e.Name, e.Choice); e.Path != want {
				return nil, fmt.Errorf("catalog: element path %q, want %q", e.Path, want)
			}
			if e.Min < 0 || e.Max < -1 {
				return nil, fmt.Errorf("catalog: element %s has invalid cardinality %d..%d", e.Path, e.Min, e.Max)
			}
			if b := e.Binding; b != nil && !slices.IsSorted(b.Codes) {
				return nil, fmt.Errorf("catalog: element %s: binding codes not sorted", e.Path)
			}
		}
		c.types[t.Name] = t
	}
	c.index()
	return c, nil
}

func elementPath(typeName, name string, choice bool) string {
	if choice {
		return typeName + "." + name + "[x]"
	}
	return typeName + "." + name
}

// index fills the sorted name lists from the type map.
func (c *Catalog) index() {
	c.resources = c.resources[:0]
	c.typeNames = c.typeNames[:0]
	for name, t := range c.types {
		switch {
		case t.Kind == Resource && !t.Abstract:
			c.resources = append(c.resources, name)
		case t.Kind == Primitive || t.Kind == Complex:
			c.typeNames = append(c.typeNames, name)
		}
	}
	slices.Sort(c.resources)
	slices.Sort(c.typeNames)
}

// sortedTypes returns every type ordered by name, the order Encode writes.
func (c *Catalog) sortedTypes() []*Type {
	all := make([]*Type, 0, len(c.types))
	for _, t := range c.types {
		all = append(all, t)
	}
	slices.SortFunc(all, func(a, b *Type) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Encode writes the catalog in the compact form New reads: a gzip stream,
// identical for identical catalogs (the generator relies on that to keep
// the committed file stable).
func (c *Catalog) Encode() ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(c.payload()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Payload returns the uncompressed content of an encoded catalog, so that two
// encodings can be compared independently of the compressor's exact output,
// which may differ between Go releases.
func Payload(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	size := 0
	if len(data) >= 4 {
		size = int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	}
	if size > maxPayload {
		return nil, errors.New("catalog: declared size too large")
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(zr, maxPayload+1)); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if buf.Len() > maxPayload {
		return nil, errors.New("catalog: payload too large")
	}
	return buf.Bytes(), nil
}

// payload serialises the catalog, uncompressed.
func (c *Catalog) payload() []byte {
	types := c.sortedTypes()

	// String table, in order of first use, so the output is deterministic.
	strIdx := map[string]uint64{"": 0}
	strs := []string{""}
	intern := func(s string) uint64 {
		if i, ok := strIdx[s]; ok {
			return i
		}
		i := uint64(len(strs))
		strIdx[s] = i
		strs = append(strs, s)
		return i
	}
	// Code lists, deduplicated, in order of first use.
	listIdx := map[string]uint64{}
	var lists [][]string
	listOf := func(codes []string) uint64 {
		if codes == nil {
			return 0
		}
		key := strings.Join(codes, "\x00") + "\x01" // distinguishes [] from [""]
		if i, ok := listIdx[key]; ok {
			return i + 1
		}
		i := uint64(len(lists))
		listIdx[key] = i
		lists = append(lists, codes)
		return i + 1
	}

	var body []byte
	put := func(v uint64) { body = binary.AppendUvarint(body, v) }
	putS := func(s string) { put(intern(s)) }
	var nElems, nTypeRefs, nTargets, nBindings uint64
	put(uint64(len(types)))
	for _, t := range types {
		putS(t.Name)
		put(uint64(t.Kind))
		putS(t.Base)
		var flags uint64
		if t.Abstract {
			flags |= typeAbstract
		}
		put(flags)
		putS(t.Short)
		putS(t.System)
		put(uint64(len(t.Elements)))
		for _, e := range t.Elements {
			nElems++
			putS(e.Name)
			put(uint64(e.Min))
			put(uint64(e.Max + 1))
			flags = 0
			if e.Choice {
				flags |= elemChoice
			}
			if e.Modifier {
				flags |= elemModifier
			}
			if e.Summary {
				flags |= elemSummary
			}
			if e.Binding != nil {
				flags |= elemBinding
			}
			put(flags)
			putS(e.Short)
			put(uint64(len(e.Types)))
			for _, s := range e.Types {
				putS(s)
			}
			nTypeRefs += uint64(len(e.Types))
			if b := e.Binding; b != nil {
				nBindings++
				putS(b.Strength)
				putS(b.ValueSet)
				put(listOf(b.Codes))
			}
			put(uint64(len(e.TargetProfiles)))
			for _, s := range e.TargetProfiles {
				putS(s)
			}
			nTargets += uint64(len(e.TargetProfiles))
		}
	}
	var codes []byte
	codes = binary.AppendUvarint(codes, uint64(len(lists)))
	var nCodes uint64
	for _, l := range lists {
		codes = binary.AppendUvarint(codes, uint64(len(l)))
		for _, s := range l {
			codes = binary.AppendUvarint(codes, intern(s))
		}
		nCodes += uint64(len(l))
	}
	version := intern(c.version)

	out := []byte(magic)
	out = append(out, formatVersion)
	out = binary.AppendUvarint(out, uint64(len(strs)))
	for _, s := range strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range strs {
		out = append(out, s...)
	}
	out = binary.AppendUvarint(out, version)
	for _, n := range []uint64{nElems, nTypeRefs, nTargets, nBindings, nCodes} {
		out = binary.AppendUvarint(out, n)
	}
	out = append(out, codes...)
	return append(out, body...)
}

// New decodes a catalog from the compact form that Encode writes (gzipped, or
// its raw payload). It reports an error, never panics, on corrupt input, so a
// damaged file is a diagnosable failure rather than a crash.
func New(data []byte) (*Catalog, error) {
	p, err := Payload(data)
	if err != nil {
		return nil, err
	}
	if len(p) < len(magic)+1 || string(p[:len(magic)]) != magic {
		return nil, errors.New("catalog: not a catalog (bad magic)")
	}
	if p[len(magic)] != formatVersion {
		return nil, fmt.Errorf("catalog: format version %d, want %d", p[len(magic)], formatVersion)
	}
	d := &decoder{buf: p, pos: len(magic) + 1}
	c, err := d.catalog()
	if err != nil {
		return nil, fmt.Errorf("catalog: corrupt data at byte %d: %w", d.pos, err)
	}
	return c, nil
}

type decoder struct {
	buf  []byte
	pos  int
	err  error
	strs []string
}

var errTruncated = errors.New("truncated")

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.pos:])
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.pos += n
	return v
}

// count reads a length that must fit within limit, so corrupt counts cannot
// make the decoder allocate without bound.
func (d *decoder) count(limit int) int {
	v := d.uint()
	if d.err == nil && v > uint64(limit) {
		d.err = fmt.Errorf("count %d exceeds %d", v, limit)
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	i := d.uint()
	if d.err != nil {
		return ""
	}
	if i >= uint64(len(d.strs)) {
		d.err = fmt.Errorf("string index %d out of range", i)
		return ""
	}
	return d.strs[i]
}

func (d *decoder) catalog() (*Catalog, error) {
	// Every item takes at least one byte, which bounds every count.
	limit := len(d.buf)
	nStrs := d.count(limit)
	lens := make([]int, nStrs)
	total := 0
	for i := range lens {
		lens[i] = d.count(limit)
		total += lens[i]
	}
	if d.err != nil {
		return nil, d.err
	}
	if total > len(d.buf)-d.pos {
		return nil, errTruncated
	}
	all := string(d.buf[d.pos : d.pos+total])
	d.pos += total
	d.strs = make([]string, nStrs)
	off := 0
	for i, n := range lens {
		d.strs[i] = all[off : off+n]
		off += n
	}

	c := &Catalog{version: d.str()}
	nElems, nTypeRefs, nTargets := d.count(limit), d.count(limit), d.count(limit)
	nBindings, nCodes := d.count(limit), d.count(limit)
	if d.err != nil {
		return nil, d.err
	}

	codeSlab := make([]string, 0, nCodes)
	lists := make([][]string, d.count(limit))
	for i := range lists {
		n := d.count(limit)
		if d.err != nil || n > cap(codeSlab)-len(codeSlab) {
			return nil, errors.New("code lists exceed their declared total")
		}
		start := len(codeSlab)
		for range n {
			codeSlab = append(codeSlab, d.str())
		}
		lists[i] = codeSlab[start:len(codeSlab):len(codeSlab)]
	}

	nTypes := d.count(limit)
	if d.err != nil {
		return nil, d.err
	}
	typeSlab := make([]Type, nTypes)
	elemSlab := make([]Element, nElems)
	elemPtrs := make([]*Element, nElems)
	refSlab := make([]string, 0, nTypeRefs)
	targetSlab := make([]string, 0, nTargets)
	bindSlab := make([]Binding, nBindings)
	c.types = make(map[string]*Type, nTypes)
	var paths []byte // all element paths back to back; sliced once decoded
	pathEnds := make([]int, nElems)
	ei, bi := 0, 0
	for ti := range typeSlab {
		t := &typeSlab[ti]
		t.Name = d.str()
		t.Kind = Kind(d.uint())
		t.Base = d.str()
		t.Abstract = d.uint()&typeAbstract != 0
		t.Short = d.str()
		t.System = d.str()
		n := d.count(limit)
		if d.err != nil {
			return nil, d.err
		}
		if t.Kind < Primitive || t.Kind > Backbone {
			return nil, fmt.Errorf("type %q: invalid kind %d", t.Name, t.Kind)
		}
		if n > nElems-ei {
			return nil, errors.New("elements exceed their declared total")
		}
		if _, dup := c.types[t.Name]; dup {
			return nil, fmt.Errorf("duplicate type %q", t.Name)
		}
		c.types[t.Name] = t
		if n > 0 {
			t.Elements = elemPtrs[ei : ei+n : ei+n]
		}
		for range n {
			e := &elemSlab[ei]
			elemPtrs[ei] = e
			e.Name = d.str()
			e.Min = int(d.count(limit))
			e.Max = int(d.count(limit+1)) - 1
			flags := d.uint()
			e.Choice = flags&elemChoice != 0
			e.Modifier = flags&elemModifier != 0
			e.Summary = flags&elemSummary != 0
			e.Short = d.str()
			if e.Types, refSlab = d.strList(refSlab, limit); d.err != nil {
				return nil, d.err
			}
			if flags&elemBinding != 0 {
				if bi >= len(bindSlab) {
					return nil, errors.New("bindings exceed their declared total")
				}
				b := &bindSlab[bi]
				bi++
				b.Strength = d.str()
				b.ValueSet = d.str()
				if l := d.count(len(lists)); l > 0 {
					b.Codes = lists[l-1]
				}
				e.Binding = b
			}
			if e.TargetProfiles, targetSlab = d.strList(targetSlab, limit); d.err != nil {
				return nil, d.err
			}
			paths = append(paths, t.Name...)
			paths = append(paths, '.')
			paths = append(paths, e.Name...)
			if e.Choice {
				paths = append(paths, "[x]"...)
			}
			pathEnds[ei] = len(paths)
			ei++
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if ei != nElems || bi != nBindings || d.pos != len(d.buf) {
		return nil, errors.New("totals do not match the content")
	}
	allPaths := string(paths)
	start := 0
	for i := range elemSlab {
		elemSlab[i].Path = allPaths[start:pathEnds[i]]
		start = pathEnds[i]
	}
	c.index()
	return c, nil
}

// strList reads n strings into the shared slab and returns them as a
// capacity-limited sub-slice (nil when n is 0), so that appending to one
// element's list can never overwrite another's.
func (d *decoder) strList(slab []string, limit int) ([]string, []string) {
	n := d.count(limit)
	if d.err != nil {
		return nil, slab
	}
	if n == 0 {
		return nil, slab
	}
	if n > cap(slab)-len(slab) {
		d.err = errors.New("lists exceed their declared total")
		return nil, slab
	}
	start := len(slab)
	for range n {
		slab = append(slab, d.str())
	}
	return slab[start:len(slab):len(slab)], slab
}
