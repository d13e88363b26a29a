package duckdb

import (
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// DuckDB is printed by the shared printer (compiler/sql/print.go); these are
// the spellings in which it differs from T-SQL:
//
//	TOP (n)                  LIMIT n
//	CROSS APPLY x AS a       CROSS JOIN LATERAL x AS a
//	OUTER APPLY x AS a       LEFT JOIN LATERAL x AS a ON TRUE
//	STRING_AGG(x, s) WITHIN GROUP (ORDER BY o)   string_agg(x, s ORDER BY o)
//	CONVERT / TRY_CONVERT    CAST / TRY_CAST (T-SQL type names mapped)
//	x COLLATE Latin1...BIN2  x (DuckDB compares bytes already)
//	WITH t AS (... t ...)    WITH RECURSIVE t AS ((anchor) UNION ALL (recursive))
//	a / b (integers)         a // b
//	FUNCTION f(@p T)         MACRO f(p) AS TABLE
//	GO                       (nothing: DuckDB scripts are ;-separated)

// spellings is DuckDB's sql.Spellings.
var spellings = &sql.Spellings{
	Prepare:                 inlineQuery,
	Lambdas:                 true,
	TypeName:                typeName,
	BinOp:                   binOp,
	NoBatches:               true,
	OrAlter:                 "OR REPLACE",
	Macro:                   true,
	CreateOrReplaceTable:    true,
	DropIfExists:            dropKind,
	CreateSchemaIfNotExists: true,
	Limit:                   true,
	LateralJoins:            true,
	RecursiveWith:           true,
	OneLineNoFrom:           true,
	ConvertAsCast:           true,
	NoCollate:               true,
	OrderInCall:             true,
	NullsHigh:               true,
}

// Spellings implements sql.Spelled.
func (*Target) Spellings() *sql.Spellings { return spellings }

// dropKind spells the kind of object a DROP ... IF EXISTS removes: an inline
// table-valued function is a table macro.
func dropKind(kind string) string {
	kind = strings.ToUpper(kind)
	if kind == "FUNCTION" {
		kind = "MACRO TABLE"
	}
	return kind
}

// binOp spells a binary operator: DuckDB's / divides integers as doubles;
// // truncates, as T-SQL's / (and FHIRPath's div) do.
func binOp(b *sql.Bin) string {
	if b.Op == sql.OpDiv && isInt(b.X) && isInt(b.Y) {
		return "//"
	}
	return b.Op
}

// typeName maps a type to DuckDB: its own spellings pass through, T-SQL
// names (from a view's tsql/type tag) become their DuckDB equivalents.
func typeName(s string) string {
	if !sql.ValidTypeName(s) {
		panic(fmt.Sprintf("duckdb: invalid type %q", s))
	}
	u := strings.ToUpper(s)
	base := u
	if i := strings.IndexAny(u, " ("); i >= 0 {
		base = u[:i]
	}
	switch base {
	case "NVARCHAR", "NCHAR", "NTEXT", "CHAR", "VARCHAR", "TEXT":
		return "VARCHAR"
	case "BIT":
		return "BOOLEAN"
	case "DATETIMEOFFSET":
		return "TIMESTAMPTZ"
	case "DATETIME2", "DATETIME", "SMALLDATETIME":
		return "TIMESTAMP"
	case "TIME":
		return "TIME"
	case "UNIQUEIDENTIFIER":
		return "UUID"
	case "MONEY":
		return "DECIMAL(19, 4)"
	case "SMALLMONEY":
		return "DECIMAL(10, 4)"
	case "FLOAT":
		return "DOUBLE"
	case "VARBINARY", "BINARY", "IMAGE":
		return "BLOB"
	}
	return s
}

// isInt reports whether an expression is certainly of an integer type:
// integer literals, casts to integer types, counts and lengths, and
// arithmetic, NULLIF and CASE over those.
func isInt(e sql.Expr) bool {
	switch e := e.(type) {
	case *sql.Num:
		return !strings.ContainsAny(e.V, ".eE")
	case *sql.Cast:
		t := strings.ToUpper(typeName(e.Typ))
		return t == "BIGINT" || t == "INTEGER" || t == "SMALLINT" || t == "TINYINT" || t == "HUGEINT"
	case *sql.Neg:
		return isInt(e.X)
	case *sql.Bin:
		switch e.Op {
		case sql.OpAdd, sql.OpSub, sql.OpMul, sql.OpMod:
			return isInt(e.X) && isInt(e.Y)
		}
	case *sql.Func:
		switch strings.ToLower(e.Name) {
		case "count", "length", "strpos", "row_number", "year", "month", "day", "date_diff":
			return true
		case "nullif", "abs":
			return len(e.Args) > 0 && isInt(e.Args[0])
		case "coalesce":
			for _, a := range e.Args {
				if !isInt(a) {
					return false
				}
			}
			return len(e.Args) > 0
		}
	case *sql.Case:
		n := 0
		for _, w := range e.Whens {
			if _, null := w.Then.(*sql.Null); !null {
				if !isInt(w.Then) {
					return false
				}
				n++
			}
		}
		if e.Else != nil {
			if _, null := e.Else.(*sql.Null); !null {
				if !isInt(e.Else) {
					return false
				}
				n++
			}
		}
		return n > 0
	case *sql.Sub:
		if s, ok := e.Q.(*sql.Select); ok && len(s.Items) == 1 {
			return isInt(s.Items[0].X)
		}
	}
	return false
}
