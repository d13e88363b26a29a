package eval

import (
	"strconv"
	"strings"
	"time"

	"github.com/fhirql/fhirql/compiler/types"
)

// Dates, dateTimes and times stay text in the resource; they are parsed on
// demand (without allocating) for comparison, arithmetic and boundaries.
// FHIRPath compares partial values component by component and answers
// "unknown" (empty) when the answer depends on components one side lacks.

type dtPrec int8

const (
	pNone dtPrec = iota
	pYear
	pMonth
	pDay
	pHour
	pMinute
	pSecond
	pFrac
)

// dtv is a parsed date, dateTime or time.
type dtv struct {
	y, mo, d, h, mi, s int
	ns                 int // fractional second in nanoseconds
	fracDigits         int
	prec               dtPrec
	tz                 bool // an offset or Z was given
	tzZ                bool // written as Z
	off                int  // minutes east of UTC
	isTime             bool // a Time: no date part
}

func num(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for j := i; j < i+n; j++ {
		c := s[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseDateTime parses YYYY[-MM[-DD[Thh[:mm[:ss[.f+]]]]]][Z|±hh:mm]; a
// trailing T after the date (FHIRPath's @2014T) is accepted.
func parseDateTime(s string) (dtv, bool) {
	var d dtv
	var ok bool
	if d.y, ok = num(s, 0, 4); !ok {
		return d, false
	}
	d.prec = pYear
	d.mo, d.d = 1, 1
	i := 4
	if i < len(s) && s[i] == '-' {
		if d.mo, ok = num(s, i+1, 2); !ok || d.mo < 1 || d.mo > 12 {
			return d, false
		}
		d.prec = pMonth
		i += 3
		if i < len(s) && s[i] == '-' {
			if d.d, ok = num(s, i+1, 2); !ok || d.d < 1 || d.d > types.DaysIn(d.y, d.mo) {
				return d, false
			}
			d.prec = pDay
			i += 3
		}
	}
	if i < len(s) && s[i] == 'T' {
		i++
		if i == len(s) {
			return d, true
		}
		if d.prec != pDay {
			return d, false
		}
		n, ok := parseClock(s[i:], &d)
		if !ok {
			return d, false
		}
		i += n
		if i < len(s) {
			n, ok := parseTZ(s[i:], &d)
			if !ok || i+n != len(s) {
				return d, false
			}
			i += n
		}
	}
	return d, i == len(s)
}

// parseClock parses hh[:mm[:ss[.f+]]] into d, returning the bytes consumed.
func parseClock(s string, d *dtv) (int, bool) {
	var ok bool
	if d.h, ok = num(s, 0, 2); !ok || d.h > 23 {
		return 0, false
	}
	d.prec = pHour
	i := 2
	if i < len(s) && s[i] == ':' {
		if d.mi, ok = num(s, i+1, 2); !ok || d.mi > 59 {
			return 0, false
		}
		d.prec = pMinute
		i += 3
		if i < len(s) && s[i] == ':' {
			if d.s, ok = num(s, i+1, 2); !ok || d.s > 59 {
				return 0, false
			}
			d.prec = pSecond
			i += 3
			if i < len(s) && s[i] == '.' {
				j := i + 1
				ns, scale := 0, 100000000
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					ns += int(s[j]-'0') * scale
					scale /= 10
					j++
				}
				if j == i+1 {
					return 0, false
				}
				d.ns = ns
				d.fracDigits = j - i - 1
				d.prec = pFrac
				i = j
			}
		}
	}
	return i, true
}

func parseTZ(s string, d *dtv) (int, bool) {
	if s[0] == 'Z' {
		d.tz, d.tzZ = true, true
		return 1, true
	}
	if s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	h, ok1 := num(s, 1, 2)
	m, ok2 := num(s, 4, 2)
	if !ok1 || !ok2 || len(s) < 6 || s[3] != ':' || h > 14 || m > 59 {
		return 0, false
	}
	d.tz = true
	d.off = h*60 + m
	if s[0] == '-' {
		d.off = -d.off
	}
	return 6, true
}

// parseTime parses hh[:mm[:ss[.f+]]] (a leading T is tolerated).
func parseTime(s string) (dtv, bool) {
	s = strings.TrimPrefix(s, "T")
	d := dtv{isTime: true}
	n, ok := parseClock(s, &d)
	return d, ok && n == len(s)
}

// parseTemporal parses text of the given kind.
func parseTemporal(k kind, s string) (dtv, bool) {
	if k == kTime {
		return parseTime(s)
	}
	return parseDateTime(s)
}

// utc converts a value with a time part to UTC (values without an offset
// are taken as UTC, so that results never depend on the machine).
func (d dtv) utc() dtv {
	if !d.tz || d.off == 0 {
		d.off = 0
		return d
	}
	t := time.Date(d.y, time.Month(d.mo), d.d, d.h, d.mi, d.s, d.ns, time.UTC).Add(-time.Duration(d.off) * time.Minute)
	d.y, d.mo, d.d = t.Year(), int(t.Month()), t.Day()
	d.h, d.mi = t.Hour(), t.Minute()
	d.off = 0
	return d
}

func mergedPrec(p dtPrec) dtPrec {
	if p == pFrac {
		return pSecond
	}
	return p
}

// cmpTemporal compares two values; ok is false when the result is unknown
// (different precisions that agree on their common components, or a time
// against a date).
func cmpTemporal(a, b dtv) (int, bool) {
	if a.isTime != b.isTime {
		return 0, false
	}
	if !a.isTime && a.prec >= pHour && b.prec >= pHour && (a.tz || b.tz) {
		a, b = a.utc(), b.utc()
	}
	lo := min(mergedPrec(a.prec), mergedPrec(b.prec))
	first := pYear
	if a.isTime {
		first = pHour
	}
	for p := first; p <= lo; p++ {
		var x, y int
		switch p {
		case pYear:
			x, y = a.y, b.y
		case pMonth:
			x, y = a.mo, b.mo
		case pDay:
			x, y = a.d, b.d
		case pHour:
			x, y = a.h, b.h
		case pMinute:
			x, y = a.mi, b.mi
		case pSecond:
			x, y = a.s*1000000000+a.ns, b.s*1000000000+b.ns
		}
		if x < y {
			return -1, true
		}
		if x > y {
			return 1, true
		}
	}
	if mergedPrec(a.prec) != mergedPrec(b.prec) {
		return 0, false
	}
	return 0, true
}

func appendPad(b []byte, v, n int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < n; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// format writes the value at precision p; fraction digits are written as
// milliseconds unless the value carries more.
func (d dtv) format(p dtPrec) string {
	b := make([]byte, 0, 32)
	if !d.isTime {
		b = appendPad(b, d.y, 4)
		if p >= pMonth {
			b = append(b, '-')
			b = appendPad(b, d.mo, 2)
		}
		if p >= pDay {
			b = append(b, '-')
			b = appendPad(b, d.d, 2)
		}
		if p >= pHour {
			b = append(b, 'T')
		}
	}
	if p >= pHour {
		b = appendPad(b, d.h, 2)
	}
	if p >= pMinute {
		b = append(b, ':')
		b = appendPad(b, d.mi, 2)
	}
	if p >= pSecond {
		b = append(b, ':')
		b = appendPad(b, d.s, 2)
	}
	if p >= pFrac {
		digits := max(d.fracDigits, 3)
		frac := appendPad(nil, d.ns, 9)
		b = append(b, '.')
		b = append(b, frac[:digits]...)
	}
	if !d.isTime && p >= pHour && d.tz {
		if d.tzZ {
			b = append(b, 'Z')
		} else {
			off := d.off
			sign := byte('+')
			if off < 0 {
				sign = '-'
				off = -off
			}
			b = append(b, sign)
			b = appendPad(b, off/60, 2)
			b = append(b, ':')
			b = appendPad(b, off%60, 2)
		}
	}
	return string(b)
}

// boundary fills the components d lacks with their lowest (or highest)
// values and writes the result at the precision given in digits (FHIRPath
// counts 4 for a year, 6 with the month, 8 with the day, 10, 12, 14 with
// hours, minutes, seconds and 17 with milliseconds; for times 2, 4, 6, 9).
// ok is false for a precision the type does not have.
func boundary(k kind, d dtv, digits int, high bool) (string, bool) {
	var p dtPrec
	if k == kTime {
		switch digits {
		case 2:
			p = pHour
		case 4:
			p = pMinute
		case 6:
			p = pSecond
		case 9:
			p = pFrac
		default:
			return "", false
		}
	} else {
		switch digits {
		case 4:
			p = pYear
		case 6:
			p = pMonth
		case 8:
			p = pDay
		case 10:
			p = pHour
		case 12:
			p = pMinute
		case 14:
			p = pSecond
		case 17:
			p = pFrac
		default:
			return "", false
		}
		if k == kDate && p > pDay {
			return "", false
		}
	}
	if high {
		if d.prec < pMonth && !d.isTime {
			d.mo = 12
		}
		if d.prec < pDay && !d.isTime {
			d.d = types.DaysIn(d.y, d.mo)
		}
		if d.prec < pHour {
			d.h = 23
		}
		if d.prec < pMinute {
			d.mi = 59
		}
		if d.prec < pSecond {
			d.s = 59
		}
		if d.prec < pFrac {
			d.ns = 999000000
			d.fracDigits = 3
		}
		if !d.tz && !d.isTime {
			d.tz, d.off = true, -12*60
		}
	} else {
		if d.prec < pFrac {
			d.ns = 0
			d.fracDigits = 3
		}
		if !d.tz && !d.isTime {
			d.tz, d.off = true, 14*60
		}
	}
	return d.format(p), true
}

// calendarUnit maps a quantity unit to a calendar step for date arithmetic.
func calendarUnit(u string) (dtPrec, bool) {
	switch u {
	case "year", "years", "a":
		return pYear, true
	case "month", "months", "mo":
		return pMonth, true
	case "week", "weeks", "wk":
		return pDay, true // scaled by 7 by the caller
	case "day", "days", "d":
		return pDay, true
	case "hour", "hours", "h":
		return pHour, true
	case "minute", "minutes", "min":
		return pMinute, true
	case "second", "seconds", "s":
		return pSecond, true
	case "millisecond", "milliseconds", "ms":
		return pFrac, true
	}
	return pNone, false
}

// addDuration adds amount units to d (negative to subtract), keeping d's
// precision: missing components are taken as their lowest value during the
// arithmetic, and months clamp to the end of the month.
func addDuration(d dtv, amount *dec, unit string) (dtv, bool) {
	step, ok := calendarUnit(unit)
	if !ok {
		return d, false
	}
	if d.isTime && step < pHour {
		return d, false
	}
	whole, isInt := amount.int64()
	if !isInt && step != pSecond && step != pFrac {
		// calendar steps take the whole part (truncated toward zero)
		whole, _ = amount.floorTo(0, amount.sign() < 0).int64()
	}
	switch step {
	case pYear, pMonth:
		months := whole
		if step == pYear {
			months *= 12
		}
		total := int64(d.y)*12 + int64(d.mo-1) + months
		if total < 0 || total >= 10000*12 {
			return d, false
		}
		d.y, d.mo = int(total/12), int(total%12)+1
		if dd := types.DaysIn(d.y, d.mo); d.d > dd {
			d.d = dd
		}
		return d, true
	}
	var dur time.Duration
	switch {
	case unit == "week" || unit == "weeks" || unit == "wk":
		dur = time.Duration(whole) * 7 * 24 * time.Hour
	case step == pDay:
		dur = time.Duration(whole) * 24 * time.Hour
	case step == pHour:
		dur = time.Duration(whole) * time.Hour
	case step == pMinute:
		dur = time.Duration(whole) * time.Minute
	default:
		ms := amount
		if step == pSecond {
			ms = decMul(amount, decFromInt(1000))
		}
		n, _ := ms.round(0).int64()
		dur = time.Duration(n) * time.Millisecond
	}
	if d.isTime {
		t := time.Date(2000, 1, 1, d.h, d.mi, d.s, d.ns, time.UTC).Add(dur)
		d.h, d.mi, d.s, d.ns = t.Hour(), t.Minute(), t.Second(), t.Nanosecond()
		return d, true
	}
	t := time.Date(d.y, time.Month(d.mo), d.d, d.h, d.mi, d.s, d.ns, time.UTC).Add(dur)
	if t.Year() < 1 || t.Year() > 9999 {
		return d, false
	}
	d.y, d.mo, d.d = t.Year(), int(t.Month()), t.Day()
	d.h, d.mi, d.s, d.ns = t.Hour(), t.Minute(), t.Second(), t.Nanosecond()
	return d, true
}
