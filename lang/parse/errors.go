package parse

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of the parser (FQL1xxx: syntax and input shape). Codes are
// stable: add new ones, never reuse or renumber.
const (
	CodeUnexpected      diag.Code = "FQL1001" // a token the grammar does not allow here
	CodeUnterminated    diag.Code = "FQL1002" // string, quoted name or block comment without its end
	CodeBadEscape       diag.Code = "FQL1003" // unknown escape in a string or quoted name
	CodeBadChar         diag.Code = "FQL1004" // a character that starts no token
	CodeBadLiteral      diag.Code = "FQL1005" // malformed date/time, number, %variable
	CodeExpectedExpr    diag.Code = "FQL1006" // an expression is missing
	CodeUnclosed        diag.Code = "FQL1007" // ( [ { without its closing partner
	CodeOrder           diag.Code = "FQL1008" // block statements out of order
	CodeConstNotLiteral diag.Code = "FQL1009" // const value is not a literal
	CodeMisplacedConst  diag.Code = "FQL1010" // const inside a nested select
	CodeUnionBranch     diag.Code = "FQL1011" // unionAll holds something other than selects
	CodeSelectPaths     diag.Code = "FQL1012" // forEach with several paths
	CodeBadJSON         diag.Code = "FQL1013" // @attribute value is not valid JSON
	CodeBadAnnotation   diag.Code = "FQL1014" // unknown column annotation or wrong arguments
	CodeDuplicateUnion  diag.Code = "FQL1015" // two unionAll in one block
	CodeUnknownSpecial  diag.Code = "FQL1016" // $name other than $this, $index, $total
	CodeDuplicateAttr   diag.Code = "FQL1017" // the same @attribute twice
	CodeReservedAttr    diag.Code = "FQL1018" // @name/@resource/... that the syntax already expresses
	CodeNotFHIRPath     diag.Code = "FQL1019" // ==, &&, ||, ! borrowed from other languages
	CodeTrailing        diag.Code = "FQL1020" // text after a standalone expression
	CodeTooDeep         diag.Code = "FQL1021" // nesting deeper than the parser allows
	CodeInvalidName     diag.Code = "FQL1022" // a view, column or constant name that is not a SQL name
	CodeGroupStmt       diag.Code = "FQL1024" // a group body holds something other than columns
	CodeInternal        diag.Code = "FQL1999" // a parser bug, reported instead of crashing
)

// synErr is a syntax error with offsets into the parsed text. Offsets are
// mapped to file positions only when the error becomes a diagnostic, so the
// same code serves ParseFile and ParseExprAt (text embedded in JSON).
type synErr struct {
	code       diag.Code
	sev        diag.Severity
	start, end int
	msg        string
	notes      []synNote
	edits      []synEdit
}

type synNote struct {
	start, end int
	at         bool // the note has a location
	msg        string
}

type synEdit struct {
	title      string
	start, end int
	text       string
}

func (e *synErr) Error() string { return e.msg }

// shift moves the error's offsets by n (an error found in text that starts
// at offset n of the scanned text).
func (e *synErr) shift(n int) *synErr {
	e.start += n
	e.end += n
	for i := range e.notes {
		e.notes[i].start += n
		e.notes[i].end += n
	}
	for i := range e.edits {
		e.edits[i].start += n
		e.edits[i].end += n
	}
	return e
}

// Message and Position make synErr a participle.Error, so participle passes
// it through unchanged when it surfaces from the expression parser.
func (e *synErr) Message() string { return e.msg }

// Position implements participle.Error.
func (e *synErr) Position() lexer.Position { return lexer.Position{Offset: e.start} }

func (e *synErr) note(format string, args ...any) *synErr {
	e.notes = append(e.notes, synNote{msg: fmt.Sprintf(format, args...)})
	return e
}

func (e *synErr) noteAt(start, end int, format string, args ...any) *synErr {
	e.notes = append(e.notes, synNote{start: start, end: end, at: true, msg: fmt.Sprintf(format, args...)})
	return e
}

func (e *synErr) edit(title string, start, end int, text string) *synErr {
	e.edits = append(e.edits, synEdit{title: title, start: start, end: end, text: text})
	return e
}

func newErr(code diag.Code, start, end int, format string, args ...any) *synErr {
	return &synErr{code: code, start: start, end: end, msg: fmt.Sprintf(format, args...)}
}

