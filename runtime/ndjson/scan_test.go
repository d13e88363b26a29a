package ndjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fhirql/fhirql/runtime/value"
)

// render prints a value as compact JSON with keys in value order, so that
// tests compare structure, order and number lexemes exactly.
func render(v *value.Value) string {
	var b strings.Builder
	var w func(v *value.Value)
	w = func(v *value.Value) {
		if v == nil {
			b.WriteString("<nil>")
			return
		}
		switch v.Kind {
		case value.Null:
			b.WriteString("null")
		case value.Bool, value.Number:
			b.WriteString(v.Str)
		case value.String:
			q := strconv.Quote(v.Str)
			b.WriteString(q)
		case value.Array:
			b.WriteByte('[')
			for i, x := range v.Arr {
				if i > 0 {
					b.WriteByte(',')
				}
				w(x)
			}
			b.WriteByte(']')
		case value.Object:
			b.WriteByte('{')
			for i, m := range v.Obj {
				if i > 0 {
					b.WriteByte(',')
				}
				q := strconv.Quote(m.Key)
				b.WriteString(q)
				b.WriteByte(':')
				w(m.Val)
			}
			b.WriteByte('}')
		}
	}
	w(v)
	return b.String()
}

// reference decodes with encoding/json's tokenizer (numbers as lexemes,
// duplicate keys keep the first), the oracle for the scanner.
func reference(data []byte) (*value.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var read func(t json.Token) (*value.Value, error)
	read = func(t json.Token) (*value.Value, error) {
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '{':
				v := &value.Value{Kind: value.Object}
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return nil, err
					}
					vt, err := dec.Token()
					if err != nil {
						return nil, err
					}
					x, err := read(vt)
					if err != nil {
						return nil, err
					}
					if v.Get(kt.(string)) == nil {
						v.Obj = append(v.Obj, value.Member{Key: kt.(string), Val: x})
					}
				}
				_, err := dec.Token()
				return v, err
			case '[':
				v := &value.Value{Kind: value.Array}
				for dec.More() {
					vt, err := dec.Token()
					if err != nil {
						return nil, err
					}
					x, err := read(vt)
					if err != nil {
						return nil, err
					}
					v.Arr = append(v.Arr, x)
				}
				_, err := dec.Token()
				return v, err
			}
		case string:
			return value.NewString(t), nil
		case json.Number:
			return value.NewNumber(string(t)), nil
		case bool:
			return value.NewBool(t), nil
		case nil:
			return value.NullValue, nil
		}
		return nil, fmt.Errorf("unexpected token %v", t)
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	v, err := read(t)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func fields(spec map[string]any) *Fields {
	f := NewFields()
	var add func(f *Fields, spec map[string]any)
	add = func(f *Fields, spec map[string]any) {
		for k, v := range spec {
			c := f.Add(k)
			switch v := v.(type) {
			case bool:
				if v {
					c.SetAll()
				}
			case map[string]any:
				add(c, v)
			}
		}
	}
	add(f, spec)
	return f
}

