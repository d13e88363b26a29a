package duckdbengine

import (
	"testing"
)

// TestDeclaredTemporal: a column declared date, dateTime or time holds a
// value only when the text has exactly that precision (runtime/write
// declared.go), on the runtime as in SQL, where TRY_CAST gives NULL.
func TestDeclaredTemporal(t *testing.T) {
	view := `view births of Patient {
  id       = getResourceKey()
  birth    = birthDate : date
  as_text  = birthDate
  died     = deceased.ofType(dateTime) : dateTime
  died_day = deceased.ofType(dateTime) : date
}
`
	got := differential(t, view,
		`{"resourceType":"Patient","id":"full","birthDate":"1980-05-17","deceasedDateTime":"2020-01-02T03:04:05Z"}`,
		`{"resourceType":"Patient","id":"month","birthDate":"1980-05","deceasedDateTime":"2020-01-02"}`,
		`{"resourceType":"Patient","id":"year","birthDate":"1980","deceasedDateTime":"2020"}`,
		`{"resourceType":"Patient","id":"bad","birthDate":"1980-02-30","deceasedDateTime":"2020-01-02T25:00:00Z"}`,
		`{"resourceType":"Patient","id":"none"}`,
	)
	wantRows(t, got, map[string]string{
		"full":  "1980-05-17 | 1980-05-17 | 2020-01-02T03:04:05Z | null",
		"month": "null | 1980-05 | null | 2020-01-02",
		"year":  "null | 1980 | null | null",
		"bad":   "null | 1980-02-30 | null | null",
		"none":  "null | null | null | null",
	})
}
