package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/query"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/verify"
	"github.com/fhirql/fhirql/verify/duckdbengine"
)

func init() {
	register("query", "check a SQL query over views, print it for a target, or run it locally over NDJSON", runQuery)
}

const querySummary = `Checks a SELECT written over views (by view name) against the views of the
--views paths, then either prints it for a target (--target, as in build:
T-SQL over the objects 'fhirql build' creates, or DuckDB SQL) or runs it
locally (--input): the runtime evaluates the views it reads (only the columns
it uses), DuckDB runs the query over those rows.

SQL is the query text, a .sql file, or - for stdin. Syntax, functions and
types: docs/query.md. Named parameters (:since) take --param since=VALUE.
With neither --target nor --input the query is only checked.

Output of a local run: a table on a terminal, CSV otherwise; --format csv,
ndjson, table, or parquet (with --out FILE).`

func runQuery(env *Env, args []string) int {
	var views, inputs, params multiFlag
	var bf buildFlags
	fs := newFlags(env, "query", "SQL|FILE.sql|- --views PATH... [--input PATH...|--target T]", querySummary)
	fs.Var(&views, "views", "a .fview or ViewDefinition file or directory holding the views the query reads (repeatable)")
	fs.Var(&inputs, "input", "run locally over this NDJSON: file, directory, glob, .gz (repeatable)")
	fs.Var(&params, "param", "NAME=VALUE for the query's :NAME parameter (repeatable)")
	fs.StringVar(&bf.target, "target", "", "print the query for serverless, dedicated, sqlserver or duckdb")
	fs.StringVar(&bf.schema, "schema", "dbo", "--target: schema of the views' objects")
	fs.StringVar(&bf.source, "source", "", "--target with --deploy: where the NDJSON is, as in build (required there for serverless and dedicated)")
	create := fs.String("create", "", "--target: wrap the query in a view of this name (an inline table function / table macro when it has unbound parameters)")
	deploy := fs.Bool("deploy", false, "--target: print the views' deployment script first, then the query (with --create, a script that deploys both)")
	format := fs.String("format", "", "local run output: table, csv, ndjson or parquet (default: table on a terminal, else csv)")
	out := fs.String("out", "", "local run: write the rows to this file (atomically) instead of stdout")
	diagFormat := fs.String("diagnostics", "text", "diagnostic format: text (stderr) or json (stdout)")
	library := fs.String("library", "", "read the query from a SQL on FHIR SQLQuery Library (JSON): its SQL, parameter types and table labels")
	exportLib := fs.Bool("export-library", false, "print the query as a SQL on FHIR SQLQuery Library (JSON) with its view dependencies and parameters")
	verifyFlag := fs.Bool("verify", false, "with --input: also run the query over the views compiled to DuckDB SQL reading the NDJSON directly, and fail unless both give the same rows")
	libName := fs.String("name", "", "--export-library: the Library's name (default: the .sql file's base name)")
	canonical := fs.String("canonical-base", "", "--export-library: base of the canonical URLs of the Library and its ViewDefinitions (e.g. https://example.org/fhir)")
	pos, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql query: "+format+"\n", a...)
		fmt.Fprintln(env.Stderr, "Run 'fhirql query -h' for usage.")
		return ExitUsage
	}
	if *library != "" && len(pos) != 0 || *library == "" && len(pos) != 1 {
		return usageErr("give exactly one query: SQL text, a .sql file, - for stdin, or --library FILE")
	}
	if *verifyFlag && len(inputs) == 0 {
		return usageErr("--verify goes with --input")
	}
	if *exportLib && (bf.target != "" || len(inputs) > 0) {
		return usageErr("--export-library prints the Library only: leave out --target and --input")
	}
	if len(views) == 0 {
		return usageErr("say where the views are with --views PATH")
	}
	if len(inputs) > 0 && bf.target != "" {
		return usageErr("--input runs the query locally and --target prints it: give one")
	}
	if *diagFormat != "text" && *diagFormat != "json" {
		return usageErr("--diagnostics must be text or json, not %q", *diagFormat)
	}
	if (*create != "" || *deploy) && bf.target == "" {
		return usageErr("--create and --deploy go with --target")
	}
	if *create != "" && !sql.ValidIdent(*create) {
		return usageErr("invalid --create name %q", *create)
	}
	switch *format {
	case "", "table", "csv", "ndjson":
	case "parquet":
		if *out == "" {
			return usageErr("--format parquet needs --out FILE")
		}
	default:
		return usageErr("--format must be table, csv, ndjson or parquet, not %q", *format)
	}
	bound := map[string]string{}
	for _, p := range params {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return usageErr("--param wants NAME=VALUE, not %q", p)
		}
		if _, dup := bound[name]; dup {
			return usageErr("--param %s given twice", name)
		}
		bound[name] = value
	}
	var src *source.File
	var lib *query.Library
	if *library != "" {
		b, err := os.ReadFile(*library)
		if err == nil {
			var text string
			lib, text, err = query.ReadLibrary(b)
			src = source.NewFileString(*library+"#sql", text)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql query: %s: %v\n", *library, err)
			return ExitErrors
		}
	} else {
		src, err = readQuery(env, pos[0])
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
			return ExitErrors
		}
	}

	res := compiler.Load(views, r4.Catalog())
	diags := res.Diags
	report := func() {
		if *diagFormat == "json" {
			diag.RenderJSON(env.Stdout, diags)
		} else if len(diags) > 0 {
			diag.RenderText(env.Stderr, diags)
		}
	}
	if diags.HasErrors() {
		report()
		return ExitErrors
	}
	var target sql.Target
	if bf.target != "" {
		bf.repeatDepth = 8
		bf.docColumn = "doc"
		bf.distribution = "ROUND_ROBIN"
		if bf.source == "" && !*deploy && (bf.target == "serverless" || bf.target == "dedicated") {
			// The query reads the objects build creates; where their
			// NDJSON comes from matters only to --deploy's script.
			bf.source = "https://account.dfs.core.windows.net/fhir/{resource}.ndjson"
		}
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name == "schema" {
				bf.schemaSet = true
			}
		})
		if _, ok := targetFlags[bf.target]; !ok {
			return usageErr("unknown target %q (want serverless, dedicated, sqlserver or duckdb)", bf.target)
		}
		t, msg := makeTarget(&bf)
		if msg != "" {
			return usageErr("%s", msg)
		}
		target = t
	}
	opts := query.Options{Views: res.Views(), Params: bound}
	if lib != nil {
		var err error
		if opts.Aliases, err = lib.Aliases(res.Views()); err == nil {
			opts.ParamTypes, err = lib.ParamTypes()
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql query: %s: %v\n", *library, err)
			return ExitErrors
		}
	}
	local := duckdb.New(duckdb.Options{})
	switch {
	case target != nil:
		opts.Dialect, opts.Object = target, target.Object
	case len(inputs) > 0:
		opts.Dialect = local
	}
	q, qd := query.Compile(src, opts)
	diags = append(diags, qd...)
	if q != nil {
		names := map[string]bool{}
		for _, p := range q.Params {
			names[p.Name] = true
		}
		var unknown []string
		for n := range bound {
			if !names[n] {
				unknown = append(unknown, n)
			}
		}
		sort.Strings(unknown)
		for _, n := range unknown {
			d := diag.New(diag.Error, query.CodeParam, nil, source.Span{}, "--param %s: %s has no parameter :%s", n, src.Name, n)
			var have []string
			for m := range names {
				have = append(have, m)
			}
			if s, ok := diag.Suggest(n, have); ok {
				d.WithNote(source.Span{}, "did you mean %q?", s)
			}
			diags = append(diags, d)
		}
		if *create == "" || target == nil {
			for _, p := range q.Unbound() {
				if target == nil && len(inputs) == 0 {
					continue // only checking
				}
				diags = append(diags, diag.New(diag.Error, query.CodeParam, src, p.Span,
					"parameter :%s has no value: pass --param %s=VALUE", p.Name, p.Name))
			}
		}
	}
	report()
	if diags.HasErrors() || q == nil {
		return ExitErrors
	}
	switch {
	case *exportLib:
		name := *libName
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(src.Name), filepath.Ext(src.Name))
			if lib != nil && lib.Name != "" {
				name = lib.Name
			}
		}
		b, err := json.MarshalIndent(query.NewLibrary(q, name, *canonical), "", "  ")
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
			return ExitErrors
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return ExitOK
	case target != nil:
		return printQuery(env, target, q, res.Views(), *create, *deploy)
	case len(inputs) > 0:
		return runLocal(env, q, inputs, *format, *out, *verifyFlag)
	}
	if *diagFormat == "text" {
		fmt.Fprintf(env.Stderr, "%s: ok (%d columns: %s)\n", src.Name, len(q.Columns), columnList(q.Columns))
	}
	return ExitOK
}

