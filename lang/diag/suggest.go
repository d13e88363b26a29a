package diag

import (
	"strings"
	"unicode/utf8"
)

// Suggest picks the one candidate the user most likely meant by got: a
// case-insensitive exact match first, then the unique candidate within
// Damerau-Levenshtein distance 1 (or 2 for names of five runes or more). It
// returns false when there is no unique best, because a wrong "did you mean"
// costs more than none.
func Suggest(got string, candidates []string) (string, bool) {
	lg := strings.ToLower(got)
	var ci []string
	for _, c := range candidates {
		if strings.ToLower(c) == lg && c != got {
			ci = append(ci, c)
		}
	}
	if len(ci) == 1 {
		return ci[0], true
	}
	limit := 1
	if utf8.RuneCountInString(got) >= 5 {
		limit = 2
	}
	best, bestD, ties := "", limit+1, 0
	for _, c := range candidates {
		if c == got {
			continue
		}
		d := distance(strings.ToLower(got), strings.ToLower(c), limit)
		switch {
		case d < bestD:
			best, bestD, ties = c, d, 1
		case d == bestD:
			ties++
		}
	}
	if bestD <= limit && ties == 1 {
		return best, true
	}
	return "", false
}

// distance is the optimal-string-alignment Damerau-Levenshtein distance,
// cut off early once it exceeds limit.
func distance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
