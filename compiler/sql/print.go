package sql

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Style is the part of a dialect the printer needs: how identifiers and
// literals are spelled. Everything a user controls reaches the output through
// these two functions (or through JSON paths, see JSONPath).
type Style interface {
	// QuoteIdent returns a delimited identifier ([a]]b] in T-SQL).
	QuoteIdent(name string) string
	// QuoteString returns a string literal; unicode selects N'...' in
	// T-SQL. It never returns text that contains a line break, so no value
	// can forge a batch separator or end a comment.
	QuoteString(s string, unicode bool) string
}

var (
	numberRE   = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	typeNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*( ?\( *([0-9]+|MAX|max) *(, *[0-9]+ *)?\))?$`)
	keywordRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*( [A-Za-z_][A-Za-z0-9_]*)*$`)
	varRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValidNumber reports whether s may be printed as a numeric literal.
func ValidNumber(s string) bool { return numberRE.MatchString(s) }

// ValidTypeName reports whether s is shaped like a SQL type name
// (NVARCHAR(MAX), DECIMAL(38, 18), DATETIMEOFFSET), so that a type taken from
// a view's tsql/type tag cannot smuggle SQL into a CAST.
func ValidTypeName(s string) bool { return typeNameRE.MatchString(s) && len(s) <= 64 }

