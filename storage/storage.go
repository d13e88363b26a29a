// Package storage is where fhirql reads its inputs and writes its outputs:
// a local directory tree or a container of Azure Blob Storage / ADLS Gen2.
//
// The runtime and the export client take a Store instead of calling os
// directly, so the data lake is an input and an output like a local
// directory. Locations are written as users write them: a local path,
// https://ACCOUNT.blob.core.windows.net/CONTAINER/path, or
// abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/path. Parse tells them
// apart; the Azure implementation lives in storage/azure (the only package
// importing the Azure SDK) and is handed in as an Opener, so this package
// and its users build without it.
//
// Every Store writes atomically: nothing appears under an object's final
// name until its Writer commits, so a reader never sees half an output.
package storage

import (
	"context"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
)

// Store is one place objects live: a local directory tree (names are
// file paths) or a blob container (names are blob names, "/"-separated).
type Store interface {
	// Open streams the object from its start. A missing object gives an
	// error wrapping ErrNotExist.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Stat returns the object, or an error wrapping ErrNotExist.
	Stat(ctx context.Context, name string) (Object, error)
	// List returns the objects whose names begin with prefix, sorted by
	// name (a prefix ending in "/" lists a directory tree).
	List(ctx context.Context, prefix string) ([]Object, error)
	// Create starts writing an object. Nothing is visible under name
	// until the Writer's Commit succeeds; Abort leaves a previous object
	// of that name as it was.
	Create(ctx context.Context, name string) (Writer, error)
	// Location returns how a user would write name, for messages.
	Location(name string) string
}

// Object is a listed or stat'ed object.
type Object struct {
	Name string
	Size int64
}

// Writer is an object being written. Commit publishes it under its final
// name; Abort discards it. Calling either after the other does nothing.
type Writer interface {
	io.Writer
	Commit() error
	Abort()
	// Name returns the object's location as Location gives it.
	Name() string
}

// ErrNotExist is wrapped by the errors of missing objects.
var ErrNotExist = errors.New("no such object")

// Kind tells local paths from Azure locations.
type Kind int

const (
	Local Kind = iota
	// Blob is an Azure Blob Storage location (https://… or abfss://…;
	// ADLS Gen2 locations are read and written through the Blob API,
	// which hierarchical-namespace accounts also serve).
	Blob
)

// Location is a parsed location.
type Location struct {
	Kind Kind
	// Raw is the location as given.
	Raw string
	// Path is the local path, or the blob name or prefix in Container
	// (no leading "/"; may hold glob characters).
	Path string
	// Account, Container and Endpoint (the Blob API endpoint of the
	// account, "https://ACCOUNT.blob.core.windows.net") for Blob.
	Account, Container, Endpoint string
	// SAS is a shared access signature given as the location's query.
	SAS string
}

// IsRemote reports whether s is written as an Azure location rather than
// a local path.
func IsRemote(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"https://", "http://", "abfss://", "abfs://", "wasbs://"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// Opener opens the Store of a remote location (storage/azure.Opener).
type Opener func(ctx context.Context, loc Location) (Store, error)

// Resolve returns the store of location s and the name (or prefix, or
// pattern) within it. Local paths get a LocalStore; remote ones need
// open, without which they are refused with a message saying so.
func Resolve(ctx context.Context, s string, open Opener) (Store, Location, error) {
	loc, err := Parse(s)
	if err != nil {
		return nil, loc, err
	}
	if loc.Kind == Local {
		return LocalStore{}, loc, nil
	}
	if open == nil {
		return nil, loc, errors.New(s + ": Azure locations are not available here")
	}
	st, err := open(ctx, loc)
	return st, loc, err
}

// Join joins a directory-like name and a relative name the way the store
// kind spells it.
func Join(loc Location, dir, name string) string {
	if loc.Kind == Local {
		return joinLocal(dir, name)
	}
	if dir == "" {
		return name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// HasGlob reports whether a name holds glob characters.
func HasGlob(name string) bool { return strings.ContainsAny(name, "*?[") }

// Expand lists the objects a remote name stands for, as fhirql run reads
// inputs: a pattern gives its matches (path.Match on the whole name), a
// name ending in "/" or naming no object gives the objects below it that
// keep accepts, anything else the object itself. Results are sorted by
// name so that runs are deterministic.
func Expand(ctx context.Context, st Store, name string, keep func(string) bool) ([]Object, error) {
	if HasGlob(name) {
		i := strings.IndexAny(name, "*?[")
		objs, err := st.List(ctx, name[:i])
		if err != nil {
			return nil, err
		}
		var out []Object
		for _, o := range objs {
			if ok, err := path.Match(name, o.Name); err != nil {
				return nil, errors.New("pattern " + st.Location(name) + " is malformed: " + err.Error())
			} else if ok {
				out = append(out, o)
			} else if dirMatch(name, o.Name) && keep(o.Name) {
				out = append(out, o) // the pattern names a "directory"
			}
		}
		if len(out) == 0 {
			return nil, errors.New("input pattern " + st.Location(name) + " matches nothing")
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	if name != "" && !strings.HasSuffix(name, "/") {
		if o, err := st.Stat(ctx, name); err == nil {
			return []Object{o}, nil
		} else if !errors.Is(err, ErrNotExist) {
			return nil, err
		}
		name += "/"
	}
	objs, err := st.List(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, o := range objs {
		if keep(o.Name) {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("input " + st.Location(name) + " holds no *.ndjson, *.jsonl or .gz forms of them")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// dirMatch reports whether some "/"-prefix of name matches pattern, so
// that a pattern naming directories reads the files below them.
func dirMatch(pattern, name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			if ok, _ := path.Match(pattern, name[:i]); ok {
				return true
			}
		}
	}
	return false
}
