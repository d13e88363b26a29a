package viewdef

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of the ViewDefinition reader. They are exported so tests,
// the CLI and the language server can match on a kind of problem without
// parsing messages; a code never changes meaning once released.
const (
	// CodeInvalidJSON: the file is not JSON; the span is the byte where it breaks.
	CodeInvalidJSON diag.Code = "FQL1101"
	// CodeNotObject: a view, or an element of an array of views, is not a JSON object.
	CodeNotObject diag.Code = "FQL1102"
	// CodeMissingResource: a view has no "resource".
	CodeMissingResource diag.Code = "FQL1103"
	// CodeMissingSelect: a view has no "select", or an empty one.
	CodeMissingSelect diag.Code = "FQL1104"
	// CodeWrongType: a property holds the wrong kind of JSON value.
	CodeWrongType diag.Code = "FQL1105"
	// CodeConflictingIteration: a select has more than one of forEach, forEachOrNull and repeat.
	CodeConflictingIteration diag.Code = "FQL1106"
	// CodeConstantValue: a constant has no value[x], or more than one.
	CodeConstantValue diag.Code = "FQL1107"
	// CodeMissingProperty: a column, where, constant or tag lacks a required property.
	CodeMissingProperty diag.Code = "FQL1108"
	// CodeUnknownProperty: a select, column, where, constant or tag has a property the spec does not define.
	CodeUnknownProperty diag.Code = "FQL1109"
	// CodeDuplicateProperty: an object names the same property twice.
	CodeDuplicateProperty diag.Code = "FQL1110"
	// CodeInvalidValue: a value has the right JSON type but not a valid form (a
	// constant's date, a non-integer valueInteger, an empty repeat).
	CodeInvalidValue diag.Code = "FQL1111"
	// CodeNotViewDefinition: resourceType names another resource, or a Bundle entry holds one.
	CodeNotViewDefinition diag.Code = "FQL1112"
	// CodeUnknownViewProperty (warning): a top-level property the ViewDefinition
	// does not define; it is kept but probably misspelt.
	CodeUnknownViewProperty diag.Code = "FQL1113"
	// CodeInvalidName: a view, column or constant name is not a SQL-friendly
	// name (the spec's sql-name invariant: ^[A-Za-z][A-Za-z0-9_]*$).
	CodeInvalidName diag.Code = "FQL1114"
	// CodeDroppedElement (warning): an id or extension inside a select,
	// column, where, constant or tag, which fhirql reads past.
	CodeDroppedElement diag.Code = "FQL1115"
)

func errf(code diag.Code, f *source.File, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return diag.New(diag.Error, code, f, sp, format, args...)
}

func errInvalidJSON(f *source.File, off int, msg string) *diag.Diagnostic {
	end := off
	if off < len(f.Text) {
		_, n := utf8.DecodeRuneInString(f.Text[off:])
		end = off + n
	}
	return errf(CodeInvalidJSON, f, source.Span{Start: source.Pos(off), End: source.Pos(end)}, "invalid JSON: %s", msg)
}

// errNotObject: what is "a view", "bundle entry", ...; got is the JSON kind found.
func errNotObject(f *source.File, sp source.Span, what string, got jkind) *diag.Diagnostic {
	return errf(CodeNotObject, f, sp, "%s must be a JSON object holding a ViewDefinition, not %s", what, got.noun())
}

func errMissingResource(f *source.File, sp source.Span) *diag.Diagnostic {
	return errf(CodeMissingResource, f, sp, `view has no "resource"; add "resource": "<FHIR resource type>", e.g. "Patient"`)
}

func errEmptyResource(f *source.File, sp source.Span) *diag.Diagnostic {
	return errf(CodeMissingResource, f, sp, `"resource" is empty; name a FHIR resource type, e.g. "Patient"`)
}

func errMissingSelect(f *source.File, sp source.Span, empty bool) *diag.Diagnostic {
	if empty {
		return errf(CodeMissingSelect, f, sp, `view has an empty "select"; add at least one select with columns`)
	}
	return errf(CodeMissingSelect, f, sp, `view has no "select"; add "select": [{"column": [...]}]`)
}

// errWrongType: prop is the property name, want what it must hold ("a FHIRPath string").
func errWrongType(f *source.File, sp source.Span, prop, want string, got jkind) *diag.Diagnostic {
	d := errf(CodeWrongType, f, sp, "%q must be %s, not %s", prop, want, got.noun())
	if got == jObject && strings.HasPrefix(want, "an array") {
		d.WithNote(sp, "wrap the object in [ ] to make a one-element array")
	}
	return d
}

// errWrongElement: an element of an array-of-objects property is not an object.
func errWrongElement(f *source.File, sp source.Span, prop, noun string, got jkind) *diag.Diagnostic {
	return errf(CodeWrongType, f, sp, "each element of %q must be a %s object, not %s", prop, noun, got.noun())
}

// errConflictingIteration: second is the later key, first the one already seen.
func errConflictingIteration(f *source.File, sp source.Span, second, first string, firstSpan source.Span) *diag.Diagnostic {
	return errf(CodeConflictingIteration, f, sp, "a select cannot have both %q and %q; move one of them into a nested select", first, second).
		WithNote(firstSpan, "%q is here", first)
}