// toDiag converts offsets through m into the file's positions.
func (e *synErr) toDiag(f *source.File, m func(int) source.Pos) *diag.Diagnostic {
	sp := source.Span{Start: m(e.start), End: m(e.end)}
	d := diag.New(e.sev, e.code, f, sp, "%s", e.msg)
	for _, n := range e.notes {
		if n.at {
			d.WithNote(source.Span{Start: m(n.start), End: m(n.end)}, "%s", n.msg)
		} else {
			d.Notes = append(d.Notes, diag.Note{Message: n.msg})
		}
	}
	for _, ed := range e.edits {
		d.WithEdit(ed.title, source.Span{Start: m(ed.start), End: m(ed.end)}, ed.text)
	}
	return d
}

// describe names a token for a message: `"view"`, `string 'abc'`, `end of input`.
func describe(t lexer.Token) string {
	v := t.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch t.Type {
	case lexer.EOF:
		return "end of input"
	case tString:
		return "string " + v
	case tJSONString:
		return "JSON string " + v
	case tNumber, tLong:
		return "number " + v
	case tDate, tDateTime, tTime:
		return "date/time " + v
	case tVar, tSpecial:
		return "variable " + v
	case tQIdent:
		return "name " + v
	}
	return fmt.Sprintf("%q", v)
}

func tokEnd(t lexer.Token) int { return t.Pos.Offset + len(t.Value) }

// ---- lexical errors ----

