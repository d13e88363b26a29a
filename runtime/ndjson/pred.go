package ndjson

import "encoding/binary"

// Key prediction and skipped-value memos.
//
// NDJSON exports are written by one server, so the objects at one
// position of a resource type have their keys in the same order, line
// after line, and many skipped values repeat verbatim (meta.profile, a
// verificationStatus coding, a category). A Scanner remembers, per
// projection node, the keys of the last object it read there in order
// and, for keys the view does not read, the bytes of the last value:
//
//   - When the line has the predicted `"key":` at the next member, the
//     key is known without scanning or looking it up.
//   - When the skipped value's bytes equal the remembered ones, it is
//     already known to be valid JSON and is stepped over with one memory
//     comparison. Only strings and containers are remembered: they end
//     at their own closing delimiter, so equal bytes are the same value
//     (a number could go on: "12" is a prefix of "123").
//
// A miss costs a comparison that stops at the first differing byte, and
// the ordinary parse then records what it found. Values that keep
// changing (references, dates) stop being remembered after a few misses.

// maxPred bounds the members remembered per object and memoMax the bytes
// of one remembered value: enough for FHIR's common shapes, little
// memory per scanner.
const (
	maxPred = 64
	memoMax = 1024
	// memoDepth bounds the nesting inside a remembered value (at most
	// half its length), so that stepping over one at depth d never
	// accepts a value nested deeper than maxDepth allows.
	memoDepth = memoMax / 2
	// memoOff is the score at which a key's values stop being
	// remembered: each miss lowers it by one, each hit raises it.
	memoOff = -4
)

// predEntry is one predicted member.
type predEntry struct {
	raw []byte // `"key":` exactly as read (no escapes)
	// w0, w1 and m0 let matches compare raw as one or two words: w0 is
	// its first eight bytes (masked by m0 when it is shorter), w1 its
	// last eight.
	w0, w1, m0 uint64
	k          int    // the key's index in the node's Fields, -1 when not kept
	memo       []byte // the last skipped value (k < 0): a string or container
	score      int8
}

// predTable is the prediction for one Fields node. owner guards against
// a node of another projection with the same id.
type predTable struct {
	owner *Fields
	ents  []predEntry
}

// pred returns the scanner's table for f, or nil when f is not predicted
// (not frozen, or keeping everything: an All node stands for objects of
// every shape below it).
func (s *Scanner) pred(f *Fields) *predTable {
	if f.id <= 0 || f.all {
		return nil
	}
	id := int(f.id)
	if id >= len(s.preds) {
		s.preds = append(s.preds, make([]*predTable, id+1-len(s.preds))...)
	}
	t := s.preds[id]
	if t == nil {
		t = &predTable{owner: f, ents: make([]predEntry, 0, maxPred)}
		s.preds[id] = t
	} else if t.owner != f {
		t.owner = f
		t.ents = t.ents[:0]
	}
	return t
}

// record remembers the key at member position p: raw is `"key":`.
func (t *predTable) record(p int, raw []byte, k int) {
	if p >= maxPred {
		return
	}
	for len(t.ents) <= p {
		// a new position (or one ScanLine read itself: resourceType)
		t.ents = t.ents[:len(t.ents)+1]
		ne := &t.ents[len(t.ents)-1]
		ne.raw, ne.w0, ne.m0 = ne.raw[:0], 1, 0 // matches nothing
	}
	e := &t.ents[p]
	if string(e.raw) != string(raw) {
		e.raw = append(e.raw[:0], raw...)
		e.memo = e.memo[:0]
		e.score = 0
		var pad [16]byte
		n := copy(pad[:], raw)
		e.w0 = binary.LittleEndian.Uint64(pad[:8])
		e.m0 = ^uint64(0)
		if n < 8 {
			e.m0 = 1<<(8*uint(n)) - 1
		}
		if n > 8 && n <= 16 {
			e.w1 = binary.LittleEndian.Uint64(raw[n-8:])
		}
	}
	e.k = k
}

// matchesSlow reports whether b[i:] starts with the predicted key: the
// general case, near the line's end or for keys longer than 16 bytes.
// members compares shorter keys as one or two words (w0, w1, m0) inline.
func (e *predEntry) matchesSlow(b []byte, i int) bool {
	n := len(e.raw)
	return n > 0 && len(b)-i >= n && string(b[i:i+n]) == string(e.raw)
}

// remember records the skipped value v after a miss.
func (e *predEntry) remember(v []byte) {
	if e.score <= memoOff {
		return
	}
	e.score--
	if e.score <= memoOff || len(v) > memoMax || v[0] != '"' && v[0] != '{' && v[0] != '[' {
		e.memo = e.memo[:0]
		return
	}
	e.memo = append(e.memo[:0], v...)
}
