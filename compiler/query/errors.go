package query

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of queries over views. Codes never change meaning.
const (
	CodeSyntax       diag.Code = "FQL5001" // the text is not a SQL query sqlparser accepts
	CodeUnknownView  diag.Code = "FQL5002" // FROM names no view of the given paths
	CodeUnknownCol   diag.Code = "FQL5003" // no column of that name in scope
	CodeAmbiguous    diag.Code = "FQL5004" // a column name several FROM items have
	CodeFunction     diag.Code = "FQL5005" // a function outside the portable set
	CodeTypes        diag.Code = "FQL5006" // operand types the engines treat differently
	CodeUnsupported  diag.Code = "FQL5007" // a construct fhirql does not translate
	CodeArgs         diag.Code = "FQL5008" // wrong number of arguments
	CodeParam        diag.Code = "FQL5009" // a parameter without a value, or a bad value
	CodeTarget       diag.Code = "FQL5010" // the target cannot express the construct
	CodeLimitOrder   diag.Code = "FQL5011" // LIMIT without ORDER BY (warning)
	CodeDuplicateCol diag.Code = "FQL5012" // two output columns with one name
	CodeColumns      diag.Code = "FQL5013" // a subquery or UNION with the wrong number of columns
)

func errSyntax(f *source.File, sp source.Span, msg string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeSyntax, f, sp, "%s", msg).
		WithNote(source.Span{}, "fhirql reads MySQL-flavoured SELECT syntax; see docs/query.md")
}

func errUnknownView(f *source.File, sp source.Span, name string, views []string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeUnknownView, f, sp, "no view named %q in the given view paths", name)
	if s, ok := diag.Suggest(name, views); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s).WithEdit(fmt.Sprintf("change to %q", s), sp, s)
	} else if len(views) > 0 {
		d.WithNote(source.Span{}, "views: %s", strings.Join(views, ", "))
	}
	return d
}

func errUnknownCol(f *source.File, sp source.Span, name, where string, cols []string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeUnknownCol, f, sp, "no column %q in %s", name, where)
	if s, ok := diag.Suggest(name, cols); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s).WithEdit(fmt.Sprintf("change to %q", s), sp, s)
	}
	return d
}

func errUnknownAlias(f *source.File, sp source.Span, name string, aliases []string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeUnknownCol, f, sp, "no view or alias %q in this FROM clause", name)
	if s, ok := diag.Suggest(name, aliases); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s)
	}
	return d
}

func errAmbiguous(f *source.File, sp source.Span, name string, owners []string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeAmbiguous, f, sp, "column %q is in %s: qualify it (%s.%s)", name, strings.Join(owners, " and "), owners[0], name)
}

func errFunction(f *source.File, sp source.Span, name string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeFunction, f, sp, "function %q is not in the portable set fhirql translates to every target", name)
	if s, ok := diag.Suggest(name, funcNames()); ok {
		d.WithNote(source.Span{}, "did you mean %q?", s)
	}
	return d.WithNote(source.Span{}, "the portable functions are listed in docs/query.md")
}

func errTypes(f *source.File, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return diag.New(diag.Error, CodeTypes, f, sp, format, args...)
}

func errUnsupported(f *source.File, sp source.Span, what, instead string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeUnsupported, f, sp, "%s is not supported in queries over views", what)
	if instead != "" {
		d.WithNote(source.Span{}, "%s", instead)
	}
	return d
}

func errArgs(f *source.File, sp source.Span, name string, want string, got int) *diag.Diagnostic {
	return diag.New(diag.Error, CodeArgs, f, sp, "%s takes %s, not %d", strings.ToUpper(name), want, got)
}

func errParam(f *source.File, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return diag.New(diag.Error, CodeParam, f, sp, format, args...)
}

func errTarget(f *source.File, sp source.Span, what, target string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeTarget, f, sp, "%s is not supported by the %s target", what, target)
}

func warnLimitOrder(f *source.File, sp source.Span) *diag.Diagnostic {
	return diag.New(diag.Warning, CodeLimitOrder, f, sp, "LIMIT without ORDER BY keeps arbitrary rows, not the same ones on every engine").
		WithNote(source.Span{}, "add an ORDER BY that makes the order unique")
}

func errDuplicateCol(f *source.File, sp source.Span, name string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeDuplicateCol, f, sp, "two output columns are named %q: give one an alias with AS", name)
}

func errColumns(f *source.File, sp source.Span, format string, args ...any) *diag.Diagnostic {
	return diag.New(diag.Error, CodeColumns, f, sp, format, args...)
}