func lexErr(e *lexError) *synErr {
	switch e.kind {
	case lexUnterminatedString:
		return newErr(CodeUnterminated, e.start, e.end, "unterminated string: found end of input, expected a closing \"'\"").
			note("FHIRPath strings are single-quoted; write a quote inside one as \\'")
	case lexUnterminatedQIdent:
		return newErr(CodeUnterminated, e.start, e.end, "unterminated quoted name: found end of input, expected a closing \"`\"")
	case lexUnterminatedJSON:
		return newErr(CodeUnterminated, e.start, e.end, "unterminated JSON string: found end of line, expected a closing '\"'").
			note("JSON strings cannot span lines; write a line break as \\n")
	case lexUnterminatedComment:
		return newErr(CodeUnterminated, e.start, e.end, "unterminated block comment: found end of input, expected \"*/\"")
	case lexBadEscape:
		return newErr(CodeBadEscape, e.start, e.end, "unknown escape %q in a string or quoted name", e.text).
			note(`valid escapes are \' \" \` + "\\`" + ` \\ \/ \f \n \r \t and \uXXXX`)
	case lexBadDate:
		return newErr(CodeBadLiteral, e.start, e.end, "malformed date/time literal %q", e.text).
			note("write dates as @YYYY, @YYYY-MM or @YYYY-MM-DD, date-times as @YYYY-MM-DDThh:mm:ss.fff+zz:zz and times as @Thh:mm:ss")
	case lexBadUTF8:
		return newErr(CodeBadChar, e.start, e.end, "invalid UTF-8 byte %q", e.text).
			note("save the file as UTF-8")
	case lexBadVar:
		if e.text == "$" {
			return newErr(CodeBadLiteral, e.start, e.end, "found a lone \"$\", expected $this, $index or $total")
		}
		return newErr(CodeBadLiteral, e.start, e.end, "found a lone \"%%\", expected a constant name such as %%rowIndex or %%`my-name`")
	}
	d := newErr(CodeBadChar, e.start, e.end, "unexpected character %q", e.text)
	switch e.text {
	case "\"":
	case ";":
		d.note("statements need no separator; start the next one on a new line")
	case "#":
		d.note("comments start with //")
	}
	return d
}

// ---- expression errors ----

func errExpectedExpr(t lexer.Token) *synErr {
	e := newErr(CodeExpectedExpr, t.Pos.Offset, tokEnd(t), "found %s, expected an expression", describe(t))
	switch t.Value {
	case "=":
		e.note("a column is written \"name = path\" with a single \"=\"")
	case "\"":
	}
	if t.Type == tJSONString {
		e.note("FHIRPath strings use single quotes: '%s'", strings.Trim(t.Value, `"`))
		e.edit("use single quotes", t.Pos.Offset, tokEnd(t), "'"+strings.ReplaceAll(strings.Trim(t.Value, `"`), "'", `\'`)+"'")
	}
	return e
}

func errExpectedName(after string, t lexer.Token) *synErr {
	return newErr(CodeUnexpected, t.Pos.Offset, tokEnd(t), "found %s, expected a name after %q", describe(t), after)
}

func errExpectedType(op string, t lexer.Token) *synErr {
	return newErr(CodeUnexpected, t.Pos.Offset, tokEnd(t), "found %s, expected a type name after %q", describe(t), op).
		note("write a type such as Quantity, FHIR.Quantity or System.String")
}

func errUnclosed(open lexer.Token, want string, found lexer.Token, context string) *synErr {
	return newErr(CodeUnclosed, found.Pos.Offset, tokEnd(found), "found %s, expected %s%s", describe(found), want, context).
		noteAt(open.Pos.Offset, tokEnd(open), "to match this %q", open.Value)
}

func errEmptyBraces(open, found lexer.Token) *synErr {
	return newErr(CodeUnexpected, found.Pos.Offset, tokEnd(found), "found %s, expected \"}\"", describe(found)).
		noteAt(open.Pos.Offset, tokEnd(open), "in FHIRPath \"{\" only starts the empty collection {}")
}

func errExponent(t lexer.Token) *synErr {
	return newErr(CodeBadLiteral, t.Pos.Offset, tokEnd(t), "number %s has an exponent, which FHIRPath does not allow", t.Value).
		note("write the number out in full")
}

func errUnknownSpecial(t lexer.Token) *synErr {
	return newErr(CodeUnknownSpecial, t.Pos.Offset, tokEnd(t), "unknown variable %q, expected $this, $index or $total", t.Value).
		note("constants are written with %%, e.g. %%%s", t.Value[1:])
}

func errNotFHIRPath(t lexer.Token) *synErr {
	e := newErr(CodeNotFHIRPath, t.Pos.Offset, tokEnd(t), "found %q, which is not a FHIRPath operator", t.Value)
	switch t.Value {
	case "==":
		e.note("FHIRPath compares with a single \"=\"").edit("use \"=\"", t.Pos.Offset, tokEnd(t), "=")
	case "&&":
		e.note("FHIRPath writes logical and as \"and\"").edit("use \"and\"", t.Pos.Offset, tokEnd(t), "and")
	case "||":
		e.note("FHIRPath writes logical or as \"or\"; \"|\" is union").edit("use \"or\"", t.Pos.Offset, tokEnd(t), "or")
	case "!":
		e.note("FHIRPath negates with the function not(), e.g. active.not(), and compares with \"!=\"")
	}
	return e
}

func errAfterExpr(t lexer.Token) *synErr {
	e := newErr(CodeUnexpected, t.Pos.Offset, tokEnd(t), "found %s after an expression, expected an operator or the end of the expression", describe(t))
	if t.Type == tString {
		e.note("a quantity's unit follows a number directly, e.g. 5 'mg'")
	}
	return e
}

func errTrailing(t lexer.Token) *synErr {
	return newErr(CodeTrailing, t.Pos.Offset, tokEnd(t), "found %s after the expression, expected end of input", describe(t))
}

func errTooDeep(t lexer.Token) *synErr {
	return newErr(CodeTooDeep, t.Pos.Offset, tokEnd(t), "nesting is deeper than %d levels", maxDepth).
		note("split the expression or the view into smaller parts")
}

// ---- grammar errors (participle's, translated) ----

// blockStatements lists what may start a statement in a block.
const blockStatements = `a column "name = path", const, select, forEach, forEachOrNull, repeat, unionAll or "}"`

func errUnexpected(t lexer.Token, expected string) *synErr {
	return newErr(CodeUnexpected, t.Pos.Offset, tokEnd(t), "found %s, expected %s", describe(t), expected)
}

// errParticiple keeps a participle message that fits no known shape.
func errParticiple(t lexer.Token, msg string) *synErr {
	return newErr(CodeUnexpected, t.Pos.Offset, tokEnd(t), "%s", msg)
}

func errUnclosedBlock(eof, open lexer.Token) *synErr {
	return newErr(CodeUnclosed, eof.Pos.Offset, eof.Pos.Offset, "found end of input, expected \"}\"").
		noteAt(open.Pos.Offset, tokEnd(open), "this \"{\" is not closed")
}

func errWhereInBlock(t lexer.Token) *synErr {
	return newErr(CodeUnexpected, t.Pos.Offset, tokEnd(t), "found \"where\" inside a block, expected %s", blockStatements).
		note(`where clauses go in the view header, between "view ... of ..." and "{"`)
}

// errColumnNoEq is reported at the token after a column name that is not "=".
func errColumnNoEq(after lexer.Token, column string) *synErr {
	return newErr(CodeUnexpected, after.Pos.Offset, tokEnd(after), "found %s, expected \"=\" after the column name %q", describe(after), column)
}

// ---- structural errors (found while converting the parse tree) ----

// stmtKind names block statements in order messages.
var stmtKind = [...]string{"constant", "column", "nested select", "unionAll", "expectation"}

// aStmt is a statement kind with its article, for "column after a nested select".
func aStmt(kind int) string {
	if strings.IndexByte("aeio", stmtKind[kind][0]) >= 0 { // "a unionAll"
		return "an " + stmtKind[kind]
	}
	return "a " + stmtKind[kind]
}

func errOrder(start, end int, kind, after int, afterStart, afterEnd int) *synErr {
	return newErr(CodeOrder, start, end, "%s after %s: a block lists constants, then columns, then nested selects, then unionAll, then expectations", stmtKind[kind], aStmt(after)).
		noteAt(afterStart, afterEnd, "the %s is here; move the %s above it (this order is the output column order)", stmtKind[after], stmtKind[kind])
}

func errMisplacedExpect(start, end int) *synErr {
	return newErr(CodeBadExpect, start, end, "expectation inside a nested select, expected it at the end of the view body").
		note("an expectation checks the rows of the whole view; move it to the end of the view's { ... }")
}

func errGroupStmt(start, end int) *synErr {
	return newErr(CodeGroupStmt, start, end, "found a statement other than a column in a group, expected columns only").
		note("a group is a list of columns, `member = path`, read from one value of the group's type; select blocks, constants and expectations belong in views")
}

func errMisplacedConst(start, end int) *synErr {
	return newErr(CodeMisplacedConst, start, end, "constant inside a nested select, expected it at the top of the view body or at file level").
		note("ViewDefinition constants belong to the whole view; move it up")
}

func errConstNotLiteral(start, end int) *synErr {
	return newErr(CodeConstNotLiteral, start, end, "constant value is an expression, expected a literal").
		note("a constant is a string, number, boolean, date, date-time or time literal, e.g. 'http://loinc.org' or 5")
}

func errUnionBranch(start, end int, what string) *synErr {
	return newErr(CodeUnionBranch, start, end, "found a %s inside unionAll, expected a select, forEach, forEachOrNull or repeat block", what).
		note("each branch of unionAll is a select block whose columns match the other branches")
}

func errDuplicateUnion(start, end, prevStart, prevEnd int) *synErr {
	return newErr(CodeDuplicateUnion, start, end, "second unionAll in one block, expected at most one").
		noteAt(prevStart, prevEnd, "the first unionAll is here; put all branches in it")
}

func errSelectPaths(start, end int, kw string, n int) *synErr {
	if n == 0 {
		return newErr(CodeSelectPaths, start, end, "%s without a path, expected %s PATH { ... }", kw, kw)
	}
	return newErr(CodeSelectPaths, start, end, "%s has %d paths, expected one", kw, n).
		note("only repeat takes several paths, e.g. repeat item, answer.item { ... }")
}

func errBadJSON(start, end int, key string, err error) *synErr {
	return newErr(CodeBadJSON, start, end, "value of @%s is not valid JSON: %v", key, err)
}

func errDuplicateAttr(start, end int, key string, prevStart, prevEnd int) *synErr {
	return newErr(CodeDuplicateAttr, start, end, "@%s is given twice, expected it once", key).
		noteAt(prevStart, prevEnd, "first given here")
}

// errInvalidName: what is "view", "column" or "constant".
func errInvalidName(start, end int, what, name string) *synErr {
	return newErr(CodeInvalidName, start, end, "%s name %q cannot be used as a SQL name; use letters, digits and _, starting with a letter", what, name).
		note("ViewDefinition JSON and the SQL targets allow only such names (the SQL on FHIR sql-name rule); backticks are for names that are keywords, such as `select`")
}

func errReservedAttr(start, end int, key, instead string) *synErr {
	return newErr(CodeReservedAttr, start, end, "@%s repeats what the view syntax already says", key).
		note("%s", instead)
}

func errUnknownAnnotation(start, end int, name string, cands []string) *synErr {
	e := newErr(CodeBadAnnotation, start, end, "unknown column annotation @%s, expected @tag or @collection", name)
	if s, ok := diag.Suggest(name, cands); ok {
		e.note("did you mean @%s?", s)
	}
	return e
}

func errAnnotationArgs(start, end int, name, want string) *synErr {
	return newErr(CodeBadAnnotation, start, end, "wrong arguments to @%s, expected %s", name, want)
}

func errCollectionConflict(start, end int) *synErr {
	return newErr(CodeBadAnnotation, start, end, "@collection(false) contradicts \"[]\", which marks the column as a collection").
		note("keep one of them")
}

func errInternal(msg string) *synErr {
	return newErr(CodeInternal, 0, 0, "internal parser error: %s", msg).
		note("this is a bug in fhirql; please report it with the input that caused it")
}
