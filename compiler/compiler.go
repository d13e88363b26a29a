// Package compiler chains the front end: it loads .fview and ViewDefinition
// JSON files, parses them, checks each directory's files as one namespace, and
// lowers the views to plans.
//
// Each stage is a function from its input to (output, diagnostics); this
// façade stops before a stage whose input had errors (cel-go's CompileSource
// rule), so users see the first real problem instead of its cascade. Every
// command of the CLI and the language server go through here.
package compiler

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/expect"
	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
)

// Diagnostic codes of the façade.
const (
	CodeNoInput  diag.Code = "FQL1000" // a path names nothing fhirql can read
	CodeSkipped  diag.Code = "FQL1100" // (info) a JSON file of a directory that is no ViewDefinition
	CodeInternal diag.Code = "FQL9999" // a recovered panic: a bug in fhirql
)

// MaxViewFileBytes caps the size of one view file (.fview or ViewDefinition
// JSON). Real view files are kilobytes; the cap turns a wrong path (a data
// export, a disk image) into a clear error instead of gigabytes of memory
// for its text, tokens and diagnostics.
const MaxViewFileBytes = 16 << 20

// ReadViewFile reads a view file, refusing one larger than MaxViewFileBytes.
// It reads through a limit rather than trusting the size a stat reports, so
// the cap also holds for pipes (/dev/stdin).
func ReadViewFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, MaxViewFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(text) > MaxViewFileBytes {
		return nil, fmt.Errorf("it is larger than %d MiB, the most a view file may hold; is it really a view?", MaxViewFileBytes>>20)
	}
	return text, nil
}

// LooksLikeViewDefinition tells a ViewDefinition (or an array or Bundle of
// them) from the other JSON files a project directory holds (settings,
// package.json, FHIR resources): only JSON that mentions the shape of a
// ViewDefinition is read from a directory. The CLI and the language server
// share this rule. A JSON file named on its own is always read.
func LooksLikeViewDefinition(text string) bool {
	return strings.Contains(text, `"select"`) && strings.Contains(text, `"resource"`) ||
		strings.Contains(text, `"ViewDefinition"`)
}

// Namespace is the files of one directory, checked together.
type Namespace struct {
	Dir     string
	Files   []*ast.File
	Checked *check.Checked // nil when parsing failed
	Views   []*plan.View   // nil when checking failed
}

// Result is everything the front end produced.
type Result struct {
	Namespaces []*Namespace
	Diags      diag.List
	Files      int // view files read
}

// Views returns the plans of every namespace, in file order.
func (r *Result) Views() []*plan.View {
	var out []*plan.View
	for _, ns := range r.Namespaces {
		out = append(out, ns.Views...)
	}
	return out
}

// IsViewFile reports whether a file name is one fhirql reads as a view.
func IsViewFile(name string) bool {
	return strings.HasSuffix(name, ".fview") || strings.HasSuffix(name, ".json")
}

// Expand turns command-line paths (files or directories) into view files
// grouped by directory. A directory contributes its *.fview files and those
// of its *.json files that look like ViewDefinitions (not recursively; the
// other JSON files are skipped with an info note); a file is taken as given
// whatever its extension.
func Expand(paths []string) (map[string][]string, diag.List) {
	groups := map[string][]string{}
	var diags diag.List
	seen := map[string]bool{}
	add := func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		d := filepath.Dir(p)
		groups[d] = append(groups[d], p)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			diags = append(diags, diag.New(diag.Error, CodeNoInput, nil, source.Span{}, "cannot read %q: %s", p, errText(err)))
			continue
		}
		if !st.IsDir() {
			add(filepath.Clean(p))
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			diags = append(diags, diag.New(diag.Error, CodeNoInput, nil, source.Span{}, "cannot read directory %q: %s", p, errText(err)))
			continue
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() || !IsViewFile(e.Name()) {
				continue
			}
			f := filepath.Join(p, e.Name())
			if strings.HasSuffix(f, ".json") {
				if text, err := ReadViewFile(f); err == nil && !LooksLikeViewDefinition(string(text)) {
					diags = append(diags, diag.New(diag.Info, CodeSkipped, nil, source.Span{},
						"skipped %s: it is not a ViewDefinition (no \"resourceType\": \"ViewDefinition\", nor \"resource\" and \"select\")", f))
					continue
				}
			}
			add(f)
			n++
		}
		if n == 0 {
			diags = append(diags, diag.New(diag.Error, CodeNoInput, nil, source.Span{}, "directory %q holds no .fview or .json view files", p))
		}
	}
	for d := range groups {
		sort.Strings(groups[d])
	}
	return groups, diags
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParseSource parses one file by its extension: .json as ViewDefinition JSON,
// anything else as .fview.
func ParseSource(f *source.File) (*ast.File, diag.List) {
	if strings.HasSuffix(f.Name, ".json") {
		return viewdef.Read(f)
	}
	return parse.ParseFile(f)
}

