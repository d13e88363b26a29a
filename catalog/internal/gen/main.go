// Command gen turns the official FHIR R4 definitions into the compact catalog
// that catalog/r4 embeds, so that no build, test or run of fhirql needs the
// (tens of megabytes of) source JSON.
//
// It reads profiles-resources.json, profiles-types.json and valuesets.json
// (HL7 FHIR 4.0.1, CC0) from -src, or from $FHIR_R4_DIR when -src is not
// given, and writes -out. It is run by `go generate` in catalog/r4:
//
//	go run ../internal/gen [-src DIR] [-out FILE]
//
// The output is deterministic. The file is rewritten only when its content
// changes, so a newer Go with a different compressor does not churn it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/catalog"
)

// defaultSrc is where the shared FHIR definitions live relative to catalog/r4,
// the directory `go generate` runs this tool in.
const defaultSrc = "../../../shared/fhir/r4"

// fhirVersion is the only release accepted: the source bundle also carries a
// few definitions of later releases (SubscriptionStatus, 4.3.0), which are
// not part of R4 and would make the catalog claim resources R4 servers never send.
const fhirVersion = "4.0.1"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", "", "directory holding the FHIR R4 definitions (default $FHIR_R4_DIR or "+defaultSrc+")")
	out := fs.String("out", "r4.bin.gz", "file to write the compact catalog to")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := sourceDir(*src)
	data, warnings, err := generate(dir)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "gen: note:", w)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gen:", err)
		return 1
	}
	changed, err := writeIfChanged(*out, data)
	if err != nil {
		fmt.Fprintln(stderr, "gen:", err)
		return 1
	}
	if changed {
		fmt.Fprintf(stderr, "gen: wrote %s (%d bytes)\n", *out, len(data))
	}
	return 0
}

// sourceDir picks the definitions directory: the flag, then the environment,
// then the default relative to catalog/r4.
func sourceDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("FHIR_R4_DIR"); env != "" {
		return env
	}
	return defaultSrc
}

// writeIfChanged writes data to path unless the file already holds the same
// catalog payload.
func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil {
		a, errA := catalog.Payload(old)
		b, errB := catalog.Payload(data)
		if errA == nil && errB == nil && bytes.Equal(a, b) {
			return false, nil
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

// generate reads the definitions in dir and returns the encoded catalog and
// notes on what was deliberately left out.
func generate(dir string) ([]byte, []string, error) {
	c, warnings, err := build(dir)
	if err != nil {
		return nil, warnings, err
	}
	data, err := c.Encode()
	return data, warnings, err
}

// build reads the definitions in dir into a catalog.
func build(dir string) (*catalog.Catalog, []string, error) {
	g := &generator{
		valueSets:   map[string]*valueSet{},
		codeSystems: map[string]*codeSystem{},
		expansions:  map[string]expansion{},
		types:       map[string]*catalog.Type{},
	}
	var sds []*structureDefinition
	for _, file := range []string{"profiles-types.json", "profiles-resources.json", "valuesets.json"} {
		entries, err := readBundle(filepath.Join(dir, file))
		if err != nil {
			return nil, nil, err
		}
		for _, raw := range entries {
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
			switch head.ResourceType {
			case "StructureDefinition":
				sd := &structureDefinition{}
				if err := json.Unmarshal(raw, sd); err != nil {
					return nil, nil, fmt.Errorf("%s: %w", file, err)
				}
				sds = append(sds, sd)
			case "ValueSet":
				vs := &valueSet{}
				if err := json.Unmarshal(raw, vs); err != nil {
					return nil, nil, fmt.Errorf("%s: %w", file, err)
				}
				g.valueSets[stripVersion(vs.URL)] = vs
			case "CodeSystem":
				cs := &codeSystem{}
				if err := json.Unmarshal(raw, cs); err != nil {
					return nil, nil, fmt.Errorf("%s: %w", file, err)
				}
				g.codeSystems[stripVersion(cs.URL)] = cs
			}
		}
	}

	for _, sd := range sds {
		if err := g.structure(sd); err != nil {
			return nil, g.warnings, fmt.Errorf("%s: %w", sd.Name, err)
		}
	}
	if err := g.validate(); err != nil {
		return nil, g.warnings, err
	}
	all := make([]*catalog.Type, 0, len(g.types))
	for _, t := range g.types {
		all = append(all, t)
	}
	c, err := catalog.Build(fhirVersion, all)
	return c, g.warnings, err
}

// readBundle returns the raw resources of a Bundle file.
func readBundle(path string) ([]json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]json.RawMessage, 0, len(b.Entry))
	for _, e := range b.Entry {
		out = append(out, e.Resource)
	}
	return out, nil
}

