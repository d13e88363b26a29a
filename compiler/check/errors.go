package check

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of the checker (FQL2xxx: names and types). They are
// exported so tests, the CLI and the language server can match on a kind of
// problem without parsing messages; a code never changes meaning once
// released. Every code has exactly one constructor below.
const (
	// CodeUnknownResource: a view names a resource type the catalog lacks.
	CodeUnknownResource diag.Code = "FQL2001"
	// CodeMissingResource: a view names no resource type at all.
	CodeMissingResource diag.Code = "FQL2002"
	// CodeUnknownElement: a path step names no element of its receiver's type.
	// An error in .fview; a warning in ViewDefinition JSON, whose FHIRPath
	// evaluates such a step to empty (the SQL on FHIR suite relies on it).
	CodeUnknownElement diag.Code = "FQL2003"
	// CodeUnknownFunction: a call names no declared function.
	CodeUnknownFunction diag.Code = "FQL2004"
	// CodeArgCount: a call has too few or too many arguments.
	CodeArgCount diag.Code = "FQL2005"
	// CodeArgType: an argument has a type the function cannot use.
	CodeArgType diag.Code = "FQL2006"
	// CodeOfTypeNotChoice: ofType on an element that is neither a choice
	// (value[x]) nor Resource-typed, with a type it can never have.
	CodeOfTypeNotChoice diag.Code = "FQL2007"
	// CodeChoiceType: ofType/as names a type the choice element does not allow.
	CodeChoiceType diag.Code = "FQL2008"
	// CodeUnknownType: a type name (in ofType, is, as, getReferenceKey) the catalog lacks.
	CodeUnknownType diag.Code = "FQL2009"
	// CodeNotBoolean: a view where or a where()/all()/exists() criterion is not Boolean.
	CodeNotBoolean diag.Code = "FQL2010"
	// CodeMaybeMany (warning): a column that is not a collection may get several values.
	CodeMaybeMany diag.Code = "FQL2011"
	// CodeUnionColumns: unionAll branches differ in column names, order or count.
	CodeUnionColumns diag.Code = "FQL2012"
	// CodeUnionTypes: unionAll branches give one column different types.
	CodeUnionTypes diag.Code = "FQL2013"
	// CodeDuplicateColumn: two output columns of a view share a name.
	CodeDuplicateColumn diag.Code = "FQL2014"
	// CodeUndefinedConstant: %name names no constant in scope.
	CodeUndefinedConstant diag.Code = "FQL2015"
	// CodeConstantType: a constant's declared type disagrees with its value.
	CodeConstantType diag.Code = "FQL2016"
	// CodeCodeNotInValueSet (warning): a string compared with a code element
	// is not one of the codes of its required value set.
	CodeCodeNotInValueSet diag.Code = "FQL2017"
	// CodeUnknownColumnType: a column declares a type the catalog lacks.
	CodeUnknownColumnType diag.Code = "FQL2018"
	// CodeNoColumns: a view produces no column at all.
	CodeNoColumns diag.Code = "FQL2019"
	// CodeDuplicateConstant: two constants of one scope share a name.
	CodeDuplicateConstant diag.Code = "FQL2020"
	// CodeAbstractResource: a view is "of" an abstract type (Resource, DomainResource).
	CodeAbstractResource diag.Code = "FQL2021"
	// CodeChoiceNoType: a path steps into a choice element without picking a type.
	CodeChoiceNoType diag.Code = "FQL2022"
	// CodeMisplacedVariable: $index or $total outside a function argument
	// that binds it.
	CodeMisplacedVariable diag.Code = "FQL2023"
	// CodeDuplicateView: two views of one namespace share a name.
	CodeDuplicateView diag.Code = "FQL2024"
	// CodeConstantNoValue: a constant carries no value.
	CodeConstantNoValue diag.Code = "FQL2025"
	// CodeOperandType: an operator or index gets operands it cannot combine.
	CodeOperandType diag.Code = "FQL2026"
	// CodeFilterNoop (warning): ofType(T) or `as T` on a non-choice element
	// that always has type T; the filter does nothing.
	CodeFilterNoop diag.Code = "FQL2027"
	// CodeCaseColumn: two output columns of a view differ only in letter
	// case. SQL Server and Synapse compare identifiers without case, so the
	// second would collide with the first (DuckDB would rename it silently).
	CodeCaseColumn diag.Code = "FQL2028"
	// CodePartialDates (warning): a column typed DATE or TIMESTAMP by its
	// ansi/type tag reads a FHIR date or dateTime, whose partial values
	// ("1970", "1970-06") a SQL date cannot hold: they will be NULL.
	CodePartialDates diag.Code = "FQL2029"
	// CodeExpectName: an expectation names a column the view lacks or
	// repeats a rule name of its view (errors), or references a view that
	// is not among the views checked together (a warning: it may be
	// checked alone, as an exported ViewDefinition is).
	CodeExpectName diag.Code = "FQL2030"
	// CodeUnknownGroup: a column uses a group the namespace does not declare.
	CodeUnknownGroup diag.Code = "FQL2031"
	// CodeGroupType: a group is declared of a type the catalog lacks, or a
	// column uses a group on a path whose type is not the group's.
	CodeGroupType diag.Code = "FQL2032"
	// CodeGroupCycle: a group uses itself, directly or through other groups.
	CodeGroupCycle diag.Code = "FQL2033"
	// CodeDuplicateGroup: two groups of one namespace share a name.
	CodeDuplicateGroup diag.Code = "FQL2034"
	// CodeGroupUseType: a column that uses a group also declares a type or
	// tags, which belong on the group's members.
	CodeGroupUseType diag.Code = "FQL2035"
)

