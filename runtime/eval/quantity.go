package eval

import (
	"github.com/fhirql/fhirql/runtime/value"
)

// Quantities are FHIR Quantity objects (value, unit, system, code) or
// FHIRPath literals (5 'mg', 3 days), which the evaluator builds as the same
// JSON shape so that a quantity column always writes one form. Units compare
// by their UCUM code; a small table converts the common units of mass,
// length, time and volume, and calendar durations (year, month) compare only
// among themselves, as FHIRPath requires.

const ucumSystem = "http://unitsofmeasure.org"

type qty struct {
	val  string // number lexeme
	unit string // normalised unit
}

func (q qty) String() string { return q.val + " '" + q.unit + "'" }

// normUnit maps calendar keywords to their canonical spelling: weeks and
// shorter are the UCUM definite durations, years and months stay calendar.
func normUnit(u string) string {
	switch u {
	case "year", "years":
		return "year"
	case "month", "months":
		return "month"
	case "week", "weeks":
		return "wk"
	case "day", "days":
		return "d"
	case "hour", "hours":
		return "h"
	case "minute", "minutes":
		return "min"
	case "second", "seconds":
		return "s"
	case "millisecond", "milliseconds":
		return "ms"
	case "":
		return "1"
	}
	return u
}

type unitDef struct {
	dim    string
	factor string // in the dimension's base unit
}

var units = map[string]unitDef{
	"g": {"mass", "1"}, "kg": {"mass", "1000"}, "mg": {"mass", "0.001"}, "ug": {"mass", "0.000001"},
	"ng": {"mass", "0.000000001"}, "[lb_av]": {"mass", "453.59237"}, "[oz_av]": {"mass", "28.349523125"},
	"m": {"length", "1"}, "km": {"length", "1000"}, "cm": {"length", "0.01"}, "mm": {"length", "0.001"},
	"um": {"length", "0.000001"}, "nm": {"length", "0.000000001"}, "[in_i]": {"length", "0.0254"},
	"[ft_i]": {"length", "0.3048"},
	"s":      {"time", "1"}, "ms": {"time", "0.001"}, "min": {"time", "60"}, "h": {"time", "3600"},
	"d": {"time", "86400"}, "wk": {"time", "604800"},
	"year": {"calendar", "12"}, "month": {"calendar", "1"},
	"L": {"volume", "1"}, "l": {"volume", "1"}, "dL": {"volume", "0.1"}, "dl": {"volume", "0.1"},
	"mL": {"volume", "0.001"}, "ml": {"volume", "0.001"}, "uL": {"volume", "0.000001"}, "ul": {"volume", "0.000001"},
	"1": {"one", "1"}, "%": {"one", "0.01"},
}

// quantityOf reads a quantity from a FHIR Quantity object or a literal.
func quantityOf(it item) (qty, bool) {
	if it.k != kQty && it.k != kObj {
		return qty{}, false
	}
	v := it.v
	val := v.Get("value")
	if val == nil || val.Kind != value.Number {
		return qty{}, false
	}
	unit := ""
	if c := v.Get("code"); c != nil && c.Kind == value.String {
		unit = c.Str
	} else if u := v.Get("unit"); u != nil && u.Kind == value.String {
		unit = u.Str
	}
	return qty{val: val.Str, unit: normUnit(unit)}, true
}

// quantityItem builds the JSON form of a quantity.
func quantityItem(val, unit string) item {
	var obj []value.Member
	obj = append(obj, value.Member{Key: "value", Val: value.NewNumber(val)})
	obj = append(obj, value.Member{Key: "unit", Val: value.NewString(unit)})
	if unit != "year" && unit != "month" && !isCalendarWord(unit) {
		obj = append(obj,
			value.Member{Key: "system", Val: value.NewString(ucumSystem)},
			value.Member{Key: "code", Val: value.NewString(unit)})
	}
	return item{v: &value.Value{Kind: value.Object, Obj: obj}, t: tidQuantity, k: kQty}
}

func isCalendarWord(u string) bool {
	switch u {
	case "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
		"minute", "minutes", "second", "seconds", "millisecond", "milliseconds":
		return true
	}
	return false
}

// toUnit converts q into unit u; ok is false when the units are not comparable.
func (q qty) toUnit(u string) (*dec, bool) {
	v, ok := parseDec(q.val)
	if !ok {
		return nil, false
	}
	if q.unit == u {
		return v, true
	}
	a, ok1 := units[q.unit]
	b, ok2 := units[u]
	if !ok1 || !ok2 || a.dim != b.dim {
		return nil, false
	}
	fa, _ := parseDec(a.factor)
	fb, _ := parseDec(b.factor)
	r, ok := decDiv(decMul(v, fa), fb)
	return r, ok
}

// cmpQty compares two quantities; ok is false when the units differ in kind.
func cmpQty(a, b qty) (int, bool) {
	if a.unit == b.unit {
		return cmpNum(a.val, b.val)
	}
	ua, ok1 := units[a.unit]
	ub, ok2 := units[b.unit]
	if !ok1 || !ok2 || ua.dim != ub.dim {
		return 0, false
	}
	va, ok1 := parseDec(a.val)
	vb, ok2 := parseDec(b.val)
	if !ok1 || !ok2 {
		return 0, false
	}
	fa, _ := parseDec(ua.factor)
	fb, _ := parseDec(ub.factor)
	return decMul(va, fa).cmp(decMul(vb, fb)), true
}
