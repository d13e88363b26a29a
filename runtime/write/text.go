package write

import (
	"encoding/binary"
	"io"
	"unicode/utf8"
	"unsafe"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/value"
)

// AppendJSON appends v as compact JSON text: strings escaped minimally
// (UTF-8 kept, no HTML escaping), numbers as their lexeme, object keys in
// input order. A nil value is null.
func AppendJSON(dst []byte, v *value.Value) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.Kind {
	case value.Null:
		return append(dst, "null"...)
	case value.Bool, value.Number:
		return append(dst, v.Str...)
	case value.String:
		return AppendJSONString(dst, v.Str)
	case value.Array:
		dst = append(dst, '[')
		for i, x := range v.Arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, x)
		}
		return append(dst, ']')
	case value.Object:
		dst = append(dst, '{')
		for i, m := range v.Obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, m.Key)
			dst = append(dst, ':')
			dst = AppendJSON(dst, m.Val)
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes that need no escaping in a JSON string.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return
}()

// AppendJSONString appends s as a JSON string literal. Invalid UTF-8 is
// replaced by U+FFFD so that the output is always valid JSON.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ndjsonWriter writes one JSON object per row, keys in column order,
// values with their JSON types (NULL is null).
type ndjsonWriter struct {
	keys [][]byte // `"name":` per column, the first without a comma
	w    io.Writer
	fits fits // the columns' rules (declared.go)
}

func newNDJSON(v *plan.View, w io.Writer) *ndjsonWriter {
	n := &ndjsonWriter{w: w, fits: fitsOf(v, false)}
	for i, c := range v.Columns {
		var k []byte
		if i == 0 {
			k = append(k, '{')
		} else {
			k = append(k, ',')
		}
		k = AppendJSONString(k, c.Name)
		k = append(k, ':')
		n.keys = append(n.keys, k)
	}
	return n
}

func (n *ndjsonWriter) Append(buf *Buffer, row []*value.Value) error {
	b := buf.Bytes
	if len(n.keys) == 0 {
		b = append(b, '{')
	}
	for i, k := range n.keys {
		b = append(b, k...)
		var cell *value.Value
		if i < len(row) {
			cell = row[i]
		}
		if n.fits != nil {
			cell = n.fits.check(buf, i, cell)
		}
		b = AppendJSON(b, cell)
	}
	b = append(b, '}', '\n')
	buf.Bytes = b
	buf.N++
	return nil
}

func (n *ndjsonWriter) Write(buf *Buffer) error {
	if len(buf.Bytes) == 0 {
		return nil
	}
	_, err := n.w.Write(buf.Bytes)
	return err
}

func (n *ndjsonWriter) Close() error { return nil }

// csvWriter writes RFC 4180 CSV: a header row, CRLF line ends, fields
// quoted when they hold a comma, quote or control byte such as CR or LF
// (or are empty strings, so that "" reads back as an empty string and an
// empty field as NULL).
// Booleans are true/false, numbers their lexeme, collections and objects
// JSON text.
type csvWriter struct {
	w    io.Writer
	fits fits // the columns' rules (declared.go)
}

func newCSV(v *plan.View, w io.Writer) (*csvWriter, error) {
	var b []byte
	for i, c := range v.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, c.Name, true)
	}
	b = append(b, '\r', '\n')
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	return &csvWriter{w: w, fits: fitsOf(v, false)}, nil
}

// csvPlain marks bytes that never force quoting.
var csvPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = c != ',' && c != '"' && c >= 0x20
	}
	return
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// csvIsPlain reports whether s needs no quoting, eight bytes at a time.
// Any control byte (not only CR and LF) makes a field quoted, which RFC
// 4180 allows and which costs one comparison less per word.
func csvIsPlain(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if csvSpecial(binary.LittleEndian.Uint64(b[i : i+8])) {
			return false
		}
	}
	if i < len(b) && len(b) >= 8 {
		// the tail as the last eight bytes (overlapping the checked ones)
		return !csvSpecial(binary.LittleEndian.Uint64(b[len(b)-8:]))
	}
	if len(b) >= 4 {
		// four to seven bytes (codes, units, short names) as two
		// overlapping halves of one word
		return !csvSpecial(uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))<<32)
	}
	for ; i < len(s); i++ {
		if !csvPlain[s[i]] {
			return false
		}
	}
	return true
}

// csvSpecial reports whether any byte of w is a comma, a quote or a
// control byte.
func csvSpecial(w uint64) bool {
	a, q := w^(lsb*','), w^(lsb*'"')
	return ((a-lsb)&^a|(q-lsb)&^q|(w-lsb*0x20)&^w)&msb != 0
}

func appendCSVField(dst []byte, s string, quoteEmpty bool) []byte {
	if s == "" {
		if quoteEmpty {
			return append(dst, '"', '"')
		}
		return dst
	}
	if csvIsPlain(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, s[start:i+1]...)
			dst = append(dst, '"')
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func (c *csvWriter) Append(buf *Buffer, row []*value.Value) error {
	b := buf.Bytes
	for i, cell := range row {
		if i > 0 {
			b = append(b, ',')
		}
		if cell == nil {
			continue
		}
		if c.fits != nil && c.fits[i] != fitAny {
			if cell = c.fits.check(buf, i, cell); cell == nil {
				continue
			}
		}
		// appendCSVCell with its common cases inlined (a call fewer
		// per cell)
		switch cell.Kind {
		case value.String:
			if s := cell.Str; s == "" {
				b = append(b, '"', '"')
			} else if csvIsPlain(s) {
				b = append(b, s...)
			} else {
				b = appendCSVField(b, s, true)
			}
		case value.Bool, value.Number:
			b = append(b, cell.Str...)
		default:
			b = appendCSVCell(b, cell)
		}
	}
	b = append(b, '\r', '\n')
	buf.Bytes = b
	buf.N++
	return nil
}

func appendCSVCell(b []byte, v *value.Value) []byte {
	if v == nil {
		return b
	}
	switch v.Kind {
	case value.Null:
		return b
	case value.Bool, value.Number:
		return append(b, v.Str...)
	case value.String:
		return appendCSVField(b, v.Str, true)
	default:
		// Collections and objects as JSON text, quoted as CSV needs.
		start := len(b)
		b = AppendJSON(b, v)
		js := string(b[start:])
		return appendCSVField(b[:start], js, true)
	}
}

func (c *csvWriter) Write(buf *Buffer) error {
	if len(buf.Bytes) == 0 {
		return nil
	}
	_, err := c.w.Write(buf.Bytes)
	return err
}

func (c *csvWriter) Close() error { return nil }