// reporter builds diagnostics for one file; its methods are the checker's
// only way to say something to the user.
type reporter struct {
	file *source.File
	json bool // the file is ViewDefinition JSON: some edits and severities differ
	out  *diag.List
}

func (r *reporter) add(d *diag.Diagnostic) *diag.Diagnostic {
	*r.out = append(*r.out, d)
	return d
}

func (r *reporter) errorf(code diag.Code, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return r.add(diag.New(diag.Error, code, r.file, sp, format, args...))
}

func (r *reporter) warnf(code diag.Code, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return r.add(diag.New(diag.Warning, code, r.file, sp, format, args...))
}

// suggest adds a "did you mean" note and a replacement edit when one
// candidate is the likely intent; otherwise, for short candidate lists, a note
// naming them all (PRQL's "available columns").
func suggest(d *diag.Diagnostic, sp source.Span, got string, candidates []string, what string) {
	if s, ok := diag.Suggest(got, candidates); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s)
		d.WithEdit(fmt.Sprintf("change to %q", s), sp, s)
		return
	}
	if len(candidates) > 0 && len(candidates) <= 6 {
		d.WithNote(source.Span{}, "%s: %s", what, quoteList(candidates))
	}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func (r *reporter) unknownResource(sp source.Span, name string, resources []string) {
	d := r.errorf(CodeUnknownResource, sp, "unknown resource type %q; a view must be of a FHIR R4 resource type", name)
	suggest(d, sp, name, resources, "resource types")
}

func (r *reporter) missingResource(sp source.Span, view string) {
	r.errorf(CodeMissingResource, sp, "view %q names no resource type; say which resources it reads, e.g. `of Patient`", view)
}

func (r *reporter) abstractResource(sp source.Span, name string) {
	r.errorf(CodeAbstractResource, sp, "%q is abstract and has no instances; a view must be of a concrete resource type such as \"Patient\"", name)
}

