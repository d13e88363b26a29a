package duckdb

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// The printer renders the shared SQL AST in DuckDB's syntax. It follows
// compiler/sql's T-SQL printer node for node, so that the two stay easy to
// compare; the differences are DuckDB's spellings:
//
//	TOP (n)                  LIMIT n
//	CROSS APPLY x AS a       CROSS JOIN LATERAL x AS a
//	OUTER APPLY x AS a       LEFT JOIN LATERAL x AS a ON TRUE
//	STRING_AGG(x, s) WITHIN GROUP (ORDER BY o)   string_agg(x, s ORDER BY o)
//	CONVERT / TRY_CONVERT    CAST / TRY_CAST (T-SQL type names mapped)
//	x COLLATE Latin1...BIN2  x (DuckDB compares bytes already)
//	WITH t AS (... t ...)    WITH RECURSIVE t AS ((anchor) UNION ALL (recursive))
//	GO                       (nothing: DuckDB scripts are ;-separated)
//
// Like the T-SQL printer, it writes every identifier and literal through
// QuoteIdent and QuoteString, and names that come from the dialect only
// after checking their shape.

var (
	numberRE  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	keywordRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*( [A-Za-z_][A-Za-z0-9_]*)*$`)
)

// PrintStmts implements sql.Printer.
func (t *Target) PrintStmts(stmts []sql.Stmt) string {
	p := &printer{t: t}
	for _, s := range stmts {
		p.stmt(s)
	}
	return p.b.String()
}

// PrintQuery implements sql.Printer.
func (t *Target) PrintQuery(q sql.Query) string {
	p := &printer{t: t}
	p.query(inlineQuery(q))
	return p.b.String()
}

// PrintExpr implements sql.Printer.
func (t *Target) PrintExpr(e sql.Expr) string {
	p := &printer{t: t}
	p.expr(e, 0)
	return p.b.String()
}

type printer struct {
	t   *Target
	b   strings.Builder
	ind int
}

func (p *printer) w(s string) { p.b.WriteString(s) }

func (p *printer) nl() {
	p.b.WriteByte('\n')
	for i := 0; i < p.ind; i++ {
		p.b.WriteString("    ")
	}
}

func (p *printer) ident(s string) {
	if !sql.ValidIdent(s) {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
				return '\uFFFD'
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
		if s == "" {
			s = "\uFFFD"
		}
	}
	p.w(p.t.QuoteIdent(s))
}

func (p *printer) object(n sql.ObjectName) {
	for i, part := range n {
		if i > 0 {
			p.w(".")
		}
		p.ident(part)
	}
}

func (p *printer) str(s string) { p.w(p.t.QuoteString(s, true)) }

func trusted(kind, s string, re *regexp.Regexp) string {
	if !re.MatchString(s) {
		panic(fmt.Sprintf("duckdb: invalid %s %q", kind, s))
	}
	return s
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

// Statements.

func (p *printer) stmt(s sql.Stmt) {
	switch s := s.(type) {
	case *sql.Comment:
		for _, l := range s.Lines {
			p.w("-- ")
			p.w(commentText(l))
			p.nl()
		}
		return
	case *sql.Batch:
		return
	case *sql.CreateView:
		p.w("CREATE ")
		if s.OrAlter {
			p.w("OR REPLACE ")
		}
		p.w("VIEW ")
		p.object(s.Name)
		p.w(" AS")
		p.nl()
		p.query(inlineQuery(s.Q))
	case *sql.CreateFunction:
		// A table macro: DuckDB's inline table-valued function.
		p.w("CREATE ")
		if s.OrAlter {
			p.w("OR REPLACE ")
		}
		p.w("MACRO ")
		p.object(s.Name)
		p.w("(")
		for i, prm := range s.Params {
			if i > 0 {
				p.w(", ")
			}
			p.ident(prm.Name)
		}
		p.w(") AS TABLE")
		p.nl()
		p.query(inlineQuery(s.Q))
	case *sql.CreateTable:
		p.w("CREATE OR REPLACE TABLE ")
		p.object(s.Name)
		if s.As != nil {
			p.w(" AS")
			p.nl()
			p.query(inlineQuery(s.As))
			break
		}
		p.w(" (")
		p.ind++
		for i, c := range s.Columns {
			if i > 0 {
				p.w(",")
			}
			p.nl()
			p.ident(c.Name)
			p.w(" " + typeName(c.Typ))
			if c.NotNull {
				p.w(" NOT NULL")
			}
		}
		p.ind--
		p.nl()
		p.w(")")
	case *sql.Drop:
		kind := strings.ToUpper(trusted("keyword", s.Kind, keywordRE))
		if kind == "FUNCTION" {
			kind = "MACRO TABLE"
		}
		p.w("DROP " + kind + " IF EXISTS ")
		p.object(s.Name)
	case *sql.CreateSchema:
		p.w("CREATE SCHEMA IF NOT EXISTS ")
		p.ident(s.Name)
	default:
		panic(fmt.Sprintf("duckdb: statement %T has no DuckDB form", s))
	}
	p.w(";")
	p.nl()
	p.nl()
}

// Queries.

func (p *printer) query(q sql.Query) {
	switch q := q.(type) {
	case *sql.Select:
		p.selectBlock(q)
	case *sql.UnionAll:
		p.union(q.Queries)
	case *sql.With:
		p.w("WITH ")
		rec := false
		for _, c := range q.CTEs {
			if refersTo(c.Q, c.Name) {
				rec = true
			}
		}
		if rec {
			p.w("RECURSIVE ")
		}
		for i, c := range q.CTEs {
			if i > 0 {
				p.w(",")
				p.nl()
			}
			p.ident(c.Name)
			if len(c.Columns) > 0 {
				p.w(" (")
				for j, n := range c.Columns {
					if j > 0 {
						p.w(", ")
					}
					p.ident(n)
				}
				p.w(")")
			}
			p.w(" AS (")
			p.ind++
			p.nl()
			p.cte(c)
			p.ind--
			p.nl()
			p.w(")")
		}
		p.nl()
		p.query(q.Body)
	default:
		panic(fmt.Sprintf("duckdb: unknown query %T", q))
	}
}

// cte prints a CTE's query. DuckDB's recursive CTE is exactly
// "anchor UNION ALL recursive": when the members are a flat list, the ones
// that do not read the CTE are grouped as the anchor and the others as the
// recursive term.
func (p *printer) cte(c sql.CTE) {
	u, ok := c.Q.(*sql.UnionAll)
	if !ok || !refersTo(c.Q, c.Name) {
		p.query(c.Q)
		return
	}
	var anchor, rec []sql.Query
	for _, m := range u.Queries {
		if refersTo(m, c.Name) {
			rec = append(rec, m)
		} else {
			anchor = append(anchor, m)
		}
	}
	group := func(qs []sql.Query) {
		if len(qs) == 1 {
			p.unionMember(qs[0])
			return
		}
		p.w("(")
		p.ind++
		p.nl()
		p.union(qs)
		p.ind--
		p.nl()
		p.w(")")
	}
	group(anchor)
	p.nl()
	p.w("UNION ALL")
	p.nl()
	group(rec)
}

func (p *printer) union(qs []sql.Query) {
	for i, s := range qs {
		if i > 0 {
			p.nl()
			p.w("UNION ALL")
			p.nl()
		}
		p.unionMember(s)
	}
}

// unionMember parenthesises what cannot stand bare in a UNION ALL: nested
// unions and WITHs, and selects with ORDER BY or LIMIT.
func (p *printer) unionMember(s sql.Query) {
	if sel, ok := s.(*sql.Select); ok && len(sel.OrderBy) == 0 && sel.Top == nil {
		p.query(s)
		return
	}
	p.w("(")
	p.ind++
	p.nl()
	p.query(s)
	p.ind--
	p.nl()
	p.w(")")
}

// refersTo reports whether q reads the table called name.
func refersTo(q sql.Query, name string) bool {
	found := false
	var visitQ func(q sql.Query)
	var visitE func(e sql.Expr)
	visitSrc := func(s sql.Source) {
		switch s := s.(type) {
		case *sql.Table:
			if len(s.Name) == 1 && s.Name[0] == name {
				found = true
			}
		case *sql.Derived:
			visitQ(s.Q)
		case *sql.TableFunc:
			for _, a := range s.Args {
				visitE(a)
			}
		}
	}
	visitE = func(e sql.Expr) {
		walkExpr(e, func(x sql.Expr) {
			switch x := x.(type) {
			case *sql.Sub:
				visitQ(x.Q)
			case *sql.Exists:
				visitQ(x.Q)
			}
		})
	}
	visitQ = func(q sql.Query) {
		switch q := q.(type) {
		case *sql.Select:
			for _, f := range q.From {
				visitSrc(f.Src)
			}
			for _, it := range q.Items {
				visitE(it.X)
			}
			for _, w := range q.Where {
				visitE(w)
			}
		case *sql.UnionAll:
			for _, m := range q.Queries {
				visitQ(m)
			}
		case *sql.With:
			for _, c := range q.CTEs {
				visitQ(c.Q)
			}
			visitQ(q.Body)
		}
	}
	visitQ(q)
	return found
}

func (p *printer) selectBlock(s *sql.Select) {
	p.w("SELECT")
	if len(s.Items) == 1 && s.Items[0].Alias == "" && simple(s.Items[0].X) {
		p.w(" ")
		p.expr(s.Items[0].X, 0)
	} else {
		p.ind++
		for i, it := range s.Items {
			if i > 0 {
				p.w(",")
			}
			p.nl()
			p.expr(it.X, 0)
			if it.Alias != "" {
				p.w(" AS ")
				p.ident(it.Alias)
			}
		}
		p.ind--
	}
	i := 0
	for _, f := range s.From {
		if tf, ok := f.Src.(*sql.TableFunc); ok && tf.Optional && len(tf.With) == 0 {
			continue
		}
		p.nl()
		outer := false
		switch {
		case i == 0:
			p.w("FROM ")
		case f.Join == sql.CrossApply:
			p.w("CROSS JOIN LATERAL ")
		case f.Join == sql.OuterApply:
			p.w("LEFT JOIN LATERAL ")
			outer = true
		default:
			p.w("CROSS JOIN ")
		}
		p.source(f.Src)
		if f.Alias != "" {
			p.w(" AS ")
			p.ident(f.Alias)
		}
		if outer {
			p.w(" ON TRUE")
		}
		i++
	}
	for i, c := range s.Where {
		p.nl()
		if i == 0 {
			p.w("WHERE ")
		} else {
			p.w("    AND ")
		}
		p.ind++
		p.expr(c, precAnd)
		p.ind--
	}
	if len(s.GroupBy) > 0 {
		p.nl()
		p.w("GROUP BY ")
		for i, g := range s.GroupBy {
			if i > 0 {
				p.w(", ")
			}
			p.expr(g, 0)
		}
	}
	if len(s.OrderBy) > 0 {
		p.nl()
		p.w("ORDER BY ")
		p.orders(s.OrderBy)
	}
	if s.Top != nil {
		p.nl()
		p.w("LIMIT ")
		p.expr(s.Top, 0)
	}
}

func (p *printer) orders(os []sql.Order) {
	for i, o := range os {
		if i > 0 {
			p.w(", ")
		}
		p.expr(o.X, 0)
		if o.Desc {
			p.w(" DESC")
		}
	}
}

func (p *printer) source(s sql.Source) {
	switch s := s.(type) {
	case *sql.Table:
		p.object(s.Name)
	case *sql.Derived:
		p.w("(")
		p.ind++
		p.nl()
		p.query(s.Q)
		p.ind--
		p.nl()
		p.w(")")
	case *sql.TableFunc:
		if len(s.With) > 0 {
			panic("duckdb: table function with a WITH schema")
		}
		if s.Name != "" {
			p.w(trusted("function", s.Name, keywordRE))
		} else {
			p.object(s.Object)
		}
		p.w("(")
		if s.Multiline {
			p.ind++
			for i, a := range s.Args {
				if i > 0 {
					p.w(",")
				}
				p.nl()
				p.expr(a, 0)
			}
			p.ind--
			p.nl()
		} else {
			for i, a := range s.Args {
				if i > 0 {
					p.w(", ")
				}
				p.expr(a, 0)
			}
		}
		p.w(")")
	default:
		panic(fmt.Sprintf("duckdb: unknown source %T", s))
	}
}

// Expressions.

const (
	precOr = 1 + iota
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precUnary
	precPrimary
)

func binPrec(op string) int {
	switch op {
	case sql.OpOr:
		return precOr
	case sql.OpAnd:
		return precAnd
	case sql.OpEq, sql.OpNe, sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
		return precCmp
	case sql.OpAdd, sql.OpSub, opConcat:
		return precAdd
	case sql.OpMul, sql.OpDiv, sql.OpMod:
		return precMul
	}
	panic("duckdb: unknown operator " + op)
}

func exprPrec(e sql.Expr) int {
	switch e := e.(type) {
	case *sql.Bin:
		return binPrec(e.Op)
	case *sql.Not:
		return precNot
	case *sql.IsNull, *sql.In, *sql.Like:
		return precCmp
	case *sql.Exists:
		if e.Not {
			return precCmp
		}
		return precPrimary
	case *sql.Neg:
		return precUnary
	}
	return precPrimary
}

// simple reports whether an expression prints on one line (no subquery).
func simple(e sql.Expr) bool {
	ok := true
	walkExpr(e, func(x sql.Expr) {
		switch x := x.(type) {
		case *sql.Sub:
			if !oneLine(x.Q) {
				ok = false
			}
		case *sql.Exists:
			ok = false
		}
	})
	return ok
}

func (p *printer) expr(e sql.Expr, min int) {
	if exprPrec(e) < min {
		p.w("(")
		p.expr(e, 0)
		p.w(")")
		return
	}
	switch e := e.(type) {
	case *sql.Col:
		if e.Table != "" {
			p.ident(e.Table)
			p.w(".")
		}
		p.ident(e.Name)
	case *sql.Var:
		// A macro parameter.
		p.ident(e.Name)
	case *sql.Str:
		p.str(e.V)
	case *sql.ASCII:
		p.str(e.V)
	case *sql.Num:
		if !numberRE.MatchString(e.V) {
			panic(fmt.Sprintf("duckdb: invalid number %q", e.V))
		}
		if strings.HasPrefix(e.V, "-") && min > precAdd {
			p.w("(" + e.V + ")")
		} else {
			p.w(e.V)
		}
	case *sql.Null:
		p.w("NULL")
	case *sql.Star:
		p.w("*")
	case *sql.Bare:
		p.w(trusted("keyword", e.K, keywordRE))
	case *sql.Ident:
		p.ident(e.Name)
	case *sql.OptionArg:
		p.w(trusted("option", e.Name, keywordRE))
		if e.Value != nil {
			p.w(" = ")
			p.expr(e.Value, 0)
		}
	case *sql.Func:
		p.call(e, nil)
	case *sql.Cast:
		if e.Try {
			p.w("TRY_CAST(")
		} else {
			p.w("CAST(")
		}
		p.expr(e.X, 0)
		p.w(" AS " + typeName(e.Typ) + ")")
	case *sql.Convert:
		// Only the style-less form reaches DuckDB (a column's declared or
		// tagged type); styles are T-SQL function spellings.
		if e.Style != 0 {
			panic(fmt.Sprintf("duckdb: CONVERT style %d", e.Style))
		}
		if e.Try {
			p.w("TRY_CAST(")
		} else {
			p.w("CAST(")
		}
		p.expr(e.X, 0)
		p.w(" AS " + typeName(e.Typ) + ")")
	case *sql.Bin:
		prec := binPrec(e.Op)
		left, right := prec, prec+1
		if prec == precCmp {
			left = prec + 1
		}
		if e.Op == sql.OpAnd || e.Op == sql.OpOr {
			right = prec
		}
		op := e.Op
		if op == sql.OpDiv && isInt(e.X) && isInt(e.Y) {
			// DuckDB's / divides integers as doubles; // truncates, as
			// T-SQL's / (and FHIRPath's div) do.
			op = "//"
		}
		p.expr(e.X, left)
		p.w(" " + op + " ")
		p.expr(e.Y, right)
	case *sql.Not:
		p.w("NOT (")
		p.expr(e.X, 0)
		p.w(")")
	case *sql.Neg:
		p.w("-")
		p.expr(e.X, precPrimary)
	case *sql.IsNull:
		p.expr(e.X, precAdd)
		if e.Not {
			p.w(" IS NOT NULL")
		} else {
			p.w(" IS NULL")
		}
	case *sql.Case:
		p.w("CASE")
		if e.Operand != nil {
			p.w(" ")
			p.expr(e.Operand, 0)
		}
		for _, wh := range e.Whens {
			p.w(" WHEN ")
			p.expr(wh.Cond, 0)
			p.w(" THEN ")
			p.expr(wh.Then, 0)
		}
		if e.Else != nil {
			p.w(" ELSE ")
			p.expr(e.Else, 0)
		}
		p.w(" END")
	case *sql.Exists:
		if e.Not {
			p.w("NOT ")
		}
		p.w("EXISTS ")
		p.subquery(e.Q)
	case *sql.Sub:
		p.subquery(e.Q)
	case *sql.In:
		p.expr(e.X, precAdd)
		if e.Not {
			p.w(" NOT")
		}
		p.w(" IN (")
		for i, x := range e.List {
			if i > 0 {
				p.w(", ")
			}
			p.expr(x, 0)
		}
		p.w(")")
	case *sql.Like:
		p.expr(e.X, precAdd)
		if e.Not {
			p.w(" NOT")
		}
		p.w(" LIKE ")
		p.expr(e.Pattern, precAdd)
	case *sql.Collate:
		// DuckDB's default collation is already binary.
		p.expr(e.X, min)
	case *sql.Over:
		p.expr(e.Fn, 0)
		p.w(" OVER (")
		if len(e.PartitionBy) > 0 {
			p.w("PARTITION BY ")
			for i, x := range e.PartitionBy {
				if i > 0 {
					p.w(", ")
				}
				p.expr(x, 0)
			}
			if len(e.OrderBy) > 0 {
				p.w(" ")
			}
		}
		if len(e.OrderBy) > 0 {
			p.w("ORDER BY ")
			p.orders(e.OrderBy)
		}
		p.w(")")
	case *sql.WithinGroup:
		f, ok := e.Agg.(*sql.Func)
		if !ok {
			panic(fmt.Sprintf("duckdb: ordered aggregate over %T", e.Agg))
		}
		p.call(f, e.OrderBy)
	default:
		panic(fmt.Sprintf("duckdb: expression %T has no DuckDB form", e))
	}
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
		case "count", "length", "strpos", "row_number":
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

// call prints f(args [ORDER BY order]).
func (p *printer) call(f *sql.Func, order []sql.Order) {
	p.w(trusted("function", f.Name, keywordRE))
	p.w("(")
	for i, a := range f.Args {
		if i > 0 {
			p.w(", ")
		}
		p.expr(a, 0)
	}
	if len(order) > 0 {
		p.w(" ORDER BY ")
		p.orders(order)
	}
	p.w(")")
}

// oneLine reports whether a subquery is short enough to print inline.
func oneLine(q sql.Query) bool {
	s, ok := q.(*sql.Select)
	if !ok || len(s.Items) != 1 || s.Items[0].Alias != "" || !simple(s.Items[0].X) ||
		len(s.Where) > 0 || len(s.GroupBy) > 0 || len(s.OrderBy) > 0 || s.Top != nil || len(s.From) > 0 {
		return false
	}
	return true
}

func (p *printer) subquery(q sql.Query) {
	if oneLine(q) {
		p.w("(SELECT ")
		p.expr(q.(*sql.Select).Items[0].X, 0)
		p.w(")")
		return
	}
	p.w("(")
	p.ind++
	p.nl()
	p.query(q)
	p.ind--
	p.nl()
	p.w(")")
}

// commentText makes text safe for a "--" comment.
func commentText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// walkExpr calls f for e and every expression below it, not descending into
// subqueries.
func walkExpr(e sql.Expr, f func(sql.Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *sql.Func:
		for _, a := range e.Args {
			walkExpr(a, f)
		}
	case *sql.Cast:
		walkExpr(e.X, f)
	case *sql.Convert:
		walkExpr(e.X, f)
	case *sql.Bin:
		walkExpr(e.X, f)
		walkExpr(e.Y, f)
	case *sql.Not:
		walkExpr(e.X, f)
	case *sql.Neg:
		walkExpr(e.X, f)
	case *sql.IsNull:
		walkExpr(e.X, f)
	case *sql.Case:
		walkExpr(e.Operand, f)
		for _, w := range e.Whens {
			walkExpr(w.Cond, f)
			walkExpr(w.Then, f)
		}
		walkExpr(e.Else, f)
	case *sql.In:
		walkExpr(e.X, f)
		for _, x := range e.List {
			walkExpr(x, f)
		}
	case *sql.Like:
		walkExpr(e.X, f)
		walkExpr(e.Pattern, f)
	case *sql.Collate:
		walkExpr(e.X, f)
	case *sql.Over:
		walkExpr(e.Fn, f)
		for _, x := range e.PartitionBy {
			walkExpr(x, f)
		}
		for _, o := range e.OrderBy {
			walkExpr(o.X, f)
		}
	case *sql.WithinGroup:
		walkExpr(e.Agg, f)
		for _, o := range e.OrderBy {
			walkExpr(o.X, f)
		}
	case *sql.OptionArg:
		walkExpr(e.Value, f)
	}
}
