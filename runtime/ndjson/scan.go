// Package ndjson reads FHIR NDJSON fast: a byte-level scanner that builds
// value.Values only for the keys a projection keeps, and a chunked reader
// that turns files, directories, globs, .gz files and stdin into batches of
// whole lines for parallel workers.
//
// The scanner exists because generic JSON decoders build the whole line
// (FHIR resources are mostly narrative, extensions and codings a view never
// reads); skipping unread subtrees with a validating but allocation-free
// pass is what lets a run keep up with DuckDB's typed reader.
package ndjson

import (
	"fmt"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/fhirql/fhirql/runtime/value"
)

// ErrorKind classifies a bad line.
type ErrorKind int

const (
	// BadJSON: the line is not valid JSON.
	BadJSON ErrorKind = iota + 1
	// NotObject: the line is JSON but not an object.
	NotObject
	// NoResourceType: the object has no string resourceType.
	NoResourceType
	// TooLong: the line exceeds the reader's line limit.
	TooLong
	// BadUTF8: the line is not UTF-8 (RFC 8259 §8.1: JSON text exchanged
	// between systems is UTF-8), or a \u escape names half of a UTF-16
	// surrogate pair without the other half. Neither is repaired: DuckDB
	// cannot read such a line at all, so every engine rejects it
	// (docs/input.md).
	BadUTF8
)

func (k ErrorKind) String() string {
	switch k {
	case BadJSON:
		return "not valid JSON"
	case NotObject:
		return "not a JSON object"
	case NoResourceType:
		return "no resourceType"
	case TooLong:
		return "line too long"
	case BadUTF8:
		return "not valid UTF-8"
	}
	return "bad line"
}

// LineError describes why one line was rejected. Offset is the 0-based
// byte offset in the line where the problem was found.
type LineError struct {
	Kind   ErrorKind
	Offset int
	Msg    string
}

func (e *LineError) Error() string {
	if e.Msg == "" {
		return e.Kind.String()
	}
	return e.Kind.String() + ": " + e.Msg
}

var resourceTypeKey = []byte("resourceType")

// maxDepth bounds nesting so that a hostile line cannot exhaust the stack
// (encoding/json uses the same limit).
const maxDepth = 10000

// Scanner parses lines into projected values. A Scanner is not safe for
// concurrent use: each worker owns one.
//
// Values returned by Scan share memory with the line and with the
// scanner's arena: they stay valid until Reset is called and the line's
// buffer is reused. Callers must copy anything they keep longer.
type Scanner struct {
	b    []byte
	vals slab[value.Value]
	mems slab[value.Member]
	ptrs slab[*value.Value]
	strs slab[byte]

	mstack []value.Member
	pstack []*value.Value
	stack  []byte // skip's container stack
	key    []byte

	preds []*predTable // by Fields.id: key prediction (pred.go)

	proj   Projection // bound by Bind for ScanNext
	lastRT string     // ScanNext's last resource type and its fields
	lastF  *Fields
}

// NewScanner returns a scanner with empty arenas.
func NewScanner() *Scanner {
	s := &Scanner{}
	s.vals.size = 1024
	s.mems.size = 2048
	s.ptrs.size = 1024
	s.strs.size = 64 << 10
	return s
}

// Reset releases every value built since the last Reset.
//
// Resetting after every resource, once its rows are encoded, is cheap
// and keeps the arena small enough to stay in the CPU cache: the values
// of a resource are then written and read without a cache miss.
func (s *Scanner) Reset() {
	s.vals.reset()
	s.mems.reset()
	s.ptrs.reset()
	s.strs.reset()
}

// Scan parses one line holding one resource. It returns the resource's
// type and, when p has fields for that type, the projected resource; a
// type absent from p is validated only (res is nil). The line may carry
// surrounding whitespace (including a trailing "\r\n").
func (s *Scanner) Scan(line []byte, p Projection) (res *value.Value, resourceType string, err error) {
	res, resourceType, n, err := s.ScanLine(line, p)
	if err == nil && n < len(line) {
		return nil, "", s.errAt(BadJSON, n-1, "unexpected newline inside the line")
	}
	return res, resourceType, err
}

