package sql

import (
	"bytes"
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

// Spelled is implemented by a Style whose engine spells parts of the shared
// AST differently from T-SQL (DuckDB: LIMIT for TOP, LATERAL joins for
// APPLY, no GO batches). The one printer asks its Spellings at each such
// point, so the emitter and the script builders stay the same for every
// engine.
type Spelled interface {
	Spellings() *Spellings
}

// Spellings are how an engine spells what it writes differently from T-SQL.
// The zero value is T-SQL: a false flag, empty string or nil function keeps
// the T-SQL spelling.
type Spellings struct {
	// Prepare rewrites a query before it is printed as a view, function,
	// table or PrintQuery body (DuckDB inlines one-row projections).
	Prepare func(Query) Query
	// Lambdas: the engine has lambdas of list functions (DuckDB), which
	// its Prepare may write (Lambda).
	Lambdas bool
	// TypeName checks and maps a type name (CAST, CREATE TABLE columns);
	// nil checks the name's shape and prints it as it is.
	TypeName func(string) string
	// BinOp spells a binary operator (DuckDB: // for integer division).
	BinOp func(*Bin) string

	// NoBatches: scripts are ;-separated, a Batch prints nothing (no GO).
	NoBatches bool
	// OrAlter spells "CREATE OR ALTER" ("OR REPLACE").
	OrAlter string
	// Macro: an inline table-valued function is a table macro,
	// CREATE MACRO f(a, b) AS TABLE q, whose parameters are plain
	// identifiers, also where they are read (Var).
	Macro bool
	// CreateOrReplaceTable: CREATE OR REPLACE TABLE t AS q, or t (...) with
	// nullable columns unmarked and no WITH options.
	CreateOrReplaceTable bool
	// DropIfExists spells Drop as DROP <kind> IF EXISTS, with the kind
	// mapped by the function (nil: IF OBJECT_ID(...) IS NOT NULL DROP ...).
	DropIfExists func(kind string) string
	// CreateSchemaIfNotExists: CREATE SCHEMA IF NOT EXISTS s.
	CreateSchemaIfNotExists bool

	// Limit: TOP (n) is a trailing LIMIT n, and a union member with ORDER BY
	// or LIMIT is parenthesised.
	Limit bool
	// LateralJoins: CROSS APPLY is CROSS JOIN LATERAL, OUTER APPLY is LEFT
	// JOIN LATERAL ... ON TRUE.
	LateralJoins bool
	// RecursiveWith: a WITH whose CTE reads itself is WITH RECURSIVE, and the
	// CTE's union members are grouped into (anchor) UNION ALL (recursive).
	RecursiveWith bool
	// OneLineNoFrom: only a subquery without FROM prints on one line.
	OneLineNoFrom bool

	// ConvertAsCast: CONVERT / TRY_CONVERT print as CAST / TRY_CAST (with no
	// style).
	ConvertAsCast bool
	// NoCollate: COLLATE is left out (the engine compares bytes already).
	NoCollate bool
	// OrderInCall: an ordered aggregate is f(x, s ORDER BY o) rather than
	// f(x, s) WITHIN GROUP (ORDER BY o).
	OrderInCall bool
	// NullsHigh: NULL sorts after every value in ascending order by
	// default, so an Order with NullsLow says NULLS FIRST / NULLS LAST.
	NullsHigh bool
}

func newPrinter(st Style) *printer {
	p := &printer{st: st, sp: &Spellings{}}
	if sd, ok := st.(Spelled); ok {
		p.sp = sd.Spellings()
	}
	return p
}

// prepare applies Spellings.Prepare to a query about to be printed.
func (p *printer) prepare(q Query) Query {
	if p.sp.Prepare != nil {
		return p.sp.Prepare(q)
	}
	return q
}

// typ checks and spells a type name.
func (p *printer) typ(s string) string {
	if p.sp.TypeName != nil {
		return p.sp.TypeName(s)
	}
	return trusted("type", s, typeNameRE)
}

func (p *printer) orAlter() string {
	if p.sp.OrAlter != "" {
		return p.sp.OrAlter + " "
	}
	return "OR ALTER "
}

// Print renders statements as a script.
func Print(st Style, stmts []Stmt) string {
	p := newPrinter(st)
	for _, s := range stmts {
		p.stmt(s)
	}
	return p.b.String()
}

// PrintQuery renders one query without a terminator.
func PrintQuery(st Style, q Query) string {
	p := newPrinter(st)
	p.query(p.prepare(q))
	return p.b.String()
}

// PrintExpr renders one expression (tests use it).
func PrintExpr(st Style, e Expr) string {
	p := newPrinter(st)
	p.expr(e, 0)
	return p.b.String()
}

type printer struct {
	st  Style
	sp  *Spellings
	b   bytes.Buffer
	ind int
	// caseLines remembers whether each CASE printed on one line.
	caseLines map[*Case]bool
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

// QuoteObject is a possibly qualified name as the style quotes it
// ([dbo].[it's]), for messages and for SQL assembled as text.
func QuoteObject(st Style, n ObjectName) string {
	parts := make([]string, len(n))
	for i, p := range n {
		parts[i] = st.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
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
		if p.sp.NoBatches {
			return
		}
		p.w("GO")
		p.nl()
		p.nl()
		return
	case *CreateView:
		p.w("CREATE ")
		if s.OrAlter {
			p.w(p.orAlter())
		}
		p.w("VIEW ")
		p.object(s.Name)
		p.w(" AS")
		p.nl()
		p.query(p.prepare(s.Q))
	case *CreateFunction:
		p.w("CREATE ")
		if s.OrAlter {
			p.w(p.orAlter())
		}
		if p.sp.Macro {
			p.w("MACRO ")
		} else {
			p.w("FUNCTION ")
		}
		p.object(s.Name)
		p.w("(")
		for i, prm := range s.Params {
			if i > 0 {
				p.w(", ")
			}
			if p.sp.Macro {
				p.ident(prm.Name)
			} else {
				p.w("@" + trusted("parameter", prm.Name, varRE) + " " + trusted("type", prm.Typ, typeNameRE))
			}
		}
		if p.sp.Macro {
			p.w(") AS TABLE")
		} else {
			p.w(")")
			p.nl()
			p.w("RETURNS TABLE")
			p.nl()
			p.w("AS")
			p.nl()
			p.w("RETURN")
		}
		p.nl()
		p.query(p.prepare(s.Q))
	case *CreateTable:
		if p.sp.CreateOrReplaceTable {
			p.createOrReplaceTable(s)
			break
		}
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
				p.w(" " + p.typ(c.Typ))
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
			p.query(p.prepare(s.As))
		}
	case *SelectInto:
		p.selectBlock(s.Q, s.Into)
	case *Drop:
		if p.sp.DropIfExists != nil {
			p.w("DROP " + p.sp.DropIfExists(trusted("keyword", s.Kind, keywordRE)) + " IF EXISTS ")
			p.object(s.Name)
			break
		}
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
		if p.sp.CreateSchemaIfNotExists {
			p.w("CREATE SCHEMA IF NOT EXISTS ")
			p.ident(s.Name)
			break
		}
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
	case *Declare:
		p.w("DECLARE @" + trusted("variable", s.Name, varRE) + " " + p.typ(s.Typ) + " = ")
		p.expr(s.Value, 0)
	case *ExecVar:
		p.w("EXEC(@" + trusted("variable", s.Name, varRE) + ")")
	case *Guard:
		p.w("IF ")
		p.expr(s.Cond, 0)
		p.ind++
		p.nl()
		p.w("THROW 50000, " + p.st.QuoteString(s.Msg, true) + ", 1")
		p.ind--
	case *Verbatim:
		p.w(strings.TrimRight(s.SQL, "; \n"))
	case *CreateCredential:
		p.w("CREATE DATABASE SCOPED CREDENTIAL ")
		p.ident(s.Name)
		p.w(" WITH IDENTITY = " + p.st.QuoteString(s.Identity, false))
	default:
		panic(fmt.Sprintf("sql: unknown statement %T", s))
	}
	p.w(";")
	p.nl()
	p.nl()
}

// createOrReplaceTable prints CREATE OR REPLACE TABLE (Spellings).
func (p *printer) createOrReplaceTable(s *CreateTable) {
	p.w("CREATE OR REPLACE TABLE ")
	p.object(s.Name)
	if s.As != nil {
		p.w(" AS")
		p.nl()
		p.query(p.prepare(s.As))
		return
	}
	p.w(" (")
	p.ind++
	for i, c := range s.Columns {
		if i > 0 {
			p.w(",")
		}
		p.nl()
		p.ident(c.Name)
		p.w(" " + p.typ(c.Typ))
		if c.NotNull {
			p.w(" NOT NULL")
		}
	}
	p.ind--
	p.nl()
	p.w(")")
}

// stmtBody prints a statement nested in IF without its own blank lines.
func (p *printer) stmtBody(s Stmt) {
	sub := &printer{st: p.st, sp: p.sp, ind: p.ind}
	sub.stmt(s)
	p.w(strings.TrimRight(sub.b.String(), "\n ;"))
}

func (p *printer) objectText(n ObjectName) string {
	sub := &printer{st: p.st, sp: p.sp}
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
		p.union(q.Queries)
	case *Union:
		p.unionMember(q.Left)
		p.nl()
		if q.All {
			p.w("UNION ALL")
		} else {
			p.w("UNION")
		}
		p.nl()
		if _, nested := q.Right.(*Union); nested {
			p.w("(")
			p.ind++
			p.nl()
			p.query(q.Right)
			p.ind--
			p.nl()
			p.w(")")
		} else {
			p.unionMember(q.Right)
		}
	case *With:
		p.w("WITH ")
		if p.sp.RecursiveWith {
			for _, c := range q.CTEs {
				if refersTo(c.Q, c.Name) {
					p.w("RECURSIVE ")
					break
				}
			}
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
		panic(fmt.Sprintf("sql: unknown query %T", q))
	}
}

// cte prints a CTE's query. With RecursiveWith, a recursive CTE is exactly
// "anchor UNION ALL recursive": when the members are a flat list, the ones
// that do not read the CTE are grouped as the anchor and the others as the
// recursive term.
func (p *printer) cte(c CTE) {
	u, ok := c.Q.(*UnionAll)
	if !p.sp.RecursiveWith || !ok || !refersTo(c.Q, c.Name) {
		p.query(c.Q)
		return
	}
	var anchor, rec []Query
	for _, m := range u.Queries {
		if refersTo(m, c.Name) {
			rec = append(rec, m)
		} else {
			anchor = append(anchor, m)
		}
	}
	group := func(qs []Query) {
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

func (p *printer) union(qs []Query) {
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
// unions and WITHs, and (with Limit) selects with ORDER BY or LIMIT.
func (p *printer) unionMember(s Query) {
	if sel, ok := s.(*Select); ok && (!p.sp.Limit || len(sel.OrderBy) == 0 && sel.Top == nil && sel.Offset == nil) {
		p.query(s)
		return
	}
	if _, ok := s.(*Union); ok {
		p.query(s) // left-associative: a UNION b UNION c
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
func refersTo(q Query, name string) bool {
	found := false
	var visitQ func(q Query)
	var visitE func(e Expr)
	visitSrc := func(s Source) {
		switch s := s.(type) {
		case *Table:
			if len(s.Name) == 1 && s.Name[0] == name {
				found = true
			}
		case *Derived:
			visitQ(s.Q)
		case *TableFunc:
			for _, a := range s.Args {
				visitE(a)
			}
		}
	}
	visitE = func(e Expr) {
		walkExpr(e, func(x Expr) {
			switch x := x.(type) {
			case *Sub:
				visitQ(x.Q)
			case *Exists:
				visitQ(x.Q)
			case *InQuery:
				visitQ(x.Q)
			}
		})
	}
	visitQ = func(q Query) {
		switch q := q.(type) {
		case *Select:
			for _, f := range q.From {
				visitSrc(f.Src)
			}
			for _, it := range q.Items {
				visitE(it.X)
			}
			for _, w := range q.Where {
				visitE(w)
			}
		case *UnionAll:
			for _, m := range q.Queries {
				visitQ(m)
			}
		case *With:
			for _, c := range q.CTEs {
				visitQ(c.Q)
			}
			visitQ(q.Body)
		}
	}
	visitQ(q)
	return found
}

func (p *printer) selectBlock(s *Select, into ObjectName) {
	p.w("SELECT")
	if s.Distinct {
		p.w(" DISTINCT")
	}
	if s.Top != nil && !p.sp.Limit && s.Offset == nil {
		p.w(" TOP (")
		p.expr(s.Top, 0)
		p.w(")")
	}
	if len(s.Items) == 1 && s.Items[0].Alias == "" && p.simple(s.Items[0].X) {
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
		onTrue := false
		switch {
		case i == 0:
			p.w("FROM ")
		case f.Join == CrossApply && p.sp.LateralJoins:
			p.w("CROSS JOIN LATERAL ")
		case f.Join == OuterApply && p.sp.LateralJoins:
			p.w("LEFT JOIN LATERAL ")
			onTrue = true
		case f.Join == CrossApply:
			p.w("CROSS APPLY ")
		case f.Join == OuterApply:
			p.w("OUTER APPLY ")
		case f.Join == InnerJoin:
			p.w("JOIN ")
		case f.Join == LeftJoin:
			p.w("LEFT JOIN ")
		case f.Join == RightJoin:
			p.w("RIGHT JOIN ")
		case f.Join == FullJoin:
			p.w("FULL JOIN ")
		default:
			p.w("CROSS JOIN ")
		}
		p.source(f.Src)
		if f.Alias != "" {
			p.w(" AS ")
			p.ident(f.Alias)
		}
		if onTrue {
			p.w(" ON TRUE")
		}
		if f.On != nil {
			p.ind++
			p.nl()
			p.w("ON ")
			p.expr(f.On, 0)
			p.ind--
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
	for i, c := range s.Having {
		p.nl()
		if i == 0 {
			p.w("HAVING ")
		} else {
			p.w("    AND ")
		}
		p.ind++
		p.expr(c, precAnd)
		p.ind--
	}
	if len(s.OrderBy) > 0 {
		p.nl()
		p.w("ORDER BY ")
		p.orders(s.OrderBy)
	} else if s.Offset != nil && !p.sp.Limit {
		// T-SQL allows OFFSET only after an ORDER BY.
		p.nl()
		p.w("ORDER BY (SELECT NULL)")
	}
	if s.Top != nil && p.sp.Limit {
		p.nl()
		p.w("LIMIT ")
		p.expr(s.Top, 0)
	}
	if s.Offset != nil {
		p.nl()
		p.w("OFFSET ")
		p.expr(s.Offset, 0)
		if !p.sp.Limit {
			p.w(" ROWS")
			if s.Top != nil {
				p.w(" FETCH NEXT ")
				p.expr(s.Top, 0)
				p.w(" ROWS ONLY")
			}
		}
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
		if o.NullsLow && p.sp.NullsHigh {
			if o.Desc {
				p.w(" NULLS LAST")
			} else {
				p.w(" NULLS FIRST")
			}
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
				p.w(" " + p.typ(c.Typ))
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
	case OpAdd, OpSub, "||": // || concatenates strings where the engine has it
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
	case *IsNull, *In, *InQuery, *Like, *Exists:
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

// simple reports whether an expression prints on one line in T-SQL (the
// emitter asks).
func simple(e Expr) bool { return (&printer{sp: &Spellings{}}).simple(e) }

// simple reports whether an expression prints on one line (no subquery).
func (p *printer) simple(e Expr) bool {
	ok := true
	walkExpr(e, func(x Expr) {
		switch x := x.(type) {
		case *Sub:
			if !p.oneLine(x.Q) {
				ok = false
			}
		case *Exists, *InQuery:
			ok = false
		}
	})
	return ok
}

func (p *printer) expr(e Expr, min int) {
	if c, ok := e.(*Collate); ok && p.sp.NoCollate {
		p.expr(c.X, min)
		return
	}
	if exprPrec(e) < min {
		p.w("(")
		p.expr(e, 0)
		p.w(")")
		return
	}
	switch e := e.(type) {
	case *RowsetFunc:
		p.ident(e.Table)
		p.w("." + trusted("function", e.Name, varRE) + "()")
	case *Col:
		if e.Table != "" {
			p.ident(e.Table)
			p.w(".")
		}
		p.ident(e.Name)
	case *Var:
		if p.sp.Macro {
			p.ident(e.Name) // a macro parameter
		} else {
			p.w("@" + trusted("variable", e.Name, varRE))
		}
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
	case *StructLit:
		p.w("{")
		for i, o := range e.Fields {
			if i > 0 {
				p.w(", ")
			}
			p.w(p.st.QuoteString(o.Name, false) + ": ")
			p.expr(o.Value, 0)
		}
		p.w("}")
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
		p.call(e, nil)
	case *Cast:
		if e.Try {
			p.w("TRY_CAST(")
		} else {
			p.w("CAST(")
		}
		p.expr(e.X, 0)
		p.w(" AS " + p.typ(e.Typ) + ")")
	case *Convert:
		if p.sp.ConvertAsCast {
			// Only the style-less form can be a CAST (a column's declared
			// or tagged type); styles are T-SQL function spellings.
			if e.Style != 0 {
				panic(fmt.Sprintf("sql: CONVERT style %d has no CAST form", e.Style))
			}
			if e.Try {
				p.w("TRY_CAST(")
			} else {
				p.w("CAST(")
			}
			p.expr(e.X, 0)
			p.w(" AS " + p.typ(e.Typ) + ")")
			break
		}
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
		op := e.Op
		if p.sp.BinOp != nil {
			op = p.sp.BinOp(e)
		}
		p.expr(e.X, left)
		p.w(" " + op + " ")
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
		// On one line when it is short; else one WHEN per line, so that
		// the long CASEs of temporal comparisons stay readable.
		// The decision depends on the CASE alone, so it is made once: else
		// nested CASEs would be printed twice per level (2^depth).
		if oneLine, known := p.caseLines[e]; known {
			p.caseExpr(e, !oneLine)
			break
		}
		mark := p.b.Len()
		p.caseExpr(e, false)
		oneLine := true
		if out := p.b.Bytes()[mark:]; len(out) > maxCaseLine || bytes.IndexByte(out, '\n') >= 0 {
			p.b.Truncate(mark)
			p.caseExpr(e, true)
			oneLine = false
		}
		if p.caseLines == nil {
			p.caseLines = map[*Case]bool{}
		}
		p.caseLines[e] = oneLine
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
	case *InQuery:
		p.expr(e.X, precAdd)
		if e.Not {
			p.w(" NOT")
		}
		p.w(" IN ")
		p.subquery(e.Q)
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
		if p.sp.OrderInCall {
			f, ok := e.Agg.(*Func)
			if !ok {
				panic(fmt.Sprintf("sql: ordered aggregate over %T", e.Agg))
			}
			p.call(f, e.OrderBy)
			break
		}
		p.expr(e.Agg, 0)
		p.w(" WITHIN GROUP (ORDER BY ")
		p.orders(e.OrderBy)
		p.w(")")
	case *Lambda:
		if !p.sp.Lambdas {
			panic("sql: a lambda in a dialect without list functions")
		}
		p.w("lambda ")
		for i, n := range e.Params {
			if i > 0 {
				p.w(", ")
			}
			p.ident(n)
		}
		p.w(": ")
		p.expr(e.Body, 0)
	default:
		panic(fmt.Sprintf("sql: unknown expression %T", e))
	}
}

// call prints f(args [ORDER BY order]).
// maxCaseLine is the longest CASE printed on one line.
const maxCaseLine = 100

// caseExpr prints a CASE on one line or, with lines, as
//
//	CASE
//	    WHEN cond THEN x
//	    ELSE y
//	END
func (p *printer) caseExpr(e *Case, lines bool) {
	sep := func() {
		if lines {
			p.nl()
		} else {
			p.w(" ")
		}
	}
	p.w("CASE")
	if e.Operand != nil {
		p.w(" ")
		p.expr(e.Operand, 0)
	}
	if lines {
		p.ind++
	}
	for _, wh := range e.Whens {
		sep()
		p.w("WHEN ")
		p.expr(wh.Cond, 0)
		p.w(" THEN ")
		p.expr(wh.Then, 0)
	}
	if e.Else != nil {
		sep()
		p.w("ELSE ")
		p.expr(e.Else, 0)
	}
	if lines {
		p.ind--
	}
	sep()
	p.w("END")
}

func (p *printer) call(f *Func, order []Order) {
	p.w(trusted("function", f.Name, keywordRE))
	p.w("(")
	if f.Distinct {
		p.w("DISTINCT ")
	}
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

// oneLine reports whether a subquery is short enough to print inline:
// (SELECT [v] FROM OPENJSON(...) WITH (...)), (SELECT NULL).
func (p *printer) oneLine(q Query) bool {
	s, ok := q.(*Select)
	maxFrom := 1
	if p.sp.OneLineNoFrom {
		maxFrom = 0
	}
	if !ok || len(s.Items) != 1 || s.Items[0].Alias != "" || !p.simple(s.Items[0].X) ||
		len(s.Where) > 0 || len(s.GroupBy) > 0 || len(s.OrderBy) > 0 || s.Top != nil || len(s.From) > maxFrom {
		return false
	}
	if len(s.From) == 1 {
		tf, ok := s.From[0].Src.(*TableFunc)
		if !ok || tf.Multiline {
			return false
		}
		for _, a := range tf.Args {
			if !p.simple(a) {
				return false
			}
		}
	}
	return true
}

func (p *printer) subquery(q Query) {
	if p.oneLine(q) {
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
	case *InQuery:
		walkExpr(e.X, f)
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
	case *OptionArg:
		walkExpr(e.Value, f)
	case *Lambda:
		walkExpr(e.Body, f)
	}
}

// WalkExpr calls f for e and every expression below it, as walkExpr does
// (dialects' query rewrites use it).
func WalkExpr(e Expr, f func(Expr)) { walkExpr(e, f) }
