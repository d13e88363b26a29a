// Package value is the runtime's in-memory JSON: the part of each resource a
// view reads.
//
// The NDJSON reader builds Values only for the paths the plan uses and skips
// everything else without materialising it, so a Value tree is usually a small
// projection of the line. Numbers keep their lexeme, because FHIR decimals are
// exact ("1.50" must stay "1.50") and output must reproduce the input text.
package value

import "strings"

// Kind is the JSON type of a value.
type Kind uint8

const (
	// Null is JSON null (also used for "absent" where a Value is required).
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

func (k Kind) String() string { return kindNames[k] }

// Value is one JSON value. For Bool, Str is "true" or "false"; for Number,
// the lexeme as written; for String, the unescaped text.
type Value struct {
	Kind Kind
	Str  string
	Arr  []*Value
	Obj  []Member // in input order; duplicate keys keep the first (as T-SQL's JSON functions do)
}

// Member is one key of an object.
type Member struct {
	Key string
	Val *Value
}

// Get returns the member value for key, or nil when absent.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i := range v.Obj {
		if v.Obj[i].Key == key {
			return v.Obj[i].Val
		}
	}
	return nil
}

// Shared scalars avoid an allocation per boolean and null.
var (
	TrueValue  = &Value{Kind: Bool, Str: "true"}
	FalseValue = &Value{Kind: Bool, Str: "false"}
	NullValue  = &Value{Kind: Null}
)

// NewString, NewNumber and NewBool build scalars.
func NewString(s string) *Value { return &Value{Kind: String, Str: s} }

// NewNumber builds a number from its lexeme.
func NewNumber(lexeme string) *Value { return &Value{Kind: Number, Str: lexeme} }

// NewBool returns the shared boolean value.
func NewBool(b bool) *Value {
	if b {
		return TrueValue
	}
	return FalseValue
}

// Clone copies v deeply, strings included, so that the copy outlives the
// buffers the reader reuses (values are otherwise valid only until the next
// resource).
func Clone(v *Value) *Value {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case Null:
		return NullValue
	case Bool:
		if v.Str == "true" {
			return TrueValue
		}
		return FalseValue
	}
	c := &Value{Kind: v.Kind, Str: strings.Clone(v.Str)}
	if v.Arr != nil {
		c.Arr = make([]*Value, len(v.Arr))
		for i, x := range v.Arr {
			c.Arr[i] = Clone(x)
		}
	}
	if v.Obj != nil {
		c.Obj = make([]Member, len(v.Obj))
		for i, m := range v.Obj {
			c.Obj[i] = Member{Key: strings.Clone(m.Key), Val: Clone(m.Val)}
		}
	}
	return c
}
