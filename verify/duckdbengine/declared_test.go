package duckdbengine

import (
	"testing"
)

// TestDeclaredTemporal: a column declared date or dateTime holds every
// valid value of its FHIR type as written, partial ones included ("1970",
// "1970-06", a dateTime of day precision); only a column typed DATE or
// TIMESTAMP by its ansi/type tag holds SQL dates, where a partial value is
// NULL (runtime/write declared.go), on the runtime as in SQL.
func TestDeclaredTemporal(t *testing.T) {
	view := `view births of Patient {
  id       = getResourceKey()
  birth    = birthDate : date
  as_text  = birthDate
  died     = deceased.ofType(dateTime) : dateTime
  died_day = deceased.ofType(dateTime) : date
  birth_d  = birthDate @tag("ansi/type", "DATE")
  died_ts  = deceased.ofType(dateTime) : dateTime @tag("ansi/type", "TIMESTAMP")
}
`
	got := differential(t, view,
		`{"resourceType":"Patient","id":"full","birthDate":"1980-05-17","deceasedDateTime":"2020-01-02T03:04:05Z"}`,
		`{"resourceType":"Patient","id":"month","birthDate":"1980-05","deceasedDateTime":"2020-01-02"}`,
		`{"resourceType":"Patient","id":"year","birthDate":"1980","deceasedDateTime":"2020"}`,
		`{"resourceType":"Patient","id":"bad","birthDate":"1980-02-30","deceasedDateTime":"2020-01-02T25:00:00Z"}`,
		`{"resourceType":"Patient","id":"minute","birthDate":"1980-13","deceasedDateTime":"2020-01-02T10:00"}`,
		`{"resourceType":"Patient","id":"none"}`,
	)
	wantRows(t, got, map[string]string{
		"full":   "1980-05-17 | 1980-05-17 | 2020-01-02T03:04:05Z | null | 1980-05-17 | 2020-01-02T03:04:05Z",
		"month":  "1980-05 | 1980-05 | 2020-01-02 | 2020-01-02 | null | null",
		"year":   "1980 | 1980 | 2020 | 2020 | null | null",
		"bad":    "null | 1980-02-30 | null | null | null | null",
		"minute": "null | 1980-13 | 2020-01-02T10:00 | null | null | 2020-01-02T10:00",
		"none":   "null | null | null | null | null | null",
	})
}

// TestTypedNumbers: an integer column holds integers within 32 bits, a
// declared decimal numbers below 10^20; 1e400, a 30-digit number or 2.5 is
// NULL on the runtime and in SQL, never a failed run or a passed-through
// lexeme.
func TestTypedNumbers(t *testing.T) {
	view := `view births of Patient {
  id     = getResourceKey()
  births = multipleBirth.ofType(integer)
  as_int = multipleBirth.ofType(integer) : integer
  dec    = multipleBirth.ofType(integer) : decimal
}
`
	got := differential(t, view,
		`{"resourceType":"Patient","id":"small","multipleBirthInteger":2}`,
		`{"resourceType":"Patient","id":"max","multipleBirthInteger":2147483647}`,
		`{"resourceType":"Patient","id":"over","multipleBirthInteger":2147483648}`,
		`{"resourceType":"Patient","id":"huge","multipleBirthInteger":1e400}`,
		`{"resourceType":"Patient","id":"digits","multipleBirthInteger":123456789012345678901234567890}`,
		`{"resourceType":"Patient","id":"frac","multipleBirthInteger":2.5}`,
		`{"resourceType":"Patient","id":"neg","multipleBirthInteger":-7}`,
	)
	wantRows(t, got, map[string]string{
		"small":  "2 | 2 | 2",
		"max":    "2147483647 | 2147483647 | 2147483647",
		"over":   "null | null | 2147483648",
		"huge":   "null | null | null",
		"digits": "null | null | null",
		"frac":   "null | null | 2.5",
		"neg":    "-7 | -7 | -7",
	})
}
