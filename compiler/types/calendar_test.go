package types

import "testing"

func TestDaysIn(t *testing.T) {
	for _, c := range []struct{ y, m, want int }{
		{2024, 2, 29}, {2023, 2, 28}, {1900, 2, 28}, {2000, 2, 29}, {2021, 4, 30}, {2021, 12, 31}, {2021, 1, 31},
	} {
		if got := DaysIn(c.y, c.m); got != c.want {
			t.Errorf("DaysIn(%d, %d) = %d, want %d", c.y, c.m, got, c.want)
		}
	}
}
