package eval

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
)

// kind is the FHIRPath type family of one item. JSON alone cannot tell a
// date from a string or an integer from a decimal, so the kind comes from the
// plan's static type when there is one and from the JSON shape otherwise.
type kind uint8

const (
	kNone kind = iota // unknown (never stored in a collection)
	kBool
	kInt
	kLong
	kDec
	kStr
	kDate
	kDateTime
	kTime
	kQty
	kObj
)

// tid is an interned type name. Items carry a 4-byte id instead of a
// string so that they stay small (24 bytes, two pointers): collections are
// copied into reused buffers all the time, and every pointer copied costs a
// GC write barrier while a collection is running.
type tid uint32

var (
	typeMu  sync.Mutex
	typeIDs = map[types.Type]tid{}
	typeTab atomic.Pointer[[]types.Type] // copy-on-write: read without locking
)

// tidOf interns a type name (at compile time; the set of names is the
// catalog's, so the table stays small). Id 0 is the unknown type "".
func tidOf(t types.Type) tid {
	typeMu.Lock()
	defer typeMu.Unlock()
	if id, ok := typeIDs[t]; ok {
		return id
	}
	var tab []types.Type
	if p := typeTab.Load(); p != nil {
		tab = *p
	}
	if len(tab) == 0 && t != "" {
		tab = []types.Type{""}
		typeIDs[""] = 0
	}
	id := tid(len(tab))
	next := make([]types.Type, len(tab)+1)
	copy(next, tab)
	next[id] = t
	typeTab.Store(&next)
	typeIDs[t] = id
	return id
}

// name is the interned type name.
func (id tid) name() types.Type { return (*typeTab.Load())[id] }

var (
	tidUnknown   = tidOf("")
	tidBoolean   = tidOf(types.Boolean)
	tidInteger   = tidOf(types.Integer)
	tidLong      = tidOf(types.Long)
	tidDecimal   = tidOf(types.Decimal)
	tidString    = tidOf(types.String)
	tidQuantity  = tidOf(types.Quantity)
	tidExtension = tidOf("Extension")
	tidID        = tidOf("id")
)

// kindTids are the System types of computed values, by kind.
var kindTids = func() [kObj + 1]tid {
	var out [kObj + 1]tid
	for k, t := range kindSystemNames {
		out[k] = tidOf(t)
	}
	return out
}()

var kindSystemNames = [...]types.Type{
	kNone:     types.Any,
	kBool:     types.Boolean,
	kInt:      types.Integer,
	kLong:     types.Long,
	kDec:      types.Decimal,
	kStr:      types.String,
	kDate:     types.Date,
	kDateTime: types.DateTime,
	kTime:     types.Time,
	kQty:      types.Quantity,
	kObj:      types.Any,
}

func (k kind) isNum() bool  { return k == kInt || k == kLong || k == kDec }
func (k kind) isTemp() bool { return k == kDate || k == kDateTime || k == kTime }

// primitive reports whether the kind is a FHIR primitive's (a JSON scalar).
func (k kind) primitive() bool { return k.textual() || k.isNum() || k == kBool }

// complex reports whether the kind is a FHIR complex type's (HumanName,
// CodeableConcept, a BackboneElement, ...): only a JSON object is such an
// element, so a string, number or boolean there is absent (docs/input.md).
func (k kind) complex() bool { return k == kObj || k == kQty }

// textual reports whether the kind is carried by a JSON string.
func (k kind) textual() bool { return k == kStr || k == kDate || k == kDateTime || k == kTime }

// item is one member of a FHIRPath collection. v is never nil: input nodes
// point into the resource, computed values are freshly built (or shared
// constants), so a column cell is always just v.
type item struct {
	v *value.Value
	// ext is the "_key" sibling object of a primitive (its id and
	// extensions), attached only when the program reads extensions.
	ext *value.Value
	// t is the FHIR type name when known ("HumanName", "code", "Patient"),
	// or a System type for computed values; unknown when only the JSON is.
	t tid
	k kind
}

