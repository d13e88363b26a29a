package eval

import (
	"strings"
	"testing"
)

func TestCmpNum(t *testing.T) {
	cases := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"1", "1.0", 0, true},
		{"1.50", "1.5", 0, true},
		{"-0", "0", 0, true},
		{"0.05", "0.5", -1, true},
		{"100", "99.999", 1, true},
		{"-2", "-10", 1, true},
		{"1e3", "1000", 0, true},
		{"1E-2", "0.01", 0, true},
		{"123456789012345678901234567890", "123456789012345678901234567891", -1, true},
		{"922337203685477580.7", "922337203685477580.70", 0, true},
		{"9223372036854775807", "9223372036854775807.5", -1, true},
		{"abc", "1", 0, false},
		{"", "1", 0, false},
		{"1.2.3", "1", 0, false},
	}
	for _, c := range cases {
		got, ok := cmpNum(c.a, c.b)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("cmpNum(%q, %q) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

func TestDecimalArithmetic(t *testing.T) {
	d := func(s string) *dec {
		v, ok := parseDec(s)
		if !ok {
			t.Fatalf("parseDec(%q) failed", s)
		}
		return v
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %s, want %s", what, got, want)
		}
	}
	check("1.50+1", decAdd(d("1.50"), d("1")).String(), "2.50")
	check("0.1+0.2", decAdd(d("0.1"), d("0.2")).String(), "0.3")
	check("1-1.25", decSub(d("1"), d("1.25")).String(), "-0.25")
	check("1.5*-2", decMul(d("1.5"), d("-2")).String(), "-3.0")
	q, _ := decDiv(d("2"), d("3"))
	check("2/3", q.String(), "0.66666667")
	q, _ = decDiv(d("-1"), d("8"))
	check("-1/8", q.String(), "-0.125")
	if _, ok := decDiv(d("1"), d("0.0")); ok {
		t.Errorf("division by zero succeeded")
	}
	check("round(2.345, 2)", d("2.345").round(2).String(), "2.35")
	check("round(-2.345, 2)", d("-2.345").round(2).String(), "-2.35")
	check("round(1.2, 3)", d("1.2").round(3).String(), "1.200")
	check("floor(-1.21, 1)", d("-1.21").floorTo(1, false).String(), "-1.3")
	check("ceil(1.21, 1)", d("1.21").floorTo(1, true).String(), "1.3")
	check("trim", d("1.2500").trim(0).String(), "1.25")
	check("1e2", d("1e2").String(), "100")
	check("1.5e-3", d("1.5e-3").String(), "0.0015")
	m, _ := decMod(d("-7.5"), d("2"))
	check("-7.5 mod 2", m.String(), "-1.5")
	for _, bad := range []string{"", "-", ".", "1e", "1e9999", "0x10", "1,0", "--1"} {
		if _, ok := parseDec(bad); ok {
			t.Errorf("parseDec(%q) succeeded", bad)
		}
	}
}

func TestParseTemporal(t *testing.T) {
	good := map[string]dtPrec{
		"2012": pYear, "2012-02": pMonth, "2012-02-29": pDay, "2012-02-29T": pDay,
		"2012-02-29T10": pHour, "2012-02-29T10:30": pMinute, "2012-02-29T10:30:15": pSecond,
		"2012-02-29T10:30:15.5Z": pFrac, "2012-02-29T10:30:15+05:30": pSecond,
	}
	for s, p := range good {
		d, ok := parseDateTime(s)
		if !ok || d.prec != p {
			t.Errorf("parseDateTime(%q) = prec %d, %v; want %d", s, d.prec, ok, p)
		}
	}
	for _, s := range []string{"", "201", "2013-02-29", "2012-13", "2012-1", "2012-01-01T25:00", "2012-01-01T10:60",
		"2012-01-01T10:00:00.", "2012-01-01T10:00+5", "2012-01-01T10:00:00+15:00", "2012T10", "2012-01-01 10:00", "2012-01-01Tx"} {
		if _, ok := parseDateTime(s); ok {
			t.Errorf("parseDateTime(%q) succeeded", s)
		}
	}
	for _, s := range []string{"10", "10:30", "T10:30:15.123"} {
		if _, ok := parseTime(s); !ok {
			t.Errorf("parseTime(%q) failed", s)
		}
	}
	for _, s := range []string{"24:00", "10:3", "10:30:15.", "10:30Z"} {
		if _, ok := parseTime(s); ok {
			t.Errorf("parseTime(%q) succeeded", s)
		}
	}
}

func TestCmpTemporal(t *testing.T) {
	cases := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"2012", "2012", 0, true},
		{"2012", "2013", -1, true},
		{"2012-01", "2012", 0, false},
		{"2012-02", "2012", 0, false},
		{"2013-02", "2012", 1, true},
		{"2012-01-01T10:00:00Z", "2012-01-01T12:00:00+02:00", 0, true},
		{"2012-01-01T23:00:00-05:00", "2012-01-02T04:00:00Z", 0, true},
		{"2012-01-01T10:00:00.000", "2012-01-01T10:00:00", 0, true},
		{"2012-01-01T10:00:00.001", "2012-01-01T10:00:00", 1, true},
		{"2012-01-01T10:00", "2012-01-01T10:00:00", 0, false},
		{"2012-01-01T10:00", "2012-01-01T10:01:00", -1, true},
		{"2012-01-01", "2012-01-01T00:00:00Z", 0, false},
	}
	for _, c := range cases {
		a, _ := parseDateTime(c.a)
		b, _ := parseDateTime(c.b)
		got, ok := cmpTemporal(a, b)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("cmpTemporal(%s, %s) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
	tm, _ := parseTime("10:00")
	dt, _ := parseDateTime("2012")
	if _, ok := cmpTemporal(tm, dt); ok {
		t.Errorf("a time compared with a date")
	}
}

func TestReferenceKey(t *testing.T) {
	cases := []struct{ ref, want, key string }{
		{"Patient/123", "", "123"},
		{"Patient/123", "Patient", "123"},
		{"Patient/123", "Observation", ""},
		{"http://x/fhir/Patient/123", "Patient", "123"},
		{"Patient/123/_history/2", "", "123"},
		{"https://x/Patient/a.b-c/_history/7", "Patient", "a.b-c"},
		{"#contained", "", ""},
		{"urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7", "", ""},
		{"Patient?identifier=x|1", "", ""},
		{"123", "", ""},
		{"/123", "", ""},
		{"patient/123", "", ""},
		{"Patient/", "", ""},
		// the fast path for "Want/id"
		{"Patient/", "Patient", ""},
		{"Patient/a_b", "Patient", ""},
		{"Patient/a.b-c", "Patient", "a.b-c"},
		{"Patient/123/_history/2", "Patient", "123"},
		{"Patient/a/b", "Patient", ""},
		{"Patient/" + strings.Repeat("x", 65), "Patient", ""},
		{"PatientX/123", "Patient", ""},
		{"Patient?identifier=x|1", "Patient", ""},
	}
	for _, c := range cases {
		got, ok := referenceKey(c.ref, c.want)
		if got != c.key || ok != (c.key != "") {
			t.Errorf("referenceKey(%q, %q) = %q, %v; want %q", c.ref, c.want, got, ok, c.key)
		}
	}
}
