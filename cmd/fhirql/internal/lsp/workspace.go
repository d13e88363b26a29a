package lsp

import (
	"github.com/fhirql/fhirql/compiler/expect"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/compiler/lower"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
)

// document is a file the editor has open; its text is the editor's, not the disk's.
type document struct {
	uri     string
	name    string // source.File name: the file path for file: URIs, else the URI
	dir     string // namespace key
	version int
	text    string
}

// uriToPath converts a file: URI to a local path.
func uriToPath(uri string) (string, bool) {
	if !strings.HasPrefix(uri, "file:") {
		return "", false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Path == "" {
		return "", false
	}
	p := u.Path
	// file:///C:/x on Windows parses to /C:/x.
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.Clean(filepath.FromSlash(p)), true
}

// pathToURI converts a local path to a file: URI.
func pathToURI(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: p}
	return u.String()
}

// isJSONName tells which reader a file needs, as the compiler's ParseSource does.
func isJSONName(name string) bool { return strings.HasSuffix(name, ".json") }

// looksLikeViewDefinition keeps the server away from the other JSON files of a
// project (package.json, settings, FHIR resources): only JSON that mentions
// the shape of a ViewDefinition takes part in a namespace, by the rule the
// command line uses for directories.
func looksLikeViewDefinition(text string) bool { return compiler.LooksLikeViewDefinition(text) }

func (s *Server) newDocument(uri string, version int, text, languageID string) *document {
	d := &document{uri: uri, version: version, text: text}
	if p, ok := uriToPath(uri); ok {
		d.name = p
		d.dir = filepath.Dir(p)
	} else {
		// An unsaved buffer is a namespace of its own; its name keeps the
		// extension that selects the reader.
		d.name = uri
		if languageID == "json" && !isJSONName(uri) {
			d.name = uri + ".json"
		}
		d.dir = "untitled:" + uri
	}
	return d
}

// namespace is one directory: the open documents in it and the view files on
// disk beside them, checked together as the compiler does.
type namespace struct {
	dir     string
	gen     int // bumped by every change to a member
	timer   *time.Timer
	disk    map[string]*diskFile // on-disk files by path, reread when their mtime changes
	parsed  map[string]*parsedFile
	current *analysis
	// lastGood keeps, per file name, the most recent analysis in which the
	// file parsed cleanly: completion on a half-typed line falls back to it.
	lastGood map[string]*analysis
	// published is the last diagnostics message sent per URI, so that a
	// change elsewhere in the directory resends only what differs.
	published map[string]string
}

type diskFile struct {
	mod  time.Time
	size int64
	text string
	view bool // a .fview file, or JSON that looks like a ViewDefinition
}

// parsedFile caches a parse by text, so that a change to one file does not
// reparse the others of its directory.
type parsedFile struct {
	text  string
	src   *source.File
	ast   *ast.File
	diags diag.List
}

// analysis is the result of checking a namespace at one generation.
type analysis struct {
	gen     int
	files   map[string]*parsedFile // by file name
	order   []string
	checked *check.Checked
	diags   map[string]diag.List // by file name; checker and parser diagnostics
	// planned are the views' plans, for .sql queries (sqlquery.go)
	planned   []*plan.View
	plansDone bool
}

func (s *Server) namespaceFor(dir string) *namespace {
	ns := s.spaces[dir]
	if ns == nil {
		ns = &namespace{dir: dir, disk: map[string]*diskFile{}, parsed: map[string]*parsedFile{}, lastGood: map[string]*analysis{}, published: map[string]string{}}
		s.spaces[dir] = ns
	}
	return ns
}

func (ns *namespace) stopTimer() {
	if ns.timer != nil {
		ns.timer.Stop()
		ns.timer = nil
	}
}

