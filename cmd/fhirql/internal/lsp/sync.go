package lsp

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"time"

	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

func init() {
	note("textDocument/didOpen", func(s *Server, p *DidOpenTextDocumentParams) error {
		td := p.TextDocument
		d := s.newDocument(td.URI, td.Version, td.Text, td.LanguageID)
		if old := s.docs[td.URI]; old != nil && old.dir != d.dir {
			s.touch(old.dir, false)
		}
		s.docs[td.URI] = d
		// Debounced like an edit: an editor restoring a session opens many
		// files of one directory at once, and one check serves them all.
		s.touch(d.dir, false)
		return nil
	})
	note("textDocument/didChange", func(s *Server, p *DidChangeTextDocumentParams) error {
		d := s.docs[p.TextDocument.URI]
		if d == nil {
			return nil
		}
		for _, c := range p.ContentChanges {
			if c.Range == nil {
				d.text = c.Text
				continue
			}
			f := source.NewFileString(d.name, d.text)
			start := f.OffsetUTF16(c.Range.Start.Line, c.Range.Start.Character)
			end := f.OffsetUTF16(c.Range.End.Line, c.Range.End.Character)
			if end < start {
				start, end = end, start
			}
			d.text = d.text[:start] + c.Text + d.text[end:]
		}
		d.version = p.TextDocument.Version
		s.touch(d.dir, false)
		return nil
	})
	note("textDocument/didClose", func(s *Server, p *DidCloseTextDocumentParams) error {
		d := s.docs[p.TextDocument.URI]
		if d == nil {
			return nil
		}
		delete(s.docs, d.uri)
		s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: d.uri, Diagnostics: []Diagnostic{}})
		ns := s.spaces[d.dir]
		if ns == nil {
			return nil
		}
		delete(ns.published, d.uri)
		for _, o := range s.docs {
			if o.dir == d.dir {
				// The directory now sees the file as it is on disk.
				s.touch(d.dir, false)
				return nil
			}
		}
		// Nothing of the directory is open any more: drop its state, so a
		// long session does not keep every directory it ever visited.
		ns.stopTimer()
		delete(s.spaces, d.dir)
		return nil
	})
	note("textDocument/didSave", func(s *Server, p *DidSaveTextDocumentParams) error {
		return nil // the open document's text is already current
	})
	note("workspace/didChangeWatchedFiles", func(s *Server, p *DidChangeWatchedFilesParams) error {
		dirs := map[string]bool{}
		for _, c := range p.Changes {
			if path, ok := uriToPath(c.URI); ok {
				dirs[filepath.Dir(path)] = true
			}
		}
		for d := range dirs {
			if _, known := s.spaces[d]; known {
				s.touch(d, false)
			}
		}
		return nil
	})
}

// touch marks a namespace changed and schedules its diagnostics: now, or
// after the debounce delay so that a burst of keystrokes costs one check.
func (s *Server) touch(dir string, now bool) {
	ns := s.namespaceFor(dir)
	ns.gen++
	if s.shutdown {
		return
	}
	if now || s.opts.Debounce < 0 {
		ns.stopTimer()
		s.publish(ns)
		return
	}
	ns.stopTimer()
	gen := ns.gen
	ns.timer = time.AfterFunc(s.opts.Debounce, func() {
		s.post(func() {
			if ns.gen == gen && !s.shutdown {
				ns.timer = nil
				s.publish(ns)
			}
		})
	})
}

// publish sends the diagnostics of every open document of a namespace; a
// document without problems gets an empty list, which clears old ones.
func (s *Server) publish(ns *namespace) {
	a := s.analyze(ns)
	for _, d := range s.docs {
		if d.dir != ns.dir {
			continue
		}
		pf := a.files[d.name]
		var out []Diagnostic
		if pf != nil {
			out = s.convertDiags(pf.src, d.uri, a.diags[d.name])
		} else if isSQLName(d.name) {
			out = s.sqlDiags(a, d)
		}
		if out == nil {
			out = []Diagnostic{}
		}
		v := d.version
		params := PublishDiagnosticsParams{URI: d.uri, Version: &v, Diagnostics: out}
		// Every open file of the directory is re-checked, but only those
		// whose diagnostics changed are sent again.
		key, _ := json.Marshal(params)
		if ns.published[d.uri] == string(key) {
			continue
		}
		ns.published[d.uri] = string(key)
		s.notify("textDocument/publishDiagnostics", params)
	}
}

// convertDiags turns compiler diagnostics into LSP ones. Notes with a place
// become related information; notes without one ("did you mean ...?") are
// appended to the message, where every client shows them. Suggested edits
// travel in Data, so codeAction can offer them without recomputing.
func (s *Server) convertDiags(f *source.File, uri string, dl diag.List) []Diagnostic {
	var out []Diagnostic
	for _, d := range dl.Sorted() {
		df := d.File
		if df == nil {
			df = f
		}
		ld := Diagnostic{
			Range:    spanRange(df, d.Span),
			Severity: severity(d.Severity),
			Code:     string(d.Code),
			Source:   "fhirql",
			Message:  d.Message,
		}
		var extra []string
		for _, n := range d.Notes {
			nf := n.File
			if nf == nil {
				nf = df
			}
			if n.Span.IsZero() || (nf == df && n.Span == d.Span) {
				extra = append(extra, n.Message)
				continue
			}
			ld.RelatedInformation = append(ld.RelatedInformation, DiagnosticRelatedInformation{
				Location: Location{URI: s.uriOf(nf.Name), Range: spanRange(nf, n.Span)},
				Message:  n.Message,
			})
		}
		if len(extra) > 0 {
			ld.Message += "\n" + strings.Join(extra, "\n")
		}
		if len(d.Edits) > 0 {
			data := &diagnosticData{}
			for _, e := range d.Edits {
				ef := e.File
				if ef == nil {
					ef = df
				}
				data.Fixes = append(data.Fixes, fixData{
					Title: e.Title,
					URI:   s.uriOf(ef.Name),
					Edits: []TextEdit{{Range: spanRange(ef, e.Span), NewText: e.NewText}},
				})
			}
			ld.Data = data
		}
		out = append(out, ld)
	}
	return out
}

func severity(s diag.Severity) int {
	switch s {
	case diag.Error:
		return sevError
	case diag.Warning:
		return sevWarning
	}
	return sevInfo
}

// spanRange converts a byte span to an LSP range.
func spanRange(f *source.File, sp source.Span) Range {
	return Range{Start: position(f, sp.Start), End: position(f, sp.End)}
}

func position(f *source.File, p source.Pos) Position {
	l, c := f.UTF16Col(p)
	return Position{Line: l, Character: c}
}

// offset converts an LSP position to a byte offset in f.
func offset(f *source.File, p Position) source.Pos {
	return f.OffsetUTF16(p.Line, p.Character)
}
