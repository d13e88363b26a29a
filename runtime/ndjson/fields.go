package ndjson

import (
	"sort"
	"strings"
)

// Fields is a projection: the JSON keys to keep below one position of a
// resource. The scanner builds values only for kept keys and skips the
// others without materialising them, which is what makes reading fast: a
// view typically needs a few percent of each line.
//
// A projection applies to every element of an array transparently (FHIR
// repeats an element by making its JSON value an array), so the node for
// "name" describes each HumanName of the array. A node without children
// keeps scalars as they are and objects as empty objects (enough for
// exists() and count()); a node marked All keeps its whole subtree.
type Fields struct {
	all  bool
	keys []string
	kids []*Fields
	idx  map[string]int // built by Freeze when there are many keys
	// tab, built by Freeze, maps keyHash to index+1 of the only key with
	// that hash, -1 when several keys share it, 0 when none: most keys of
	// a line are not kept, and this rejects them without a comparison.
	// hashes holds each key's hash, to resolve a shared slot by comparing
	// only the keys that hash there.
	tab    *[256]int8
	hashes []uint8
	frozen bool
	// id numbers the node within its frozen projection (0: not frozen),
	// so that a Scanner can keep per-node state in a slice (see pred.go).
	id int32
}

func keyHash(k []byte) int {
	n := len(k)
	return (n*37 + int(k[0])*7 + int(k[n-1])*3 + int(k[n>>1])) & 255
}

// NewFields returns an empty projection (keeps nothing below it).
func NewFields() *Fields { return &Fields{} }

// AllFields returns a projection that keeps the whole document.
func AllFields() *Fields { return &Fields{all: true} }

// Add returns the child for key, creating it when absent.
func (f *Fields) Add(key string) *Fields {
	if c := f.Child(key); c != nil {
		return c
	}
	if f.frozen {
		panic("ndjson: Fields.Add after Freeze")
	}
	c := &Fields{}
	f.keys = append(f.keys, key)
	f.kids = append(f.kids, c)
	if f.idx != nil {
		f.idx[key] = len(f.keys) - 1
	}
	return c
}

// SetAll makes f keep its whole subtree.
func (f *Fields) SetAll() { f.all = true }

// All reports whether f keeps its whole subtree.
func (f *Fields) All() bool { return f.all }

// Child returns the projection of key, or nil when key is not kept (an
// All node has no explicit children: everything below it is kept).
func (f *Fields) Child(key string) *Fields {
	if f.idx != nil {
		if i, ok := f.idx[key]; ok {
			return f.kids[i]
		}
		return nil
	}
	for i, k := range f.keys {
		if k == key {
			return f.kids[i]
		}
	}
	return nil
}

// Keys returns the explicitly kept keys, sorted.
func (f *Fields) Keys() []string {
	out := append([]string(nil), f.keys...)
	sort.Strings(out)
	return out
}

// lookup is Child for a raw key taken from the input, returning the
// child's index (-1 when not kept); it never allocates.
func (f *Fields) lookup(key []byte) int {
	if f.tab != nil && len(key) > 0 {
		switch t := f.tab[keyHash(key)]; {
		case t == 0:
			return -1
		case t > 0:
			if k := f.keys[t-1]; k == string(key) {
				return int(t - 1)
			}
			return -1
		default:
			h := uint8(keyHash(key))
			for i, kh := range f.hashes {
				if kh == h && f.keys[i] == string(key) {
					return i
				}
			}
			return -1
		}
	}
	if f.idx != nil {
		if i, ok := f.idx[string(key)]; ok {
			return i
		}
		return -1
	}
	for i, k := range f.keys {
		if len(k) == len(key) && k == string(key) {
			return i
		}
	}
	return -1
}

// Freeze prepares f for concurrent scanning (an index for wide nodes). Add
// must not be called afterwards.
func (f *Fields) Freeze() {
	var n int32
	f.freeze(&n)
}

func (f *Fields) freeze(next *int32) {
	if !f.frozen {
		f.frozen = true
		*next++
		f.id = *next
		var tab [256]int8
		ok := len(f.keys) < 127
		hashes := make([]uint8, len(f.keys))
		for i, k := range f.keys {
			if k == "" {
				ok = false
				break
			}
			h := keyHash([]byte(k))
			hashes[i] = uint8(h)
			if tab[h] == 0 {
				tab[h] = int8(i + 1)
			} else {
				tab[h] = -1
			}
		}
		if ok {
			f.tab = &tab
			f.hashes = hashes
		}
	}
	if len(f.keys) > 8 && f.idx == nil {
		f.idx = make(map[string]int, len(f.keys))
		for i, k := range f.keys {
			f.idx[k] = i
		}
	}
	for _, c := range f.kids {
		c.freeze(next)
	}
}

// String renders the projection compactly and deterministically, for
// tests and `fhirql debug`: keys sorted, "k*" for a whole subtree,
// "k{...}" for children.
func (f *Fields) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f *Fields) write(b *strings.Builder) {
	if f.all {
		b.WriteString("*")
		return
	}
	keys := f.Keys()
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		c := f.Child(k)
		switch {
		case c.all:
			b.WriteString("*")
		case len(c.keys) > 0:
			b.WriteByte('{')
			c.write(b)
			b.WriteByte('}')
		}
	}
}

// Projection maps a resource type to the fields its views read. A type
// that is absent is not used by any view: its lines are validated and
// counted, never built.
type Projection map[string]*Fields

// Freeze freezes every type's fields.
func (p Projection) Freeze() {
	var n int32
	for _, f := range p {
		f.freeze(&n)
	}
}
