package write

import (
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
)

// A column whose type the view declares as date, dateTime (or instant) or
// time asks for values of exactly that kind. The SQL targets convert such
// a column with a conversion that gives NULL when the text is not one
// (TRY_CONVERT, TRY_CAST: tsql-mapping.md trap 8), so every output format
// of the runtime applies the same rule, and a view gives the same rows
// everywhere:
//
//   - date: a complete date, "2020-05-01"; a partial date ("2020",
//     "2020-05") or a dateTime is NULL, because making it a date would
//     invent or drop precision;
//   - dateTime: a date with a time, "2020-05-01T10:00:00+02:00"; a date
//     alone is NULL;
//   - time: "10:00:00" (with optional fractional seconds).
//
// Undeclared columns keep the text whatever its precision.

// temporal is the declared temporal kind of a column.
type temporal uint8

const (
	notTemporal temporal = iota
	tDate
	tDateTime
	tTime
)

func temporalOf(c *plan.Column) temporal {
	if c.Declared == "" {
		return notTemporal
	}
	switch types.Primitive(string(c.Type)) {
	case types.Date:
		return tDate
	case types.DateTime:
		return tDateTime
	case types.Time:
		return tTime
	}
	return notTemporal
}

// accepts reports whether v is a value of kind t (a string of the right
// precision that parses).
func (t temporal) accepts(v *value.Value) bool {
	if v == nil || v.Kind != value.String {
		return false
	}
	s := v.Str
	switch t {
	case tDate:
		if len(s) == 10 && fastDate(s) {
			return true
		}
		_, ok := parseDate(s)
		return ok
	case tDateTime:
		if fastDateTime(s) {
			return true
		}
		_, ok := parseDateTime(s)
		return ok
	case tTime:
		for _, l := range []string{"15:04:05", "15:04:05.999999999"} {
			if _, err := time.Parse(l, s); err == nil {
				return true
			}
		}
		return false
	}
	return true
}

// parseDate reads a complete FHIR date.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// parseDateTime reads a FHIR dateTime or instant that has a time; a time
// without a zone is taken as UTC (FHIR requires a zone when there is a
// time).
func parseDateTime(s string) (time.Time, bool) {
	if len(s) <= 10 {
		return time.Time{}, false
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// declaredCells returns, per column, the temporal kind the text writers
// must check (notTemporal for collections: their JSON text is written
// as it is), or nil when no column needs a check.
func declaredCells(v *plan.View) []temporal {
	var out []temporal
	for i, c := range v.Columns {
		if t := temporalOf(c); t != notTemporal && !c.Collection {
			if out == nil {
				out = make([]temporal, len(v.Columns))
			}
			out[i] = t
		}
	}
	return out
}

// fastDate and fastDateTime accept the common, well-formed values
// ("2020-05-01", "2020-05-01T10:00:00.123+02:00") without time.Parse,
// which costs as much as scanning the rest of a resource. They are
// narrower than the parsers, never wider: what they refuse goes to
// parseDate / parseDateTime, which decide.
func fastDate(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	return ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= types.DaysIn(y, m)
}

func fastDateTime(s string) bool {
	// YYYY-MM-DDThh:mm:ss, then an optional fraction, then Z or ±hh:mm
	if len(s) < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || !fastDate(s) {
		return false
	}
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	sec, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return false
	}
	rest := s[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		zh, ok1 := digits(rest[1:3])
		zm, ok2 := digits(rest[4:6])
		return ok1 && ok2 && zh <= 14 && zm <= 59
	}
	return false
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
