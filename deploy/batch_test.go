package deploy

import (
	"strings"
	"testing"
)

// batchSummary is what a test compares: each batch's lines, count and
// whether it has code, and its text.
type batchSummary struct {
	line, end, count int
	code             bool
	sql              string
}

func summarize(bs []Batch) []batchSummary {
	var out []batchSummary
	for _, b := range bs {
		out = append(out, batchSummary{b.Line, b.EndLine, b.Count, b.HasCode, b.SQL})
	}
	return out
}

func TestSplit(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   []batchSummary
	}{
		{"no GO", "SELECT 1;\nSELECT 2;\n", []batchSummary{{1, 2, 1, true, "SELECT 1;\nSELECT 2;\n"}}},
		{"empty", "", nil},
		{"two batches", "CREATE VIEW a AS SELECT 1;\nGO\nCREATE VIEW b AS SELECT 2;\n",
			[]batchSummary{{1, 1, 1, true, "CREATE VIEW a AS SELECT 1;\n"}, {3, 3, 1, true, "CREATE VIEW b AS SELECT 2;\n"}}},
		{"trailing GO, no final newline", "SELECT 1\nGO", []batchSummary{{1, 1, 1, true, "SELECT 1\n"}}},
		{"case, blanks, comment after GO", "SELECT 1\n  go  -- end of a\nSELECT 2\n\tGo\t\n",
			[]batchSummary{{1, 1, 1, true, "SELECT 1\n"}, {3, 3, 1, true, "SELECT 2\n"}}},
		{"count", "INSERT t VALUES (1)\nGO 3\n", []batchSummary{{1, 1, 3, true, "INSERT t VALUES (1)\n"}}},
		{"CRLF", "SELECT 1\r\nGO\r\nSELECT 2\r\n", []batchSummary{{1, 1, 1, true, "SELECT 1\r\n"}, {3, 3, 1, true, "SELECT 2\r\n"}}},
		{"consecutive GO lines give no empty batch", "SELECT 1\nGO\nGO\n\nSELECT 2\n",
			[]batchSummary{{1, 1, 1, true, "SELECT 1\n"}, {4, 5, 1, true, "\nSELECT 2\n"}}},
		{"comment-only batch is kept without code", "-- header\n/* more */\nGO\nSELECT 1\n",
			[]batchSummary{{1, 2, 1, false, "-- header\n/* more */\n"}, {4, 4, 1, true, "SELECT 1\n"}}},
		{"GO inside a block comment", "SELECT 1\n/*\nGO\n*/\nSELECT 2\n",
			[]batchSummary{{1, 5, 1, true, "SELECT 1\n/*\nGO\n*/\nSELECT 2\n"}}},
		{"GO inside a nested block comment", "/* a /* b\n*/\nGO\n*/\nSELECT 1\nGO\n",
			[]batchSummary{{1, 5, 1, true, "/* a /* b\n*/\nGO\n*/\nSELECT 1\n"}}},
		{"GO inside a string literal", "SELECT N'a\nGO\nb'\nGO\n",
			[]batchSummary{{1, 3, 1, true, "SELECT N'a\nGO\nb'\n"}}},
		{"escaped quote keeps the literal open", "SELECT 'it''s\nGO\n'\n",
			[]batchSummary{{1, 3, 1, true, "SELECT 'it''s\nGO\n'\n"}}},
		{"GO inside a bracketed identifier", "SELECT 1 AS [a]]\nGO\nb]\n",
			[]batchSummary{{1, 3, 1, true, "SELECT 1 AS [a]]\nGO\nb]\n"}}},
		{"GO inside a quoted identifier", "SELECT 1 AS \"a\nGO\n\"\n",
			[]batchSummary{{1, 3, 1, true, "SELECT 1 AS \"a\nGO\n\"\n"}}},
		{"a line comment does not open a block comment", "SELECT 1 -- /*\nGO\nSELECT 2\n",
			[]batchSummary{{1, 1, 1, true, "SELECT 1 -- /*\n"}, {3, 3, 1, true, "SELECT 2\n"}}},
		{"a quote inside a line comment opens nothing", "-- it's\nSELECT 1\nGO\nSELECT 2\n",
			[]batchSummary{{1, 2, 1, true, "-- it's\nSELECT 1\n"}, {4, 4, 1, true, "SELECT 2\n"}}},
		{"a comment marker inside a literal is text", "SELECT '/*'\nGO\nSELECT '--'\nGO\n",
			[]batchSummary{{1, 1, 1, true, "SELECT '/*'\n"}, {3, 3, 1, true, "SELECT '--'\n"}}},
		{"GOTO and GO; are SQL", "GOTO done\nGO;\ngo_table:\n",
			[]batchSummary{{1, 3, 1, true, "GOTO done\nGO;\ngo_table:\n"}}},
		{"GO-- comment directly", "SELECT 1\nGO--x\nSELECT 2\n",
			[]batchSummary{{1, 1, 1, true, "SELECT 1\n"}, {3, 3, 1, true, "SELECT 2\n"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bs, err := Split(c.script)
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(bs)
			if len(got) != len(c.want) {
				t.Fatalf("got %d batches %+v, want %d %+v", len(got), got, len(c.want), c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("batch %d: got %+v, want %+v", i+1, got[i], c.want[i])
				}
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{"SELECT 1\nGO x\n", "line 2"},
		{"SELECT 1\nGO 0\n", "positive count"},
		{"SELECT 1\n\nGO -1\n", "line 3"},
		{"GO 1 2\n", "positive count"},
	} {
		_, err := Split(c.script)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Split(%q): error %v, want one containing %q", c.script, err, c.want)
		}
	}
}

// FuzzSplit: whatever the script, the batches and the GO lines between
// them give back the script, line numbers increase and agree with the
// text, and no batch holds a line that is a separator outside comments and
// literals.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"SELECT 1\nGO\nSELECT 2\n", "/*\nGO\n*/", "SELECT 'a\nGO\n'", "GO 2\n", "[x\nGO\n]]]\nGO\n",
		"-- c\r\nGO\r\n", "go\ngo\n", "SELECT \"a\"\"\nGO\n\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		bs, err := Split(script)
		if err != nil {
			return
		}
		lines := strings.SplitAfter(script, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		prev := 0
		for _, b := range bs {
			if b.Line <= prev || b.EndLine < b.Line || b.EndLine > len(lines) {
				t.Fatalf("batch lines %d-%d after %d, script of %d lines", b.Line, b.EndLine, prev, len(lines))
			}
			if got := strings.Join(lines[b.Line-1:b.EndLine], ""); got != b.SQL {
				t.Fatalf("batch text %q, lines %d-%d are %q", b.SQL, b.Line, b.EndLine, got)
			}
			for _, l := range lines[prev:max(b.Line-1, prev)] {
				if isGo, _, _ := goLine(strings.TrimSuffix(l, "\n")); !isGo && strings.TrimSpace(l) != "" {
					t.Fatalf("line %q between batches is neither GO nor blank", l)
				}
			}
			if b.Count < 1 {
				t.Fatalf("count %d", b.Count)
			}
			prev = b.EndLine
		}
	})
}
