package sqlcheck

import (
	"reflect"
	"testing"
)

func TestBare(t *testing.T) {
	got, err := Bare("-- a comment with words\nSELECT [a]]b] AS [x], N'it''s' FROM t WHERE @node = 1.5e3")
	if err != nil || !reflect.DeepEqual(got, []string{"t"}) {
		t.Errorf("Bare = %q, %v; want [t]", got, err)
	}
	for _, bad := range []string{"SELECT 'open", "SELECT [open", "SELECT 'a\nb'", "SELECT é"} {
		if _, err := Bare(bad); err == nil {
			t.Errorf("Bare(%q): no error", bad)
		}
	}
}

func TestAggregatesOverSubqueries(t *testing.T) {
	if got := AggregatesOverSubqueries("SELECT MAX((SELECT 1)), COUNT(*), STRING_AGG([x], N'SELECT')"); len(got) != 1 {
		t.Errorf("got %q, want the MAX only", got)
	}
	if got := AggregatesOverSubqueries("SELECT TRY_MAX(1), [MAX(SELECT)]"); len(got) != 0 {
		t.Errorf("got %q, want none", got)
	}
}