// unknownElement reports a path step that names no element of typ. Unknown
// element names are errors in .fview, but warnings in ViewDefinition JSON,
// where FHIRPath's evaluation rules make them empty (and the SQL on FHIR
// suite tests exactly that). choiceKey/choiceType are set when the name is
// the JSON key of one form of a choice element ("valueQuantity").
func (r *reporter) unknownElement(sp source.Span, typ, name string, candidates []string, choiceBase, choiceType string) {
	sev := diag.Error
	msg := "unknown element %q on %s"
	if r.json {
		sev = diag.Warning
		msg += "; the path is always empty"
	}
	d := r.add(diag.New(sev, CodeUnknownElement, r.file, sp, msg, name, typ))
	if choiceBase != "" {
		fix := choiceBase + ".ofType(" + choiceType + ")"
		d.WithNote(source.Span{}, "%q is the JSON key of the choice element %s[x]; FHIRPath reads it as %s", name, choiceBase, fix)
		d.WithEdit("change to "+fix, sp, fix)
		return
	}
	suggest(d, sp, name, candidates, "elements of "+typ)
}

// noElements reports a path step on a value without children (a System
// type such as the result of count()).
func (r *reporter) noElements(sp source.Span, typ types.Type, name string) {
	r.errorf(CodeUnknownElement, sp, "%s has no element %q: a %s value has no children", typ, name, typ)
}

func (r *reporter) choiceNoType(sp source.Span, elem, name string, allowed []string, only string) {
	d := r.errorf(CodeChoiceNoType, sp, "%q is a choice element (%s[x]); pick its type before reading %q", elem, elem, name)
	if only != "" {
		fix := elem + ".ofType(" + only + ")"
		d.WithNote(source.Span{}, "of its types only %s has %q: use %s.%s", only, name, fix, name)
	} else {
		d.WithNote(source.Span{}, "allowed types: %s", strings.Join(allowed, ", "))
	}
}

// anyNoElements: a step on a value whose type the checker cannot know (an
// unresolved choice iterated by forEach, children(), a mixed union).
func (r *reporter) anyNoElements(sp source.Span, name string) {
	r.errorf(CodeChoiceNoType, sp, "cannot read %q from a value whose type is not known here; pick a type first with ofType(T)", name)
}

func (r *reporter) unknownFunction(sp source.Span, name string, names []string) {
	d := r.errorf(CodeUnknownFunction, sp, "unknown function %q", name)
	if name == "resolve" {
		// SQL on FHIR views read one resource at a time: there is nothing
		// to resolve a reference against. Joins go through keys.
		d.WithNote(source.Span{}, "a view reads one resource at a time and cannot follow a reference; take its key with getReferenceKey(), e.g. subject.getReferenceKey(Patient), and join it with getResourceKey() of a view of the referenced resource")
		return
	}
	if s, ok := diag.Suggest(name, names); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s)
		d.WithEdit(fmt.Sprintf("change to %q", s), sp, s)
	}
}

func (r *reporter) argCount(sp source.Span, name string, got, lo, hi int, signature string) {
	want := fmt.Sprintf("%d", lo)
	switch {
	case lo == hi && lo == 0:
		want = "no"
	case lo != hi:
		want = fmt.Sprintf("%d to %d", lo, hi)
	}
	plural := "s"
	if lo == hi && lo == 1 {
		plural = ""
	}
	d := r.errorf(CodeArgCount, sp, "%s takes %s argument%s, not %d", name, want, plural, got)
	if signature != "" {
		d.WithNote(source.Span{}, "signature: %s", signature)
	}
}

func (r *reporter) argType(sp source.Span, fn string, i int, want string, got types.Info) {
	r.errorf(CodeArgType, sp, "argument %d of %s must be %s, not %s", i+1, fn, want, got)
}

func (r *reporter) notTypeName(sp source.Span, fn string) {
	r.errorf(CodeArgType, sp, "the argument of %s must be a type name such as Quantity or Patient, not an expression", fn)
}

func (r *reporter) notResourceType(sp source.Span, fn, name string) {
	r.errorf(CodeArgType, sp, "the argument of %s must be a resource type such as Patient, not %q", fn, name)
}

func (r *reporter) unknownType(sp source.Span, name string, candidates []string) {
	d := r.errorf(CodeUnknownType, sp, "unknown type %q", name)
	suggest(d, sp, name, candidates, "types")
}

