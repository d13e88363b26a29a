package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/schema"
)

func init() {
	register("schema", "write the data dictionary of views: columns, types per target, definitions, joins", runSchema)
}

const schemaSummary = `Writes the data dictionary of the views: every view with its grain and key,
every column with its FHIR type, its SQL type on each target (serverless,
dedicated, sqlserver, duckdb; as fhirql build would create it), whether it
is a collection, its FHIRPath and the FHIR element's definition, and the
joins between views (a getReferenceKey(Patient) column to the key of the
Patient view; a view with forEach to its resource's main view).

Formats: md (Markdown, the joins as a Mermaid diagram), html (one
self-contained page, the joins as an inline SVG diagram, no network
needed), json. Without --format the extension of --out decides (.html,
.json, else md).`

// schemaTargets are the targets whose SQL types the dictionary lists, in
// column order, built with fhirql build's defaults.
var schemaTargets = []string{"serverless", "dedicated", "sqlserver", "duckdb"}

func runSchema(env *Env, args []string) int {
	fs := newFlags(env, "schema", "PATH... [--format md|html|json] [--out FILE]", schemaSummary)
	format := fs.String("format", "", "md, html or json (default: from --out's extension, else md)")
	out := fs.String("out", "", "write to FILE instead of stdout")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql schema: name at least one view file or directory")
		fs.Usage()
		return ExitUsage
	}
	f := *format
	if f == "" {
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".html", ".htm":
			f = "html"
		case ".json":
			f = "json"
		default:
			f = "md"
		}
	}
	render := map[string]func(*bytes.Buffer, *schema.Dictionary) error{
		"md":   func(b *bytes.Buffer, d *schema.Dictionary) error { return schema.Markdown(b, d) },
		"html": func(b *bytes.Buffer, d *schema.Dictionary) error { return schema.HTML(b, d) },
		"json": func(b *bytes.Buffer, d *schema.Dictionary) error { return schema.JSON(b, d) },
	}[f]
	if render == nil {
		fmt.Fprintf(env.Stderr, "fhirql schema: --format must be md, html or json, not %q\n", f)
		return ExitUsage
	}
	var targets []schema.Target
	for _, name := range schemaTargets {
		// Only the column types matter here; the source is a stand-in, and
		// the dedicated layout is build's default (chosen per view).
		src := "https://account.dfs.core.windows.net/fhir/{resource}.ndjson"
		if name == "sqlserver" {
			src = ""
		}
		t, msg := makeTarget(&buildFlags{target: name, source: src, schema: "dbo", repeatDepth: 8,
			distribution: "ROUND_ROBIN", docColumn: "doc"})
		if msg != "" {
			fmt.Fprintf(env.Stderr, "fhirql schema: internal error: %s target: %s\n", name, msg)
			return ExitInternal
		}
		targets = append(targets, t)
	}
	res := loadOrReport(env, paths)
	if res == nil {
		return ExitErrors
	}
	views := res.Views()
	if len(views) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql schema: the given paths define no views")
		return ExitErrors
	}
	d := schema.Build(views, r4.Catalog(), targets)
	var b bytes.Buffer
	if err := render(&b, d); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql schema: %v\n", err)
		return ExitErrors
	}
	if *out == "" {
		env.Stdout.Write(b.Bytes())
		return ExitOK
	}
	if err := writeFileAtomic(*out, b.Bytes()); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql schema: %v\n", err)
		return ExitErrors
	}
	return ExitOK
}