// staticKind maps a plan type to the kind its JSON values carry.
func staticKind(t types.Type) kind {
	switch types.Primitive(string(t)) {
	case types.Boolean:
		return kBool
	case types.Integer:
		return kInt
	case types.Long:
		return kLong
	case types.Decimal:
		return kDec
	case types.String:
		return kStr
	case types.Date:
		return kDate
	case types.DateTime:
		return kDateTime
	case types.Time:
		return kTime
	case types.Quantity:
		return kQty
	case types.Unknown, types.Any:
		return kNone
	}
	if isQuantityType(string(t)) {
		return kQty
	}
	if strings.HasPrefix(string(t), "System.") {
		return kNone
	}
	return kObj
}

func isQuantityType(t string) bool {
	switch t {
	case "Quantity", "SimpleQuantity", "Age", "Duration", "Distance", "Count", "MoneyQuantity":
		return true
	}
	return false
}

// classify decides the kind of one JSON node given the kind the plan
// expects; data that does not match its declared type falls back to what the
// JSON says, so non-conformant input never breaks an operator.
func classify(v *value.Value, sk kind) kind {
	switch v.Kind {
	case value.String:
		if sk.textual() {
			return sk
		}
		return kStr
	case value.Number:
		if sk.isNum() {
			return sk
		}
		if isIntegerLexeme(v.Str) {
			return kInt
		}
		return kDec
	case value.Bool:
		return kBool
	case value.Object:
		if sk == kQty {
			return kQty
		}
		return kObj
	}
	return kNone
}

func isIntegerLexeme(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i = 1
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendNode appends a JSON node (flattening arrays, dropping nulls).
func appendNode(out []item, v *value.Value, sk kind, t tid) []item {
	if v.Kind == value.Array {
		for _, el := range v.Arr {
			if el == nil || el.Kind == value.Null || el.Kind == value.Array {
				continue
			}
			if odd(el, sk) {
				if el = asText(el, sk); el == nil {
					continue
				}
			}
			out = append(out, item{v: el, t: t, k: classify(el, sk)})
		}
		return out
	}
	if v.Kind == value.Null {
		return out
	}
	// A single scalar where a complex type is due stays (the SQL targets
	// read it so too); the kind rule for complex types is for list elements.
	if odd(v, sk) && !sk.complex() {
		if v = asText(v, sk); v == nil {
			return out
		}
	}
	return append(out, item{v: v, t: t, k: classify(v, sk)})
}

// asText reads a primitive from its JSON text whatever its JSON type, as
// the SQL targets read it (JSON_VALUE, json_extract_string, then a
// conversion): a number or boolean where the element is a string-like FHIR
// primitive (string, code, id, date, ...) is its text, so "id": 12345 is
// the id "12345" on every engine; a string where the element is a number is
// that number when it is written as one ("3" in an integer element is 3),
// and a string where it is a boolean is "true" or "false". Other strings
// there, an object where the element is a primitive, and a string, number
// or boolean where it is a complex type are absent (nil).
// docs/input.md.
func asText(v *value.Value, sk kind) *value.Value {
	switch v.Kind {
	case value.String:
		switch {
		case sk.isNum():
			if sk == kDec && isNumberLexeme(v.Str) || isIntegerLexeme(v.Str) && v.Str[0] != '+' {
				return &value.Value{Kind: value.Number, Str: v.Str}
			}
			return nil
		case sk.complex():
			return nil
		case sk == kBool:
			switch v.Str {
			case "true":
				return value.TrueValue
			case "false":
				return value.FalseValue
			}
			return nil
		}
	case value.Number, value.Bool:
		if sk.textual() {
			return &value.Value{Kind: value.String, Str: v.Str}
		}
		if sk.complex() {
			return nil
		}
	case value.Object:
		if sk.primitive() {
			return nil
		}
	}
	return v
}

// odd reports whether asText may change v: checked inline on every node,
// so that the common case (a string where a string is due, an object where
// an object is) costs one table lookup.
func odd(v *value.Value, sk kind) bool { return oddKinds[sk]&(1<<v.Kind) != 0 }

// oddKinds[sk] has bit 1<<k set for each JSON value kind k that asText
// converts or drops for an element of kind sk.
var oddKinds = func() (m [kObj + 1]uint8) {
	for sk := kNone; sk <= kObj; sk++ {
		if sk.isNum() || sk == kBool {
			m[sk] |= 1 << value.String
		}
		if sk.textual() {
			m[sk] |= 1<<value.Number | 1<<value.Bool
		}
		if sk.primitive() {
			m[sk] |= 1 << value.Object
		}
		if sk.complex() {
			m[sk] |= 1<<value.String | 1<<value.Number | 1<<value.Bool
		}
	}
	return m
}()

// isNumberLexeme reports whether s is a JSON number with no exponent (a
// FHIR decimal's lexical form).
func isNumberLexeme(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || s[start] == '0' && i-start > 1 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		frac := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == frac {
			return false
		}
	}
	return i == len(s)
}

