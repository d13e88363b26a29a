// Package scale builds a benchmark corpus of any size from real FHIR NDJSON
// (by default the project's examples/data) by writing whole copies of the
// source resources with new, consistent ids.
//
// Rules (those of the project's original Python scaler; for UUID ids both
// produce the same bytes):
//   - copy 0 is the source verbatim; copy k>0 gets new ids: a UUID-shaped
//     string made from sha1(old + "#" + k) when the old id is a UUID (same
//     length, so each copy has the size of the source), else old + "-c" + k;
//   - every occurrence of a known UUID of a scaled type T (references
//     "T/<id>", urn:uuid:<id>, identifier values) is rewritten to the copy
//     j = k if k < copies(T) else k % copies(T);
//   - copies(T) = ceil(target bytes / source bytes), at least 1, for every
//     type on its own: a type with a small source (the 13 kB of
//     Observation examples) gets many copies without making Patient grow
//     past the target too;
//   - so a reference of copy k to a type with fewer copies n names copy
//     k mod n of it: it stays valid, and copies past n share the resources
//     they refer to (several Observation copies per Patient copy);
//   - references to types that are not scaled are left as they are.
//
// Output is a function of the inputs and flags only: no clock, no randomness.
package scale

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/fhirql/fhirql/runtime/ndjson"
	"github.com/fhirql/fhirql/runtime/value"
	"github.com/fhirql/fhirql/runtime/write"
)

var (
	uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	isUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

type resource struct {
	line string
	id   string
}

func newID(old string, k int) string {
	if k == 0 {
		return old
	}
	if isUUID.MatchString(old) {
		h := sha1.Sum([]byte(fmt.Sprintf("%s#%d", old, k)))
		x := hex.EncodeToString(h[:])
		return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
	}
	return fmt.Sprintf("%s-c%d", old, k)
}

// Options say what to scale.
type Options struct {
	Src    string   // directory of source *.ndjson files (searched recursively)
	Out    string   // output directory, one <Type>.ndjson per type
	MB     float64  // target size of each output file in MB (1e6 bytes)
	Copies int      // exact number of copies of every type (overrides MB)
	Types  []string // resource types to keep (nil for all)
	Log    io.Writer
}

// Scale writes the corpus.
func Scale(o Options) error {
	src, out, mb, exact := o.Src, o.Out, o.MB, o.Copies
	if o.Log == nil {
		o.Log = io.Discard
	}
	keep := map[string]bool{}
	for _, t := range o.Types {
		if t = strings.TrimSpace(t); t != "" {
			keep[t] = true
		}
	}
	var paths []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".ndjson") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	byType := map[string][]resource{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for n, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			var head struct {
				ResourceType string `json:"resourceType"`
				ID           any    `json:"id"`
			}
			if err := json.Unmarshal([]byte(line), &head); err != nil {
				return fmt.Errorf("%s:%d: %v", p, n+1, err)
			}
			if len(keep) > 0 && !keep[head.ResourceType] {
				continue
			}
			id, _ := head.ID.(string)
			byType[head.ResourceType] = append(byType[head.ResourceType], resource{line: line, id: id})
		}
	}
	if len(byType) == 0 {
		return fmt.Errorf("no resources of the wanted types under %s", src)
	}
	idType := map[string]string{}
	sizes := map[string]int{}
	for t, rs := range byType {
		for _, r := range rs {
			if r.id != "" {
				idType[r.id] = t
			}
			sizes[t] += len(r.line) + 1
		}
	}
	copies := map[string]int{}
	for t := range byType {
		c := exact
		if c <= 0 {
			c = max(1, int(math.Ceil(mb*1e6/float64(sizes[t]))))
		}
		copies[t] = c
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		tpls := make([]template, len(byType[t]))
		for i, r := range byType[t] {
			tpls[i] = makeTemplate(r, idType)
		}
		path := filepath.Join(out, t+".ndjson")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		written := 0
		for k := 0; k < copies[t]; k++ {
			cache := map[string]string{}
			idmap := func(u string) string {
				if r, ok := cache[u]; ok {
					return r
				}
				r := u
				if rt, ok := idType[u]; ok {
					n := copies[rt]
					j := k
					if rt != t && k >= n {
						j = k % n
					}
					r = newID(u, j)
				}
				cache[u] = r
				return r
			}
			for _, tp := range tpls {
				s := tp.render(idmap)
				w.WriteString(s)
				w.WriteByte('\n')
				written += len(s) + 1
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(o.Log, "%-20s source %6d res %8.3f MB  copies %6d  -> %9d res %9.1f MB  %s\n",
			t, len(tpls), float64(sizes[t])/1e6, copies[t], len(tpls)*copies[t], float64(written)/1e6, path)
	}
	return nil
}

// template is a source line cut around the known ids it contains; a line
// whose id is not a UUID is rewritten through its parsed JSON instead.
type template struct {
	parts []string
	ids   []string
	obj   *value.Value
}

func makeTemplate(r resource, idType map[string]string) template {
	if !isUUID.MatchString(r.id) {
		v, err := ndjson.NewScanner().ScanObject([]byte(r.line), ndjson.AllFields())
		if err == nil {
			return template{obj: v}
		}
	}
	var tp template
	pos := 0
	for _, m := range uuidRE.FindAllStringIndex(r.line, -1) {
		u := r.line[m[0]:m[1]]
		if _, ok := idType[u]; ok {
			tp.parts = append(tp.parts, r.line[pos:m[0]])
			tp.ids = append(tp.ids, u)
			pos = m[1]
		}
	}
	tp.parts = append(tp.parts, r.line[pos:])
	return tp
}

func (tp template) render(idmap func(string) string) string {
	if tp.obj != nil {
		return string(write.AppendJSON(nil, rewrite(tp.obj, idmap, true)))
	}
	var b strings.Builder
	b.WriteString(tp.parts[0])
	for i, u := range tp.ids {
		b.WriteString(idmap(u))
		b.WriteString(tp.parts[i+1])
	}
	return b.String()
}

// rewrite copies v with the top-level id and every "Type/id" reference
// mapped (conditional references "Type?..." are left alone).
func rewrite(v *value.Value, idmap func(string) string, top bool) *value.Value {
	switch v.Kind {
	case value.Object:
		o := &value.Value{Kind: value.Object}
		for _, m := range v.Obj {
			x := m.Val
			switch {
			case top && m.Key == "id" && x.Kind == value.String:
				x = value.NewString(idmap(x.Str))
			case m.Key == "reference" && x.Kind == value.String && strings.Contains(x.Str, "/") && !strings.Contains(x.Str, "?"):
				i := strings.LastIndex(x.Str, "/")
				x = value.NewString(x.Str[:i+1] + idmap(x.Str[i+1:]))
			default:
				x = rewrite(x, idmap, false)
			}
			o.Obj = append(o.Obj, value.Member{Key: m.Key, Val: x})
		}
		return o
	case value.Array:
		a := &value.Value{Kind: value.Array}
		for _, x := range v.Arr {
			a.Arr = append(a.Arr, rewrite(x, idmap, false))
		}
		return a
	}
	return v
}