func columnList(cs []query.Column) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+" "+c.Type.String())
	}
	return strings.Join(parts, ", ")
}

// readQuery reads the query argument: - for stdin, a file when it names one
// (or ends in .sql), else the text itself.
func readQuery(env *Env, arg string) (*source.File, error) {
	if arg == "-" {
		b, err := io.ReadAll(env.Stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %v", err)
		}
		return source.NewFile("<stdin>", b), nil
	}
	if strings.HasSuffix(strings.ToLower(arg), ".sql") || !strings.ContainsAny(arg, " \t\n") {
		b, err := os.ReadFile(arg)
		if err != nil {
			if strings.HasSuffix(strings.ToLower(arg), ".sql") {
				return nil, err
			}
		} else {
			return source.NewFile(arg, b), nil
		}
	}
	return source.NewFileString("<query>", arg), nil
}

// printQuery prints the query for a target: the SELECT, or a view (or,
// with unbound parameters, an inline table function) named by --create,
// after the views' deployment script with --deploy.
func printQuery(env *Env, t sql.Target, q *query.Compiled, all []*plan.View, create string, deploy bool) int {
	var b strings.Builder
	if deploy {
		var cs []*sql.Compiled
		for _, v := range q.Views {
			c, dl := sql.Emit(v, t)
			if dl.HasErrors() {
				diag.RenderText(env.Stderr, dl)
				return ExitErrors
			}
			cs = append(cs, c)
		}
		b.WriteString(sql.DeployScript(t, cs))
	}
	if create == "" {
		fmt.Fprint(env.Stdout, b.String())
		fmt.Fprintf(env.Stdout, "%s;\n", sql.PrintQuery(t, q.Query))
		return ExitOK
	}
	body := q.Query
	if s, ok := body.(*sql.Select); ok && len(s.OrderBy) > 0 && s.Top == nil && s.Offset == nil {
		// T-SQL rejects ORDER BY in a view or inline function without TOP
		// or OFFSET, and no engine promises the order of a view's rows.
		cp := *s
		cp.OrderBy = nil
		body = &cp
		fmt.Fprintf(env.Stderr, "fhirql query: warning: a view's rows have no order: the ORDER BY of %s is left out of %q; order when you query it\n", q.File.Name, create)
	}
	name := sql.ObjectName{create}
	if s := t.Caps().Schema; s != "" {
		name = sql.ObjectName{s, create}
	}
	stmts := []sql.Stmt{&sql.Comment{Lines: []string{
		fmt.Sprintf("fhirql query %q over %s, for %s", create, viewList(q.Views), t.Name()),
		"source: " + q.File.Name,
		"Generated by fhirql; edit the query, not this file.",
	}}}
	if unbound := q.Unbound(); len(unbound) > 0 {
		fn := &sql.CreateFunction{Name: name, OrAlter: true, Q: body}
		for _, p := range unbound {
			fn.Params = append(fn.Params, sql.Param{Name: p.Name, Typ: paramType(t, p.Type)})
		}
		stmts = append(stmts, &sql.Drop{Kind: "FUNCTION", ObjectType: "IF", Name: name}, &sql.Batch{}, fn, &sql.Batch{})
	} else {
		stmts = append(stmts, &sql.Drop{Kind: "VIEW", ObjectType: "V", Name: name}, &sql.Batch{},
			&sql.CreateView{Name: name, Q: body}, &sql.Batch{})
	}
	b.WriteString(sql.Print(t, stmts))
	fmt.Fprint(env.Stdout, b.String())
	return ExitOK
}

