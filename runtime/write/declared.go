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
		_, ok := parseDate(s)
		return ok
	case tDateTime:
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
