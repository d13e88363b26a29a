package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/fhirql/fhirql/compiler/expect"
	"github.com/fhirql/fhirql/compiler/plan"
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
	"github.com/fhirql/fhirql/internal/outname"
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
dedicated, where it is required, matching the export's file names exactly
('https://acct.dfs.core.windows.net/fhir/{resource}-*.ndjson' for Azure Health
Data Services, '.../*.{resource}.ndjson' for SMART Bulk Data); both pools read
the matching files in the folder and its subfolders. It is a table name for
sqlserver (dbo.fhir_raw), and a path or glob with {resource} for duckdb
(default '{resource}*.ndjson', relative to where DuckDB runs).

Column types are sized where the catalog bounds them (an id: NVARCHAR(64)); a
longer value fails the query with a message, never cut. Dedicated tables are
clustered columnstore unless a column stays NVARCHAR(MAX) (then HEAP). Scripts
re-run: --materialize parquet writes a new folder per run. See docs/sql.md.
{resource} is the only placeholder; it is replaced by each view's resource type.

Each expectation of a view (expect rules) becomes a view of the rows that fail
it, <view>__expect_<rule>, created after the views (docs/expect.md).`

type buildFlags struct {
	target, source, out, schema                string
	dataSource, materialize, parquetLocation   string
	auth                                       string
	repeatDepth                                int
	distribution, index, credential, docColumn string
	selectInto, queryOnly                      bool
	schemaSet                                  bool // --schema given explicitly
	exports                                    string
	incremental                                bool
	deleted                                    string
}

// targetFlags says which flags each target accepts, so that a flag given to
// the wrong target is a usage error rather than silently ignored.
var targetFlags = map[string]map[string]bool{
	"serverless": {"data-source": true, "materialize": true, "parquet-location": true, "repeat-depth": true, "auth": true, "exports": true},
	"dedicated":  {"repeat-depth": true, "distribution": true, "index": true, "credential": true, "select-into": true, "incremental": true, "deleted": true},
	"sqlserver":  {"doc-column": true, "select-into": true, "incremental": true, "deleted": true},
	"duckdb":     {"repeat-depth": true, "select-into": true, "exports": true, "incremental": true},
}

func runBuild(env *Env, args []string) int {
	var f buildFlags
	fs := newFlags(env, "build", "PATH...", buildSummary)
	f.define(fs)
	fs.StringVar(&f.out, "out", "", "write per-view scripts, deploy.sql and manifest.json to this directory")
	fs.BoolVar(&f.queryOnly, "query-only", false, "print only each view's SELECT, without DDL")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	target, compiled, code := f.compile(env, fs, "build", paths)
	if target == nil {
		return code
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
	if f.incremental {
		inc, ok := target.(interface {
			IncrementalScript([]*sql.Compiled) []sql.Stmt
		})
		if !ok {
			fmt.Fprintf(env.Stderr, "fhirql build: --target %s has no incremental load script\n", f.target)
			return ExitUsage
		}
		script := sql.Print(target, inc.IncrementalScript(compiled))
		if f.out == "" {
			fmt.Fprint(env.Stdout, script)
			return ExitOK
		}
		err := os.MkdirAll(f.out, 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(f.out, "incremental.sql"), []byte(script), 0o644)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql build: %v\n", err)
			return ExitErrors
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

// define declares the flags that choose and configure a target, which
// build and deploy share.
func (f *buildFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.target, "target", "", "serverless, dedicated, sqlserver or duckdb (required)")
	fs.StringVar(&f.source, "source", "", "where the NDJSON lines are: lake path pattern with {resource}, or (sqlserver) a table name")
	fs.StringVar(&f.exports, "exports", "", "duckdb, serverless: the Bulk Data export folders (a glob; serverless: a location ending in /*); views read the current state over them (latest version, deletions; docs/versions.md), --source then names the files inside each folder")
	fs.BoolVar(&f.incremental, "incremental", false, "duckdb (with --exports FOLDER), dedicated (with --source in one export's folder) and sqlserver (--source, a table holding one export's lines): a load script applying that one export to tables of the current state (rows end with _resource_key); re-runnable")
	fs.StringVar(&f.deleted, "deleted", "", "dedicated, sqlserver, with --incremental: the export's deletion lists, a lake location (dedicated: .../deleted/*.ndjson) or a table of their lines (sqlserver); omit when it has none")
	fs.StringVar(&f.schema, "schema", "dbo", "schema of the created views and tables")
	fs.StringVar(&f.dataSource, "data-source", "", "serverless: EXTERNAL DATA SOURCE holding the credential (--source is then relative to it)")
	fs.StringVar(&f.materialize, "materialize", "", "serverless: \"parquet\" adds CETAS statements writing each view as Parquet")
	fs.StringVar(&f.parquetLocation, "parquet-location", "", "serverless: lake folder for --materialize parquet")
	fs.StringVar(&f.auth, "auth", "", "serverless: how the Parquet output data source reaches storage: passthrough (default: the caller's Entra identity), managed-identity (the workspace's) or sas (a credential you create)")
	fs.IntVar(&f.repeatDepth, "repeat-depth", 8, "serverless, dedicated, duckdb: levels of repeat to unroll (duckdb: only for repeat paths with functions); deeper data fails the query")
	fs.StringVar(&f.distribution, "distribution", "ROUND_ROBIN", "dedicated: ROUND_ROBIN, REPLICATE or HASH(column)")
	fs.StringVar(&f.index, "index", "", "dedicated: CLUSTERED COLUMNSTORE INDEX or HEAP (default: columnstore when every column has a sized type, else HEAP)")
	fs.StringVar(&f.credential, "credential", "", "dedicated: COPY INTO credential identity, e.g. \"Managed Identity\"")
	fs.StringVar(&f.docColumn, "doc-column", "doc", "sqlserver: the column of the --source table holding the JSON")
	fs.BoolVar(&f.selectInto, "select-into", false, "dedicated, sqlserver, duckdb: build tables with SELECT ... INTO (dedicated default: CTAS; sqlserver default: views; duckdb: CREATE TABLE AS)")
}

// compile checks the target flags, loads the views at paths and compiles
// them for the target, printing diagnostics and usage errors as cmd. On
// failure the target is nil and code is the exit code.
func (f *buildFlags) compile(env *Env, fs *flag.FlagSet, cmd string, paths []string) (target sql.Target, compiled []*sql.Compiled, code int) {
	usageErr := func(format string, a ...any) (sql.Target, []*sql.Compiled, int) {
		fmt.Fprintf(env.Stderr, "fhirql "+cmd+": "+format+"\n", a...)
		fmt.Fprintf(env.Stderr, "Run 'fhirql %s -h' for usage.\n", cmd)
		return nil, nil, ExitUsage
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
	target, msg := makeTarget(f)
	if msg != "" {
		return usageErr("%s", msg)
	}

	res := compiler.Load(paths, r4.Catalog())
	diags := res.Diags
	views := res.Views()
	if !diags.HasErrors() {
		byName := map[string]*plan.View{}
		for _, v := range views {
			byName[v.Name] = v
		}
		for _, v := range views {
			if f.incremental {
				v = plan.WithKey(v) // the load script deletes rows by key
			}
			c, dl := sql.Emit(v, target)
			diags = append(diags, dl...)
			if c == nil {
				continue
			}
			if f.queryOnly {
				// --query-only prints the views' SELECTs alone: the rules'
				// views are not printed, so a rule naming a view left out
				// of the command is no reason to fail.
				compiled = append(compiled, c)
				continue
			}
			// Each expectation becomes a view of the rows that fail it.
			rules, _ := expect.Check(v) // Load reported its diagnostics
			tests, dl := expect.Tests(target, v, rules, func(v *plan.View) sql.Source {
				return &sql.Table{Name: target.Object(v)}
			}, byName)
			diags = append(diags, dl...)
			c.Tests = expect.Stmts(target, tests)
			compiled = append(compiled, c)
		}
	}
	if len(diags) > 0 {
		diag.RenderText(env.Stderr, diags)
	}
	if diags.HasErrors() {
		return nil, nil, ExitErrors
	}
	if len(compiled) == 0 {
		fmt.Fprintf(env.Stderr, "fhirql %s: no views found\n", cmd)
		return nil, nil, ExitErrors
	}
	if f.target == "serverless" || f.target == "dedicated" {
		for _, w := range overlapWarnings(f.source, sql.Resources(compiled)) {
			fmt.Fprintln(env.Stderr, "fhirql "+cmd+": warning: "+w)
		}
	}
	return target, compiled, ExitOK
}

// overlapWarnings says which resource types a --source pattern with
// "{resource}*" also matches the files of: Medication* matches
// MedicationRequest-1.ndjson. The rows stay right (each view keeps its own
// resourceType), but both pools read, bill and (COPY INTO) stage the other
// files; the exact patterns of the export layouts avoid it.
func overlapWarnings(source string, resources []string) []string {
	if source == "" {
		source = "{resource}*.ndjson"
	}
	name := source[strings.LastIndexByte(source, '/')+1:]
	if !strings.Contains(name, "{resource}*") {
		return nil
	}
	var out []string
	all := r4.Catalog().ResourceNames()
	for _, r := range resources {
		var also []string
		for _, o := range all {
			if o != r && strings.HasPrefix(o, r) {
				also = append(also, o)
			}
		}
		if len(also) > 0 {
			out = append(out, fmt.Sprintf("--source %q reads the %s files of %s too, for %s: the rows stay right, but both pools read (and bill) them; "+
				"use the export's exact pattern: {resource}-*.ndjson (Azure Health Data Services), *.{resource}.ndjson (SMART Bulk Data server and client), {resource}.*.ndjson or {resource}.ndjson (docs/sql.md, Files)",
				source, strings.Join(also, ", "), r, r))
		}
	}
	return out
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
	if f.incremental && f.exports == "" && f.target == "duckdb" {
		return nil, "--incremental applies one export: name its folder with --exports FOLDER"
	}
	if f.deleted != "" && !f.incremental {
		return nil, "--deleted names the deletion lists an --incremental load script reads: add --incremental"
	}
	switch f.target {
	case "serverless", "dedicated":
		if f.target == "serverless" && f.exports != "" {
			// --source names the files inside each export folder.
			if strings.Count(f.exports, "*") != 1 || !strings.HasSuffix(f.exports, "/*") {
				return nil, fmt.Sprintf("--exports for serverless is the export folders' location ending in one wildcard, e.g. 'https://acct.dfs.core.windows.net/fhir/exports/*', not %q", f.exports)
			}
			if err := checkLocation("--exports", f.exports); err != "" {
				return nil, err
			}
			if f.source == "" {
				f.source = "{resource}*.ndjson"
			}
			if err := checkPlaceholders(f.source); err != "" {
				return nil, err
			}
			break
		}
		if f.source == "" {
			// A default such as 'Observation*.ndjson' names no storage
			// account: the script would compile and then fail to deploy.
			return nil, fmt.Sprintf("--target %s needs --source, the lake location of the NDJSON files with a {resource} placeholder, e.g. --source 'https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson' (with --data-source, a path relative to it)", f.target)
		}
		fallthrough
	case "duckdb":
		if err := checkLocation("--source", f.source); err != "" {
			return nil, err
		}
		if err := checkPlaceholders(f.source); err != "" {
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
		if !serverless.ValidAuth(f.auth) {
			return nil, fmt.Sprintf("invalid --auth %q (want passthrough, managed-identity or sas)", f.auth)
		}
		if f.auth != "" && f.materialize == "" {
			return nil, "--auth applies to the Parquet output (--materialize parquet); reading the NDJSON uses --data-source's credential, or the caller's identity"
		}
		return serverless.New(serverless.Options{Source: f.source, DataSource: f.dataSource, Schema: f.schema,
			RepeatDepth: f.repeatDepth, Parquet: f.parquetLocation, Auth: f.auth, Exports: strings.TrimSuffix(f.exports, "/")}), ""
	case "dedicated":
		if !dedicated.ValidDistribution(f.distribution) {
			return nil, fmt.Sprintf("invalid --distribution %q (want ROUND_ROBIN, REPLICATE or HASH(column))", f.distribution)
		}
		if !dedicated.ValidIndex(f.index) {
			return nil, fmt.Sprintf("invalid --index %q (want \"CLUSTERED COLUMNSTORE INDEX\" or HEAP)", f.index)
		}
		if f.selectInto && f.index != "" {
			return nil, "--index does not apply to --select-into (SELECT INTO always makes a clustered columnstore table); use CREATE TABLE AS SELECT, the default"
		}
		if err := checkLocation("--credential", f.credential); err != "" {
			return nil, err
		}
		return dedicated.New(dedicated.Options{Source: f.source, Credential: f.credential, Schema: f.schema,
			Distribution: f.distribution, Index: f.index, SelectInto: f.selectInto, RepeatDepth: f.repeatDepth,
			Incremental: f.incremental, Deleted: f.deleted}), ""
	case "duckdb":
		// DuckDB has no dbo: without --schema, views go to the current schema.
		schema := ""
		if f.schemaSet {
			schema = f.schema
		}
		return duckdb.New(duckdb.Options{Source: f.source, Schema: schema, Tables: f.selectInto, RepeatDepth: f.repeatDepth, Exports: f.exports}), ""
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
		var deleted sql.ObjectName
		if f.deleted != "" {
			t, err := sql.ParseObjectName(f.deleted)
			if err != nil {
				return nil, fmt.Sprintf("--deleted for sqlserver is the table of the export's deletion lists: %v", err)
			}
			deleted = t
		}
		return sqlserver.New(sqlserver.Options{Table: table, DocColumn: f.docColumn, Schema: f.schema, SelectInto: f.selectInto,
			Incremental: f.incremental, Deleted: deleted}), ""
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

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// checkPlaceholders rejects a {placeholder} other than {resource} in
// --source: a misspelt one ({Resource}, {type}) would stay in the path
// literally and the query would find no files.
func checkPlaceholders(source string) string {
	for _, p := range placeholderRE.FindAllString(source, -1) {
		if p != "{resource}" {
			return fmt.Sprintf("--source has the placeholder %s; the only placeholder is {resource} (lower case), replaced by each view's resource type", p)
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

// scriptNames gives each view a distinct, safe file name: view names from
// ViewDefinition JSON may hold any character (outname is the one rule of
// every command that writes a file per view).
func scriptNames(cs []*sql.Compiled) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = sql.ViewName(c.View)
	}
	return outname.Files(names, ".sql", "deploy.sql", "manifest.json")
}

func writeOutputs(dir string, t sql.Target, cs []*sql.Compiled) error {
	names := scriptNames(cs)
	m := Manifest{Target: t.Name()}
	var files []outFile
	for i, c := range cs {
		files = append(files, outFile{names[i], []byte(sql.ViewScript(t, c))})
		m.Views = append(m.Views, manifestView(t, c, names[i]))
	}
	files = append(files, outFile{"deploy.sql", []byte(sql.DeployScript(t, cs))})
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	files = append(files, outFile{"manifest.json", append(js, '\n')})
	return writeAll(dir, files)
}

func manifestView(t sql.Target, c *sql.Compiled, script string) ManifestView {
	v := c.View
	mv := ManifestView{
		Name:        sql.ViewName(v),
		Resource:    v.Resource,
		Object:      sql.QuoteObject(t, t.Object(v)),
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
