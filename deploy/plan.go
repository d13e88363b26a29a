package deploy

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// Script is a deployment script cut into the units deploy runs, with what
// each line of it belongs to.
type Script struct {
	// Text is the whole script, as `fhirql build` writes deploy.sql.
	Text string
	// Units are the pieces run one after another.
	Units []Unit
	parts []part
}

// Unit is one round trip to the server: a GO batch of the script, or the
// part of one that serves a single view or shared object.
//
// A batch of the script runs as sqlcmd would run it, except that where one
// batch holds the statements of several views or shared objects (the
// dedicated script has no GO at all), each one's statements go in a unit of
// their own. The script builder's statements share no variables, so this
// changes nothing but the progress a user sees and where a failure stops:
// before the next object, not in the middle of a long batch.
type Unit struct {
	// Batch is the number (1-based) of the GO batch the unit comes from.
	Batch int
	// View is the view the statements serve, "" for shared objects.
	View string
	// Object is what the unit's first statement creates, drops or loads
	// ("table [dbo].[fhirql_Patient_ndjson]"); for a shared object, the
	// object.
	Object string
	// SQL is the unit's text; its first line is script line Line.
	SQL           string
	Line, EndLine int
	// Count is the batch's GO count; the unit runs that many times. (The
	// builder writes no counts; a counted batch cut into several units would
	// run each unit n times in turn rather than the whole batch n times.)
	Count int
}

// Label names what the unit creates, for progress and errors.
func (u Unit) Label() string {
	switch {
	case u.View != "" && u.Object != "":
		return fmt.Sprintf("view %q: %s", u.View, u.Object)
	case u.View != "":
		return fmt.Sprintf("view %q", u.View)
	case u.Object != "":
		return u.Object
	}
	return "shared objects"
}

// part is one ScriptPart with the script lines it occupies.
type part struct {
	view, object  string
	line, endLine int
	head          string // first line of code, "" for comments and GO
	headLine      int
}

// NewScript cuts a deployment script, given as the script builder's parts
// (sql.DeployParts), into units.
func NewScript(parts []sql.ScriptPart) (*Script, error) {
	s := &Script{}
	var b strings.Builder
	line := 1
	for _, p := range parts {
		n := strings.Count(p.SQL, "\n")
		if !strings.HasSuffix(p.SQL, "\n") {
			n++ // the next part starts on this part's last line; it is counted as this one's
		}
		pr := part{view: p.View, object: p.Object, line: line, endLine: line + n - 1}
		var st lexState
		for i, l := range strings.Split(strings.TrimSuffix(p.SQL, "\n"), "\n") {
			if isGo, _, _ := goLine(l); isGo && st.normal() {
				continue // a separator is no statement
			}
			if st.scanLine(l) {
				pr.head, pr.headLine = strings.TrimSpace(l), line+i
				break
			}
		}
		s.parts = append(s.parts, pr)
		b.WriteString(p.SQL)
		line += n
	}
	s.Text = b.String()
	batches, err := Split(s.Text)
	if err != nil {
		return nil, err
	}
	for i, bt := range batches {
		if !bt.HasCode {
			continue
		}
		s.Units = append(s.Units, s.cut(i+1, bt)...)
	}
	return s, nil
}

// owner is the key that decides where a batch is cut.
type owner struct{ view, object string }

// cut splits one batch where the view or shared object its statements
// serve changes. Comments go with the statement after them (a view's
// header comment precedes its first statement), trailing ones with the
// statement before.
func (s *Script) cut(batch int, bt Batch) []Unit {
	lines := strings.SplitAfter(bt.SQL, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var units []Unit
	var cur *Unit
	var curOwner owner
	pending := 0 // comment-only lines not yet given to a unit
	for i, l := range lines {
		n := bt.Line + i
		p := s.partAt(n)
		code := p != nil && p.head != "" && n >= p.headLine
		if !code {
			pending++
			continue
		}
		o := owner{p.view, p.object}
		if p.view != "" {
			o.object = "" // a view's statements stay together
		}
		if cur == nil || o != curOwner {
			if cur != nil {
				units = append(units, *cur)
			}
			from := i - pending
			cur = &Unit{Batch: batch, View: p.view, Object: p.object, Line: bt.Line + from, Count: bt.Count}
			cur.SQL = strings.Join(lines[from:i], "")
			curOwner = o
			pending = 0
		}
		for ; pending > 0; pending-- {
			cur.SQL += lines[i-pending]
		}
		cur.SQL += l
		cur.EndLine = n
	}
	if cur == nil {
		// A batch with code that no part claims (a script not from the
		// builder): one unit.
		return []Unit{{Batch: batch, SQL: bt.SQL, Line: bt.Line, EndLine: bt.EndLine, Count: bt.Count}}
	}
	for j := len(lines) - pending; j < len(lines); j++ {
		cur.SQL += lines[j]
	}
	cur.EndLine = bt.EndLine
	return append(units, *cur)
}

// partAt is the part holding script line n, nil past the end.
func (s *Script) partAt(n int) *part {
	lo, hi := 0, len(s.parts)
	for lo < hi {
		m := (lo + hi) / 2
		if s.parts[m].endLine < n {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(s.parts) && s.parts[lo].line <= n {
		return &s.parts[lo]
	}
	return nil
}

// Statement is the statement holding script line n: its first line of code
// and where that is. ok is false when no statement is there.
func (s *Script) Statement(n int) (head string, line int, ok bool) {
	p := s.partAt(n)
	if p == nil || p.head == "" {
		return "", 0, false
	}
	return p.head, p.headLine, true
}