type structureDefinition struct {
	URL            string `json:"url"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Kind           string `json:"kind"`
	Abstract       bool   `json:"abstract"`
	Derivation     string `json:"derivation"`
	BaseDefinition string `json:"baseDefinition"`
	FHIRVersion    string `json:"fhirVersion"`
	Snapshot       struct {
		Element []elementDefinition `json:"element"`
	} `json:"snapshot"`
}

type elementDefinition struct {
	Path             string `json:"path"`
	SliceName        string `json:"sliceName"`
	Short            string `json:"short"`
	Min              int    `json:"min"`
	Max              string `json:"max"`
	ContentReference string `json:"contentReference"`
	IsModifier       bool   `json:"isModifier"`
	IsSummary        bool   `json:"isSummary"`
	Type             []struct {
		Code          string   `json:"code"`
		TargetProfile []string `json:"targetProfile"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
}

type valueSet struct {
	URL     string `json:"url"`
	Compose *struct {
		Include []include `json:"include"`
		Exclude []include `json:"exclude"`
	} `json:"compose"`
}

type include struct {
	System  string `json:"system"`
	Concept []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter   []json.RawMessage `json:"filter"`
	ValueSet []string          `json:"valueSet"`
}

type codeSystem struct {
	URL     string    `json:"url"`
	Content string    `json:"content"`
	Concept []concept `json:"concept"`
}

type concept struct {
	Code    string    `json:"code"`
	Concept []concept `json:"concept"`
}

// expansion is a value set's codes, or ok=false when they cannot be listed
// without a terminology server (filters, external code systems, cycles).
type expansion struct {
	codes map[string]bool
	ok    bool
}

type generator struct {
	valueSets   map[string]*valueSet
	codeSystems map[string]*codeSystem
	expansions  map[string]expansion
	expanding   map[string]bool
	types       map[string]*catalog.Type
	warnings    []string
}

