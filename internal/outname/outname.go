// Package outname turns view names into the names of the files written for
// them in one output directory (`run --out`, `build --out`, `viewdef --out`).
//
// A view name comes from the user's file and may hold any character: a
// backquoted .fview name or a ViewDefinition "name" can be `../../victim`,
// `a/b`, `C:x` or `NUL`. Every command that writes one file per view goes
// through Files, so no view name can make fhirql write outside the output
// directory, and two views never share a file (also on case-insensitive
// file systems).
package outname

import (
	"fmt"
	"regexp"
	"strings"
)

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// Base returns a file base name (without extension) for a view name: every
// character other than ASCII letters, digits, '_', '.' and '-' becomes '_',
// and leading dots are dropped, so the result has no separator, is never
// "." or "..", and is never hidden. An empty result becomes "view".
func Base(name string) string {
	b := unsafe.ReplaceAllString(name, "_")
	b = strings.TrimLeft(b, ".")
	if b == "" {
		b = "view"
	}
	return b
}

// Files returns one distinct file name (Base(name) + ext) per view name, in
// order. A name whose file would collide, ignoring case, with an earlier one
// or with a reserved name (deploy.sql, manifest.json) gets a suffix _2, _3,
// ...; names that are already safe and distinct are kept as they are.
func Files(names []string, ext string, reserved ...string) []string {
	used := map[string]bool{}
	for _, r := range reserved {
		used[strings.ToLower(r)] = true
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		base := Base(n)
		name := base + ext
		for i := 2; used[strings.ToLower(name)]; i++ {
			name = fmt.Sprintf("%s_%d%s", base, i, ext)
		}
		used[strings.ToLower(name)] = true
		out = append(out, name)
	}
	return out
}
