package cli

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/fhirql/fhirql/internal/outname"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/viewdef"
)

func init() {
	register("viewdef", "export views as SQL on FHIR ViewDefinition JSON", runViewdef)
}

func runViewdef(env *Env, args []string) int {
	fs := newFlags(env, "viewdef", "PATH...", "Writes each view as a SQL on FHIR v2 ViewDefinition, with the constants it uses inlined so\nthe JSON stands alone. One view goes to stdout as an object, several as a JSON array;\nwith --out, one <view>.json file per view.")
	outDir := fs.String("out", "", "directory for one <view>.json per view")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "fhirql viewdef: name at least one .fview or ViewDefinition JSON file or directory")
		fs.Usage()
		return ExitUsage
	}
	res := loadOrReport(env, paths)
	if res == nil {
		return ExitErrors
	}
	type doc struct {
		name string
		json []byte
	}
	var docs []doc
	for _, ns := range res.Namespaces {
		var dirConsts []*ast.Const
		for _, f := range ns.Files {
			dirConsts = append(dirConsts, f.Consts...)
		}
		for _, f := range ns.Files {
			for _, v := range f.Views {
				// ViewDefinition has no column groups: export the checked
				// view, whose group uses are expanded into plain columns.
				if cv := ns.Checked.ViewOf(v); cv != nil {
					v = cv.AST
				}
				b, err := viewdef.WriteShared(asResource(v), dirConsts)
				if err != nil {
					fmt.Fprintf(env.Stderr, "fhirql viewdef: %s: %v\n", f.Source.Name, err)
					return ExitErrors
				}
				name := v.Name
				if name == "" {
					name = trimExt(filepath.Base(f.Source.Name))
				}
				docs = append(docs, doc{name, b})
			}
		}
	}
	if *outDir != "" {
		names := make([]string, len(docs))
		for i, d := range docs {
			names[i] = d.name
		}
		files := make([]outFile, len(docs))
		for i, name := range outname.Files(names, ".json") {
			files[i] = outFile{name, docs[i].json}
		}
		if err := writeAll(*outDir, files); err != nil {
			fmt.Fprintf(env.Stderr, "fhirql viewdef: %v\n", err)
			return ExitErrors
		}
		return ExitOK
	}
	if len(docs) == 1 {
		env.Stdout.Write(docs[0].json)
		return ExitOK
	}
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, d := range docs {
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.Write(bytes.TrimRight(d.json, "\n"))
	}
	buf.WriteString("\n]\n")
	env.Stdout.Write(buf.Bytes())
	return ExitOK
}

func trimExt(name string) string {
	return name[:len(name)-len(filepath.Ext(name))]
}

// asResource returns a copy of v that is a complete ViewDefinition resource:
// resourceType and the required status are added when the source did not say
// them (a .fview usually does not), so FHIR servers accept the export.
func asResource(v *ast.View) *ast.View {
	has := map[string]bool{}
	for _, a := range v.Attrs {
		has[a.Key] = true
	}
	c := *v
	c.Attrs = append([]*ast.Attr(nil), v.Attrs...)
	if !has["resourceType"] {
		c.Attrs = append(c.Attrs, &ast.Attr{Key: "resourceType", JSON: `"ViewDefinition"`})
	}
	if !has["status"] {
		c.Attrs = append(c.Attrs, &ast.Attr{Key: "status", JSON: `"draft"`})
	}
	return &c
}