// structure adds the types one StructureDefinition declares: the type itself
// and one backbone type per element that has children.
func (g *generator) structure(sd *structureDefinition) error {
	switch {
	case sd.FHIRVersion != fhirVersion:
		g.warnings = append(g.warnings, fmt.Sprintf("skipped %s: FHIR %s, not %s", sd.Name, sd.FHIRVersion, fhirVersion))
		return nil
	case sd.Derivation == "constraint":
		// Profiles such as SimpleQuantity constrain a type; element types
		// name the base type, so the profile is not a type of its own.
		return nil
	case sd.Kind == "logical":
		// Logical models (MetadataResource) are never instantiated in R4 data.
		return nil
	}
	kind, ok := map[string]catalog.Kind{
		"primitive-type": catalog.Primitive,
		"complex-type":   catalog.Complex,
		"resource":       catalog.Resource,
	}[sd.Kind]
	if !ok {
		return fmt.Errorf("unexpected kind %q", sd.Kind)
	}
	els := sd.Snapshot.Element
	if len(els) == 0 || els[0].Path != sd.Type {
		return fmt.Errorf("snapshot does not start with the root element %q", sd.Type)
	}
	root := &catalog.Type{
		Name:     sd.Type,
		Kind:     kind,
		Base:     lastSegment(sd.BaseDefinition),
		Abstract: sd.Abstract,
		Short:    els[0].Short,
	}
	if err := g.add(root); err != nil {
		return err
	}

	hasChildren := map[string]bool{}
	for _, el := range els[1:] {
		hasChildren[parentPath(el.Path)] = true
	}
	for _, el := range els[1:] {
		if el.SliceName != "" {
			return fmt.Errorf("%s: slices are not supported in base definitions", el.Path)
		}
		owner := g.types[parentPath(el.Path)]
		if owner == nil {
			return fmt.Errorf("%s: no type declares its parent", el.Path)
		}
		e, err := g.element(el, hasChildren[el.Path])
		if err != nil {
			return fmt.Errorf("%s: %w", el.Path, err)
		}
		owner.Elements = append(owner.Elements, e)
		if hasChildren[el.Path] {
			if len(el.Type) != 1 || (el.Type[0].Code != "BackboneElement" && el.Type[0].Code != "Element") {
				return fmt.Errorf("%s: has children but is not a BackboneElement or Element", el.Path)
			}
			if err := g.add(&catalog.Type{
				Name:  el.Path,
				Kind:  catalog.Backbone,
				Base:  el.Type[0].Code,
				Short: el.Short,
			}); err != nil {
				return err
			}
		}
	}
	if kind == catalog.Primitive {
		v := root.Element("value")
		if v == nil || len(v.Types) != 1 || !strings.HasPrefix(v.Types[0], "System.") {
			return errors.New("primitive without a System-typed value element")
		}
		// The FHIRPath mapping is authoritative: R4 4.0.1 declares the values
		// of positiveInt and unsignedInt as System.String, although JSON
		// carries them as numbers and FHIRPath treats them as Integer.
		root.System = catalog.SystemType(root.Name)
		if declared := strings.TrimPrefix(v.Types[0], "System."); declared != root.System {
			g.warnings = append(g.warnings, fmt.Sprintf("%s: value type corrected from System.%s to System.%s", v.Path, declared, root.System))
			v.Types = []string{"System." + root.System}
		}
	}
	return nil
}

func (g *generator) add(t *catalog.Type) error {
	if _, dup := g.types[t.Name]; dup {
		return fmt.Errorf("type %q declared twice", t.Name)
	}
	g.types[t.Name] = t
	return nil
}

// element converts one ElementDefinition.
func (g *generator) element(el elementDefinition, backbone bool) (*catalog.Element, error) {
	name := el.Path[strings.LastIndexByte(el.Path, '.')+1:]
	e := &catalog.Element{
		Path:     el.Path,
		Min:      el.Min,
		Short:    el.Short,
		Modifier: el.IsModifier,
		Summary:  el.IsSummary,
	}
	e.Name, e.Choice = strings.CutSuffix(name, "[x]")
	switch el.Max {
	case "*":
		e.Max = -1
	default:
		n, err := strconv.Atoi(el.Max)
		if err != nil {
			return nil, fmt.Errorf("max %q: %w", el.Max, err)
		}
		e.Max = n
	}
	switch {
	case backbone:
		e.Types = []string{el.Path}
	case el.ContentReference != "":
		_, ref, ok := strings.Cut(el.ContentReference, "#")
		if !ok || ref == "" {
			return nil, fmt.Errorf("contentReference %q", el.ContentReference)
		}
		e.Types = []string{ref}
	default:
		for _, t := range el.Type {
			code := t.Code
			if rest, ok := strings.CutPrefix(code, "http://hl7.org/fhirpath/"); ok {
				code = rest
			}
			e.Types = append(e.Types, code)
			for _, p := range t.TargetProfile {
				if target := lastSegment(p); !slices.Contains(e.TargetProfiles, target) {
					e.TargetProfiles = append(e.TargetProfiles, target)
				}
			}
		}
		if len(e.Types) == 0 {
			return nil, errors.New("no type")
		}
	}
	if b := el.Binding; b != nil {
		e.Binding = &catalog.Binding{Strength: b.Strength, ValueSet: stripVersion(b.ValueSet)}
		if b.Strength == "required" && e.Binding.ValueSet != "" {
			if x := g.expand(e.Binding.ValueSet); x.ok {
				e.Binding.Codes = sortedKeys(x.codes)
			}
		}
	}
	return e, nil
}