func errConstantNoValue(f *source.File, sp source.Span, name string) *diag.Diagnostic {
	what := "constant"
	if name != "" {
		what = fmt.Sprintf("constant %q", name)
	}
	return errf(CodeConstantValue, f, sp, "%s has no value; add one value[x] property, e.g. \"valueString\": \"...\" or \"valueInteger\": 1", what)
}

func errConstantTwoValues(f *source.File, sp source.Span, second, first string, firstSpan source.Span) *diag.Diagnostic {
	return errf(CodeConstantValue, f, sp, "a constant has exactly one value, but %q follows %q; remove one", second, first).
		WithNote(firstSpan, "%q is here", first)
}

// errMissingProperty: obj is "column", `column "x"`, "where", ...; hint the placeholder value.
func errMissingProperty(f *source.File, sp source.Span, obj, prop, hint string) *diag.Diagnostic {
	return errf(CodeMissingProperty, f, sp, "%s has no %q; add \"%s\": %s", obj, prop, prop, hint)
}

// errUnknownProperty reports a key the spec does not define in obj, with a
// quick fix when one known key is a likely meant spelling.
func errUnknownProperty(f *source.File, keySpan source.Span, obj, key string, known []string) *diag.Diagnostic {
	if s, ok := diag.Suggest(key, known); ok {
		return errf(CodeUnknownProperty, f, keySpan, "unknown property %q in %s; did you mean %q?", key, obj, s).
			WithEdit(fmt.Sprintf("change to %q", s), keySpan, quoteJSON(s))
	}
	return errf(CodeUnknownProperty, f, keySpan, "unknown property %q in %s; it may have %s", key, obj, listQuoted(known))
}

// errMisplacedProperty: a known key of another object written in obj (a
// column's "path" directly in a select).
func errMisplacedProperty(f *source.File, keySpan source.Span, obj, key, where string) *diag.Diagnostic {
	return errf(CodeUnknownProperty, f, keySpan, "%q does not belong in %s; it goes inside %s", key, obj, where)
}

// warnDroppedElement: FHIR lets every element carry an id and extensions,
// which fhirql has nowhere to keep inside a select, column, where, constant
// or tag. They do not change what the view means, so the view is still
// read; the warning says they are gone from what fhirql writes back.
func warnDroppedElement(f *source.File, keySpan source.Span, obj, key string) *diag.Diagnostic {
	return diag.New(diag.Warning, CodeDroppedElement, f, keySpan, "%q inside %s is ignored: fhirql keeps ids and extensions only at the top level of a view, so `fhirql viewdef` does not write it back", key, obj)
}

// errModifierExtension: a modifierExtension may change the meaning of the
// element that holds it, so FHIR forbids ignoring one that is not
// understood, and fhirql understands none.
func errModifierExtension(f *source.File, keySpan source.Span, obj string) *diag.Diagnostic {
	return errf(CodeUnknownProperty, f, keySpan, "\"modifierExtension\" inside %s may change what it means, and fhirql does not know it; FHIR forbids ignoring it: remove it if it does not apply", obj)
}

func errDuplicateProperty(f *source.File, keySpan source.Span, key string, firstSpan source.Span) *diag.Diagnostic {
	return errf(CodeDuplicateProperty, f, keySpan, "property %q appears twice; remove one", key).
		WithNote(firstSpan, "first %q is here", key)
}

func errInvalidValue(f *source.File, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return errf(CodeInvalidValue, f, sp, format, args...)
}

func errNotViewDefinition(f *source.File, sp source.Span, got string) *diag.Diagnostic {
	return errf(CodeNotViewDefinition, f, sp, `resourceType is %q; a view file holds a "ViewDefinition", an array of them, or a Bundle of them`, got)
}

// warnBundleEntry: i is the 0-based entry index, shown as FHIRPath's entry[i].
func warnBundleEntry(f *source.File, sp source.Span, i int, why string) *diag.Diagnostic {
	return diag.New(diag.Warning, CodeNotViewDefinition, f, sp, "Bundle.entry[%d] %s; skipped", i, why)
}

func warnUnknownViewProperty(f *source.File, keySpan source.Span, key string, known []string) *diag.Diagnostic {
	if s, ok := diag.Suggest(key, known); ok {
		return diag.New(diag.Warning, CodeUnknownViewProperty, f, keySpan, "unknown ViewDefinition property %q is kept but not used; did you mean %q?", key, s).
			WithEdit(fmt.Sprintf("change to %q", s), keySpan, quoteJSON(s))
	}
	return diag.New(diag.Warning, CodeUnknownViewProperty, f, keySpan, "unknown ViewDefinition property %q is kept but not used", key)
}

// errInvalidName: what is "column", "view" or "constant".
func errInvalidName(f *source.File, sp source.Span, what, name string) *diag.Diagnostic {
	return errf(CodeInvalidName, f, sp, "%s name %q cannot be used as a SQL name; use letters, digits and _, starting with a letter", what, name)
}

// listQuoted renders ["a","b","c"] as `"a", "b" or "c"`.
func listQuoted(names []string) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}
