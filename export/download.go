package export

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"compress/gzip"

	"github.com/fhirql/fhirql/storage"
)

// Layout of an export below the --out location:
//
//	<out>/export-state.json                       the exports done so far (for --since last)
//	<out>/<folder>/output/<Type>.<nnn>.ndjson     the manifest's output files
//	<out>/<folder>/deleted/<Type>.<nnn>.ndjson    its deleted files (Bundles of DELETE entries)
//	<out>/<folder>/error/<Type>.<nnn>.ndjson      its error files (OperationOutcomes)
//	<out>/<folder>/manifest.json                  the server's manifest, written last
//
// folder is the export's transactionTime (2026-12-06T133740Z), so exports
// sort in time order and `fhirql run --input <out>/<folder>/output` reads
// one of them.
const (
	StateName    = "export-state.json"
	ManifestName = "manifest.json"
)

// Folder returns an export's folder name: its transactionTime, UTC,
// without characters some file systems refuse.
func Folder(transactionTime string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, transactionTime); err == nil {
			return t.UTC().Format("2006-01-02T150405Z")
		}
	}
	return strings.NewReplacer(":", "", "+", "p").Replace(transactionTime)
}

// Dest is where files go: a store and the --out prefix in it.
type Dest struct {
	Store storage.Store
	Loc   storage.Location
}

func (d Dest) path(parts ...string) string {
	p := d.Loc.Path
	for _, s := range parts {
		p = storage.Join(d.Loc, p, s)
	}
	return p
}

// Downloaded is the result of an export's downloads.
type Downloaded struct {
	Folder  string // <out>/<folder>, as Location spells it
	Output  map[string]int64
	Deleted map[string]int64
	Errors  []string // the error files' OperationOutcomes, in words (first few)
	Files   int
	Bytes   int64
}

// DownloadOptions tune Download.
type DownloadOptions struct {
	Parallel int // files at once (default 4)
	// Progress is called after each file with the totals so far.
	Progress func(files, total int, bytes int64)
}

type job struct {
	class string // output, deleted, error
	f     File
	name  string
}

// Download fetches every file of m into dest's folder for the export,
// in parallel, then writes manifest.json. It returns what it wrote; on
// error the files already committed stay, but the folder has no
// manifest.json and the state is not updated.
func (c *Client) Download(ctx context.Context, m *Manifest, dest Dest, o DownloadOptions) (*Downloaded, error) {
	folder := Folder(m.TransactionTime)
	res := &Downloaded{Folder: dest.Store.Location(dest.path(folder)), Output: map[string]int64{}, Deleted: map[string]int64{}}
	var jobs []job
	for _, cl := range []struct {
		name  string
		files []File
	}{{"output", m.Output}, {"deleted", m.Deleted}, {"error", m.Error}} {
		n := map[string]int{}
		for _, f := range cl.files {
			typ := f.Type
			if typ == "" {
				typ = "Unknown"
			}
			name := fmt.Sprintf("%s.%03d.ndjson", typ, n[typ])
			n[typ]++
			jobs = append(jobs, job{class: cl.name, f: f, name: dest.path(folder, cl.name, name)})
		}
	}
	par := o.Parallel
	if par <= 0 {
		par = 4
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		bytesAll atomic.Int64
		wg       sync.WaitGroup
		next     = make(chan job)
	)
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				r, err := c.fetch(ctx, j, dest.Store, m.RequiresAccessToken, &bytesAll)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					done++
					switch j.class {
					case "output":
						res.Output[j.f.Type] += r.lines
					case "deleted":
						res.Deleted[j.f.Type] += r.lines
					case "error":
						if len(res.Errors) < 20 {
							res.Errors = append(res.Errors, r.errors...)
						}
					}
					if o.Progress != nil {
						o.Progress(done, len(jobs), bytesAll.Load())
					}
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	res.Files, res.Bytes = done, bytesAll.Load()
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := writeAll(ctx, dest.Store, dest.path(folder, ManifestName), m.Raw); err != nil {
		return res, err
	}
	return res, nil
}

type fetched struct {
	lines  int64
	errors []string
}

