// Package source holds input files and byte-offset positions.
//
// Trees store byte offsets only (cheap, exact, independent of encoding); line and
// column numbers are computed at the edge, when a diagnostic is rendered or the
// language server converts to UTF-16. This follows esbuild's Loc/Range and sqlc's
// Location design.
package source

import (
	"sort"
	"unicode/utf8"
)

// Pos is a byte offset into a File's text.
type Pos int

// Span is a half-open byte range [Start, End) in one file.
type Span struct {
	Start, End Pos
}

// Len is the number of bytes the span covers.
func (s Span) Len() int { return int(s.End - s.Start) }

// IsZero reports whether the span carries no position (both ends zero).
func (s Span) IsZero() bool { return s.Start == 0 && s.End == 0 }

// Join returns the smallest span that covers both spans; a zero span is ignored
// so that joining with a missing position keeps the known one.
func (s Span) Join(o Span) Span {
	if s.IsZero() {
		return o
	}
	if o.IsZero() {
		return s
	}
	if o.Start < s.Start {
		s.Start = o.Start
	}
	if o.End > s.End {
		s.End = o.End
	}
	return s
}

// Contains reports whether p falls inside the span (an empty span contains its start).
func (s Span) Contains(p Pos) bool {
	return p >= s.Start && (p < s.End || (s.Start == s.End && p == s.Start))
}

// File is one input: a .fview file, a ViewDefinition JSON file, or an NDJSON file.
// The line table is built lazily, on the first position lookup.
type File struct {
	Name  string
	Text  string
	lines []int // byte offset of the start of each line
}

// NewFile wraps a file's name and contents.
func NewFile(name string, text []byte) *File {
	return &File{Name: name, Text: string(text)}
}

// BOM is the UTF-8 byte-order mark some Windows editors put at the start of
// a file.
const BOM = "\ufeff"

// BlankBOM returns text with a leading byte-order mark replaced by three
// spaces, so that readers accept it as whitespace while every byte offset
// (and so every span and line:column) stays that of the file on disk.
func BlankBOM(text string) string {
	if len(text) >= len(BOM) && text[:len(BOM)] == BOM {
		return "   " + text[len(BOM):]
	}
	return text
}

// NewFileString is NewFile for text already held as a string.
func NewFileString(name, text string) *File {
	return &File{Name: name, Text: text}
}

func (f *File) lineTable() []int {
	if f.lines == nil {
		lines := []int{0}
		for i := 0; i < len(f.Text); i++ {
			if f.Text[i] == '\n' {
				lines = append(lines, i+1)
			}
		}
		f.lines = lines
	}
	return f.lines
}

// Position is a human-facing location: 1-based line, 1-based column in bytes.
type Position struct {
	Line, Col int
}

// Position converts a byte offset to a 1-based line and byte column. Offsets
// past the end clamp to the end of the text.
func (f *File) Position(p Pos) Position {
	if p < 0 {
		p = 0
	}
	if int(p) > len(f.Text) {
		p = Pos(len(f.Text))
	}
	lines := f.lineTable()
	i := sort.Search(len(lines), func(i int) bool { return lines[i] > int(p) }) - 1
	return Position{Line: i + 1, Col: int(p) - lines[i] + 1}
}

// Offset converts a 1-based line and byte column back to an offset, clamping
// to the file; the language server uses it after converting from UTF-16.
func (f *File) Offset(line, col int) Pos {
	lines := f.lineTable()
	if line < 1 {
		return 0
	}
	if line > len(lines) {
		return Pos(len(f.Text))
	}
	start := lines[line-1]
	end := len(f.Text)
	if line < len(lines) {
		end = lines[line] - 1
	}
	off := start + col - 1
	if off > end {
		off = end
	}
	if off < start {
		off = start
	}
	return Pos(off)
}

// LineText returns the text of a 1-based line without its line terminator.
func (f *File) LineText(line int) string {
	lines := f.lineTable()
	if line < 1 || line > len(lines) {
		return ""
	}
	start := lines[line-1]
	end := len(f.Text)
	if line < len(lines) {
		end = lines[line] - 1
	}
	s := f.Text[start:end]
	if len(s) > 0 && s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	return s
}

// LineCount is the number of lines (a trailing newline starts an empty last line).
func (f *File) LineCount() int { return len(f.lineTable()) }

// UTF16Col converts a byte position to a 0-based UTF-16 column on its line, the
// unit the Language Server Protocol counts in.
func (f *File) UTF16Col(p Pos) (line0, col16 int) {
	pos := f.Position(p)
	text := f.LineText(pos.Line)
	n := pos.Col - 1
	if n > len(text) {
		n = len(text)
	}
	col := 0
	for _, r := range text[:n] {
		if r >= 0x10000 {
			col += 2
		} else {
			col++
		}
	}
	return pos.Line - 1, col
}

// OffsetUTF16 converts a 0-based line and UTF-16 column to a byte offset.
func (f *File) OffsetUTF16(line0, col16 int) Pos {
	text := f.LineText(line0 + 1)
	lines := f.lineTable()
	if line0 >= len(lines) {
		return Pos(len(f.Text))
	}
	if line0 < 0 {
		return 0
	}
	b, c := 0, 0
	for b < len(text) && c < col16 {
		r, size := utf8.DecodeRuneInString(text[b:])
		if r >= 0x10000 {
			c += 2
		} else {
			c++
		}
		b += size
	}
	return Pos(lines[line0] + b)
}