func TestScanProjection(t *testing.T) {
	patient := `{"resourceType":"Patient","id":"p1","meta":{"profile":["x"]},"text":{"div":"<div>\"quoted\" \\ \u00e9</div>"},` +
		`"name":[{"use":"official","family":"Doe","given":["John","Q"],"period":{"start":"2000"}},{"use":"nick","given":["J"]}],` +
		`"telecom":[{"system":"phone","value":"555"}],"gender":"male","birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"u"}]},` +
		`"deceasedBoolean":false,"multipleBirthInteger":2,"extension":[{"url":"a","valueDecimal":1.50e+2}]}`
	tests := []struct {
		name string
		line string
		f    *Fields
		want string
	}{
		{"keep few", patient, fields(map[string]any{"resourceType": nil, "id": nil, "gender": nil}),
			`{"resourceType":"Patient","id":"p1","gender":"male"}`},
		{"nested arrays", patient, fields(map[string]any{"id": nil, "name": map[string]any{"family": nil, "given": nil}}),
			`{"id":"p1","name":[{"family":"Doe","given":["John","Q"]},{"given":["J"]}]}`},
		{"leaf object kept empty", patient, fields(map[string]any{"name": nil, "meta": nil}),
			`{"meta":{},"name":[{},{}]}`},
		{"whole subtree", patient, fields(map[string]any{"extension": true, "text": true}),
			`{"text":{"div":"<div>\"quoted\" \\ é</div>"},"extension":[{"url":"a","valueDecimal":1.50e+2}]}`},
		{"scalars", patient, fields(map[string]any{"deceasedBoolean": nil, "multipleBirthInteger": nil, "_birthDate": true}),
			`{"_birthDate":{"extension":[{"url":"u"}]},"deceasedBoolean":false,"multipleBirthInteger":2}`},
		{"duplicate keys keep the first", `{"resourceType":"Patient","id":"a","id":"b"}`, fields(map[string]any{"id": nil}),
			`{"id":"a"}`},
		{"escaped key matches", `{"resourceType":"Patient","g\u0065nder":"female"}`, fields(map[string]any{"gender": nil}),
			`{"gender":"female"}`},
		{"whitespace and CR", " \t{ \"resourceType\" : \"Patient\" , \"id\" : [ 1 , -2.5E3 , null , true ] } \r", fields(map[string]any{"id": nil}),
			`{"id":[1,-2.5E3,null,true]}`},
		{"resourceType not first", `{"id":"x","meta":{"a":[1,{"b":"}"}]},"resourceType":"Patient","gender":"other"}`, fields(map[string]any{"id": nil, "gender": nil}),
			`{"id":"x","gender":"other"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewScanner()
			tc.f.Freeze()
			v, rt, err := s.Scan([]byte(tc.line), Projection{"Patient": tc.f})
			if err != nil {
				t.Fatal(err)
			}
			if rt != "Patient" {
				t.Errorf("resourceType = %q", rt)
			}
			if got := render(v); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestScanWideNodeIndex(t *testing.T) {
	f := NewFields()
	var want []string
	for i := 0; i < 20; i++ {
		f.Add(fmt.Sprintf("k%02d", i))
	}
	f.Freeze()
	line := `{"resourceType":"X"`
	for i := 0; i < 25; i++ {
		line += fmt.Sprintf(`,"k%02d":%d`, i, i)
		if i < 20 {
			want = append(want, fmt.Sprintf(`"k%02d":%d`, i, i))
		}
	}
	line += "}"
	v, _, err := NewScanner().Scan([]byte(line), Projection{"X": f})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(v); got != "{"+strings.Join(want, ",")+"}" {
		t.Errorf("got %s", got)
	}
}

func TestScanUnusedTypeIsValidatedOnly(t *testing.T) {
	s := NewScanner()
	v, rt, err := s.Scan([]byte(`{"resourceType":"Observation","id":"o"}`), Projection{"Patient": AllFields()})
	if err != nil || v != nil || rt != "Observation" {
		t.Fatalf("got %v %q %v", v, rt, err)
	}
	_, _, err = s.Scan([]byte(`{"resourceType":"Observation","id":"o",}`), Projection{"Patient": AllFields()})
	if err == nil {
		t.Fatal("a malformed line of an unused type must still be rejected")
	}
}

func TestScanErrors(t *testing.T) {
	tests := []struct {
		line string
		kind ErrorKind
		msg  string
	}{
		{``, BadJSON, "empty line"},
		{`not json`, BadJSON, "unexpected character 'n'"},
		{`{"resourceType":"Patient",}`, BadJSON, "expected a string key"},
		{`{"resourceType":"Patient"`, BadJSON, "unexpected end of line"},
		{`{"resourceType":"Patient"} x`, BadJSON, "after the object"},
		{`{"resourceType":"Patient","a":tru}`, BadJSON, "expected a value"},
		{`{"resourceType":"Patient","a":01}`, BadJSON, "expected ',' or '}'"},
		{`{"resourceType":"Patient","a":1.}`, BadJSON, "digit after the decimal point"},
		{`{"resourceType":"Patient","a":"x\q"}`, BadJSON, "invalid escape"},
		{`{"resourceType":"Patient","a":"\u12"}`, BadJSON, `invalid \u escape`},
		{"{\"resourceType\":\"Patient\",\"a\":\"tab\there\"}", BadJSON, "control"},
		{`{"resourceType":"Patient","a":[1 2]}`, BadJSON, "expected ',' or ']'"},
		{`{"resourceType":"Patient","a":{"b" 1}}`, BadJSON, "expected ':'"},
		{`[1,2]`, NotObject, "found character '['"},
		{`"Patient"`, NotObject, ""},
		{`42`, NotObject, ""},
		{`{}`, NoResourceType, "empty"},
		{`{"id":"x"}`, NoResourceType, "has no resourceType"},
		{`{"id":"x","resourceType":7}`, NoResourceType, "not a string"},
		{`{"resourceType":7}`, NoResourceType, "not a string"},
		{`{"id":"x",,"resourceType":"Patient"}`, BadJSON, "expected a string key"},
		{"{\"resourceType\":\"Patient\",\"a\":\"invalid utf8 \xff\xfe in the middle\"}", BadUTF8, "invalid UTF-8 byte 0xff"},
		{"{\"resourceType\":\"Patient\",\"a\":\"invalid \xc3 and escape \\n\"}", BadUTF8, "invalid UTF-8 byte 0xc3"},
		{"{\"resourceType\":\"Patient\",\"skipped\":{\"deep\":\"a long ascii prefix \xed\xa0\x80 surrogate\"}}", BadUTF8, "invalid UTF-8"},
		{"{\"resourceType\":\"Patient\",\"k\xff\":1}", BadUTF8, "invalid UTF-8"},
		{"{\"resourceType\":\"Pat\xffient\"}", BadUTF8, "invalid UTF-8"},
		{`{"resourceType":"Patient","a":"lone \ud800"}`, BadUTF8, `lone surrogate escape \ud800`},
		{`{"resourceType":"Patient","a":"lone \udc00 low"}`, BadUTF8, `lone surrogate escape \udc00`},
		{`{"resourceType":"Patient","a":"high twice \ud800\ud800"}`, BadUTF8, "lone surrogate"},
		{`{"resourceType":"Patient","a":"then a letter \ud800\u0041"}`, BadUTF8, "lone surrogate"},
		{`{"resourceType":"Patient","a":["skipped \uDBFF"]}`, BadUTF8, "lone surrogate"},
		{strings.Repeat("[", 20000) + strings.Repeat("]", 20000), BadJSON, "nesting too deep"},
		{`{"resourceType":"Patient","a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, BadJSON, "nesting too deep"},
	}
	for _, proj := range []Projection{{}, {"Patient": AllFields()}} {
		for _, tc := range tests {
			_, _, err := NewScanner().Scan([]byte(tc.line), proj)
			le, ok := err.(*LineError)
			if !ok {
				t.Errorf("%.40q: err = %v, want a *LineError", tc.line, err)
				continue
			}
			if le.Kind != tc.kind || !strings.Contains(le.Error(), tc.msg) {
				t.Errorf("%.40q: got %v (kind %d), want kind %v containing %q", tc.line, le, le.Kind, tc.kind, tc.msg)
			}
		}
	}
}

func TestScanStrings(t *testing.T) {
	cases := []string{
		`"plain ascii longer than eight bytes"`,
		`"é and 日本語 and 🎉"`,
		`"esc \" \\ \/ \b \f \n \r \t \u00e9 \u65E5 \ud83c\udf89"`,
		`"a pair \uD83C\uDF89 in capitals"`,
		"\"replacement character \xef\xbf\xbd written out\"",
		`"quote at 8: 1234567\"x"`,
		`""`,
	}
	for _, c := range cases {
		line := `{"resourceType":"T","s":` + c + `}`
		want, err := reference([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := NewScanner().Scan([]byte(line), Projection{"T": AllFields()})
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if render(got) != render(want) {
			t.Errorf("%s:\ngot  %s\nwant %s", c, render(got), render(want))
		}
	}
}

func TestScannerReuse(t *testing.T) {
	s := NewScanner()
	f := AllFields()
	for i := 0; i < 3000; i++ {
		line := fmt.Sprintf(`{"resourceType":"T","i":%d,"a":[{"x":"\u00e9%d"},{"y":[1,2,3]}]}`, i, i)
		v, _, err := s.Scan([]byte(line), Projection{"T": f})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`{"resourceType":"T","i":%d,"a":[{"x":"é%d"},{"y":[1,2,3]}]}`, i, i)
		if got := render(v); got != want {
			t.Fatalf("got %s want %s", got, want)
		}
		if i%100 == 99 {
			s.Reset()
		}
	}
}

// validJSON is the scanner's notion of valid JSON: encoding/json's, minus
// invalid UTF-8 and lone surrogate escapes, which encoding/json repairs
// to U+FFFD and the scanner rejects (BadUTF8, docs/input.md).
func validJSON(data []byte) bool {
	return json.Valid(data) && utf8.Valid(data) && !hasLoneSurrogate(data)
}

// hasLoneSurrogate finds a \uD800-\uDFFF escape that is not a high half
// directly followed by a low half, in text json.Valid accepted (so a
// backslash is always an escape).
func hasLoneSurrogate(data []byte) bool {
	hex4 := func(b []byte) (rune, bool) {
		if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
			return 0, false
		}
		r, err := strconv.ParseUint(string(b[2:6]), 16, 32)
		return rune(r), err == nil
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		r, ok := hex4(data[i:])
		if !ok {
			i++ // a two-byte escape
			continue
		}
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		case r >= 0xd800 && r <= 0xdbff:
			lo, ok := hex4(data[i+6:])
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 6
		}
		i += 5
	}
	return false
}

// FuzzScan: arbitrary bytes never panic; the scanner accepts exactly the
// objects validJSON accepts, and with a whole-document projection builds
// the same value as encoding/json.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"1","name":[{"family":"x"}]}`,
		`{"a":1,"resourceType":"T","b":[true,false,null,-1.5e-3],"c":{"d":"\u00e9\ud83c\udf89"}}`,
		`{"resourceType":"T","s":"\ud800x"}`,
		`{"resourceType":"T","resourceType":"U","a":[{}]}`,
		` { "resourceType" : "T" , "b" : 1 } `,
		"{\"resourceType\":\"T\",\"s\":\"\xff\"}",
		`[1]`, `{`, `{"a":01}`, ``, ` {"resourceType":"T"} `,
	} {
		f.Add([]byte(s))
	}
	all := AllFields()
	proj := Projection{}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.IndexByte(data, '\n') >= 0 {
			return // not one line
		}
		s := NewScanner()
		got, err := s.ScanObject(data, all)
		valid := validJSON(data)
		isObj := valid && bytes.TrimLeft(data, " \t\r")[0] == '{'
		if (err == nil) != isObj {
			t.Fatalf("ScanObject(%q): err = %v, json.Valid = %v", data, err, valid)
		}
		if valid && !isObj {
			if le, ok := err.(*LineError); !ok || le.Kind != NotObject {
				t.Fatalf("ScanObject(%q): err = %v, want NotObject", data, err)
			}
		}
		if isObj {
			want, rerr := reference(data)
			if rerr != nil {
				t.Fatalf("reference: %v", rerr)
			}
			if render(got) != render(want) {
				t.Fatalf("ScanObject(%q):\ngot  %s\nwant %s", data, render(got), render(want))
			}
		}
		// Scan with and without a projection must not panic and must
		// agree with ScanObject about JSON validity.
		proj["T"] = all
		if v2, rt, err2 := s.Scan(data, proj); isObj && err2 != nil {
			if le, ok := err2.(*LineError); !ok || le.Kind != NoResourceType {
				t.Fatalf("Scan(%q) = %v on a valid object", data, err2)
			}
		} else if isObj && rt == "T" && render(v2) != render(got) {
			// Scan keeps the resourceType it read first; the result must
			// not differ from a plain parse.
			t.Fatalf("Scan(%q):\ngot  %s\nwant %s", data, render(v2), render(got))
		}
		if _, _, err3 := s.Scan(data, Projection{}); (err3 == nil) && !isObj {
			t.Fatalf("Scan(%q) accepted an invalid line", data)
		}
	})
}