// fetch downloads one file into its final name, atomically.
func (c *Client) fetch(ctx context.Context, j job, st storage.Store, auth bool, total *atomic.Int64) (fetched, error) {
	var res fetched
	w, err := st.Create(ctx, j.name)
	if err != nil {
		return res, err
	}
	committed := false
	defer func() {
		if !committed {
			w.Abort()
		}
	}()
	cw := &countWriter{w: w, keepErrors: j.class == "error"}
	delay := c.minDelay()
	restart := func() error {
		w.Abort()
		nw, err := st.Create(ctx, j.name)
		if err != nil {
			return err
		}
		w = nw
		total.Add(-cw.n)
		*cw = countWriter{w: w, keepErrors: cw.keepErrors}
		return nil
	}
	for try := 0; ; try++ {
		h := http.Header{"Accept": {"application/fhir+ndjson"}}
		resuming := cw.n > 0
		if resuming {
			h.Set("Range", fmt.Sprintf("bytes=%d-", cw.n))
			h.Set("Accept-Encoding", "identity") // ranges of the identity bytes, which are those we kept
		} else {
			h.Set("Accept-Encoding", "gzip")
		}
		resp, err := c.send(ctx, "download", http.MethodGet, j.f.URL, h, auth)
		if err != nil {
			return res, err
		}
		switch {
		case resp.StatusCode == http.StatusPartialContent && resuming:
			if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != cw.n {
				resp.Body.Close()
				if err := restart(); err != nil {
					return res, err
				}
				continue
			}
		case resp.StatusCode == http.StatusOK:
			if resuming { // the server ignored Range: start over
				if err := restart(); err != nil {
					resp.Body.Close()
					return res, err
				}
			}
		default:
			resp.Body.Close()
			return res, &Error{Op: "download", URL: j.f.URL, Status: resp.StatusCode, Message: "unexpected answer"}
		}
		var body io.Reader = resp.Body
		var sum hash.Hash
		wantMD5 := resp.Header.Get("Content-MD5")
		if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				resp.Body.Close()
				return res, fmt.Errorf("download %s: the gzip stream is invalid: %v", redact(j.f.URL), err)
			}
			body = zr
		} else if wantMD5 != "" && resp.StatusCode == http.StatusOK {
			sum = md5.New()
			body = io.TeeReader(body, sum)
		}
		n0 := cw.n
		_, err = io.Copy(cw, body)
		resp.Body.Close()
		total.Add(cw.n - n0)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if cw.werr != nil {
				return res, cw.werr
			}
			if try >= c.retries() {
				return res, fmt.Errorf("download %s: %v (after %d tries)", redact(j.f.URL), err, try+1)
			}
			if resp.Header.Get("Accept-Ranges") != "bytes" { // no resumption: start over
				if err := restart(); err != nil {
					return res, err
				}
			}
			if err := sleep(ctx, delay); err != nil {
				return res, err
			}
			delay = min(2*delay, c.maxDelay())
			continue
		}
		if sum != nil {
			if got := base64.StdEncoding.EncodeToString(sum.Sum(nil)); got != wantMD5 {
				return res, fmt.Errorf("download %s: Content-MD5 is %s but the bytes received hash to %s: the file is not kept", redact(j.f.URL), wantMD5, got)
			}
		}
		break
	}
	if cw.partial {
		cw.lines++ // a last line without '\n'
		if cw.keepErrors && len(cw.errs) < 5 {
			if msg, _ := outcome(cw.line); msg != "" {
				cw.errs = append(cw.errs, msg)
			}
		}
	}
	// Error files' counts are not checked: the reference server gives
	// them the count of the output file they replace.
	if j.f.Count > 0 && cw.lines != j.f.Count && j.class != "error" {
		return res, fmt.Errorf("download %s: the manifest says %d resources but the file has %d lines: the file is not kept", redact(j.f.URL), j.f.Count, cw.lines)
	}
	if err := w.Commit(); err != nil {
		return res, err
	}
	committed = true
	res.lines, res.errors = cw.lines, cw.errs
	return res, nil
}

func rangeStart(cr string) (int64, bool) {
	// "bytes 100-199/200"
	s, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	a, _, ok := strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(a, 10, 64)
	return n, err == nil
}

// countWriter counts bytes and non-empty lines on their way to w, and
// keeps the first OperationOutcomes of error files in words.
type countWriter struct {
	w          io.Writer
	n          int64
	lines      int64
	partial    bool // bytes after the last '\n'
	werr       error
	keepErrors bool
	errs       []string
	line       []byte
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.werr = err
		return n, err
	}
	c.n += int64(n)
	for _, b := range p {
		if b == '\n' {
			if c.partial {
				c.lines++
			}
			c.partial = false
			if c.keepErrors && len(c.errs) < 5 {
				if msg, _ := outcome(c.line); msg != "" {
					c.errs = append(c.errs, msg)
				}
			}
			c.line = c.line[:0]
			continue
		}
		if b != '\r' && b != ' ' && b != '\t' {
			c.partial = true
		}
		if c.keepErrors && len(c.line) < 4096 {
			c.line = append(c.line, b)
		}
	}
	return n, nil
}

func writeAll(ctx context.Context, st storage.Store, name string, data []byte) error {
	w, err := st.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// State is export-state.json: the exports that finished, oldest first.
type State struct {
	Exports []StateEntry `json:"exports"`
}

// StateEntry is one finished export.
type StateEntry struct {
	TransactionTime string           `json:"transactionTime"`
	Request         string           `json:"request"`
	Folder          string           `json:"folder,omitempty"`    // "" when the server wrote the files (_container)
	Container       string           `json:"container,omitempty"` // Azure _container
	Output          map[string]int64 `json:"output,omitempty"`
	Deleted         map[string]int64 `json:"deleted,omitempty"`
	Finished        string           `json:"finished"`
}

// ReadState reads the state of dest; a missing file is an empty state.
func ReadState(ctx context.Context, dest Dest) (*State, error) {
	rc, err := dest.Store.Open(ctx, dest.path(StateName))
	if errors.Is(err, storage.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var s State
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return nil, fmt.Errorf("%s is not valid: %v (fix or remove it)", dest.Store.Location(dest.path(StateName)), err)
	}
	return &s, nil
}

// Last returns the transactionTime of the latest finished export, for
// `--since last`.
func (s *State) Last() (string, bool) {
	if len(s.Exports) == 0 {
		return "", false
	}
	return s.Exports[len(s.Exports)-1].TransactionTime, true
}

// Append records a finished export and writes the state atomically.
func (s *State) Append(ctx context.Context, dest Dest, e StateEntry) error {
	s.Exports = append(s.Exports, e)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAll(ctx, dest.Store, dest.path(StateName), append(data, '\n'))
}
