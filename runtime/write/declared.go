package write

import (
	"math"
	"strconv"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
)

// A column holds every valid value of its type, as written, in every
// output format and on every engine; a value that does not fit is written
// as NULL and counted (Buffer.Unfit), and `fhirql run` says how many values
// of which column did not fit. The rules (docs/language.md, "Declared
// types"):
//
//   - date: a FHIR date of any precision, "2020", "2020-05", "2020-05-01";
//   - dateTime, instant: a FHIR dateTime of any precision, a date alone
//     included ("2010-10-10", "1970"), or with a time, "2020-05-01T10:00:00Z";
//   - time: "10:00:00" (with optional fractional seconds);
//   - ansi/type DATE: a complete date ("2020-05-01"), the only kind a SQL
//     DATE or Parquet DATE holds; a partial date does not fit;
//   - ansi/type TIMESTAMP: a date with a time;
//   - integer (integer64): a JSON number that is an integer within 32 (64)
//     bits, as SQL's INT (BIGINT) and Parquet's INT32 (INT64) hold; 1e400,
//     2.5 or a 30-digit number does not fit;
//   - declared decimal: a JSON number below 10^20 in magnitude, what the
//     SQL targets' DECIMAL(38, 18) holds (Parquet: DOUBLE).
//
// Text that fits is written as it is: a partial date stays "1970-06".
// Collection columns are JSON arrays, written as they are by CSV and
// NDJSON; Parquet checks their elements by the same rules.

// fit is the rule one column's values must meet.
type fit uint8

const (
	fitAny fit = iota
	fitDate
	fitDateTime
	fitTime
	fitSQLDate
	fitSQLTimestamp
	fitInt32
	fitInt64
	fitDecimal
)

// fitOf is the rule of a column.
func fitOf(c *plan.Column) fit {
	switch c.TypedAs() {
	case plan.TypedDate:
		return fitSQLDate
	case plan.TypedTimestamp:
		return fitSQLTimestamp
	}
	switch types.Primitive(string(c.Type)) {
	case types.Integer:
		return fitInt32
	case types.Long:
		return fitInt64
	}
	if c.Declared == "" {
		return fitAny
	}
	switch types.Primitive(string(c.Type)) {
	case types.Date:
		return fitDate
	case types.DateTime:
		return fitDateTime
	case types.Time:
		return fitTime
	case types.Decimal:
		return fitDecimal
	}
	return fitAny
}

// String names the rule for the run's report.
func (f fit) String() string {
	return [...]string{"any", "date", "dateTime", "time", "ansi/type DATE (a complete date)",
		"ansi/type TIMESTAMP (a date with a time)", "integer (32-bit)", "integer64", "decimal (below 10^20)"}[f]
}

// accepts reports whether v fits the rule.
func (f fit) accepts(v *value.Value) bool {
	switch f {
	case fitAny:
		return true
	case fitInt32, fitInt64:
		if v.Kind != value.Number {
			return false
		}
		bits := 32
		if f == fitInt64 {
			bits = 64
		}
		_, err := strconv.ParseInt(v.Str, 10, bits)
		return err == nil
	case fitDecimal:
		if v.Kind != value.Number {
			return false
		}
		if plainDecimal(v.Str) {
			return true
		}
		x, err := strconv.ParseFloat(v.Str, 64)
		return err == nil && math.Abs(x) < 1e20
	}
	if v.Kind != value.String {
		return false
	}
	s := v.Str
	switch f {
	case fitDate:
		return validDate(s)
	case fitDateTime:
		return validDate(s) || (len(s) > 10 && s[10] == 'T' && fastDateTime(s)) || partialDateTime(s)
	case fitSQLDate:
		return len(s) == 10 && fastDate(s)
	case fitSQLTimestamp:
		if fastDateTime(s) {
			return true
		}
		_, ok := parseDateTime(s)
		return ok
	case fitTime:
		for _, l := range []string{"15:04:05", "15:04:05.999999999"} {
			if _, err := time.Parse(l, s); err == nil {
				return true
			}
		}
	}
	return false
}

// plainDecimal reports whether s is a decimal without an exponent and
// with at most 19 digits before the point ("-120.25"): such a number is
// below 10^19 in magnitude, so it fits a declared decimal without being
// parsed (most observation values; ParseFloat was a tenth of the CPU of
// a view of them). Anything else takes the exact path.
func plainDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	d := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if n := i - d; n == 0 || n > 19 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' {
		return false
	}
	i++
	f := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > f && i == len(s)
}

// validDate accepts a FHIR date of any precision: YYYY, YYYY-MM, YYYY-MM-DD.
func validDate(s string) bool {
	switch len(s) {
	case 4:
		_, ok := digits(s)
		return ok
	case 7:
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:])
		return ok1 && ok2 && s[4] == '-' && y >= 0 && m >= 1 && m <= 12
	case 10:
		return fastDate(s)
	}
	return false
}

// partialDateTime accepts a dateTime with a time that fastDateTime leaves
// to the parser (no seconds, no zone: FHIRPath's partial times).
func partialDateTime(s string) bool {
	_, ok := parseDateTime(s)
	return ok
}

// fits lists each column's rule, or is nil when no column has one.
type fits []fit

// fitsOf returns the rules of v's columns; lists says whether collection
// columns get theirs (Parquet, element by element) or none (CSV and
// NDJSON write the JSON array as it is).
func fitsOf(v *plan.View, lists bool) fits {
	var out fits
	for i, c := range v.Columns {
		if c.Collection && !lists {
			continue
		}
		if f := fitOf(c); f != fitAny {
			if out == nil {
				out = make(fits, len(v.Columns))
			}
			out[i] = f
		}
	}
	return out
}

// check returns the value to write in column i: v itself, or nil (and one
// more in buf's count) when it does not fit.
func (fs fits) check(buf *Buffer, i int, v *value.Value) *value.Value {
	if fs == nil || v == nil || fs[i] == fitAny || v.Kind == value.Null || fs[i].accepts(v) {
		return v
	}
	if buf.Unfit == nil {
		buf.Unfit = make([]int64, len(fs))
	}
	buf.Unfit[i]++
	return nil
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

// Unfit says how many values of one column did not fit its type and were
// written as NULL, for the run's report.
type Unfit struct {
	Column string
	Rule   string // what the column holds: "date", "integer (32-bit)", ...
	N      int64
}

// AddUnfit adds a buffer's counts (Buffer.Unfit) of view v to to, one
// entry per column, in column order.
func AddUnfit(to []Unfit, v *plan.View, counts []int64) []Unfit {
	for i, n := range counts {
		if n == 0 {
			continue
		}
		c := v.Columns[i]
		found := false
		for k := range to {
			if to[k].Column == c.Name {
				to[k].N += n
				found = true
			}
		}
		if !found {
			to = append(to, Unfit{Column: c.Name, Rule: fitOf(c).String(), N: n})
		}
	}
	return to
}
