package sql

import (
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// Diagnostic codes of the SQL emitters (the FQL31xx block of the 3xxx
// "lowering and dialect" range). Each names the target, because the same
// view may compile for one target and not another.
const (
	CodeUnsupportedFunc     diag.Code = "FQL3101" // a FHIRPath function the target cannot express
	CodeUnsupportedOperator diag.Code = "FQL3102" // an operator the target cannot express (for these operand types)
	CodeUnsupportedExpr     diag.Code = "FQL3103" // another construct the target cannot express
	CodeBadName             diag.Code = "FQL3104" // a view or column name no SQL identifier can carry
	CodeBadTypeTag          diag.Code = "FQL3105" // a tsql/type or ansi/type tag that is not a SQL type
	CodeUnboundedColumn     diag.Code = "FQL3106" // an NVARCHAR(MAX) column in a table layout that cannot hold one
)

// errUnsupportedFunc names the function and the target, then why (when
// known), so the message says what is missing rather than "not implemented".
func errUnsupportedFunc(f *source.File, sp source.Span, name, target, why string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeUnsupportedFunc, f, sp, "function %q is not supported by the %s target", name, target)
	if why != "" {
		d.Message += ": " + why
	}
	return d
}

func errUnsupportedOperator(f *source.File, sp source.Span, op, operands, target string) *diag.Diagnostic {
	d := diag.New(diag.Error, CodeUnsupportedOperator, f, sp, "operator %q is not supported by the %s target", op, target)
	if operands != "" {
		d.Message += " for " + operands
	}
	return d
}

func errUnsupportedExpr(f *source.File, sp source.Span, what, target string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeUnsupportedExpr, f, sp, "%s is not supported by the %s target", what, target)
}

func errBadName(f *source.File, sp source.Span, kind, name, target string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeBadName, f, sp, "%s name %q cannot be a SQL identifier on the %s target", kind, name, target).
		WithNote(sp, "names must be 1 to 128 characters without control characters")
}

func errBadTypeTag(f *source.File, sp source.Span, tag, value, target string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeBadTypeTag, f, sp, "tag %s = %q is not a SQL type the %s target accepts", tag, value, target)
}

// ErrUnboundedColumn: the column's type is unbounded text and the table
// layout the build asks for cannot hold it (a Synapse dedicated pool's
// clustered columnstore index). The note says both ways out.
func ErrUnboundedColumn(f *source.File, sp source.Span, column, typ, layout, target, fix string) *diag.Diagnostic {
	return diag.New(diag.Error, CodeUnboundedColumn, f, sp, "column %q is %s, which a %s table on the %s target cannot hold", column, typ, layout, target).
		WithNote(sp, "%s", fix)
}
