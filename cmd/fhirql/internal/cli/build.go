package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
	"github.com/fhirql/fhirql/lang/diag"
)

func init() {
	register("build", "compile views to T-SQL for Synapse serverless, Synapse dedicated or SQL Server, or to DuckDB SQL", runBuild)
}

const buildSummary = `Compiles views to T-SQL or DuckDB SQL. Without --out the deployment script goes to stdout;
with --out DIR, fhirql writes one script per view, deploy.sql (every object in
dependency order, safe to re-run) and manifest.json (each view's columns).

Targets:
  serverless  views over the NDJSON in the lake (OPENROWSET + OPENJSON),
              optionally materialised as Parquet (--materialize parquet)
  dedicated   COPY INTO a staging heap per resource type, then CREATE TABLE AS SELECT
  sqlserver   views (or SELECT INTO) over a table with one NDJSON line per row
  duckdb      views (or tables, --select-into) that DuckDB runs directly over
              the NDJSON files (read as lines of text)

Every target also gets one rejects view per source, fhirql_<Resource>_rejects
(sqlserver: <table>_rejects): the lines no view reads (not JSON, not UTF-8, no
resourceType) and why. See docs/input.md.

--source is a lake path pattern with a {resource} placeholder for serverless and
dedicated ('https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson'), a
table name for sqlserver (dbo.fhir_raw), and a path or glob with {resource}
for duckdb (default '{resource}*.ndjson', relative to where DuckDB runs).`

type buildFlags struct {
	target, source, out, schema                string
	dataSource, materialize, parquetLocation   string
	repeatDepth                                int
	distribution, index, credential, docColumn string
	selectInto, queryOnly                      bool
	schemaSet                                  bool // --schema given explicitly
}

// targetFlags says which flags each target accepts, so that a flag given to
// the wrong target is a usage error rather than silently ignored.
var targetFlags = map[string]map[string]bool{
	"serverless": {"data-source": true, "materialize": true, "parquet-location": true, "repeat-depth": true},
	"dedicated":  {"repeat-depth": true, "distribution": true, "index": true, "credential": true, "select-into": true},
	"sqlserver":  {"doc-column": true, "select-into": true},
	"duckdb":     {"repeat-depth": true, "select-into": true},
}

