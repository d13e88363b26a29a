// Package state keeps fhirql's tables equal to a FHIR server's current
// state over several exports: per resource type and id, the latest version
// wins unless a newer deletion removed the id (docs/versions.md has the
// rule and its examples; every engine applies the same one).
//
// The runtime applies the rule in two passes over the exports' files. The
// first reads only each resource's key and version facts (id,
// meta.lastUpdated, meta.versionId) into a compact index: 32 bytes of
// facts per resource type and id under a 128-bit hash of the key, never
// the resources. The second is an ordinary runtime.Run whose Keep hook
// lets through only the line of each key's winning version (its input and
// byte offset), so views see exactly the current resources and memory
// stays bounded by the number of distinct ids, not the data's size.
//
// Apply keeps such tables current across `_since` exports in a state
// directory whose files are log-structured (incremental.go): immutable
// segments and touched lists hard-linked from generation to generation,
// a base key index looked up through a radix directory, and compaction,
// so that an apply costs about what its export does.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Export is one Bulk Data export: its data files, its deletion lists and,
// when it came with a manifest, the server's transactionTime.
type Export struct {
	// Name is what messages call the export: the manifest or folder path.
	Name string
	// TransactionTime is the manifest's transactionTime; zero for a folder
	// without a manifest.
	TransactionTime time.Time
	// Output are the NDJSON files of resources, in manifest order (a
	// folder: lexical order).
	Output []string
	// Deleted are the NDJSON files of deletion Bundles (Bulk Data 2.0).
	Deleted []string
	// at is the time that stands in for a missing meta.lastUpdated or
	// response.lastModified: TransactionTime, or for an export without
	// one the stand-in of the export before it on the command line
	// (Prepare; docs/versions.md).
	at time.Time
}

// manifest is the part of a Bulk Data export manifest this package reads.
type manifest struct {
	TransactionTime string `json:"transactionTime"`
	Output          []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"output"`
	Deleted []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"deleted"`
}

// LoadExport reads an export given as a manifest file (manifest.json or
// any *.json) or a folder. A folder holding manifest.json is read through
// it; any other folder contributes every *.ndjson, *.jsonl (and .gz) file
// below it in lexical order as output, except those under a folder named
// "deleted", which are deletion lists.
func LoadExport(p string) (*Export, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("export %s cannot be read: %v", p, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return loadManifest(p)
	}
	if _, err := os.Stat(filepath.Join(p, "manifest.json")); err == nil {
		return loadManifest(filepath.Join(p, "manifest.json"))
	}
	e := &Export{Name: p}
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isNDJSON(d.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(p, q)
		if inDeleted(rel) {
			e.Deleted = append(e.Deleted, q)
		} else {
			e.Output = append(e.Output, q)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading export folder %s: %v", p, err)
	}
	sort.Strings(e.Output)
	sort.Strings(e.Deleted)
	if len(e.Output)+len(e.Deleted) == 0 {
		return nil, fmt.Errorf("export folder %s holds no manifest.json and no *.ndjson, *.jsonl or .gz forms of them", p)
	}
	return e, nil
}

func inDeleted(rel string) bool {
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(rel)), "/") {
		if part == "deleted" {
			return true
		}
	}
	return false
}

func isNDJSON(name string) bool {
	name = strings.TrimSuffix(name, ".gz")
	return strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".jsonl")
}

// loadManifest reads a Bulk Data manifest. A file URL names a local file;
// an http(s) URL names the file of the same base name next to the
// manifest (where a plain download puts it) or, when there is none, the
// file `fhirql export` wrote for it (output/<type>.<nnn>.ndjson,
// deleted/..., numbered per type in manifest order), so a downloaded
// export is read without rewriting its manifest.
func loadManifest(p string) (*Export, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("export manifest %s cannot be read: %v", p, errors.Unwrap(err))
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("export manifest %s is not a Bulk Data manifest (%v): give the export's manifest.json or its folder", p, err)
	}
	e := &Export{Name: p}
	if m.TransactionTime != "" {
		t, err := parseInstant(m.TransactionTime)
		if err != nil {
			return nil, fmt.Errorf("export manifest %s: transactionTime %q is not a FHIR instant: fix it or remove it (the export then counts by its place on the command line)", p, m.TransactionTime)
		}
		e.TransactionTime = t
	}
	dir := filepath.Dir(p)
	// downloaded names the file `fhirql export` wrote for the n-th file
	// of a type in a class (export/download.go): <class>/<type>.<nnn>.ndjson.
	counts := map[string]int{}
	downloaded := func(class, typ string) string {
		if typ == "" {
			typ = "Unknown"
		}
		n := counts[class+"/"+typ]
		counts[class+"/"+typ]++
		return filepath.Join(dir, class, fmt.Sprintf("%s.%03d.ndjson", typ, n))
	}
	local := func(class, typ, u string) (string, error) {
		alt := downloaded(class, typ)
		pu, err := url.Parse(u)
		switch {
		case err != nil:
			return "", fmt.Errorf("export manifest %s: file URL %q is malformed: %v", p, u, err)
		case pu.Scheme == "file":
			return filepath.FromSlash(pu.Path), nil
		case pu.Scheme == "http" || pu.Scheme == "https":
			f := filepath.Join(dir, path.Base(pu.Path))
			if _, err := os.Stat(f); err != nil {
				if _, err := os.Stat(alt); err == nil {
					return alt, nil
				}
			}
			return f, nil
		case filepath.IsAbs(u):
			return u, nil
		}
		return filepath.Join(dir, filepath.FromSlash(u)), nil
	}
	for _, o := range m.Output {
		f, err := local("output", o.Type, o.URL)
		if err != nil {
			return nil, err
		}
		e.Output = append(e.Output, f)
	}
	for _, o := range m.Deleted {
		f, err := local("deleted", o.Type, o.URL)
		if err != nil {
			return nil, err
		}
		e.Deleted = append(e.Deleted, f)
	}
	for _, f := range append(append([]string(nil), e.Output...), e.Deleted...) {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("export manifest %s lists %s, which cannot be read (%v): download the export's files next to its manifest", p, f, errors.Unwrap(err))
		}
	}
	return e, nil
}

// parseInstant parses a FHIR instant (or dateTime with a time zone).
func parseInstant(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}