// validate checks that every name an element refers to is a type the catalog
// has, so that consumers can resolve any element's type without nil checks.
func (g *generator) validate() error {
	names := make([]string, 0, len(g.types))
	for n := range g.types {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		t := g.types[n]
		if t.Base != "" && g.types[t.Base] == nil {
			return fmt.Errorf("%s: unknown base %q", n, t.Base)
		}
		for _, e := range t.Elements {
			for _, ty := range e.Types {
				if !strings.HasPrefix(ty, "System.") && g.types[ty] == nil {
					return fmt.Errorf("%s: unknown type %q", e.Path, ty)
				}
			}
			kept := e.TargetProfiles[:0]
			for _, p := range e.TargetProfiles {
				if t := g.types[p]; t == nil || t.Kind != catalog.Resource {
					g.warnings = append(g.warnings, fmt.Sprintf("%s: dropped target profile %q (not an R4 resource)", e.Path, p))
					continue
				}
				kept = append(kept, p)
			}
			if len(kept) == 0 {
				kept = nil
			}
			e.TargetProfiles = kept
		}
	}
	return nil
}

// expand lists a value set's codes from its compose: whole code systems
// (nested concepts included), explicit concept lists and included value sets,
// minus excludes. Anything needing a terminology server makes it not ok.
func (g *generator) expand(url string) expansion {
	if x, done := g.expansions[url]; done {
		return x
	}
	if g.expanding == nil {
		g.expanding = map[string]bool{}
	}
	if g.expanding[url] {
		return expansion{} // a cycle cannot be enumerated
	}
	g.expanding[url] = true
	defer delete(g.expanding, url)

	x := expansion{}
	vs := g.valueSets[url]
	if vs != nil && vs.Compose != nil && len(vs.Compose.Include) > 0 {
		x = expansion{codes: map[string]bool{}, ok: true}
		for _, inc := range vs.Compose.Include {
			set, ok := g.includeSet(inc)
			if !ok {
				x = expansion{}
				break
			}
			for c := range set {
				x.codes[c] = true
			}
		}
		for _, exc := range vs.Compose.Exclude {
			if !x.ok {
				break
			}
			set, ok := g.includeSet(exc)
			if !ok {
				x = expansion{}
				break
			}
			for c := range set {
				delete(x.codes, c)
			}
		}
	}
	g.expansions[url] = x
	return x
}

// includeSet evaluates one compose.include (or exclude) clause.
func (g *generator) includeSet(inc include) (map[string]bool, bool) {
	if len(inc.Filter) > 0 {
		return nil, false
	}
	var set map[string]bool
	if inc.System != "" {
		set = map[string]bool{}
		if len(inc.Concept) > 0 {
			for _, c := range inc.Concept {
				set[c.Code] = true
			}
		} else {
			cs := g.codeSystems[stripVersion(inc.System)]
			if cs == nil || cs.Content != "complete" {
				return nil, false
			}
			addConcepts(set, cs.Concept)
		}
	}
	for _, ref := range inc.ValueSet {
		sub := g.expand(stripVersion(ref))
		if !sub.ok {
			return nil, false
		}
		if set == nil {
			set = map[string]bool{}
			for c := range sub.codes {
				set[c] = true
			}
			continue
		}
		for c := range set { // value sets in one clause intersect
			if !sub.codes[c] {
				delete(set, c)
			}
		}
	}
	if set == nil {
		return nil, false
	}
	return set, true
}

func addConcepts(set map[string]bool, cs []concept) {
	for _, c := range cs {
		set[c.Code] = true
		addConcepts(set, c.Concept)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func stripVersion(url string) string {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		return url[:i]
	}
	return url
}

func lastSegment(url string) string {
	return url[strings.LastIndexByte(url, '/')+1:]
}

func parentPath(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}