// ValidIdent reports whether a name can be a delimited identifier: 1 to 128
// characters, none of them a control character (a line break inside [..]
// would let a name forge a batch separator).
func ValidIdent(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 128 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// Printer is implemented by a Style whose engine spells the shared AST
// differently from T-SQL (DuckDB: LIMIT for TOP, LATERAL joins for APPLY, no
// GO batches). Print, PrintQuery and PrintExpr hand it the whole rendering, so
// the emitter and the script builders stay the same for every engine.
type Printer interface {
	PrintStmts(stmts []Stmt) string
	PrintQuery(q Query) string
	PrintExpr(e Expr) string
}

// Print renders statements as a script.
func Print(st Style, stmts []Stmt) string {
	if pr, ok := st.(Printer); ok {
		return pr.PrintStmts(stmts)
	}
	p := &printer{st: st}
	for _, s := range stmts {
		p.stmt(s)
	}
	return p.b.String()
}

// PrintQuery renders one query without a terminator.
func PrintQuery(st Style, q Query) string {
	if pr, ok := st.(Printer); ok {
		return pr.PrintQuery(q)
	}
	p := &printer{st: st}
	p.query(q)
	return p.b.String()
}

// PrintExpr renders one expression (tests use it).
func PrintExpr(st Style, e Expr) string {
	if pr, ok := st.(Printer); ok {
		return pr.PrintExpr(e)
	}
	p := &printer{st: st}
	p.expr(e, 0)
	return p.b.String()
}

type printer struct {
	st  Style
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
	if !ValidIdent(s) {
		// The emitter validates names first; this is defence in depth.
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
	p.w(p.st.QuoteIdent(s))
}

func (p *printer) object(n ObjectName) {
	for i, part := range n {
		if i > 0 {
			p.w(".")
		}
		p.ident(part)
	}
}

func trusted(kind, s string, re *regexp.Regexp) string {
	if !re.MatchString(s) {
		panic(fmt.Sprintf("sql: invalid %s %q", kind, s))
	}
	return s
}

// Statements.

func (p *printer) stmt(s Stmt) {
	switch s := s.(type) {
	case *Comment:
		for _, l := range s.Lines {
			p.w("-- ")
			p.w(commentText(l))
			p.nl()
		}
		return
	case *Batch:
		p.w("GO")
		p.nl()
		p.nl()
		return
	case *CreateView:
		p.w("CREATE ")
		if s.OrAlter {
			p.w("OR ALTER ")
		}
		p.w("VIEW ")
		p.object(s.Name)
		p.w(" AS")
		p.nl()
		p.query(s.Q)
	case *CreateFunction:
		p.w("CREATE ")
		if s.OrAlter {
			p.w("OR ALTER ")
		}
		p.w("FUNCTION ")
		p.object(s.Name)
		p.w("(")
		for i, prm := range s.Params {
			if i > 0 {
				p.w(", ")
			}
			p.w("@" + trusted("parameter", prm.Name, varRE) + " " + trusted("type", prm.Typ, typeNameRE))
		}
		p.w(")")
		p.nl()
		p.w("RETURNS TABLE")
		p.nl()
		p.w("AS")
		p.nl()
		p.w("RETURN")
		p.nl()
		p.query(s.Q)
	case *CreateTable:
		p.w("CREATE TABLE ")
		p.object(s.Name)
		if len(s.Columns) > 0 {
			p.w(" (")
			p.ind++
			for i, c := range s.Columns {
				if i > 0 {
					p.w(",")
				}
				p.nl()
				p.ident(c.Name)
				p.w(" " + trusted("type", c.Typ, typeNameRE))
				if c.NotNull {
					p.w(" NOT NULL")
				} else {
					p.w(" NULL")
				}
			}
			p.ind--
			p.nl()
			p.w(")")
		}
		if len(s.With) > 0 {
			p.nl()
			p.w("WITH (")
			p.options(s.With)
			p.w(")")
		}
		if s.As != nil {
			p.nl()
			p.w("AS")
			p.nl()
			p.query(s.As)
		}
	case *SelectInto:
		p.selectBlock(s.Q, s.Into)
	case *Drop:
		p.w("IF OBJECT_ID(")
		p.w(p.st.QuoteString(p.objectText(s.Name), true))
		if s.ObjectType != "" {
			p.w(", " + p.st.QuoteString(s.ObjectType, true))
		}
		p.w(") IS NOT NULL")
		p.ind++
		p.nl()
		p.w("DROP " + trusted("keyword", s.Kind, keywordRE) + " ")
		p.object(s.Name)
		p.ind--
	case *CreateSchema:
		p.w("IF SCHEMA_ID(" + p.st.QuoteString(s.Name, true) + ") IS NULL")
		p.ind++
		p.nl()
		p.w("EXEC(" + p.st.QuoteString("CREATE SCHEMA "+p.st.QuoteIdent(s.Name), true) + ")")
		p.ind--
	case *CopyInto:
		p.w("COPY INTO ")
		p.object(s.Table)
		if len(s.Columns) > 0 {
			p.w(" (")
			for i, c := range s.Columns {
				if i > 0 {
					p.w(", ")
				}
				p.ident(c)
				p.w(fmt.Sprintf(" %d", i+1))
			}
			p.w(")")
		}
		p.nl()
		p.w("FROM " + p.st.QuoteString(s.From, false))
		p.nl()
		p.w("WITH (")
		p.options(s.With)
		p.w(")")
	case *CreateIfMissing:
		p.w("IF NOT EXISTS (SELECT 1 FROM sys." + trusted("catalog", s.Catalog, varRE) + " WHERE [name] = ")
		p.w(p.st.QuoteString(s.Name, true))
		p.w(")")
		p.ind++
		p.nl()
		p.stmtBody(s.Stmt)
		p.ind--
	case *CreateExternal:
		p.w("CREATE EXTERNAL " + trusted("keyword", s.Kind, keywordRE) + " ")
		p.ident(s.Name)
		p.w(" WITH (")
		p.options(s.With)
		p.w(")")
	case *CreateExternalTableAs:
		p.w("CREATE EXTERNAL TABLE ")
		p.object(s.Name)
		p.nl()
		p.w("WITH (")
		p.options(s.With)
		p.w(")")
		p.nl()
		p.w("AS")
		p.nl()
		p.query(s.As)
	default:
		panic(fmt.Sprintf("sql: unknown statement %T", s))
	}
	p.w(";")
	p.nl()
	p.nl()
}

// stmtBody prints a statement nested in IF without its own blank lines.
func (p *printer) stmtBody(s Stmt) {
	sub := &printer{st: p.st, ind: p.ind}
	sub.stmt(s)
	p.w(strings.TrimRight(sub.b.String(), "\n ;"))
}

func (p *printer) objectText(n ObjectName) string {
	sub := &printer{st: p.st}
	sub.object(n)
	return sub.b.String()
}

func (p *printer) options(opts []Option) {
	multi := len(opts) > 2
	if multi {
		p.ind++
	}
	for i, o := range opts {
		if i > 0 {
			p.w(",")
			if !multi {
				p.w(" ")
			}
		}
		if multi {
			p.nl()
		}
		p.option(o)
	}
	if multi {
		p.ind--
		p.nl()
	}
}

func (p *printer) option(o Option) {
	p.w(trusted("option", o.Name, keywordRE))
	if o.Value != nil {
		p.w(" = ")
		p.expr(o.Value, 0)
	}
}

// Queries.

func (p *printer) query(q Query) {
	switch q := q.(type) {
	case *Select:
		p.selectBlock(q, nil)
	case *UnionAll:
		for i, s := range q.Queries {
			if i > 0 {
				p.nl()
				p.w("UNION ALL")
				p.nl()
			}
			if _, ok := s.(*Select); ok {
				p.query(s)
			} else {
				p.w("(")
				p.ind++
				p.nl()
				p.query(s)
				p.ind--
				p.nl()
				p.w(")")
			}
		}
	case *With:
		p.w("WITH ")
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
			p.query(c.Q)
			p.ind--
			p.nl()
			p.w(")")
		}
		p.nl()
		p.query(q.Body)
	default:
		panic(fmt.Sprintf("sql: unknown query %T", q))
	}
}

func (p *printer) selectBlock(s *Select, into ObjectName) {
	p.w("SELECT")
	if s.Top != nil {
		p.w(" TOP (")
		p.expr(s.Top, 0)
		p.w(")")
	}
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
	if into != nil {
		p.nl()
		p.w("INTO ")
		p.object(into)
	}
	i := 0
	for _, f := range s.From {
		if tf, ok := f.Src.(*TableFunc); ok && tf.Optional && len(tf.With) == 0 {
			continue
		}
		p.nl()
		switch {
		case i == 0:
			p.w("FROM ")
		case f.Join == CrossApply:
			p.w("CROSS APPLY ")
		case f.Join == OuterApply:
			p.w("OUTER APPLY ")
		default:
			p.w("CROSS JOIN ")
		}
		p.source(f.Src)
		if f.Alias != "" {
			p.w(" AS ")
			p.ident(f.Alias)
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
}

func (p *printer) orders(os []Order) {
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

func (p *printer) source(s Source) {
	switch s := s.(type) {
	case *Table:
		p.object(s.Name)
	case *Derived:
		p.w("(")
		p.ind++
		p.nl()
		p.query(s.Q)
		p.ind--
		p.nl()
		p.w(")")
	case *TableFunc:
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
		if len(s.With) > 0 {
			p.w(" WITH (")
			multi := len(s.With) > 1
			if multi {
				p.ind++
			}
			for i, c := range s.With {
				if i > 0 {
					p.w(",")
					if !multi {
						p.w(" ")
					}
				}
				if multi {
					p.nl()
				}
				p.ident(c.Name)
				p.w(" " + trusted("type", c.Typ, typeNameRE))
				if c.Path != "" {
					p.w(" " + p.st.QuoteString(c.Path, false))
				}
				if c.AsJSON {
					p.w(" AS JSON")
				}
			}
			if multi {
				p.ind--
				p.nl()
			}
			p.w(")")
		}
	default:
		panic(fmt.Sprintf("sql: unknown source %T", s))
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
	case OpOr:
		return precOr
	case OpAnd:
		return precAnd
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return precCmp
	case OpAdd, OpSub:
		return precAdd
	case OpMul, OpDiv, OpMod:
		return precMul
	}
	panic("sql: unknown operator " + op)
}

func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *Bin:
		return binPrec(e.Op)
	case *Not:
		return precNot
	case *IsNull, *In, *Like, *Exists:
		if x, ok := e.(*Exists); ok && !x.Not {
			return precPrimary
		}
		return precCmp
	case *Neg:
		return precUnary
	case *Collate:
		return precUnary
	}
	return precPrimary
}

// simple reports whether an expression prints on one line (no subquery).
func simple(e Expr) bool {
	ok := true
	walkExpr(e, func(x Expr) {
		switch x := x.(type) {
		case *Sub:
			if !oneLine(x.Q) {
				ok = false
			}
		case *Exists:
			ok = false
		}
	})
	return ok
}

func (p *printer) expr(e Expr, min int) {
	if exprPrec(e) < min {
		p.w("(")
		p.expr(e, 0)
		p.w(")")
		return
	}
	switch e := e.(type) {
	case *Col:
		if e.Table != "" {
			p.ident(e.Table)
			p.w(".")
		}
		p.ident(e.Name)
	case *Var:
		p.w("@" + trusted("variable", e.Name, varRE))
	case *Str:
		p.w(p.st.QuoteString(e.V, true))
	case *ASCII:
		p.w(p.st.QuoteString(e.V, false))
	case *Num:
		if !ValidNumber(e.V) {
			panic(fmt.Sprintf("sql: invalid number %q", e.V))
		}
		if strings.HasPrefix(e.V, "-") && min > precAdd {
			p.w("(" + e.V + ")")
		} else {
			p.w(e.V)
		}
	case *Null:
		p.w("NULL")
	case *Star:
		p.w("*")
	case *Bare:
		p.w(trusted("keyword", e.K, keywordRE))
	case *Ident:
		p.ident(e.Name)
	case *OptionArg:
		p.option(e.Option)
	case *Bulk:
		p.w("BULK " + p.st.QuoteString(e.Path, false))
	case *OptionGroup:
		p.w("(")
		for i, o := range e.Opts {
			if i > 0 {
				p.w(", ")
			}
			p.option(o)
		}
		p.w(")")
	case *Func:
		p.w(trusted("function", e.Name, keywordRE))
		p.w("(")
		for i, a := range e.Args {
			if i > 0 {
				p.w(", ")
			}
			p.expr(a, 0)
		}
		p.w(")")
	case *Cast:
		if e.Try {
			p.w("TRY_CAST(")
		} else {
			p.w("CAST(")
		}
		p.expr(e.X, 0)
		p.w(" AS " + trusted("type", e.Typ, typeNameRE) + ")")
	case *Convert:
		if e.Try {
			p.w("TRY_CONVERT(")
		} else {
			p.w("CONVERT(")
		}
		p.w(trusted("type", e.Typ, typeNameRE) + ", ")
		p.expr(e.X, 0)
		if e.Style != 0 {
			p.w(fmt.Sprintf(", %d", e.Style))
		}
		p.w(")")
	case *Bin:
		prec := binPrec(e.Op)
		left, right := prec, prec+1
		if prec == precCmp {
			left = prec + 1
		}
		if e.Op == OpAnd || e.Op == OpOr || e.Op == OpAdd || e.Op == OpMul {
			right = prec // associative: a AND b AND c, a + b + c
			if e.Op == OpAdd || e.Op == OpMul {
				right = prec + 1
			}
		}
		p.expr(e.X, left)
		p.w(" " + e.Op + " ")
		p.expr(e.Y, right)
	case *Not:
		p.w("NOT (")
		p.expr(e.X, 0)
		p.w(")")
	case *Neg:
		p.w("-")
		p.expr(e.X, precPrimary)
	case *IsNull:
		p.expr(e.X, precAdd)
		if e.Not {
			p.w(" IS NOT NULL")
		} else {
			p.w(" IS NULL")
		}
	case *Case:
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
	case *Exists:
		if e.Not {
			p.w("NOT ")
		}
		p.w("EXISTS ")
		p.subquery(e.Q)
	case *Sub:
		p.subquery(e.Q)
	case *In:
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
	case *Like:
		p.expr(e.X, precAdd)
		if e.Not {
			p.w(" NOT")
		}
		p.w(" LIKE ")
		p.expr(e.Pattern, precAdd)
	case *Collate:
		p.expr(e.X, precPrimary)
		p.w(" COLLATE " + trusted("collation", e.Name, varRE))
	case *Over:
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
	case *WithinGroup:
		p.expr(e.Agg, 0)
		p.w(" WITHIN GROUP (ORDER BY ")
		p.orders(e.OrderBy)
		p.w(")")
	default:
		panic(fmt.Sprintf("sql: unknown expression %T", e))
	}
}

// oneLine reports whether a subquery is short enough to print inline:
// (SELECT [v] FROM OPENJSON(...) WITH (...)), (SELECT NULL).
func oneLine(q Query) bool {
	s, ok := q.(*Select)
	if !ok || len(s.Items) != 1 || s.Items[0].Alias != "" || !simple(s.Items[0].X) ||
		len(s.Where) > 0 || len(s.GroupBy) > 0 || len(s.OrderBy) > 0 || s.Top != nil || len(s.From) > 1 {
		return false
	}
	if len(s.From) == 1 {
		tf, ok := s.From[0].Src.(*TableFunc)
		if !ok || tf.Multiline {
			return false
		}
		for _, a := range tf.Args {
			if !simple(a) {
				return false
			}
		}
	}
	return true
}

func (p *printer) subquery(q Query) {
	if oneLine(q) {
		s := q.(*Select)
		p.w("(SELECT ")
		p.expr(s.Items[0].X, 0)
		if len(s.From) == 1 {
			p.w(" FROM ")
			p.source(s.From[0].Src)
			if s.From[0].Alias != "" {
				p.w(" AS ")
				p.ident(s.From[0].Alias)
			}
		}
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

// commentText makes text safe for a "--" comment: control characters and
// line separators are shown escaped instead of ending the comment.
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
// subqueries' FROM clauses (but into their select lists and conditions).
func walkExpr(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *Func:
		for _, a := range e.Args {
			walkExpr(a, f)
		}
	case *Cast:
		walkExpr(e.X, f)
	case *Convert:
		walkExpr(e.X, f)
	case *Bin:
		walkExpr(e.X, f)
		walkExpr(e.Y, f)
	case *Not:
		walkExpr(e.X, f)
	case *Neg:
		walkExpr(e.X, f)
	case *IsNull:
		walkExpr(e.X, f)
	case *Case:
		walkExpr(e.Operand, f)
		for _, w := range e.Whens {
			walkExpr(w.Cond, f)
			walkExpr(w.Then, f)
		}
		walkExpr(e.Else, f)
	case *In:
		walkExpr(e.X, f)
		for _, x := range e.List {
			walkExpr(x, f)
		}
	case *Like:
		walkExpr(e.X, f)
		walkExpr(e.Pattern, f)
	case *Collate:
		walkExpr(e.X, f)
	case *Over:
		walkExpr(e.Fn, f)
		for _, x := range e.PartitionBy {
			walkExpr(x, f)
		}
		for _, o := range e.OrderBy {
			walkExpr(o.X, f)
		}
	case *WithinGroup:
		walkExpr(e.Agg, f)
		for _, o := range e.OrderBy {
			walkExpr(o.X, f)
		}
	}
}