// ofTypeNotChoice: ofType(T) on an element that always has type typ, which is not T.
func (r *reporter) ofTypeNotChoice(sp source.Span, elem string, typ, want string) {
	r.errorf(CodeOfTypeNotChoice, sp, "ofType(%s) on %q, which is not a choice element and always has type %s; the result is always empty", want, elem, typ).
		WithNote(source.Span{}, "ofType picks one form of a choice element (value[x]) or narrows a Resource; drop it or navigate to the element you meant")
}

// filterNoop: remove is the span of `.ofType(T)` / ` as T`, deleted by the quick fix.
func (r *reporter) filterNoop(sp source.Span, fn, elem, want, has string, remove source.Span) {
	msg := "%s(%s) on %q does nothing: the element is not a choice and always has type %s"
	if want != has {
		msg += ", which is a " + want
	}
	d := r.warnf(CodeFilterNoop, sp, msg, fn, want, elem, has)
	if !remove.IsZero() && remove.Start < remove.End {
		d.WithEdit("remove "+fn+"()", remove, "")
	}
}

func (r *reporter) choiceType(sp source.Span, elem, want string, allowed []string) {
	d := r.errorf(CodeChoiceType, sp, "%s[x] cannot be a %s", elem, want)
	d.WithNote(source.Span{}, "allowed types: %s", strings.Join(allowed, ", "))
	if s, ok := diag.Suggest(want, allowed); ok {
		d.WithEdit(fmt.Sprintf("change to %q", s), sp, s)
	}
}

func (r *reporter) notBoolean(sp source.Span, what string, got types.Info) {
	r.errorf(CodeNotBoolean, sp, "%s must be Boolean, not %s; compare it with something (e.g. = 'x') or test it with exists()", what, got)
}

// maybeMany warns that a non-collection column may receive several values,
// which the spec makes a runtime error, and offers the two usual fixes.
func (r *reporter) maybeMany(col string, nameSpan source.Span, path string, pathSpan source.Span, paren bool, got types.Info) {
	d := r.warnf(CodeMaybeMany, pathSpan, "column %q may get several values (%s) but is not a collection; a row with several values fails at run time", col, got)
	first := path + ".first()"
	if paren {
		first = "(" + path + ").first()"
	}
	d.WithEdit("take the first value", pathSpan, first)
	if r.json {
		d.WithNote(source.Span{}, "append .first() to keep one value, or add \"collection\": true to the column to keep them all")
		return
	}
	d.WithNote(source.Span{}, "append .first() to keep one value, or write %s[] to make the column a collection", col)
	d.WithEdit("make the column a collection", source.Span{Start: nameSpan.End, End: nameSpan.End}, "[]")
}

// unionColumns: branch i's column list differs from the first branch's at
// position pos (got/want "" when that branch has fewer columns).
func (r *reporter) unionColumns(sp source.Span, got, want string, pos int, firstSp source.Span) {
	var d *diag.Diagnostic
	switch {
	case got == "":
		d = r.errorf(CodeUnionColumns, sp, "unionAll branch lacks column %q (column %d of the first branch); every branch must have the same columns in the same order", want, pos+1)
	case want == "":
		d = r.errorf(CodeUnionColumns, sp, "unionAll branch has an extra column %q; every branch must have the same columns in the same order", got)
	default:
		d = r.errorf(CodeUnionColumns, sp, "unionAll branch has column %q where the first branch has %q (column %d); every branch must have the same columns in the same order", got, want, pos+1)
	}
	d.WithNote(firstSp, "the first branch's columns are fixed here")
}

func (r *reporter) unionTypes(sp source.Span, col string, got, want types.Type, firstSp source.Span) {
	r.errorf(CodeUnionTypes, sp, "column %q is %s here but %s in the first unionAll branch; give both the same type (convert one, e.g. with toString())", col, got, want).
		WithNote(firstSp, "first branch's %q is here", col)
}

func (r *reporter) duplicateColumn(sp source.Span, name string, firstFile *source.File, firstSp source.Span) {
	d := r.errorf(CodeDuplicateColumn, sp, "duplicate column name %q; rename one, output column names must be unique", name)
	d.Notes = append(d.Notes, diag.Note{File: firstFile, Span: firstSp, Message: fmt.Sprintf("%q is first defined here", name)})
}

