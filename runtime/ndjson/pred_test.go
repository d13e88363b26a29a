package ndjson

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// predProjection keeps some keys at several levels, so that lines go
// through the predicted paths of members (kept and skipped keys, nested
// objects, arrays of objects, an All node).
func predProjection() Projection {
	root := NewFields()
	root.Add("resourceType")
	root.Add("id")
	root.Add("a")
	b := root.Add("b")
	b.Add("c")
	b.Add("coding").Add("code")
	root.Add("d").SetAll()
	p := Projection{"T": root}
	p.Freeze()
	return p
}

// scanFresh scans line with a scanner that has seen nothing before: the
// reference a scanner with a history of predictions must agree with.
func scanFresh(line []byte, p Projection) string {
	s := NewScanner()
	v, rt, err := s.Scan(line, p)
	if err != nil {
		return "error: " + err.Error()
	}
	return rt + " " + render(v)
}

func scanWith(s *Scanner, line []byte, p Projection) string {
	v, rt, err := s.Scan(line, p)
	defer s.Reset()
	if err != nil {
		return "error: " + err.Error()
	}
	return rt + " " + render(v)
}

// TestPredictionAgrees feeds one scanner lines whose keys come in
// changing orders and whose skipped values repeat, nearly repeat (a
// longer string with the same start, an object with one more member) or
// turn invalid, and checks every result, value and error message alike,
// against a fresh scanner.
func TestPredictionAgrees(t *testing.T) {
	p := predProjection()
	skipped := []string{
		// neighbours: the second starts with the first
		`{"profile":["http://example.org/p"]}`, `{"profile":["http://example.org/p"],"x":1}`,
		`"abc"`, `"abcd"`, `"ab\"c"`, `"ab\u0063"`,
		`[1,2,3]`, `[1,2,3,4]`, `[1,2,3`, `{"a":tru}`, `{"a":1}}`,
		`12`, `123`, `-1.5e3`, `true`, `truex`, `null`, `{}`, `{}x`, `[]`, `[{"k":[{}]}]`,
	}
	kept := []string{`"x"`, `"xy"`, `1`, `{"c":"v","coding":[{"code":"a"},{"code":"b","system":"s"}]}`, `{"coding":[]}`, `[1,{"z":2}]`}
	keys := []string{`"id"`, `"meta"`, `"a"`, `"b"`, `"d"`, `"text"`, `"e"`, `"a" `, `"\u0061"`, `"me\u0074a"`}
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewScanner()
	var lines []string
	// Each key keeps its value for runs of lines (as exports do) and
	// then changes, often to its neighbour in skipped: a value that
	// starts with the remembered one.
	cur := make([]int, len(keys))
	for i := 0; i < 4000; i++ {
		for k := range cur {
			switch rng.IntN(10) {
			case 0:
				cur[k] = rng.IntN(len(skipped))
			case 1:
				cur[k] = min(cur[k]+1, len(skipped)-1)
			}
		}
		var sb strings.Builder
		sb.WriteString(`{"resourceType":"T"`)
		// Mostly one fixed order (as exports have), sometimes shuffled,
		// sometimes with a member missing or repeated.
		order := []int{0, 1, 2, 3, 4, 5, 6}
		if rng.IntN(8) == 0 {
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		}
		if rng.IntN(10) == 0 {
			order = order[:rng.IntN(len(order))]
		}
		if rng.IntN(10) == 0 {
			order = append(order, order...)
		}
		for _, k := range order {
			key := keys[k]
			if rng.IntN(20) == 0 {
				key = keys[7+rng.IntN(3)] // whitespace or escapes in the key
			}
			var v string
			if key == `"b"` || key == `"a"` || key == `"d"` {
				v = kept[rng.IntN(len(kept))]
			} else {
				v = skipped[cur[k]]
			}
			sb.WriteString("," + key + ":" + v)
		}
		sb.WriteString("}")
		lines = append(lines, sb.String())
	}
	for i, line := range lines {
		got, want := scanWith(s, []byte(line), p), scanFresh([]byte(line), p)
		if got != want {
			t.Fatalf("line %d %s\nafter %s\ngot  %s\nwant %s", i, line, lines[max(i-1, 0)], got, want)
		}
	}
	// The agreement above means something only if predictions were
	// made and remembered values were stepped over.
	hits := 0
	for _, pt := range s.preds {
		if pt != nil {
			for _, e := range pt.ents {
				if e.score > 0 && len(e.memo) > 0 {
					hits++
				}
			}
		}
	}
	if hits == 0 {
		t.Error("no remembered value was ever reused")
	}
}

// TestPredictionOtherProjection: a scanner that switches projections
// (whose nodes share ids) must not apply one projection's predictions to
// the other's nodes.
func TestPredictionOtherProjection(t *testing.T) {
	p1 := predProjection()
	root := NewFields()
	root.Add("resourceType")
	root.Add("meta").Add("profile")
	p2 := Projection{"T": root}
	p2.Freeze()
	line := []byte(`{"resourceType":"T","id":"1","meta":{"profile":["p"]},"a":1}`)
	s := NewScanner()
	for i := 0; i < 3; i++ {
		for _, p := range []Projection{p1, p2} {
			if got, want := scanWith(s, line, p), scanFresh(line, p); got != want {
				t.Fatalf("round %d: got %s want %s", i, got, want)
			}
		}
	}
}

// FuzzScanLines checks that a scanner's history never changes a result:
// each line of the input scanned after the ones before it gives what a
// fresh scanner gives.
func FuzzScanLines(f *testing.F) {
	for _, s := range []string{
		"{\"resourceType\":\"T\",\"id\":\"1\",\"meta\":{\"v\":1},\"a\":1}\n{\"resourceType\":\"T\",\"id\":\"2\",\"meta\":{\"v\":1},\"a\":2}",
		"{\"resourceType\":\"T\",\"e\":\"abc\"}\n{\"resourceType\":\"T\",\"e\":\"abcd\"}\n{\"resourceType\":\"T\",\"e\":\"abc",
		"{\"resourceType\":\"T\",\"b\":{\"x\":[1],\"c\":2}}\n{\"resourceType\":\"T\",\"b\":{\"x\":[1,\"c\":2}}",
		"{\"resourceType\":\"T\",\"e\":[1]}\n{\"resourceType\":\"T\",\"e\" :[1]}\n{\"resourceType\":\"T\",\"\\u0065\":[1]}",
	} {
		f.Add([]byte(s))
	}
	p := predProjection()
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner()
		for i, line := range bytes.Split(data, []byte{'\n'}) {
			if got, want := scanWith(s, line, p), scanFresh(line, p); got != want {
				t.Fatalf("line %d %q of %q:\ngot  %s\nwant %s", i+1, line, data, got, want)
			}
		}
	})
}

func ExampleScanner_prediction() {
	p := predProjection()
	s := NewScanner()
	for _, line := range []string{
		`{"resourceType":"T","id":"1","meta":{"profile":["p"]},"a":1}`,
		`{"resourceType":"T","id":"2","meta":{"profile":["p"]},"a":2}`,
		`{"resourceType":"T","id":"3","meta":{"profile":["p"},"a":3}`,
	} {
		fmt.Println(scanWith(s, []byte(line), p))
	}
	// Output:
	// T {"resourceType":"T","id":"1","a":1}
	// T {"resourceType":"T","id":"2","a":2}
	// error: not valid JSON: unexpected character '}', expected ',' or ']' in an array at byte 52
}
