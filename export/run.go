package export

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Options of a whole export.
type Options struct {
	DownloadOptions
	// SinceLast sets Request.Since to the transactionTime of the last
	// export recorded at the destination.
	SinceLast bool
	// Started is called with the status URL once the server accepted
	// the kick-off.
	Started func(status string)
	// Now is the clock of the state's "finished" time (tests fix it).
	Now func() time.Time
}

// Result is what an export did.
type Result struct {
	Manifest   *Manifest
	Downloaded *Downloaded // nil for _container exports
	Since      string      // the _since used
}

// ErrCancelled is returned (wrapped) when the context was cancelled
// during an export; the server was asked to cancel it.
var ErrCancelled = errors.New("export cancelled")

// Run does a whole export: kick-off, polling, downloads into dest (not
// for a _container export, whose files the server writes itself), and the
// state entry that `--since last` reads next time. A cancelled context
// cancels the export on the server (DELETE of the status URL).
func (c *Client) Run(ctx context.Context, r Request, dest *Dest, o Options) (*Result, error) {
	res := &Result{}
	var state *State
	if dest != nil {
		var err error
		if state, err = ReadState(ctx, *dest); err != nil {
			return res, err
		}
	}
	if o.SinceLast {
		last, ok := "", false
		if state != nil {
			last, ok = state.Last()
		}
		if !ok {
			where := "the destination"
			if dest != nil {
				where = dest.Store.Location(dest.path(StateName))
			}
			return res, fmt.Errorf("--since last: no previous export is recorded in %s; run a first export without --since", where)
		}
		r.Since = last
	}
	res.Since = r.Since
	status, err := c.Kickoff(ctx, r)
	if err != nil {
		return res, err
	}
	if o.Started != nil {
		o.Started(status)
	}
	m, err := c.Wait(ctx, status)
	if err != nil {
		if ctx.Err() != nil {
			return res, c.cancelled(status)
		}
		return res, err
	}
	res.Manifest = m
	entry := StateEntry{TransactionTime: m.TransactionTime, Request: m.Request, Container: r.Container}
	if entry.Request == "" {
		entry.Request = r.URL(c.Base)
	}
	if r.Container == "" {
		if dest == nil {
			return res, errors.New("no destination for the files: pass --out")
		}
		d, err := c.Download(ctx, m, *dest, o.DownloadOptions)
		res.Downloaded = d
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("%w while downloading; the files committed so far are in %s, which has no %s (the export did not finish)", ErrCancelled, d.Folder, ManifestName)
			}
			return res, fmt.Errorf("%v; the files committed so far are in %s, which has no %s (the export did not finish)", err, d.Folder, ManifestName)
		}
		entry.Folder = Folder(m.TransactionTime)
		entry.Output, entry.Deleted = d.Output, d.Deleted
	}
	if dest != nil {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		entry.Finished = now().UTC().Format(time.RFC3339)
		if r.Container != "" {
			if err := writeAll(ctx, dest.Store, dest.path(Folder(m.TransactionTime), ManifestName), m.Raw); err != nil {
				return res, err
			}
		}
		if err := state.Append(ctx, *dest, entry); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (c *Client) cancelled(status string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Cancel(ctx, status); err != nil {
		return fmt.Errorf("%w; asking the server to cancel it failed: %v", ErrCancelled, err)
	}
	return fmt.Errorf("%w; the server was asked to cancel it (DELETE %s)", ErrCancelled, redact(status))
}