func runBuild(env *Env, args []string) int {
	var f buildFlags
	fs := newFlags(env, "build", "PATH...", buildSummary)
	fs.StringVar(&f.target, "target", "", "serverless, dedicated, sqlserver or duckdb (required)")
	fs.StringVar(&f.source, "source", "", "where the NDJSON lines are: lake path pattern with {resource}, or (sqlserver) a table name")
	fs.StringVar(&f.out, "out", "", "write per-view scripts, deploy.sql and manifest.json to this directory")
	fs.StringVar(&f.schema, "schema", "dbo", "schema of the created views and tables")
	fs.StringVar(&f.dataSource, "data-source", "", "serverless: EXTERNAL DATA SOURCE holding the credential (--source is then relative to it)")
	fs.StringVar(&f.materialize, "materialize", "", "serverless: \"parquet\" adds CETAS statements writing each view as Parquet")
	fs.StringVar(&f.parquetLocation, "parquet-location", "", "serverless: lake folder for --materialize parquet")
	fs.IntVar(&f.repeatDepth, "repeat-depth", 8, "serverless, dedicated, duckdb: levels of repeat to unroll (duckdb: only for repeat paths with functions); deeper data fails the query")
	fs.StringVar(&f.distribution, "distribution", "ROUND_ROBIN", "dedicated: ROUND_ROBIN, REPLICATE or HASH(column)")
	fs.StringVar(&f.index, "index", "CLUSTERED COLUMNSTORE INDEX", "dedicated: CLUSTERED COLUMNSTORE INDEX or HEAP")
	fs.StringVar(&f.credential, "credential", "", "dedicated: COPY INTO credential identity, e.g. \"Managed Identity\"")
	fs.StringVar(&f.docColumn, "doc-column", "doc", "sqlserver: the column of the --source table holding the JSON")
	fs.BoolVar(&f.selectInto, "select-into", false, "dedicated, sqlserver, duckdb: build tables with SELECT ... INTO (dedicated default: CTAS; sqlserver default: views; duckdb: CREATE TABLE AS)")
	fs.BoolVar(&f.queryOnly, "query-only", false, "print only each view's SELECT, without DDL")
	paths, err := parseFlags(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return ExitOK
		}
		return ExitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql build: "+format+"\n", a...)
		fmt.Fprintln(env.Stderr, "Run 'fhirql build -h' for usage.")
		return ExitUsage
	}
	if len(paths) == 0 {
		return usageErr("no view files or directories given")
	}
	allowed, ok := targetFlags[f.target]
	if !ok {
		if f.target == "" {
			return usageErr("--target is required (serverless, dedicated, sqlserver or duckdb)")
		}
		return usageErr("unknown target %q (want serverless, dedicated, sqlserver or duckdb)", f.target)
	}
	var bad []string
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "schema" {
			f.schemaSet = true
		}
		if _, specific := flagTargets(fl.Name); specific && !allowed[fl.Name] {
			bad = append(bad, "--"+fl.Name)
		}
	})
	if len(bad) > 0 {
		return usageErr("%s not valid with --target %s", strings.Join(bad, ", "), f.target)
	}
	target, msg := makeTarget(&f)
	if msg != "" {
		return usageErr("%s", msg)
	}

	res := compiler.Load(paths, r4.Catalog())
	diags := res.Diags
	views := res.Views()
	var compiled []*sql.Compiled
	if !diags.HasErrors() {
		for _, v := range views {
			c, dl := sql.Emit(v, target)
			diags = append(diags, dl...)
			if c != nil {
				compiled = append(compiled, c)
			}
		}
	}
	if len(diags) > 0 {
		diag.RenderText(env.Stderr, diags)
	}
	if diags.HasErrors() {
		return ExitErrors
	}
	if len(compiled) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql build: no views found")
		return ExitErrors
	}
	if f.queryOnly {
		for i, c := range compiled {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "-- %s\n%s;\n", sql.ViewName(c.View), sql.PrintQuery(target, c.Query))
		}
		return ExitOK
	}
	if f.out == "" {
		fmt.Fprint(env.Stdout, sql.DeployScript(target, compiled))
		return ExitOK
	}
	if err := writeOutputs(f.out, target, compiled); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql build: %v\n", err)
		return ExitErrors
	}
	return ExitOK
}

// flagTargets reports whether a flag is target-specific.
func flagTargets(name string) ([]string, bool) {
	var ts []string
	for t, fl := range targetFlags {
		if fl[name] {
			ts = append(ts, t)
		}
	}
	return ts, len(ts) > 0
}

func makeTarget(f *buildFlags) (sql.Target, string) {
	if !sql.ValidIdent(f.schema) {
		return nil, fmt.Sprintf("invalid --schema %q", f.schema)
	}
	if f.repeatDepth < 1 || f.repeatDepth > 12 {
		return nil, fmt.Sprintf("--repeat-depth must be between 1 and 12, not %d", f.repeatDepth)
	}
	switch f.target {
	case "serverless", "dedicated", "duckdb":
		if err := checkLocation("--source", f.source); err != "" {
			return nil, err
		}
	}
	switch f.target {
	case "serverless":
		if f.materialize != "" && f.materialize != "parquet" {
			return nil, fmt.Sprintf("--materialize must be \"parquet\", not %q", f.materialize)
		}
		if (f.materialize == "") != (f.parquetLocation == "") {
			return nil, "--materialize parquet and --parquet-location go together"
		}
		if err := checkLocation("--parquet-location", f.parquetLocation); err != "" {
			return nil, err
		}
		if f.dataSource != "" && !sql.ValidIdent(f.dataSource) {
			return nil, fmt.Sprintf("invalid --data-source %q", f.dataSource)
		}
		return serverless.New(serverless.Options{Source: f.source, DataSource: f.dataSource, Schema: f.schema,
			RepeatDepth: f.repeatDepth, Parquet: f.parquetLocation}), ""
	case "dedicated":
		if !dedicated.ValidDistribution(f.distribution) {
			return nil, fmt.Sprintf("invalid --distribution %q (want ROUND_ROBIN, REPLICATE or HASH(column))", f.distribution)
		}
		if !dedicated.ValidIndex(f.index) {
			return nil, fmt.Sprintf("invalid --index %q (want \"CLUSTERED COLUMNSTORE INDEX\" or HEAP)", f.index)
		}
		if err := checkLocation("--credential", f.credential); err != "" {
			return nil, err
		}
		return dedicated.New(dedicated.Options{Source: f.source, Credential: f.credential, Schema: f.schema,
			Distribution: f.distribution, Index: f.index, SelectInto: f.selectInto, RepeatDepth: f.repeatDepth}), ""
	case "duckdb":
		// DuckDB has no dbo: without --schema, views go to the current schema.
		schema := ""
		if f.schemaSet {
			schema = f.schema
		}
		return duckdb.New(duckdb.Options{Source: f.source, Schema: schema, Tables: f.selectInto, RepeatDepth: f.repeatDepth}), ""
	default:
		table := sql.ObjectName{"dbo", "fhir_raw"}
		if f.source != "" {
			t, err := sql.ParseObjectName(f.source)
			if err != nil {
				return nil, fmt.Sprintf("--source for sqlserver is a table name: %v", err)
			}
			table = t
		}
		if !sql.ValidIdent(f.docColumn) {
			return nil, fmt.Sprintf("invalid --doc-column %q", f.docColumn)
		}
		return sqlserver.New(sqlserver.Options{Table: table, DocColumn: f.docColumn, Schema: f.schema, SelectInto: f.selectInto}), ""
	}
}

