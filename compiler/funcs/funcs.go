// Package funcs declares every FHIRPath function fhirql knows, once.
//
// The checker reads arity, argument kinds and result rules from here; the
// runtime and each SQL dialect bind implementations by name and are tested
// against this table (every declared function has a runtime implementation,
// and every dialect either spells it or rejects it with a diagnostic). The
// language server shows Signature and Doc on hover and in completion — cel-go's
// "declare once, use thrice".
package funcs

import "sort"

// ArgKind says how an argument is evaluated.
type ArgKind int

const (
	// Value arguments are evaluated once, against the same context as the
	// whole expression (e.g. join(','), substring(1, 2), %constants).
	Value ArgKind = iota
	// Lambda arguments are evaluated per input item, with $this (and $index)
	// bound to that item (where, exists, all, select, repeat).
	Lambda
	// TypeSpec arguments are type names, not expressions (ofType(Quantity),
	// getReferenceKey(Patient)).
	TypeSpec
)

// Result says how the checker computes a call's type from its receiver and arguments.
type Result int

const (
	// SameMany: the receiver's type, a collection (where, distinct, tail, skip, take).
	SameMany Result = iota
	// SameOne: the receiver's type, at most one value (first, last, single).
	SameOne
	// BoolOne: a single Boolean (exists, empty, all, not, startsWith, ...).
	BoolOne
	// IntOne: a single Integer (count, length, indexOf, toInteger).
	IntOne
	// StringOne: a single String (join, lower, substring, toString, getResourceKey, ...).
	StringOne
	// StringMany: a collection of String (split).
	StringMany
	// DecimalOne: a single Decimal (toDecimal).
	DecimalOne
	// DateOne, DateTimeOne, TimeOne: conversions.
	DateOne
	DateTimeOne
	TimeOne
	// OfType: the type named by the TypeSpec argument, a collection when the receiver is.
	OfType
	// LambdaMany: the type of the lambda argument's result, a collection (select).
	LambdaMany
	// Iif: the common type of the second and third arguments.
	Iif
	// ExtensionMany: FHIR Extension, a collection (extension(url)).
	ExtensionMany
	// BoundaryOne: the receiver's type, one value (lowBoundary, highBoundary).
	BoundaryOne
	// UnionMany: the receiver's type, a collection (union, combine).
	UnionMany
	// QuantityOne: a single Quantity.
	QuantityOne
	// KeyEach: one String per receiver item (getReferenceKey): a single
	// value on a single reference, a collection on several.
	KeyEach
)

// Func declares one function.
type Func struct {
	Name      string
	Args      []ArgKind // declared parameters, in order
	MinArgs   int       // the first MinArgs parameters are required
	Result    Result
	Signature string // as shown on hover: "where(criteria: expression) : collection"
	Doc       string
	// Experimental marks functions the SQL on FHIR spec tags experimental.
	Experimental bool
	// Suite marks the functions the SQL on FHIR v2 spec requires of every implementation.
	Suite bool
}

// MaxArgs is the number of declared parameters.
func (f *Func) MaxArgs() int { return len(f.Args) }

var table = map[string]*Func{}

func def(f Func) { table[f.Name] = &f }

// Lookup returns the declaration of a function, or nil.
func Lookup(name string) *Func { return table[name] }

