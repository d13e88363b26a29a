package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/lang/source"
)

// MaxShown caps how many diagnostics a renderer prints; the rest are counted,
// because a wall of cascading errors hides the first real one.
const MaxShown = 50

// RenderText prints diagnostics the way compilers do:
//
//	view.fview:3:14: error[FQL2003]: unknown element "birthdate" on Patient
//	  birth_date = birthdate
//	               ^~~~~~~~~
//	  note: did you mean "birthDate"?
func RenderText(w io.Writer, l List) {
	l = l.Sorted()
	for i, d := range l {
		if i == MaxShown {
			fmt.Fprintf(w, "%d more diagnostics not shown\n", len(l)-MaxShown)
			break
		}
		fmt.Fprintln(w, d.Error())
		if d.File != nil {
			renderSnippet(w, d.File, d.Span)
		}
		for _, n := range d.Notes {
			f := n.File
			if f == nil {
				f = d.File
			}
			if f != nil && !n.Span.IsZero() && (f != d.File || n.Span != d.Span) {
				p := f.Position(n.Span.Start)
				fmt.Fprintf(w, "  note: %s:%d:%d: %s\n", f.Name, p.Line, p.Col, n.Message)
			} else {
				fmt.Fprintf(w, "  note: %s\n", n.Message)
			}
		}
	}
}

// SnippetWidth is the most bytes of a source line a text diagnostic shows.
// A longer line (a one-line ViewDefinition of 600 KB) is cut around the span
// with an ellipsis on each cut side, the caret still under the span.
const SnippetWidth = 120

// snippetBefore is how much of a long line is kept before the span.
const snippetBefore = 40

func renderSnippet(w io.Writer, f *source.File, sp source.Span) {
	p := f.Position(sp.Start)
	line := f.LineText(p.Line)
	if line == "" && sp.Len() == 0 {
		return
	}
	start := p.Col - 1
	if start > len(line) {
		start = len(line)
	}
	end := start + sp.Len()
	if end > len(line) {
		end = len(line)
	}
	lo, hi := 0, len(line)
	if len(line) > SnippetWidth {
		lo = max(0, start-snippetBefore)
		hi = min(len(line), lo+SnippetWidth)
		lo = max(0, hi-SnippetWidth)
		for lo > 0 && !utf8.RuneStart(line[lo]) {
			lo++
		}
		for hi < len(line) && !utf8.RuneStart(line[hi]) {
			hi--
		}
		end = min(end, hi)
	}
	var shown, pad strings.Builder
	if lo > 0 {
		shown.WriteString("…")
		pad.WriteByte(' ')
	}
	shown.WriteString(strings.ReplaceAll(line[lo:hi], "\t", " "))
	if hi < len(line) {
		shown.WriteString("…")
	}
	for _, r := range line[lo:start] {
		if r != '\ufeff' { // a byte-order mark takes no room
			pad.WriteByte(' ')
		}
	}
	width := max(1, utf8.RuneCountInString(line[start:end]))
	fmt.Fprintf(w, "  %s\n", shown.String())
	fmt.Fprintf(w, "  %s^%s\n", pad.String(), strings.Repeat("~", width-1))
}

// JSONDiagnostic is the stable JSON shape of a diagnostic (`--format json`).
type JSONDiagnostic struct {
	File     string     `json:"file,omitempty"`
	Line     int        `json:"line,omitempty"`
	Col      int        `json:"column,omitempty"`
	EndLine  int        `json:"endLine,omitempty"`
	EndCol   int        `json:"endColumn,omitempty"`
	Severity string     `json:"severity"`
	Code     string     `json:"code"`
	Message  string     `json:"message"`
	Notes    []JSONNote `json:"notes,omitempty"`
	Edits    []JSONEdit `json:"edits,omitempty"`
}

// JSONNote is a note in JSON output.
type JSONNote struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// JSONEdit is a suggested edit in JSON output.
type JSONEdit struct {
	Title   string `json:"title"`
	Line    int    `json:"line"`
	Col     int    `json:"column"`
	EndLine int    `json:"endLine"`
	EndCol  int    `json:"endColumn"`
	NewText string `json:"newText"`
}

// ToJSON converts diagnostics to their JSON shape, sorted.
func ToJSON(l List) []JSONDiagnostic {
	out := []JSONDiagnostic{}
	for _, d := range l.Sorted() {
		j := JSONDiagnostic{Severity: d.Severity.String(), Code: string(d.Code), Message: d.Message}
		if d.File != nil {
			s, e := d.File.Position(d.Span.Start), d.File.Position(d.Span.End)
			j.File, j.Line, j.Col, j.EndLine, j.EndCol = d.File.Name, s.Line, s.Col, e.Line, e.Col
		}
		for _, n := range d.Notes {
			jn := JSONNote{Message: n.Message}
			f := n.File
			if f == nil {
				f = d.File
			}
			if f != nil && !n.Span.IsZero() {
				p := f.Position(n.Span.Start)
				jn.File, jn.Line, jn.Col = f.Name, p.Line, p.Col
			}
			j.Notes = append(j.Notes, jn)
		}
		for _, e := range d.Edits {
			f := e.File
			if f == nil {
				f = d.File
			}
			if f == nil {
				continue
			}
			s, en := f.Position(e.Span.Start), f.Position(e.Span.End)
			j.Edits = append(j.Edits, JSONEdit{Title: e.Title, Line: s.Line, Col: s.Col, EndLine: en.Line, EndCol: en.Col, NewText: e.NewText})
		}
		out = append(out, j)
	}
	return out
}

// RenderJSON writes diagnostics as an indented JSON array.
func RenderJSON(w io.Writer, l List) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(l))
}