// checkLocation rejects control characters: a location is printed inside a
// literal where no concatenation is allowed (BULK '...').
func checkLocation(flagName, s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("%s contains a control character", flagName)
		}
	}
	return ""
}

// Manifest describes the objects a build created, for tools that load them.
type Manifest struct {
	Target string         `json:"target"`
	Views  []ManifestView `json:"views"`
}

// ManifestView is one view in manifest.json.
type ManifestView struct {
	Name        string           `json:"name"`
	Resource    string           `json:"resource"`
	Object      string           `json:"object"`
	Source      string           `json:"source,omitempty"`
	Script      string           `json:"script"`
	Description string           `json:"description,omitempty"`
	Columns     []sql.ColumnInfo `json:"columns"`
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// scriptNames gives each view a distinct, safe file name: view names from
// ViewDefinition JSON may hold any character.
func scriptNames(cs []*sql.Compiled) []string {
	used := map[string]bool{"deploy.sql": true, "manifest.json": true}
	var out []string
	for _, c := range cs {
		base := unsafeFileChars.ReplaceAllString(sql.ViewName(c.View), "_")
		base = strings.TrimLeft(base, ".")
		if base == "" {
			base = "view"
		}
		name := base + ".sql"
		for i := 2; used[strings.ToLower(name)]; i++ {
			name = fmt.Sprintf("%s_%d.sql", base, i)
		}
		used[strings.ToLower(name)] = true
		out = append(out, name)
	}
	return out
}

func writeOutputs(dir string, t sql.Target, cs []*sql.Compiled) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := scriptNames(cs)
	m := Manifest{Target: t.Name()}
	for i, c := range cs {
		if err := writeAtomic(filepath.Join(dir, names[i]), []byte(sql.ViewScript(t, c))); err != nil {
			return err
		}
		m.Views = append(m.Views, manifestView(t, c, names[i]))
	}
	if err := writeAtomic(filepath.Join(dir, "deploy.sql"), []byte(sql.DeployScript(t, cs))); err != nil {
		return err
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "manifest.json"), append(js, '\n'))
}

func manifestView(t sql.Target, c *sql.Compiled, script string) ManifestView {
	v := c.View
	mv := ManifestView{
		Name:        sql.ViewName(v),
		Resource:    v.Resource,
		Object:      objectText(t, t.Object(v)),
		Script:      script,
		Description: v.Description,
		Columns:     c.Columns,
	}
	if v.File != nil {
		mv.Source = filepath.ToSlash(v.File.Name)
	}
	if mv.Columns == nil {
		mv.Columns = []sql.ColumnInfo{}
	}
	return mv
}

func objectText(t sql.Target, n sql.ObjectName) string {
	parts := make([]string, len(n))
	for i, p := range n {
		parts[i] = t.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// writeAtomic writes through a temporary file in the same directory and
// renames it, so a reader never sees a half-written script.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Chmod(name, 0o644); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
