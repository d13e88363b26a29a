package runtime

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fhirql/fhirql/runtime/ndjson"
	"github.com/fhirql/fhirql/storage"
)

// expandInputs lists the run's inputs in the order given. Local paths
// are expanded by ndjson.Expand exactly as before (memory-mapped files,
// directories, globs, stdin); Azure locations are listed through the
// store (a pattern, a "directory" prefix or one blob) and streamed.
func expandInputs(ctx context.Context, opts Options) ([]ndjson.Input, error) {
	remote := false
	for _, p := range opts.Inputs {
		remote = remote || storage.IsRemote(p)
	}
	if !remote {
		return ndjson.Expand(opts.Inputs, opts.Stdin)
	}
	var out []ndjson.Input
	seen := map[string]bool{}
	add := func(ins ...ndjson.Input) {
		for _, in := range ins {
			if !seen[in.Name] {
				seen[in.Name] = true
				out = append(out, in)
			}
		}
	}
	var local []string
	flush := func() error {
		if len(local) == 0 {
			return nil
		}
		ins, err := ndjson.Expand(local, opts.Stdin)
		if err != nil {
			return err
		}
		add(ins...)
		local = local[:0]
		return nil
	}
	for _, p := range opts.Inputs {
		if !storage.IsRemote(p) {
			local = append(local, p)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		st, loc, err := storage.Resolve(ctx, p, opts.Storage)
		if err != nil {
			return nil, fmt.Errorf("input %v", err)
		}
		objs, err := storage.Expand(ctx, st, loc.Path, ndjson.IsNDJSONName)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			name := o.Name
			add(ndjson.OpenerInput(st.Location(name), func() (io.ReadCloser, error) {
				return st.Open(ctx, name)
			}))
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// outputStore returns where --out writes: the local directory (created
// as before) or an Azure container and prefix.
func outputStore(ctx context.Context, opts Options) (storage.Store, storage.Location, error) {
	if !storage.IsRemote(opts.OutDir) {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, storage.Location{}, fmt.Errorf("cannot create the output directory: %v", err)
		}
		loc, _ := storage.Parse(opts.OutDir)
		return storage.LocalStore{}, loc, nil
	}
	st, loc, err := storage.Resolve(ctx, opts.OutDir, opts.Storage)
	if err != nil {
		return nil, loc, fmt.Errorf("output %v", err)
	}
	return st, loc, nil
}