// ScanLine is Scan for the first line of data, which may hold more lines:
// it returns the length of the line including its '\n' (or all of data
// when there is none). Finding the end of a line as a by-product of
// parsing it saves a separate pass over the input. On error the line's
// end is unknown: the caller finds it (no error offset is beyond it).
func (s *Scanner) ScanLine(data []byte, p Projection) (res *value.Value, resourceType string, n int, err error) {
	return s.scanLine(data, p, false)
}

// Bind sets the projection ScanNext uses. p must not be modified while it
// is bound.
func (s *Scanner) Bind(p Projection) {
	s.proj = p
	s.lastRT, s.lastF = "", nil
}

// ScanNext is ScanLine with the projection given to Bind: lines of one
// type come in runs, and the type's fields are looked up again only when
// the type changes.
func (s *Scanner) ScanNext(data []byte) (res *value.Value, resourceType string, n int, err error) {
	return s.scanLine(data, s.proj, true)
}

func (s *Scanner) scanLine(data []byte, p Projection, cached bool) (res *value.Value, resourceType string, n int, err error) {
	s.b = data
	defer func() { s.b = nil }()
	i := s.ws(0)
	if i >= len(data) || data[i] == '\n' {
		return nil, "", 0, s.errAt(BadJSON, i, "empty line")
	}
	if data[i] != '{' {
		if n, err := s.checkValue(i); err != nil {
			return nil, "", n, err
		}
		return nil, "", 0, &LineError{Kind: NotObject, Offset: i, Msg: "found " + describe(data[i])}
	}
	open := i
	// Fast path: FHIR servers write resourceType first.
	j := s.ws(i + 1)
	rt, next, found, err := s.firstKeyResourceType(j)
	if err != nil {
		return nil, "", 0, err
	}
	if !found {
		rt, err = s.findResourceType(open + 1)
		if err != nil {
			return nil, "", 0, err
		}
	}
	var f *Fields
	if !cached {
		f = p[rt]
	} else if rt == s.lastRT && s.lastRT != "" {
		f = s.lastF
	} else {
		f = p[rt]
		// rt may point into the line: keep a copy
		s.lastRT, s.lastF = strings.Clone(rt), f
	}
	var v *value.Value
	if f == nil {
		i, err = s.skip(open, 0)
	} else if k := f.lookup(resourceTypeKey); found && (f.all || k >= 0 && k < 64) {
		// Keep the resourceType already read and go on after it.
		key := "resourceType"
		var seen uint64
		if k >= 0 {
			key, seen = f.keys[k], 1<<k
		}
		rv := s.newValue(value.String)
		rv.Str = rt
		base := len(s.mstack)
		s.mstack = append(s.mstack, value.Member{Key: key, Val: rv})
		v, i, err = s.members(s.ws(next), f, 1, base, seen, true)
	} else {
		v, i, err = s.object(open+1, f, 1)
	}
	if err != nil {
		return nil, "", 0, err
	}
	if n, err = s.end(i); err != nil {
		return nil, "", 0, err
	}
	return v, rt, n, nil
}

// ScanObject parses a line holding one JSON object of any kind with the
// given projection (AllFields for the whole object). Scan is ScanObject
// plus the resourceType rules.
func (s *Scanner) ScanObject(line []byte, f *Fields) (*value.Value, error) {
	s.b = line
	defer func() { s.b = nil }()
	i := s.ws(0)
	if i >= len(line) {
		return nil, s.errAt(BadJSON, i, "empty line")
	}
	if line[i] != '{' {
		if _, err := s.checkValue(i); err != nil {
			return nil, err
		}
		return nil, &LineError{Kind: NotObject, Offset: i, Msg: "found " + describe(line[i])}
	}
	v, i, err := s.object(i+1, f, 1)
	if err != nil {
		return nil, err
	}
	if n, err := s.end(i); err != nil {
		return nil, err
	} else if n < len(line) {
		return nil, s.errAt(BadJSON, n-1, "unexpected newline")
	}
	return v, nil
}

