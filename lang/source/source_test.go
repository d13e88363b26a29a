package source

import "testing"

func TestPositions(t *testing.T) {
	f := NewFileString("f", "ab\ncdé\n\nx")
	cases := []struct {
		off       Pos
		line, col int
	}{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {8, 3, 1}, {9, 4, 1}, {10, 4, 2}, {99, 4, 2}}
	for _, c := range cases {
		p := f.Position(c.off)
		if p.Line != c.line || p.Col != c.col {
			t.Errorf("Position(%d) = %d:%d, want %d:%d", c.off, p.Line, p.Col, c.line, c.col)
		}
		if c.off <= 10 && f.Offset(p.Line, p.Col) != c.off {
			t.Errorf("Offset(%d:%d) = %d, want %d", p.Line, p.Col, f.Offset(p.Line, p.Col), c.off)
		}
	}
	if f.LineText(2) != "cdé" || f.LineText(3) != "" || f.LineCount() != 4 {
		t.Errorf("LineText/LineCount wrong: %q %q %d", f.LineText(2), f.LineText(3), f.LineCount())
	}
}

func TestUTF16(t *testing.T) {
	// 'é' is 2 bytes, 1 UTF-16 unit; '😀' is 4 bytes, 2 UTF-16 units.
	f := NewFileString("f", "x\né😀z\n")
	z := Pos(2 + 2 + 4)
	line, col := f.UTF16Col(z)
	if line != 1 || col != 3 {
		t.Fatalf("UTF16Col = %d:%d, want 1:3", line, col)
	}
	if got := f.OffsetUTF16(1, 3); got != z {
		t.Fatalf("OffsetUTF16(1,3) = %d, want %d", got, z)
	}
}

func TestSpan(t *testing.T) {
	a, b := Span{2, 4}, Span{6, 9}
	if j := a.Join(b); j != (Span{2, 9}) {
		t.Errorf("Join = %v", j)
	}
	if j := (Span{}).Join(b); j != b {
		t.Errorf("Join with zero = %v", j)
	}
	if !a.Contains(3) || a.Contains(4) || !(Span{5, 5}).Contains(5) {
		t.Error("Contains wrong")
	}
}
