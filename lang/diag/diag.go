// Package diag defines diagnostics as data: a stable code, a span, a message,
// notes and suggested edits.
//
// Every stage (parse, viewdef, check, lower, the SQL dialects, the runtime)
// reports through this one shape, so the CLI, the JSON output and the language
// server render them the same way. Stages build diagnostics through one
// constructor per kind in their own errors.go; no ad-hoc strings reach users.
package diag

import (
	"fmt"
	"sort"

	"github.com/fhirql/fhirql/lang/source"
)

// Severity orders diagnostics: errors stop a pipeline, warnings do not.
type Severity int

const (
	// Error means the input cannot be compiled or run as written.
	Error Severity = iota
	// Warning flags input that works but is likely wrong.
	Warning
	// Info is advice with no doubt about correctness.
	Info
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// Code is a stable identifier such as "FQL2003". Ranges: 1xxx syntax and
// input shape, 2xxx names and types, 3xxx lowering and dialect capabilities,
// 4xxx runtime data, 9xxx internal. Codes never change meaning once released,
// so users can search for them and tools can filter on them.
type Code string

// Diagnostic is one finding at one place.
type Diagnostic struct {
	Severity Severity
	Code     Code
	File     *source.File // nil when the finding has no file (e.g. a missing input)
	Span     source.Span
	Message  string // lower-case, no trailing period; names quoted with %q
	Notes    []Note
	Edits    []Edit // suggested fixes, applied by the language server as quick fixes
}

// Note adds context, optionally at another place (e.g. "first defined here").
type Note struct {
	File    *source.File // nil: the diagnostic's file
	Span    source.Span  // zero: no location
	Message string
}

// Edit is a suggested replacement of a span's text.
type Edit struct {
	Title   string // short label for a quick fix, e.g. `change to "birthDate"`
	File    *source.File
	Span    source.Span
	NewText string
}

// Error implements error so a diagnostic can travel through error-returning APIs.
func (d *Diagnostic) Error() string {
	if d.File == nil {
		return fmt.Sprintf("%s[%s]: %s", d.Severity, d.Code, d.Message)
	}
	p := d.File.Position(d.Span.Start)
	return fmt.Sprintf("%s:%d:%d: %s[%s]: %s", d.File.Name, p.Line, p.Col, d.Severity, d.Code, d.Message)
}

// List is a set of diagnostics from one or more stages.
type List []*Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Err returns the list as an error when it holds errors, nil otherwise.
func (l List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return ListError(l)
}

// ListError adapts a List to the error interface.
type ListError List

func (e ListError) Error() string {
	if len(e) == 0 {
		return "no diagnostics"
	}
	if len(e) == 1 {
		return e[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", e[0].Error(), len(e)-1)
}

// Sorted returns the diagnostics ordered by file, position, severity, code and
// message, with exact duplicates removed (CUE's Sanitize), so output is stable
// whatever order the stages found them in.
func (l List) Sorted() List {
	out := append(List(nil), l...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		an, bn := fileName(a.File), fileName(b.File)
		if an != bn {
			return an < bn
		}
		if a.Span.Start != b.Span.Start {
			return a.Span.Start < b.Span.Start
		}
		if a.Span.End != b.Span.End {
			return a.Span.End < b.Span.End
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	dedup := out[:0]
	for i, d := range out {
		if i > 0 {
			p := out[i-1]
			if fileName(p.File) == fileName(d.File) && p.Span == d.Span && p.Code == d.Code && p.Message == d.Message {
				continue
			}
		}
		dedup = append(dedup, d)
	}
	return dedup
}

func fileName(f *source.File) string {
	if f == nil {
		return ""
	}
	return f.Name
}

// New builds a diagnostic; stage constructors call it so the shape stays in one place.
func New(sev Severity, code Code, file *source.File, span source.Span, format string, args ...any) *Diagnostic {
	return &Diagnostic{Severity: sev, Code: code, File: file, Span: span, Message: fmt.Sprintf(format, args...)}
}

// WithNote appends a note at the diagnostic's own file and returns the diagnostic.
func (d *Diagnostic) WithNote(span source.Span, format string, args ...any) *Diagnostic {
	d.Notes = append(d.Notes, Note{Span: span, Message: fmt.Sprintf(format, args...)})
	return d
}

// WithEdit appends a suggested replacement in the diagnostic's own file.
func (d *Diagnostic) WithEdit(title string, span source.Span, newText string) *Diagnostic {
	d.Edits = append(d.Edits, Edit{Title: title, File: d.File, Span: span, NewText: newText})
	return d
}