// appendNodeExt is appendNode that also attaches the "_key" sibling of
// primitives, index by index for arrays.
func appendNodeExt(out []item, v, ext *value.Value, sk kind, t tid) []item {
	if v.Kind == value.Array {
		for i, el := range v.Arr {
			if el == nil || el.Kind == value.Null || el.Kind == value.Array {
				continue
			}
			var x *value.Value
			if ext != nil && ext.Kind == value.Array && i < len(ext.Arr) {
				x = ext.Arr[i]
			}
			if odd(el, sk) {
				if el = asText(el, sk); el == nil {
					continue
				}
			}
			out = append(out, item{v: el, t: t, k: classify(el, sk), ext: x})
		}
		return out
	}
	if v.Kind == value.Null {
		return out
	}
	if ext != nil && ext.Kind != value.Object {
		ext = nil
	}
	if odd(v, sk) && !sk.complex() {
		if v = asText(v, sk); v == nil {
			return out
		}
	}
	return append(out, item{v: v, t: t, k: classify(v, sk), ext: ext})
}

// Computed values.

var (
	trueItem  = item{v: value.TrueValue, t: tidBoolean, k: kBool}
	falseItem = item{v: value.FalseValue, t: tidBoolean, k: kBool}
	trueColl  = []item{trueItem}
	falseColl = []item{falseItem}
)

func boolItem(b bool) item {
	if b {
		return trueItem
	}
	return falseItem
}

func boolColl(b bool) []item {
	if b {
		return trueColl
	}
	return falseColl
}

const smallInts = 1024

// smallIntItems holds the integers 0..smallInts-1 so that %rowIndex,
// count() and friends do not allocate.
var smallIntItems = func() []item {
	out := make([]item, smallInts)
	for i := range out {
		out[i] = item{v: value.NewNumber(strconv.Itoa(i)), t: tidInteger, k: kInt}
	}
	return out
}()

func intItem(n int64) item {
	if n >= 0 && n < smallInts {
		return smallIntItems[n]
	}
	return item{v: value.NewNumber(strconv.FormatInt(n, 10)), t: tidInteger, k: kInt}
}

// intColl returns a one-item collection; small values share static storage.
func intColl(n int64) []item {
	if n >= 0 && n < smallInts {
		return smallIntItems[n : n+1 : n+1]
	}
	return []item{intItem(n)}
}

func decItem(lexeme string) item {
	return item{v: value.NewNumber(lexeme), t: tidDecimal, k: kDec}
}

func strItem(s string) item {
	return item{v: value.NewString(s), t: tidString, k: kStr}
}

func tempItem(k kind, text string) item {
	return item{v: value.NewString(text), t: kindTids[k], k: k}
}

// typeName is the most specific type name known for an item: its FHIR type,
// the resourceType of a resource, or its System type.
func typeName(it item) types.Type {
	t := it.t.name()
	switch t {
	case "", "Resource", "DomainResource", types.Any:
		if it.k == kObj {
			if rt := it.v.Get("resourceType"); rt != nil && rt.Kind == value.String {
				return types.Type(rt.Str)
			}
			if t != "" && t != types.Any {
				return t
			}
			return types.Any
		}
		return kindSystemNames[it.k]
	}
	return t
}

// textOf is the string form of a primitive item (toString semantics without
// the quantity case); ok is false for objects.
func textOf(it item) (string, bool) {
	switch it.k {
	case kStr, kDate, kDateTime, kTime, kInt, kLong, kDec, kBool:
		return it.v.Str, true
	case kQty:
		q, ok := quantityOf(it)
		if !ok {
			return "", false
		}
		return q.String(), true
	}
	return "", false
}