// checkValue validates a non-object line so that "not JSON" wins over
// "not an object" when both apply.
func (s *Scanner) checkValue(i int) (int, error) {
	i, err := s.skip(i, 0)
	if err != nil {
		return 0, err
	}
	return s.end(i)
}

// end checks that only whitespace follows the value up to the end of the
// line and returns the line's length including its newline.
func (s *Scanner) end(i int) (int, error) {
	i = s.ws(i)
	if i == len(s.b) {
		return i, nil
	}
	if s.b[i] == '\n' {
		return i + 1, nil
	}
	return 0, s.errAt(BadJSON, i, "unexpected "+describe(s.b[i])+" after the object")
}

// firstKeyResourceType checks whether the object's first key is
// resourceType and returns its value and the index after it.
func (s *Scanner) firstKeyResourceType(i int) (string, int, bool, error) {
	const k = `"resourceType"`
	b := s.b
	if len(b)-i < len(k) || string(b[i:i+len(k)]) != k {
		return "", 0, false, nil
	}
	i = s.ws(i + len(k))
	if i >= len(b) || b[i] != ':' {
		return "", 0, false, nil // let the full parse report it
	}
	i = s.ws(i + 1)
	if i >= len(b) || b[i] != '"' {
		return "", 0, false, nil
	}
	end, flags, err := s.str(i + 1)
	if err != nil {
		return "", 0, false, err
	}
	return s.strValue(i+1, end-1, flags), end, true, nil
}

// findResourceType walks the top-level members (validating them) until
// it finds resourceType.
func (s *Scanner) findResourceType(i int) (string, error) {
	b := s.b
	i = s.ws(i)
	if i < len(b) && b[i] == '}' {
		return "", &LineError{Kind: NoResourceType, Offset: i, Msg: "the object is empty"}
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return "", s.expected(i, "a string key")
		}
		end, flags, err := s.str(i + 1)
		if err != nil {
			return "", err
		}
		isRT := flags&strEscaped == 0 && string(b[i+1:end-1]) == "resourceType" ||
			flags&strEscaped != 0 && s.strValue(i+1, end-1, flags) == "resourceType"
		i = s.ws(end)
		if i >= len(b) || b[i] != ':' {
			return "", s.expected(i, "':' after an object key")
		}
		i = s.ws(i + 1)
		if isRT {
			if i < len(b) && b[i] == '"' {
				end, flags, err := s.str(i + 1)
				if err != nil {
					return "", err
				}
				return s.strValue(i+1, end-1, flags), nil
			}
			if _, err := s.skip(i, 1); err != nil {
				return "", err
			}
			return "", &LineError{Kind: NoResourceType, Offset: i, Msg: "resourceType is not a string"}
		}
		i, err = s.skip(i, 1)
		if err != nil {
			return "", err
		}
		i = s.ws(i)
		if i < len(b) && b[i] == ',' {
			i = s.ws(i + 1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return "", &LineError{Kind: NoResourceType, Offset: 0, Msg: "the object has no resourceType key"}
		}
		return "", s.expected(i, "',' or '}' in an object")
	}
}