// members returns the sources of the namespace: open documents first-class,
// on-disk files for the rest.
func (s *Server) members(ns *namespace) []*source.File {
	byName := map[string]string{}
	for _, d := range s.docs {
		if d.dir != ns.dir {
			continue
		}
		if isJSONName(d.name) && !looksLikeViewDefinition(d.text) || isSQLName(d.name) {
			continue
		}
		byName[d.name] = d.text
	}
	if !strings.HasPrefix(ns.dir, "untitled:") {
		entries, err := os.ReadDir(ns.dir)
		if err == nil {
			seen := map[string]bool{}
			for _, e := range entries {
				if e.IsDir() || !compiler.IsViewFile(e.Name()) {
					continue
				}
				p := filepath.Join(ns.dir, e.Name())
				seen[p] = true
				if _, open := byName[p]; open {
					continue
				}
				info, err := e.Info()
				if err != nil {
					continue
				}
				df := ns.disk[p]
				if df == nil || !df.mod.Equal(info.ModTime()) || df.size != info.Size() {
					b, err := compiler.ReadViewFile(p) // capped, as on the command line
					if err != nil {
						continue
					}
					df = &diskFile{mod: info.ModTime(), size: info.Size(), text: string(b), view: true}
					if isJSONName(p) && !looksLikeViewDefinition(df.text) {
						// Remember the verdict, not the text: a directory
						// of FHIR sample data can be large.
						df.text, df.view = "", false
					}
					ns.disk[p] = df
				}
				if df.view {
					byName[p] = df.text
				}
			}
			for p := range ns.disk {
				if !seen[p] {
					delete(ns.disk, p)
				}
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*source.File, len(names))
	for i, n := range names {
		out[i] = source.NewFileString(n, byName[n])
	}
	return out
}

// analyze brings a namespace's analysis up to date and returns it. Parses are
// reused for unchanged files; the checker always runs over the whole
// namespace, because a constant in one file types expressions in the others.
func (s *Server) analyze(ns *namespace) *analysis {
	if ns.current != nil && ns.current.gen == ns.gen {
		return ns.current
	}
	srcs := s.members(ns)
	a := &analysis{gen: ns.gen, files: map[string]*parsedFile{}, diags: map[string]diag.List{}}
	var files []*ast.File
	anyParseErr := false
	for _, f := range srcs {
		pf := ns.parsed[f.Name]
		if pf == nil || pf.text != f.Text {
			pf = parseOne(f)
			ns.parsed[f.Name] = pf
		}
		a.files[f.Name] = pf
		a.order = append(a.order, f.Name)
		if pf.ast != nil {
			files = append(files, pf.ast)
		}
		if pf.diags.HasErrors() {
			anyParseErr = true
		}
		a.diags[f.Name] = append(a.diags[f.Name], pf.diags...)
	}
	for n := range ns.parsed {
		if a.files[n] == nil {
			delete(ns.parsed, n)
		}
	}
	checked, cd := safeCheck(files, s.cat, srcs)
	a.checked = checked
	// With a syntax error the checker sees a partial tree: its findings before
	// the error stay useful (an unknown element is still unknown), but those
	// after it are about a tree cut short and would only echo the error.
	for _, d := range cd {
		name := fileNameOf(d, srcs)
		if pf := a.files[name]; pf != nil && pf.diags.HasErrors() && d.Span.Start >= firstError(pf.diags) {
			continue
		}
		a.diags[name] = append(a.diags[name], d)
	}
	if checked != nil && !anyParseErr && !cd.HasErrors() {
		for name, dl := range lowerDiags(checked, srcs) {
			a.diags[name] = append(a.diags[name], dl...)
		}
	}
	for name, pf := range a.files {
		if !pf.diags.HasErrors() {
			ns.lastGood[name] = a
		}
	}
	ns.current = a
	return a
}

// safeCheck runs the checker, turning a panic (a bug) into a diagnostic so
// that one bad input does not leave the directory without answers.
func safeCheck(files []*ast.File, cat *catalog.Catalog, srcs []*source.File) (c *check.Checked, dl diag.List) {
	defer func() {
		if r := recover(); r != nil {
			var f *source.File
			if len(srcs) > 0 {
				f = srcs[0]
			}
			c = nil
			dl = diag.List{diag.New(diag.Error, compiler.CodeInternal, f, source.Span{},
				"internal error while checking: %v; this is a bug in fhirql, please report it with this input", r)}
		}
	}()
	return check.Check(files, cat)
}

// firstError is the offset of a file's first error.
func firstError(dl diag.List) source.Pos {
	first := source.Pos(1 << 30)
	for _, d := range dl {
		if d.Severity == diag.Error && d.Span.Start < first {
			first = d.Span.Start
		}
	}
	return first
}

// lowerDiags runs the planner for its diagnostics (constructs the plan
// cannot express) and types the views' expectations (their CEL needs the
// plan's column types), so the editor reports what `fhirql check` does.
func lowerDiags(c *check.Checked, srcs []*source.File) (out map[string]diag.List) {
	out = map[string]diag.List{}
	defer func() {
		if r := recover(); r != nil && len(srcs) > 0 {
			out[srcs[0].Name] = diag.List{diag.New(diag.Error, compiler.CodeInternal, srcs[0], source.Span{},
				"internal error while planning: %v; this is a bug in fhirql, please report it with this input", r)}
		}
	}()
	views, dl := lower.Lower(c)
	for _, v := range views {
		_, el := expect.Check(v)
		dl = append(dl, el...)
	}
	for _, d := range dl {
		name := fileNameOf(d, srcs)
		out[name] = append(out[name], d)
	}
	return out
}

func parseOne(f *source.File) *parsedFile {
	pf := &parsedFile{text: f.Text, src: f}
	func() {
		defer func() {
			if r := recover(); r != nil {
				pf.diags = append(pf.diags, diag.New(diag.Error, compiler.CodeInternal, f, source.Span{},
					"internal error while parsing: %v; this is a bug in fhirql, please report it with this input", r))
			}
		}()
		pf.ast, pf.diags = compiler.ParseSource(f)
	}()
	if pf.ast == nil {
		pf.ast = &ast.File{Source: f}
	}
	return pf
}

// fileNameOf attributes a diagnostic without a file to the namespace's first
// file, as the compiler does.
func fileNameOf(d *diag.Diagnostic, srcs []*source.File) string {
	if d.File != nil {
		return d.File.Name
	}
	if len(srcs) > 0 {
		return srcs[0].Name
	}
	return ""
}

// docByName finds an open document by its source name.
func (s *Server) docByName(name string) *document {
	for _, d := range s.docs {
		if d.name == name {
			return d
		}
	}
	return nil
}

// uriOf maps a source file name back to the URI the client knows it by.
func (s *Server) uriOf(name string) string {
	if d := s.docByName(name); d != nil {
		return d.uri
	}
	if strings.Contains(name, "://") || strings.HasPrefix(name, "untitled:") {
		return name
	}
	return pathToURI(name)
}

// fileOf returns the analysed form of an open document along with its
// namespace's analysis; the parsed file is never nil for an open document.
func (s *Server) fileOf(uri string) (*document, *analysis, *parsedFile, error) {
	d := s.docs[uri]
	if d == nil {
		return nil, nil, nil, &rpcError{Code: codeInvalidParams, Message: "document not open: " + uri}
	}
	ns := s.namespaceFor(d.dir)
	a := s.analyze(ns)
	pf := a.files[d.name]
	if pf == nil {
		// Not a view file (a JSON file that is no ViewDefinition): an empty
		// tree, so that requests get empty answers rather than errors.
		src := source.NewFileString(d.name, d.text)
		pf = &parsedFile{text: d.text, src: src, ast: &ast.File{Source: src}}
	}
	return d, a, pf, nil
}
