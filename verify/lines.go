package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Reject is one line of the input that a SQL engine does not read, as its
// rejects view lists it (docs/input.md).
type Reject struct {
	File   string // the file, as the engine names it ("" when it does not say)
	Reason string
	Line   string // the line's text (its start)
}

// Rejecter is an engine that can list the input lines it does not read.
type Rejecter interface {
	Rejects(ctx context.Context, inputs []string) ([]Reject, error)
}

// Lines lines up the input lines each side could not read: the runtime's
// bad lines (skipped under MaxErrors) and the engine's rejects, counted per
// file. The runtime numbers lines and the engines do not all do so, so the
// comparison is by file and count.
type Lines struct {
	Runtime, Engine map[string]int64
}

// CompareLines counts the engine's rejects per file next to the runtime's
// bad lines.
func CompareLines(runtime map[string]int64, rejects []Reject) *Lines {
	l := &Lines{Runtime: map[string]int64{}, Engine: map[string]int64{}}
	for f, n := range runtime {
		if n > 0 {
			l.Runtime[f] = n
		}
	}
	for _, r := range rejects {
		l.Engine[r.File]++
	}
	return l
}

// Equal reports whether both sides failed to read the same number of
// lines in every file.
func (l *Lines) Equal() bool {
	if len(l.Runtime) != len(l.Engine) {
		return false
	}
	for f, n := range l.Runtime {
		if l.Engine[f] != n {
			return false
		}
	}
	return true
}

// Total is the runtime's count of unreadable lines.
func (l *Lines) Total() int64 {
	var n int64
	for _, c := range l.Runtime {
		n += c
	}
	return n
}

// Write reports the comparison for a person: one line when the sides agree
// ("3 input line(s) unreadable on both sides, the same per file: ..."), the
// counts of each side per file when they do not.
func (l *Lines) Write(b *strings.Builder, refName, engName string, rejects []Reject, max int) {
	if l.Equal() {
		if len(l.Runtime) == 0 {
			return // every line read on both sides: nothing to say
		}
		fmt.Fprintf(b, "input: %d line(s) unreadable on both sides, the same number in each file: %s\n", l.Total(), counts(l.Runtime))
		return
	}
	fmt.Fprintf(b, "input: DIFFERENT unreadable lines: %s: %s; %s: %s\n", refName, counts(l.Runtime), engName, counts(l.Engine))
	shown := 0
	for _, r := range rejects {
		if l.Runtime[r.File] == l.Engine[r.File] {
			continue
		}
		if max > 0 && shown == max {
			fmt.Fprintf(b, "  ...\n")
			break
		}
		text := r.Line
		if len(text) > 120 {
			text = text[:120] + "..."
		}
		fmt.Fprintf(b, "  %s rejects %s (%s): %q\n", engName, r.File, r.Reason, text)
		shown++
	}
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	files := make([]string, 0, len(m))
	for f := range m {
		files = append(files, f)
	}
	sort.Strings(files)
	var parts []string
	for _, f := range files {
		name := f
		if name == "" {
			name = "(file not named)"
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, m[f]))
	}
	return strings.Join(parts, ", ")
}