// Load reads, parses, checks and lowers the views under paths.
func Load(paths []string, cat *catalog.Catalog) *Result {
	res := &Result{}
	groups, diags := Expand(paths)
	res.Diags = append(res.Diags, diags...)
	dirs := make([]string, 0, len(groups))
	for d := range groups {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		var files []*source.File
		for _, name := range groups[d] {
			text, err := ReadViewFile(name)
			if err != nil {
				res.Diags = append(res.Diags, diag.New(diag.Error, CodeNoInput, nil, source.Span{}, "cannot read %q: %s", name, errText(err)))
				continue
			}
			files = append(files, source.NewFile(name, text))
			res.Files++
		}
		ns, dl := compileWithSiblings(d, files, siblingConsts(d, groups[d]), cat)
		res.Namespaces = append(res.Namespaces, ns)
		res.Diags = append(res.Diags, dl...)
	}
	return res
}

// siblingConsts returns the constants and column groups of the .fview files in dir that were not
// named on the command line: all files of a directory form one namespace, so
// `fhirql run views/encounters.fview` sees the constants that
// views/constants.fview declares. Siblings that do not parse contribute
// nothing; their errors belong to a command that names them.
func siblingConsts(dir string, given []string) []*ast.File {
	named := map[string]bool{}
	for _, g := range given {
		named[filepath.Clean(g)] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []*ast.File
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".fview") || named[filepath.Clean(p)] {
			continue
		}
		text, err := ReadViewFile(p)
		if err != nil {
			continue
		}
		f, dl := parse.ParseFile(source.NewFile(p, text))
		if dl.HasErrors() || f == nil || len(f.Consts)+len(f.Groups) == 0 {
			continue
		}
		out = append(out, &ast.File{Source: f.Source, Consts: f.Consts, Groups: f.Groups})
	}
	return out
}

// CompileFiles runs the front end over the files of one namespace. It never
// panics: a panic in a stage becomes an FQL9999 diagnostic.
func CompileFiles(dir string, files []*source.File, cat *catalog.Catalog) (ns *Namespace, diags diag.List) {
	return compileWithSiblings(dir, files, nil, cat)
}

// compileWithSiblings is CompileFiles with extra files of the namespace that
// only contribute constants (their views are not compiled).
func compileWithSiblings(dir string, files []*source.File, siblings []*ast.File, cat *catalog.Catalog) (ns *Namespace, diags diag.List) {
	ns = &Namespace{Dir: dir}
	defer func() {
		if r := recover(); r != nil {
			var f *source.File
			if len(files) > 0 {
				f = files[0]
			}
			diags = append(diags, diag.New(diag.Error, CodeInternal, f, source.Span{},
				"internal error: %v; this is a bug in fhirql, please report it with this input", r).
				WithNote(source.Span{}, "%s", firstLines(string(debug.Stack()), 12)))
		}
	}()
	parseFailed := false
	for _, f := range files {
		af, dl := ParseSource(f)
		diags = append(diags, dl...)
		if dl.HasErrors() {
			parseFailed = true
		}
		if af != nil {
			ns.Files = append(ns.Files, af)
		}
	}
	if parseFailed {
		return ns, diags
	}
	checked, dl := check.Check(append(append([]*ast.File(nil), ns.Files...), siblings...), cat)
	diags = append(diags, dl...)
	ns.Checked = checked
	if dl.HasErrors() {
		return ns, diags
	}
	views, dl := lower.Lower(checked)
	diags = append(diags, dl...)
	// The rules' CEL is typed against the plans' column types.
	for _, v := range views {
		_, dl := expect.Check(v)
		diags = append(diags, dl...)
	}
	if diags.HasErrors() {
		return ns, diags
	}
	ns.Views = views
	return ns, diags
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return fmt.Sprint(strings.Join(lines, "\n"))
}