// Names returns every declared function name, sorted (for "did you mean" and completion).
func Names() []string {
	out := make([]string, 0, len(table))
	for n := range table {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every declaration, sorted by name.
func All() []*Func {
	out := make([]*Func, 0, len(table))
	for _, n := range Names() {
		out = append(out, table[n])
	}
	return out
}

func init() {
	// Existence and filtering.
	def(Func{Name: "empty", Result: BoolOne, Suite: true, Signature: "empty() : Boolean", Doc: "true when the input collection is empty."})
	def(Func{Name: "exists", Args: []ArgKind{Lambda}, Result: BoolOne, Suite: true, Signature: "exists([criteria: expression]) : Boolean", Doc: "true when the input has any item (that satisfies criteria, if given)."})
	def(Func{Name: "all", Args: []ArgKind{Lambda}, MinArgs: 1, Result: BoolOne, Signature: "all(criteria: expression) : Boolean", Doc: "true when every item satisfies criteria (true for an empty input)."})
	def(Func{Name: "allTrue", Result: BoolOne, Signature: "allTrue() : Boolean", Doc: "true when every item is true."})
	def(Func{Name: "anyTrue", Result: BoolOne, Signature: "anyTrue() : Boolean", Doc: "true when any item is true."})
	def(Func{Name: "allFalse", Result: BoolOne, Signature: "allFalse() : Boolean", Doc: "true when every item is false."})
	def(Func{Name: "anyFalse", Result: BoolOne, Signature: "anyFalse() : Boolean", Doc: "true when any item is false."})
	def(Func{Name: "where", Args: []ArgKind{Lambda}, MinArgs: 1, Result: SameMany, Suite: true, Signature: "where(criteria: expression) : collection", Doc: "the items for which criteria is true."})
	def(Func{Name: "select", Args: []ArgKind{Lambda}, MinArgs: 1, Result: LambdaMany, Signature: "select(projection: expression) : collection", Doc: "the projection evaluated on each item, flattened."})
	def(Func{Name: "ofType", Args: []ArgKind{TypeSpec}, MinArgs: 1, Result: OfType, Suite: true, Signature: "ofType(type: TypeSpecifier) : collection", Doc: "the items of the given type; on a choice element (value[x]) selects one of its forms."})
	def(Func{Name: "single", Result: SameOne, Signature: "single() : T", Doc: "the only item; an error when the input has more than one."})
	def(Func{Name: "first", Result: SameOne, Suite: true, Signature: "first() : T", Doc: "the first item, or empty."})
	def(Func{Name: "last", Result: SameOne, Signature: "last() : T", Doc: "the last item, or empty."})
	def(Func{Name: "tail", Result: SameMany, Signature: "tail() : collection", Doc: "all but the first item."})
	def(Func{Name: "skip", Args: []ArgKind{Value}, MinArgs: 1, Result: SameMany, Signature: "skip(num: Integer) : collection", Doc: "all but the first num items."})
	def(Func{Name: "take", Args: []ArgKind{Value}, MinArgs: 1, Result: SameMany, Signature: "take(num: Integer) : collection", Doc: "the first num items."})
	def(Func{Name: "distinct", Result: SameMany, Signature: "distinct() : collection", Doc: "the items with duplicates removed, in first-seen order."})
	def(Func{Name: "isDistinct", Result: BoolOne, Signature: "isDistinct() : Boolean", Doc: "true when no two items are equal."})
	def(Func{Name: "count", Result: IntOne, Signature: "count() : Integer", Doc: "the number of items (0 for empty)."})
	def(Func{Name: "union", Args: []ArgKind{Value}, MinArgs: 1, Result: UnionMany, Signature: "union(other: collection) : collection", Doc: "the items of both collections, duplicates removed (same as |)."})
	def(Func{Name: "combine", Args: []ArgKind{Value}, MinArgs: 1, Result: UnionMany, Signature: "combine(other: collection) : collection", Doc: "the items of both collections, duplicates kept."})
	def(Func{Name: "iif", Args: []ArgKind{Lambda, Value, Value}, MinArgs: 2, Result: Iif, Signature: "iif(criterion: expression, true-result: collection [, otherwise-result: collection]) : collection", Doc: "true-result when criterion is true, otherwise otherwise-result (or empty)."})

	// Boolean logic as functions.
	def(Func{Name: "not", Result: BoolOne, Suite: true, Signature: "not() : Boolean", Doc: "logical negation; empty stays empty."})

	// Conversions.
	def(Func{Name: "toString", Result: StringOne, Signature: "toString() : String", Doc: "the value as a string, or empty when it has no string form."})
	def(Func{Name: "toInteger", Result: IntOne, Signature: "toInteger() : Integer", Doc: "the value as an integer, or empty."})
	def(Func{Name: "toDecimal", Result: DecimalOne, Signature: "toDecimal() : Decimal", Doc: "the value as a decimal, or empty."})
	def(Func{Name: "toBoolean", Result: BoolOne, Signature: "toBoolean() : Boolean", Doc: "the value as a boolean ('true', 'false', 1, 0, ...), or empty."})
	def(Func{Name: "toDate", Result: DateOne, Signature: "toDate() : Date", Doc: "the value as a date, or empty."})
	def(Func{Name: "toDateTime", Result: DateTimeOne, Signature: "toDateTime() : DateTime", Doc: "the value as a dateTime, or empty."})
	def(Func{Name: "toTime", Result: TimeOne, Signature: "toTime() : Time", Doc: "the value as a time, or empty."})
	def(Func{Name: "toQuantity", Args: []ArgKind{Value}, Result: QuantityOne, Signature: "toQuantity([unit: String]) : Quantity", Doc: "the value as a quantity, or empty."})
	for _, t := range []string{"String", "Integer", "Decimal", "Boolean", "Date", "DateTime", "Time", "Quantity"} {
		def(Func{Name: "convertsTo" + t, Result: BoolOne, Signature: "convertsTo" + t + "() : Boolean", Doc: "true when the value converts to " + t + "."})
	}

	// Strings.
	def(Func{Name: "join", Args: []ArgKind{Value}, Result: StringOne, Suite: true, Experimental: true, Signature: "join([separator: String]) : String", Doc: "the string items concatenated with separator (default none); empty for an empty input."})
	def(Func{Name: "startsWith", Args: []ArgKind{Value}, MinArgs: 1, Result: BoolOne, Signature: "startsWith(prefix: String) : Boolean", Doc: "true when the string starts with prefix."})
	def(Func{Name: "endsWith", Args: []ArgKind{Value}, MinArgs: 1, Result: BoolOne, Signature: "endsWith(suffix: String) : Boolean", Doc: "true when the string ends with suffix."})
	def(Func{Name: "contains", Args: []ArgKind{Value}, MinArgs: 1, Result: BoolOne, Signature: "contains(substring: String) : Boolean", Doc: "true when the string contains substring (the function; the operator tests membership)."})
	def(Func{Name: "indexOf", Args: []ArgKind{Value}, MinArgs: 1, Result: IntOne, Signature: "indexOf(substring: String) : Integer", Doc: "the 0-based index of substring, or -1."})
	def(Func{Name: "substring", Args: []ArgKind{Value, Value}, MinArgs: 1, Result: StringOne, Signature: "substring(start: Integer [, length: Integer]) : String", Doc: "the part of the string from start (0-based), of length characters if given."})
	def(Func{Name: "upper", Result: StringOne, Signature: "upper() : String", Doc: "the string in upper case."})
	def(Func{Name: "lower", Result: StringOne, Signature: "lower() : String", Doc: "the string in lower case."})
	def(Func{Name: "replace", Args: []ArgKind{Value, Value}, MinArgs: 2, Result: StringOne, Signature: "replace(pattern: String, substitution: String) : String", Doc: "the string with every pattern replaced by substitution."})
	def(Func{Name: "matches", Args: []ArgKind{Value}, MinArgs: 1, Result: BoolOne, Signature: "matches(regex: String) : Boolean", Doc: "true when the string matches the regular expression."})
	def(Func{Name: "replaceMatches", Args: []ArgKind{Value, Value}, MinArgs: 2, Result: StringOne, Signature: "replaceMatches(regex: String, substitution: String) : String", Doc: "the string with every match of regex replaced."})
	def(Func{Name: "length", Result: IntOne, Signature: "length() : Integer", Doc: "the number of characters in the string."})
	def(Func{Name: "trim", Result: StringOne, Signature: "trim() : String", Doc: "the string without leading and trailing whitespace (space, tab, LF, CR)."})
	def(Func{Name: "split", Args: []ArgKind{Value}, MinArgs: 1, Result: StringMany, Signature: "split(separator: String) : collection", Doc: "the parts of the string between separators."})

	// Math.
	def(Func{Name: "abs", Result: SameOne, Signature: "abs() : T", Doc: "the absolute value."})
	def(Func{Name: "round", Args: []ArgKind{Value}, Result: DecimalOne, Signature: "round([precision: Integer]) : Decimal", Doc: "the value rounded to precision decimal places (default 0)."})

	// Dates.
	def(Func{Name: "now", Result: DateTimeOne, Signature: "now() : DateTime", Doc: "the current date and time (fixed for one run)."})
	def(Func{Name: "today", Result: DateOne, Signature: "today() : Date", Doc: "the current date (fixed for one run)."})
	def(Func{Name: "lowBoundary", Args: []ArgKind{Value}, Result: BoundaryOne, Suite: true, Experimental: true, Signature: "lowBoundary([precision: Integer]) : T", Doc: "the lowest value the (partial) date, time or decimal could stand for."})
	def(Func{Name: "highBoundary", Args: []ArgKind{Value}, Result: BoundaryOne, Suite: true, Experimental: true, Signature: "highBoundary([precision: Integer]) : T", Doc: "the highest value the (partial) date, time or decimal could stand for."})

	// FHIR and SQL on FHIR.
	def(Func{Name: "extension", Args: []ArgKind{Value}, MinArgs: 1, Result: ExtensionMany, Suite: true, Signature: "extension(url: String) : collection", Doc: "the extensions of the input with the given url."})
	def(Func{Name: "getResourceKey", Result: StringOne, Suite: true, Signature: "getResourceKey() : KeyType", Doc: "a key for the resource that getReferenceKey() on a reference to it returns too (here: the resource id)."})
	def(Func{Name: "getReferenceKey", Args: []ArgKind{TypeSpec}, Result: KeyEach, Suite: true, Signature: "getReferenceKey([resource: type]) : KeyType", Doc: "the key of the resource a Reference points to (relative, absolute and versioned forms), empty when it points to another type or cannot be resolved."})
	def(Func{Name: "hasValue", Result: BoolOne, Signature: "hasValue() : Boolean", Doc: "true when the input is a single primitive with a value."})
	def(Func{Name: "children", Result: SameMany, Signature: "children() : collection", Doc: "the direct child elements of each item."})
	def(Func{Name: "descendants", Result: SameMany, Signature: "descendants() : collection", Doc: "all child elements, recursively."})
}