// ws skips whitespace within a line: a newline ends the line, so it is
// not skipped.
func (s *Scanner) ws(i int) int {
	b := s.b
	// one comparison for the usual case, a byte that is not whitespace
	for i < len(b) && b[i] <= ' ' {
		switch b[i] {
		case ' ', '\t', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (s *Scanner) errAt(k ErrorKind, i int, msg string) *LineError {
	return &LineError{Kind: k, Offset: i, Msg: fmt.Sprintf("%s at byte %d", msg, i+1)}
}

func (s *Scanner) expected(i int, what string) *LineError {
	if i >= len(s.b) || s.b[i] == '\n' {
		return s.errAt(BadJSON, i, "unexpected end of line, expected "+what)
	}
	return s.errAt(BadJSON, i, "unexpected "+describe(s.b[i])+", expected "+what)
}

// newValue allocates one value in the arena. Slots are reused after
// Reset without being cleared, so every field is set here.
func (s *Scanner) newValue(k value.Kind) *value.Value {
	sl := &s.vals
	if sl.ci < len(sl.chunks) {
		if c := sl.chunks[sl.ci]; sl.pos < len(c) {
			v := &c[sl.pos]
			sl.pos++
			*v = value.Value{Kind: k}
			return v
		}
	}
	v := &sl.alloc(1)[0]
	*v = value.Value{Kind: k}
	return v
}

// object parses the members after '{' at i, keeping those f keeps.
func (s *Scanner) object(i int, f *Fields, depth int) (*value.Value, int, error) {
	if depth > maxDepth {
		return nil, i, s.errAt(BadJSON, i, "nesting too deep")
	}
	i = s.ws(i)
	if i < len(s.b) && s.b[i] == '}' {
		return s.newValue(value.Object), i + 1, nil
	}
	return s.members(i, f, depth, len(s.mstack), 0, false)
}

// members parses object members from i onto the member stack (the
// object's start is base) and builds the object at its '}'. With after
// set, a member has already been pushed (and marked in seen) and i
// follows its value: a ',' or '}' comes first. ScanLine uses that to
// keep the resourceType it has already read.
func (s *Scanner) members(i int, f *Fields, depth, base int, seen uint64, after bool) (*value.Value, int, error) {
	b := s.b
	all := f.all
	pt := s.pred(f)
	p := 0 // the member's position in the object
	if after {
		p = 1 // ScanLine's resourceType
	}
	var err error
	for {
		if !after {
			if i >= len(b) || b[i] != '"' {
				err = s.expected(i, "a string key")
				break
			}
			var kid *Fields
			var key string
			var e *predEntry
			if pt != nil && p < len(pt.ents) {
				e = &pt.ents[p]
				n := len(e.raw)
				var hit bool
				if n <= 16 && len(b)-i >= 16 {
					// one or two word comparisons (pred.go); an empty
					// raw has m0 0 and w0 1, so it never matches
					w := load64(b, i)
					if n <= 8 {
						hit = w&e.m0 == e.w0
					} else {
						hit = w == e.w0 && load64(b, i+n-8) == e.w1
					}
				} else {
					hit = e.matchesSlow(b, i)
				}
				if hit {
					i += n
					if e.k >= 0 {
						kid, key = s.keep(f, e.k, base, &seen)
					}
					goto value
				}
			}
			{
				kstart := i + 1
				// str's fast path, by hand (too big to inline): most keys
				// are plain ASCII ending within eight bytes. The lowest
				// flagged byte is the first quote, backslash, control or
				// non-ASCII byte (w's own high bits); when it is a quote the
				// key is done (m == 0: tz is 64 and the shifted byte 0).
				end, flags := 0, uint8(0)
				if len(b)-kstart >= 8 {
					w := load64(b, kstart)
					m := stops(w)
					if tz := uint(bits.TrailingZeros64(m)); byte(w>>(tz&^7)) == '"' {
						end = kstart + int(tz>>3) + 1
					}
				}
				if end == 0 {
					var kerr error
					end, flags, kerr = s.str(kstart)
					if kerr != nil {
						err = kerr
						break
					}
				}
				i = end
				if i < len(b) && b[i] == ':' {
					i++
				} else {
					i = s.ws(i)
					if i >= len(b) || b[i] != ':' {
						err = s.expected(i, "':' after an object key")
						break
					}
					i++
				}
				if all {
					kid = f
					key = s.strValue(kstart, end-1, flags)
					if s.dup(base, key) {
						kid = nil
					}
				} else {
					raw := b[kstart : end-1]
					if flags&strEscaped != 0 {
						s.key = appendUnescaped(s.key[:0], raw)
						raw = s.key
					}
					k := f.lookup(raw)
					if k >= 0 {
						kid, key = s.keep(f, k, base, &seen)
					}
					if pt != nil && flags == 0 && i == end+1 {
						pt.record(p, b[kstart-1:i], k)
						if p < len(pt.ents) {
							e = &pt.ents[p]
						} else {
							e = nil
						}
					} else {
						e = nil
					}
				}
			}
		value:
			if i < len(b) && b[i] <= ' ' { // whitespace (ws checks which)
				i = s.ws(i)
			}
			if kid == nil {
				if e != nil && e.k < 0 {
					if n := len(e.memo); n > 0 && depth+memoDepth <= maxDepth && len(b)-i >= n && string(b[i:i+n]) == string(e.memo) {
						i += n
						if e.score < 8 {
							e.score++
						}
					} else {
						start := i
						if i < len(b) && b[i] == '"' {
							i, _, err = s.str(i + 1)
						} else {
							i, err = s.skip(i, depth)
						}
						if err == nil {
							e.remember(b[start:i])
						}
					}
				} else if i < len(b) && b[i] == '"' {
					i, _, err = s.str(i + 1)
				} else {
					i, err = s.skip(i, depth)
				}
			} else {
				var v *value.Value
				v, i, err = s.value(i, kid, depth)
				if err == nil {
					s.mstack = append(s.mstack, value.Member{Key: key, Val: v})
				}
			}
			if err != nil {
				break
			}
			p++
		}
		after = false
		if i < len(b) && b[i] == ',' {
			i++
			if i < len(b) && b[i] == '"' {
				continue
			}
			i = s.ws(i)
			continue
		}
		i = s.ws(i)
		if i < len(b) && b[i] == ',' {
			i = s.ws(i + 1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			i++
			break
		}
		err = s.expected(i, "',' or '}' in an object")
		break
	}
	if err != nil {
		clear(s.mstack[base:])
		s.mstack = s.mstack[:base]
		return nil, i, err
	}
	v := s.newValue(value.Object)
	if n := len(s.mstack) - base; n > 0 {
		v.Obj = s.mems.alloc(n)
		copy(v.Obj, s.mstack[base:])
		s.mstack = s.mstack[:base]
	}
	return v, i, nil
}

// keep returns the projection and key of f's key k for the object being
// built, or nil when the object already has that key (duplicate keys keep
// the first): seen marks the first 64 keys, dup searches for the others.
func (s *Scanner) keep(f *Fields, k, base int, seen *uint64) (*Fields, string) {
	if k >= 64 {
		if s.dup(base, f.keys[k]) {
			return nil, ""
		}
	} else if *seen&(1<<k) != 0 {
		return nil, ""
	} else {
		*seen |= 1 << k
	}
	return f.kids[k], f.keys[k]
}

// dup reports whether key was already kept in the object being built:
// duplicate keys keep the first (value.Value's rule).
func (s *Scanner) dup(base int, key string) bool {
	for _, m := range s.mstack[base:] {
		if m.Key == key {
			return true
		}
	}
	return false
}

func (s *Scanner) array(i int, f *Fields, depth int) (*value.Value, int, error) {
	if depth > maxDepth {
		return nil, i, s.errAt(BadJSON, i, "nesting too deep")
	}
	b := s.b
	base := len(s.pstack)
	i = s.ws(i)
	if i < len(b) && b[i] == ']' {
		return s.newValue(value.Array), i + 1, nil
	}
	for {
		v, j, err := s.value(i, f, depth)
		if err != nil {
			s.pstack = s.pstack[:base]
			return nil, j, err
		}
		s.pstack = append(s.pstack, v)
		i = s.ws(j)
		if i < len(b) && b[i] == ',' {
			i = s.ws(i + 1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			i++
			break
		}
		s.pstack = s.pstack[:base]
		return nil, i, s.expected(i, "',' or ']' in an array")
	}
	v := s.newValue(value.Array)
	n := len(s.pstack) - base
	v.Arr = s.ptrs.alloc(n)
	copy(v.Arr, s.pstack[base:])
	s.pstack = s.pstack[:base]
	return v, i, nil
}

// value parses the value at i with projection f (the value of a kept key).
func (s *Scanner) value(i int, f *Fields, depth int) (*value.Value, int, error) {
	b := s.b
	if i >= len(b) {
		return nil, i, s.expected(i, "a value")
	}
	switch c := b[i]; c {
	case '{':
		return s.object(i+1, f, depth+1)
	case '[':
		return s.array(i+1, f, depth+1)
	case '"':
		// str's loop inlined for plain ASCII strings; str takes over at
		// an escape, a non-ASCII byte or an error.
		j := i + 1
		for n := len(b) - 8; j <= n; {
			w := load64(b, j)
			m := stops(w)
			if m == 0 {
				j += 8
				continue
			}
			if tz := uint(bits.TrailingZeros64(m)); byte(w>>(tz&^7)) == '"' {
				j += int(tz>>3) + 1
				v := s.newValue(value.String)
				if n := j - 1 - (i + 1); n > 0 {
					v.Str = unsafe.String(&b[i+1], n)
				}
				return v, j, nil
			}
			break
		}
		end, flags, err := s.str(j)
		if err != nil {
			return nil, end, err
		}
		v := s.newValue(value.String)
		v.Str = s.strValue(i+1, end-1, flags)
		return v, end, nil
	case 't':
		if len(b)-i >= 4 && string(b[i:i+4]) == "true" {
			return value.TrueValue, i + 4, nil
		}
	case 'f':
		if len(b)-i >= 5 && string(b[i:i+5]) == "false" {
			return value.FalseValue, i + 5, nil
		}
	case 'n':
		if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
			return value.NullValue, i + 4, nil
		}
	default:
		if c == '-' || c >= '0' && c <= '9' {
			end, err := s.number(i)
			if err != nil {
				return nil, end, err
			}
			v := s.newValue(value.Number)
			v.Str = unsafe.String(&b[i], end-i)
			return v, end, nil
		}
	}
	return nil, i, s.expected(i, "a value")
}

// skip validates the value at i without building it and returns the
// index after it. Containers are walked by an iterative state machine
// with an explicit stack (no recursion per value: most skipped values are
// small and nested).
func (s *Scanner) skip(i int, depth int) (int, error) {
	b := s.b
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	var err error
value:
	if i >= len(b) {
		return i, s.expected(i, "a value")
	}
	switch c := b[i]; c {
	case '"':
		// A string value: str's loop inlined for plain strings (most
		// skipped bytes are in strings); str itself takes over at an
		// escape or an error. Keys have their own copy below, so that
		// no flag says which is being read.
		i++
		for n := len(b) - 8; i <= n; {
			w := load64(b, i)
			m := stops(w)
			if m == 0 {
				i += 8
				continue
			}
			if tz := uint(bits.TrailingZeros64(m)); byte(w>>(tz&^7)) == '"' {
				i += int(tz>>3) + 1
				goto after
			}
			break
		}
		if i, _, err = s.str(i); err != nil {
			return i, err
		}
		goto after
	case '{':
		if depth+len(stack)+1 > maxDepth {
			return i, s.errAt(BadJSON, i, "nesting too deep")
		}
		stack = append(stack, '{')
		i++
		if i < len(b) && b[i] == '"' {
			goto key
		}
		i = s.ws(i)
		if i < len(b) && b[i] == '}' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto key
	case '[':
		if depth+len(stack)+1 > maxDepth {
			return i, s.errAt(BadJSON, i, "nesting too deep")
		}
		stack = append(stack, '[')
		i++
		if i < len(b) && b[i] <= ' ' { // whitespace (ws checks which)
			i = s.ws(i)
		}
		if i < len(b) && b[i] == ']' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto value
	case 't':
		if len(b)-i >= 4 && string(b[i:i+4]) == "true" {
			i += 4
			goto after
		}
	case 'f':
		if len(b)-i >= 5 && string(b[i:i+5]) == "false" {
			i += 5
			goto after
		}
	case 'n':
		if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
			i += 4
			goto after
		}
	default:
		if c == '-' || c >= '0' && c <= '9' {
			if i, err = s.number(i); err != nil {
				return i, err
			}
			goto after
		}
	}
	return i, s.expected(i, "a value")
key:
	if i >= len(b) || b[i] != '"' {
		return i, s.expected(i, "a string key")
	}
	i++
	for n := len(b) - 8; i <= n; {
		w := load64(b, i)
		m := stops(w)
		if m == 0 {
			i += 8
			continue
		}
		if tz := uint(bits.TrailingZeros64(m)); byte(w>>(tz&^7)) == '"' {
			i += int(tz>>3) + 1
			goto colon
		}
		break
	}
	if i, _, err = s.str(i); err != nil {
		return i, err
	}
colon:
	// the key's colon
	if i < len(b) && b[i] == ':' {
		i++
	} else {
		i = s.ws(i)
		if i >= len(b) || b[i] != ':' {
			return i, s.expected(i, "':' after an object key")
		}
		i++
	}
	if i < len(b) && b[i] <= ' ' { // whitespace (ws checks which)
		i = s.ws(i)
	}
	goto value
after:
	if len(stack) == 0 {
		return i, nil
	}
	if i < len(b) && b[i] <= ' ' { // whitespace (ws checks which)
		i = s.ws(i)
	}
	if i < len(b) {
		top := stack[len(stack)-1]
		switch b[i] {
		case ',':
			i++
			if i < len(b) && b[i] <= ' ' { // whitespace (ws checks which)
				i = s.ws(i)
			}
			if top == '{' {
				goto key
			}
			goto value
		case '}':
			if top == '{' {
				i++
				stack = stack[:len(stack)-1]
				goto after
			}
		case ']':
			if top == '[' {
				i++
				stack = stack[:len(stack)-1]
				goto after
			}
		}
		if top == '{' {
			return i, s.expected(i, "',' or '}' in an object")
		}
	}
	if len(stack) > 0 && stack[len(stack)-1] == '{' {
		return i, s.expected(i, "',' or '}' in an object")
	}
	return i, s.expected(i, "',' or ']' in an array")
}

// number validates a JSON number starting at i and returns its end.
func (s *Scanner) number(i int) (int, error) {
	b := s.b
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, s.expected(i, "a digit")
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, s.expected(i, "a digit")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, s.expected(i, "a digit after the decimal point")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, s.expected(i, "a digit in the exponent")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, nil
}

// String flags.
const (
	strEscaped = 1 << iota // contains a backslash escape
	strHigh                // contains bytes >= 0x80
)

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// stops flags, in the high bit of each byte, the bytes of w that end a
// run of plain string bytes: a quote, a backslash, a control byte or a
// non-ASCII byte. m == 0 means none is there; when one is, the lowest
// flag is the first such byte (a borrow may also flag bytes above it,
// which the loops never look at). Each term is the (x-1) half of the
// zero-byte test without its &^x: a byte with its high bit set is
// flagged by w itself, and for one without, (x-1) sets the high bit only
// when x is zero (or below 0x20 for w-0x20), absent a borrow from a byte
// already flagged below it.
func stops(w uint64) uint64 {
	q, bs := w^(lsb*'"'), w^(lsb*'\\')
	return ((q - lsb) | (bs - lsb) | (w - lsb*0x20) | w) & msb
}

// str scans a string body from i (just after the opening quote) and
// returns the index after the closing quote. It validates escapes and
// rejects control characters, eight bytes at a time where it can, and
// rejects invalid UTF-8 and lone surrogate escapes (BadUTF8). Callers may
// start it anywhere in a string after which nothing but ASCII came.
func (s *Scanner) str(i int) (int, uint8, error) {
	b := s.b
	start := i
	var flags uint8
	for {
		var acc uint64 // the words seen, for non-ASCII bytes (conservative)
		for n := len(b) - 8; i <= n; {
			w := load64(b, i)
			q := w ^ (lsb * '"')
			bs := w ^ (lsb * '\\')
			m := ((q-lsb)&^q | (bs-lsb)&^bs | (w-lsb*0x20)&^w) & msb
			acc |= w
			if m == 0 {
				i += 8
				continue
			}
			tz := uint(bits.TrailingZeros64(m))
			i += int(tz >> 3)
			if acc&msb != 0 {
				flags |= strHigh
			}
			if byte(w>>(tz&^7)) == '"' {
				if flags&strHigh != 0 {
					return s.checkUTF8(start, i+1, flags)
				}
				return i + 1, flags, nil
			}
			goto special
		}
		if acc&msb != 0 {
			flags |= strHigh
		}
		for i < len(b) {
			c := b[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= 0x80 {
				flags |= strHigh
			}
			i++
		}
	special:
		if i >= len(b) {
			return i, flags, s.errAt(BadJSON, i, "unexpected end of line in a string")
		}
		switch c := b[i]; {
		case c == '"':
			if flags&strHigh != 0 {
				return s.checkUTF8(start, i+1, flags)
			}
			return i + 1, flags, nil
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				return i + 1, flags, s.errAt(BadJSON, i+1, "unexpected end of line in a string escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, flags, s.errAt(BadJSON, i, `invalid \u escape in a string`)
				}
				if b[i+2]|0x20 == 'd' && b[i+3] >= '8' {
					// A surrogate: a high half (D800-DBFF) must be followed by
					// a low half (DC00-DFFF), which never comes alone.
					if !isHighSurrogate(b[i+3]) || len(b)-i < 12 || b[i+6] != '\\' || b[i+7] != 'u' ||
						b[i+8]|0x20 != 'd' || isHighSurrogate(b[i+9]) || b[i+9] < '8' ||
						!isHex(b[i+9]) || !isHex(b[i+10]) || !isHex(b[i+11]) {
						return i, flags, s.errAt(BadUTF8, i, "lone surrogate escape "+string(b[i:i+6])+" in a string (half of a UTF-16 pair, not a character)")
					}
					i += 6
				}
				i += 6
			default:
				return i, flags, s.errAt(BadJSON, i, "invalid escape "+describe(b[i+1])+" in a string")
			}
		default:
			return i, flags, s.errAt(BadJSON, i, "control "+describe(c)+" in a string")
		}
	}
}

// checkUTF8 validates the string body b[start:end-1] that str found to
// hold non-ASCII bytes (BadUTF8 at the first invalid byte).
func (s *Scanner) checkUTF8(start, end int, flags uint8) (int, uint8, error) {
	body := s.b[start : end-1]
	if utf8.Valid(body) {
		return end, flags, nil
	}
	j := 0
	for j < len(body) {
		r, n := utf8.DecodeRune(body[j:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		j += n
	}
	return start + j, flags, s.errAt(BadUTF8, start+j, "invalid UTF-8 "+describe(body[j])+" in a string")
}

// isHighSurrogate reports whether the third hex digit c of a \uDxxx
// escape makes it a high surrogate (D800-DBFF).
func isHighSurrogate(c byte) bool {
	return c >= '8' && c <= '9' || c|0x20 == 'a' || c|0x20 == 'b'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// strValue returns the text of the string body b[start:end] that str
// validated: the line's own bytes when they need no decoding, else a
// decoded copy in the arena. Invalid UTF-8 becomes U+FFFD, as in
// encoding/json.
func (s *Scanner) strValue(start, end int, flags uint8) string {
	if start == end {
		return ""
	}
	raw := s.b[start:end]
	if flags&strEscaped == 0 && (flags&strHigh == 0 || utf8.Valid(raw)) {
		return unsafe.String(&raw[0], len(raw))
	}
	// The decoded text is never longer than 3 bytes per input byte
	// (an invalid byte becomes the 3-byte U+FFFD).
	buf := s.strs.alloc(3 * len(raw))
	out := appendUnescaped(buf[:0], raw)
	if len(out) == 0 {
		return ""
	}
	return unsafe.String(&out[0], len(out))
}

// appendUnescaped decodes a validated string body (escapes and UTF-8)
// exactly as encoding/json does.
func appendUnescaped(dst, raw []byte) []byte {
	for r := 0; r < len(raw); {
		c := raw[r]
		switch {
		case c == '\\':
			switch raw[r+1] {
			case '"', '\\', '/':
				dst = append(dst, raw[r+1])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(raw[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(raw) && raw[r] == '\\' && raw[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, getu4(raw[r+2:])); dec != unicode.ReplacementChar {
							r += 6
							dst = utf8.AppendRune(dst, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			if rr == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			} else {
				dst = append(dst, raw[r:r+size]...)
			}
			r += size
		}
	}
	return dst
}

func getu4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r*16 + rune(c)
	}
	return r
}
