package deploy

import (
	"fmt"
	"strconv"
	"strings"
)

// Batch is the text between two batch separators of a script, as sqlcmd
// sends it to the server.
type Batch struct {
	// SQL is the batch's text, its lines exactly as in the script (line
	// breaks included), without the GO line that ends it.
	SQL string
	// Line and EndLine are the script lines (1-based) of the batch's first
	// and last line.
	Line, EndLine int
	// Count is how many times to run it: n for "GO n", 1 otherwise.
	Count int
	// HasCode is false for a batch of only blank lines and comments, which
	// sqlcmd sends but which does nothing; Plan leaves it out.
	HasCode bool
}

// lexState is where a line starts: inside a (nested) block comment, inside
// a delimited literal or identifier, or neither.
type lexState struct {
	comment int  // depth of /* */ nesting (T-SQL block comments nest)
	quote   byte // closing delimiter of the open literal: ' " or ], 0 when none
}

func (s lexState) normal() bool { return s.comment == 0 && s.quote == 0 }

// scanLine advances the state over one line (without its line break) and
// reports whether the line holds code: anything but blanks and comments.
func (s *lexState) scanLine(line string) (code bool) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case s.comment > 0:
			if c == '/' && i+1 < len(line) && line[i+1] == '*' {
				s.comment++
				i++
			} else if c == '*' && i+1 < len(line) && line[i+1] == '/' {
				s.comment--
				i++
			}
		case s.quote != 0:
			code = true
			if c == s.quote {
				if i+1 < len(line) && line[i+1] == s.quote { // '' ]] "" escape the delimiter
					i++
				} else {
					s.quote = 0
				}
			}
		case c == '-' && i+1 < len(line) && line[i+1] == '-':
			return code // a line comment runs to the end of the line
		case c == '/' && i+1 < len(line) && line[i+1] == '*':
			s.comment = 1
			i++
		case c == '\'' || c == '"':
			s.quote = c
			code = true
		case c == '[':
			s.quote = ']'
			code = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
		default:
			code = true
		}
	}
	if s.quote != 0 {
		code = true
	}
	return code
}

// goLine reports whether a line, starting outside any comment or literal,
// is a batch separator, and its count. As in sqlcmd, the separator is GO in
// any letter case, alone on its line apart from blanks, an optional count
// and an optional -- comment. A line that starts with the word GO followed
// by anything else is an error, not SQL: sqlcmd rejects it too.
func goLine(line string) (isGo bool, count int, err error) {
	t := strings.TrimRight(strings.TrimLeft(line, " \t"), " \t\r")
	if len(t) < 2 || !strings.EqualFold(t[:2], "go") {
		return false, 0, nil
	}
	rest := t[2:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' && !strings.HasPrefix(rest, "--") {
		return false, 0, nil // GOTO, go_table, GO; ... : not the separator
	}
	if i := strings.Index(rest, "--"); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return true, 1, nil
	}
	n, perr := strconv.Atoi(rest)
	if perr != nil || n < 1 || strings.ContainsAny(rest, "+-") {
		return true, 0, fmt.Errorf("%q: a GO line takes only a positive count (GO or GO 2)", strings.TrimSpace(line))
	}
	return true, n, nil
}

// Split cuts a script into batches on its GO lines, as sqlcmd does: a GO
// inside a block comment or a string literal (which a line break may
// continue) does not separate. A GO after the last batch is optional.
// Batches of comments only are kept (HasCode false); empty ones between two
// GO lines are not.
func Split(script string) ([]Batch, error) {
	var (
		out   []Batch
		st    lexState
		b     strings.Builder
		start = 1
		code  bool
		lines int // lines in b
	)
	flush := func(end, count int) {
		if lines > 0 {
			out = append(out, Batch{SQL: b.String(), Line: start, EndLine: end, Count: count, HasCode: code})
		}
		b.Reset()
		code, lines = false, 0
	}
	lineNo := 0
	for rest := script; rest != ""; {
		lineNo++
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = ""
		}
		body := strings.TrimSuffix(line, "\n")
		if st.normal() {
			isGo, count, err := goLine(body)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", lineNo, err)
			}
			if isGo {
				flush(lineNo-1, count)
				start = lineNo + 1
				continue
			}
		}
		if lines == 0 {
			start = lineNo
		}
		if st.scanLine(body) {
			code = true
		}
		b.WriteString(line)
		lines++
	}
	flush(lineNo, 1)
	return out, nil
}