func (r *reporter) caseColumn(sp source.Span, name, first string, firstFile *source.File, firstSp source.Span) {
	d := r.errorf(CodeCaseColumn, sp, "column %q differs from column %q only in case; SQL Server and Synapse do not tell them apart: rename one", name, first)
	d.Notes = append(d.Notes, diag.Note{File: firstFile, Span: firstSp, Message: fmt.Sprintf("%q is defined here", first)})
}

func (r *reporter) undefinedConstant(sp source.Span, name string, inScope []string) {
	d := r.errorf(CodeUndefinedConstant, sp, "undefined constant %%%s; declare it (const %s = ... / a ViewDefinition constant) or fix the name", name, name)
	if s, ok := diag.Suggest(name, inScope); ok {
		d.WithNote(source.Span{}, "did you mean %%%s?", s)
		d.WithEdit(fmt.Sprintf("change to %%%s", s), sp, "%"+s)
		return
	}
	if len(inScope) == 0 {
		d.WithNote(source.Span{}, "no constants are defined here")
	} else if len(inScope) <= 6 {
		d.WithNote(source.Span{}, "constants in scope: %s", quoteList(inScope))
	}
	if r.file != nil && strings.HasSuffix(r.file.Name, ".fview") {
		d.WithNote(source.Span{}, "the constants of every .fview file in the same directory are in scope; a view copied from another directory needs the file that declares %%%s too (fhirql's examples declare theirs in examples/constants.fview)", name)
	}
}

func (r *reporter) constantType(sp source.Span, name, typ string, lit string) {
	r.errorf(CodeConstantType, sp, "constant %q is declared %s but its value is %s; change the value or the type", name, typ, lit)
}

func (r *reporter) unknownConstantType(sp source.Span, name, typ string, candidates []string) {
	d := r.errorf(CodeConstantType, sp, "constant %q has unknown type %q; a constant has a FHIR primitive type", name, typ)
	suggest(d, sp, typ, candidates, "types")
}

func (r *reporter) constantNoValue(sp source.Span, name string) {
	r.errorf(CodeConstantNoValue, sp, "constant %q has no value; give it one", name)
}

func (r *reporter) duplicateConstant(sp source.Span, name string, firstFile *source.File, firstSp source.Span) {
	d := r.errorf(CodeDuplicateConstant, sp, "constant %q is defined twice; rename or remove one", name)
	d.Notes = append(d.Notes, diag.Note{File: firstFile, Span: firstSp, Message: fmt.Sprintf("%q is first defined here", name)})
}

func (r *reporter) duplicateView(sp source.Span, name string, firstFile *source.File, firstSp source.Span) {
	d := r.errorf(CodeDuplicateView, sp, "view %q is defined twice in this directory; rename one, view names become table names", name)
	d.Notes = append(d.Notes, diag.Note{File: firstFile, Span: firstSp, Message: fmt.Sprintf("%q is first defined here", name)})
}

// codeNotInValueSet warns about a literal outside a required binding; lit
// is the literal's span, for the quick fix.
func (r *reporter) codeNotInValueSet(sp source.Span, code, elem, valueSet string, codes []string) {
	d := r.warnf(CodeCodeNotInValueSet, sp, "%q is not a code of %s (required value set %s); the comparison is never true", code, elem, valueSet)
	if s, ok := diag.Suggest(code, codes); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s)
		d.WithEdit(fmt.Sprintf("change to %q", s), sp, "'"+s+"'")
	} else if len(codes) <= 12 {
		d.WithNote(source.Span{}, "codes: %s", quoteList(codes))
	}
}

func (r *reporter) unknownColumnType(sp source.Span, col, typ string, candidates []string) {
	d := r.errorf(CodeUnknownColumnType, sp, "column %q declares unknown type %q; use a FHIR type such as string, integer, dateTime", col, typ)
	suggest(d, sp, typ, candidates, "types")
}

