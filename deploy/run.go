package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

// Executor runs one batch of T-SQL. *Conn is the real one; tests use fakes.
type Executor interface {
	Exec(ctx context.Context, batch string) error
}

// Error is a failed unit: which view or object, which statement and where
// in the script, and what the server said.
type Error struct {
	Unit  Unit
	Index int // 1-based, of Units
	Units int
	// Line is the script line the server's error points at (the unit's
	// first line when the server gave none); Statement is the first line of
	// the statement holding it, StatementLine its line.
	Line          int
	Statement     string
	StatementLine int
	Err           error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed (unit %d of %d, batch %d)", e.Unit.Label(), e.Index, e.Units, e.Unit.Batch)
	if e.Statement != "" {
		fmt.Fprintf(&b, " in the statement at line %d of the script: %s", e.StatementLine, short(e.Statement))
		if e.Line != e.StatementLine {
			fmt.Fprintf(&b, " (error at line %d)", e.Line)
		}
	} else {
		fmt.Fprintf(&b, " at line %d of the script", e.Line)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func short(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:97]) + "..."
	}
	return s
}

// serverLine is the line (1-based, within the batch) that SQL Server's
// error names, 0 when it names none. Of several errors the driver collects
// for one batch, the first is the cause; later ones tend to be follow-ups
// ("CREATE VIEW failed because ...").
func serverLine(err error) int {
	var me mssql.Error
	if errors.As(err, &me) && len(me.All) > 0 {
		return int(me.All[0].LineNo)
	}
	var le interface{ SQLErrorLineNo() int32 }
	if errors.As(err, &le) {
		return int(le.SQLErrorLineNo())
	}
	return 0
}

// Runner runs a script's units in order and stops at the first failure.
type Runner struct {
	Exec Executor
	// Progress receives a line before each unit and a summary at the end;
	// nil for none.
	Progress io.Writer
	// Now measures the time taken; nil for time.Now.
	Now func() time.Time
}

// Run runs every unit of the script. What ran before a failure stays: each
// of the builder's statements drops or replaces what it creates, so running
// the script again after fixing the cause finishes the job.
func (r *Runner) Run(ctx context.Context, s *Script) error {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	views := map[string]bool{}
	for i, u := range s.Units {
		if r.Progress != nil {
			fmt.Fprintf(r.Progress, "fhirql deploy: [%d/%d] %s (lines %d-%d)\n", i+1, len(s.Units), u.Label(), u.Line, u.EndLine)
		}
		for n := 0; n < max(u.Count, 1); n++ {
			if err := r.Exec.Exec(ctx, u.SQL); err != nil {
				return s.failure(u, i+1, err)
			}
		}
		if u.View != "" {
			views[u.View] = true
		}
	}
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "fhirql deploy: done: %d view(s), %d unit(s) in %s\n", len(views), len(s.Units), now().Sub(start).Round(time.Millisecond))
	}
	return nil
}

// failure maps an error of unit u to the script.
func (s *Script) failure(u Unit, index int, err error) *Error {
	e := &Error{Unit: u, Index: index, Units: len(s.Units), Line: u.Line, Err: err}
	if l := serverLine(err); l > 0 && u.Line+l-1 <= u.EndLine {
		e.Line = u.Line + l - 1
	}
	if head, line, ok := s.Statement(e.Line); ok {
		e.Statement, e.StatementLine = head, line
	} else if head, line, ok := s.firstStatement(u); ok {
		e.Statement, e.StatementLine = head, line
	}
	return e
}

// firstStatement is the first statement of a unit.
func (s *Script) firstStatement(u Unit) (string, int, bool) {
	for n := u.Line; n <= u.EndLine; n++ {
		if p := s.partAt(n); p != nil && p.head != "" {
			return p.head, p.headLine, true
		}
	}
	return "", 0, false
}

// DryRun writes the units as a script that sqlcmd could run: each preceded
// by a comment naming what it creates and where it is in the script, and
// followed by GO.
func DryRun(w io.Writer, s *Script) error {
	for i, u := range s.Units {
		if _, err := fmt.Fprintf(w, "-- fhirql deploy: [%d/%d] %s, batch %d, lines %d-%d\n", i+1, len(s.Units), u.Label(), u.Batch, u.Line, u.EndLine); err != nil {
			return err
		}
		sqlText := strings.TrimRight(u.SQL, "\r\n")
		sep := "GO"
		if u.Count > 1 {
			sep = fmt.Sprintf("GO %d", u.Count)
		}
		if _, err := fmt.Fprintf(w, "%s\n%s\n\n", sqlText, sep); err != nil {
			return err
		}
	}
	return nil
}