func viewList(vs []*plan.View) string {
	var names []string
	for _, v := range vs {
		names = append(names, sql.ViewName(v))
	}
	return strings.Join(names, ", ")
}

func paramType(t sql.Target, ty query.Type) string {
	switch ty.Kind {
	case query.Integer:
		return t.TypeName(sql.TBigInt)
	case query.Decimal:
		return t.TypeName(sql.TDecimal)
	case query.Boolean:
		return t.TypeName(sql.TBool)
	}
	return t.TypeName(sql.TText)
}

// runLocal evaluates the views the query reads with the runtime (only the
// columns it uses) into NDJSON files, loads them into the embedded DuckDB
// with the column types the views have in DuckDB SQL, and runs the DuckDB
// translation of the query.
func runLocal(env *Env, q *query.Compiled, inputs []string, format, out string, verifyRows bool) int {
	if !duckdbengine.Available {
		fmt.Fprintln(env.Stderr, "fhirql query: this build has no embedded DuckDB (built without cgo): use --target to print the query")
		return ExitErrors
	}
	tmp, err := os.MkdirTemp("", "fhirql-query-")
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
		return ExitErrors
	}
	defer os.RemoveAll(tmp)
	var pruned []*plan.View
	for _, v := range q.Views {
		pruned = append(pruned, query.Prune(v, q.Used[v]))
	}
	ctx := context.Background()
	sum, err := runtime.Run(ctx, pruned, runtime.Options{Inputs: inputs, Stdin: env.Stdin, Format: "ndjson", OutDir: tmp})
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
		return ExitErrors
	}
	for i, v := range sum.Views {
		for _, u := range v.Unfit {
			fmt.Fprintf(env.Stderr, "fhirql query: view %s, column %s: %d value(s) did not fit %s and are NULL\n", pruned[i].Name, u.Column, u.N, u.Rule)
		}
	}
	dl := duckdb.New(duckdb.Options{})
	var loads []duckdbengine.Load
	for i, v := range pruned {
		c, dg := sql.Emit(v, dl)
		if dg.HasErrors() {
			diag.RenderText(env.Stderr, dg)
			return ExitErrors
		}
		path := sum.Views[i].Path
		if path == "" {
			path = filepath.Join(tmp, sql.ViewName(v)+".ndjson")
		}
		loads = append(loads, duckdbengine.Load{Name: sql.ViewName(v), File: path, Columns: c.Columns})
	}
	text := sql.PrintQuery(dl, q.Query)
	if format == "parquet" {
		tmpOut := out + ".tmp-fhirql"
		if _, err := duckdbengine.RunQuery(ctx, duckdbengine.Options{}, nil, loads, text, tmpOut); err != nil {
			os.Remove(tmpOut)
			fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
			return ExitErrors
		}
		if err := os.Rename(tmpOut, out); err != nil {
			fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
			return ExitErrors
		}
		return ExitOK
	}
	r, err := duckdbengine.RunQuery(ctx, duckdbengine.Options{}, nil, loads, text, "")
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
		return ExitErrors
	}
	if verifyRows {
		if code := verifyQuery(env, ctx, q, inputs, text, r); code != ExitOK {
			return code
		}
	}
	if format == "" {
		format = "csv"
		if f, ok := env.Stdout.(*os.File); ok && out == "" {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "table"
			}
		}
	}
	var sb strings.Builder
	writeRows(&sb, format, r)
	if out == "" {
		fmt.Fprint(env.Stdout, sb.String())
		return ExitOK
	}
	if err := writeAll(filepath.Dir(out), []outFile{{name: filepath.Base(out), data: []byte(sb.String())}}); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql query: %v\n", err)
		return ExitErrors
	}
	return ExitOK
}

