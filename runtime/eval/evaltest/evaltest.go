// Package evaltest converts between JSON text and value.Value for the tests
// of the evaluator and the conformance suite, independently of the NDJSON
// reader (which is tested on its own): the evaluator's tests must not depend
// on the reader being right.
package evaltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/runtime/value"
)

// Decode parses one JSON document with encoding/json, keeping object member
// order and number lexemes (as the reader does); a duplicate key keeps its
// first value.
func Decode(data []byte) (*value.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("evaltest: trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (*value.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &value.Value{Kind: value.Object}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("evaltest: object key is not a string")
				}
				m, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				if v.Get(key) == nil {
					v.Obj = append(v.Obj, value.Member{Key: key, Val: m})
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		case '[':
			v := &value.Value{Kind: value.Array, Arr: []*value.Value{}}
			for dec.More() {
				el, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				v.Arr = append(v.Arr, el)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		}
		return nil, errors.New("evaltest: unexpected delimiter")
	case string:
		return value.NewString(t), nil
	case json.Number:
		return value.NewNumber(t.String()), nil
	case bool:
		return value.NewBool(t), nil
	case nil:
		return value.NullValue, nil
	}
	return nil, errors.New("evaltest: unexpected token")
}

// MustDecode is Decode for literals in tests; it panics on bad JSON.
func MustDecode(text string) *value.Value {
	v, err := Decode([]byte(text))
	if err != nil {
		panic("evaltest.MustDecode: " + err.Error() + " in " + text)
	}
	return v
}

// Encode renders a value as compact JSON; a nil value is null.
func Encode(v *value.Value) string {
	var b strings.Builder
	encode(&b, v)
	return b.String()
}

func encode(b *strings.Builder, v *value.Value) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch v.Kind {
	case value.Null:
		b.WriteString("null")
	case value.Bool, value.Number:
		b.WriteString(v.Str)
	case value.String:
		b.WriteString(strconv.Quote(v.Str))
	case value.Array:
		b.WriteByte('[')
		for i, el := range v.Arr {
			if i > 0 {
				b.WriteByte(',')
			}
			encode(b, el)
		}
		b.WriteByte(']')
	case value.Object:
		b.WriteByte('{')
		for i, m := range v.Obj {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(m.Key))
			b.WriteByte(':')
			encode(b, m.Val)
		}
		b.WriteByte('}')
	}
}