func (r *reporter) partialDates(sp source.Span, col, sqlType, fhirType string) {
	r.warnf(CodePartialDates, sp, "column %q is typed %s, which cannot hold a partial %s (\"1970\", \"1970-06\"): such values will be NULL and `fhirql run` counts them; "+
		"drop the ansi/type tag to keep every value as text", col, sqlType, fhirType)
}

func (r *reporter) unknownExpectColumn(sp source.Span, col, view string, cols []string) {
	d := r.errorf(CodeExpectName, sp, "view %q has no column %q; an expectation checks the view's output columns", view, col)
	suggest(d, sp, col, cols, "columns")
}

func (r *reporter) unknownExpectView(sp source.Span, view string, views []string) {
	d := r.warnf(CodeExpectName, sp, "no view %q among the views checked together; `fhirql test` and `build` need it among their views to check the reference", view)
	if s, ok := diag.Suggest(view, views); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s)
	}
}

func (r *reporter) duplicateExpect(sp source.Span, name string, first source.Span) {
	d := r.errorf(CodeExpectName, sp, "a second expectation named %q; rename one, reports name rules by their names", name)
	d.Notes = append(d.Notes, diag.Note{File: r.file, Span: first, Message: "the first is here"})
}

func (r *reporter) noColumns(sp source.Span, view string) {
	r.errorf(CodeNoColumns, sp, "view %q has no columns; add at least one", view)
}

func (r *reporter) misplacedVariable(sp source.Span, name string) {
	r.errorf(CodeMisplacedVariable, sp, "$%s is only defined inside the argument of where(), select(), exists(), all() or repeat()", name)
}

func (r *reporter) operandType(sp source.Span, op string, x, y types.Info) {
	r.errorf(CodeOperandType, sp, "operator %s cannot combine %s and %s", op, x, y)
}

func (r *reporter) unaryOperand(sp source.Span, op string, x types.Info) {
	r.errorf(CodeOperandType, sp, "operator %s needs a number or a quantity, not %s", op, x)
}

func (r *reporter) indexType(sp source.Span, got types.Info) {
	r.errorf(CodeOperandType, sp, "an index must be an Integer, not %s", got)
}

func (r *reporter) unknownGroup(sp source.Span, name string, groups []string) {
	d := r.errorf(CodeUnknownGroup, sp, "unknown group %q; declare it with `group %s of TYPE { ... }` in a file of this directory", name, name)
	suggest(d, sp, name, groups, "groups")
}

func (r *reporter) unknownGroupType(sp source.Span, group, typ string, typeNames []string) {
	d := r.errorf(CodeGroupType, sp, "group %q is of unknown type %q; name a FHIR R4 data type (HumanName, CodeableConcept) or a backbone element (Patient.contact)", group, typ)
	suggest(d, sp, typ, typeNames, "types")
}

func (r *reporter) groupTypeMismatch(sp source.Span, col, group string, want, got types.Type, defFile *source.File, defSp source.Span) {
	d := r.errorf(CodeGroupType, sp, "column %q uses group %q of %s, but its path is of type %s; use a group of %s or change the path", col, group, want, got, got)
	d.Notes = append(d.Notes, diag.Note{File: defFile, Span: defSp, Message: fmt.Sprintf("group %q is declared here", group)})
}

func (r *reporter) groupCycle(sp source.Span, path []string) {
	r.errorf(CodeGroupCycle, sp, "group %q uses itself (%s); a group's members cannot expand forever, remove one use", path[0], strings.Join(path, " → "))
}

func (r *reporter) duplicateGroup(sp source.Span, name string, firstFile *source.File, firstSp source.Span) {
	d := r.errorf(CodeDuplicateGroup, sp, "group %q is defined twice in this directory; rename or remove one", name)
	d.Notes = append(d.Notes, diag.Note{File: firstFile, Span: firstSp, Message: fmt.Sprintf("%q is first defined here", name)})
}

func (r *reporter) groupUseType(sp source.Span, col, group string) {
	r.errorf(CodeGroupUseType, sp, "column %q uses group %q and so becomes several columns; declare types and tags on the group's members instead", col, group)
}