// cellText is a cell as CSV and table text: NULL is empty, times ISO 8601.
func cellText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case []byte:
		return string(x), true
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02"), true
		}
		return x.Format(time.RFC3339Nano), true
	case fmt.Stringer:
		return x.String(), true
	}
	return fmt.Sprint(v), true
}

func writeRows(w io.Writer, format string, r *duckdbengine.Result) {
	switch format {
	case "ndjson":
		for _, row := range r.Rows {
			var b strings.Builder
			b.WriteString("{")
			for i, c := range r.Columns {
				if i > 0 {
					b.WriteString(",")
				}
				k, _ := json.Marshal(c)
				b.Write(k)
				b.WriteString(":")
				b.WriteString(jsonCell(row[i]))
			}
			b.WriteString("}\n")
			io.WriteString(w, b.String())
		}
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(r.Columns, "\t"))
		for _, row := range r.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				s, ok := cellText(v)
				if !ok {
					s = "NULL"
				}
				cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
		fmt.Fprintf(w, "(%d rows)\n", len(r.Rows))
	default:
		cw := csv.NewWriter(w)
		cw.Write(r.Columns)
		for _, row := range r.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i], _ = cellText(v)
			}
			cw.Write(cells)
		}
		cw.Flush()
	}
}

func jsonCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool, int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64:
		b, _ := json.Marshal(x)
		return string(b)
	}
	s, _ := cellText(v)
	if d, ok := v.(interface{ Float64() float64 }); ok && s != "" {
		_ = d
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// verifyQuery runs the query again over the views compiled to DuckDB SQL
// (reading the NDJSON files directly, as 'fhirql verify' does for views)
// and compares the rows with the local run's: in order when the query
// orders its rows, as multisets otherwise.
func verifyQuery(env *Env, ctx context.Context, q *query.Compiled, inputs []string, text string, local *duckdbengine.Result) int {
	files, err := verify.Files(inputs)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql query: --verify: %v\n", err)
		return ExitErrors
	}
	t := duckdb.New(duckdb.Options{Files: files})
	var setup []string
	for _, v := range q.Views {
		c, dl := sql.Emit(v, t)
		if dl.HasErrors() {
			diag.RenderText(env.Stderr, dl)
			return ExitErrors
		}
		setup = append(setup, sql.Print(t, t.Create(c)))
	}
	viaSQL, err := duckdbengine.RunQuery(ctx, duckdbengine.Options{}, setup, nil, text, "")
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql query: --verify: the DuckDB SQL views failed: %v\n", err)
		return ExitErrors
	}
	a, b := rowTexts(local), rowTexts(viaSQL)
	if !ordered(q.Query) {
		sort.Strings(a)
		sort.Strings(b)
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			fmt.Fprintf(env.Stderr, "fhirql query: --verify: the runtime gives %d rows and the DuckDB SQL views %d; first difference at row %d:\n", len(a), len(b), i+1)
			if i < len(a) {
				fmt.Fprintf(env.Stderr, "  runtime:    %s\n", a[i])
			}
			if i < len(b) {
				fmt.Fprintf(env.Stderr, "  DuckDB SQL: %s\n", b[i])
			}
			return ExitErrors
		}
	}
	fmt.Fprintf(env.Stderr, "verified: %d rows, the same from the runtime and from the DuckDB SQL views\n", len(a))
	return ExitOK
}

func ordered(q sql.Query) bool {
	s, ok := q.(*sql.Select)
	return ok && len(s.OrderBy) > 0
}

func rowTexts(r *duckdbengine.Result) []string {
	var out []string
	for _, row := range r.Rows {
		var cells []string
		for _, v := range row {
			s, ok := cellText(v)
			if !ok {
				s = "NULL"
			}
			cells = append(cells, strconv.Quote(s))
		}
		out = append(out, strings.Join(cells, ", "))
	}
	return out
}