func TestScanLine(t *testing.T) {
	data := []byte("{\"resourceType\":\"T\",\"a\":1} \r\n\n  {\"resourceType\":\"T\",\"a\":2}\n{\"resourceType\":\"T\",\n\"a\":3}\n{\"resourceType\":\"T\",\"a\":4}")
	proj := Projection{"T": AllFields()}
	s := NewScanner()
	var got []string
	for len(data) > 0 {
		v, _, n, err := s.ScanLine(data, proj)
		if err != nil {
			// The caller finds the end of a bad line itself.
			end := bytes.IndexByte(data, '\n')
			got = append(got, "error")
			if end < 0 {
				break
			}
			data = data[end+1:]
			continue
		}
		got = append(got, render(v))
		data = data[n:]
	}
	want := `{"resourceType":"T","a":1} error {"resourceType":"T","a":2} error error {"resourceType":"T","a":4}`
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if _, _, err := s.Scan([]byte("{\"resourceType\":\"T\"}\n{}"), proj); err == nil {
		t.Error("Scan must reject a second line")
	}
}

// TestScannerReuseClearsSlots: arena slots are reused after Reset without
// being cleared; values built later must not show earlier contents.
func TestScannerReuseClearsSlots(t *testing.T) {
	s := NewScanner()
	p := Projection{"T": AllFields()}
	for _, tc := range [][2]string{
		{`{"resourceType":"T","a":{"x":1}}`, `{"resourceType":"T","a":1,"b":{}}`},
		{`{"resourceType":"T","a":[1]}`, `{"resourceType":"T","a":1,"b":[]}`},
		{`{"resourceType":"T","a":"s"}`, `{"resourceType":"T","a":1,"b":{}}`},
	} {
		if _, _, err := s.Scan([]byte(tc[0]), p); err != nil {
			t.Fatal(err)
		}
		s.Reset()
		v, _, err := s.Scan([]byte(tc[1]), p)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(v); got != tc[1] {
			t.Errorf("got %s want %s", got, tc[1])
		}
		s.Reset()
	}
}

// TestEndOfLineMessage: a line cut short inside a value is reported as
// the end of the line, whether more lines follow or not.
func TestEndOfLineMessage(t *testing.T) {
	for _, data := range []string{"{\"resourceType\":\"T\",\"id\":", "{\"resourceType\":\"T\",\"id\":\n{}\n"} {
		_, _, _, err := NewScanner().ScanLine([]byte(data), Projection{"T": AllFields()})
		if err == nil || !strings.Contains(err.Error(), "unexpected end of line, expected a value at byte 26") {
			t.Errorf("%q: %v", data, err)
		}
	}
}
