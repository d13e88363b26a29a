// Package export is fhirql's FHIR Bulk Data Access (IG 2.0) client: it
// kicks off a $export, polls its status, and downloads the manifest's
// files into a storage.Store (a local directory or the data lake) in the
// layout fhirql run reads.
//
// Servers differ and networks drop: the client honours Retry-After, backs
// off on 429 and 503 (and on 5xx answers whose OperationOutcome says the
// problem is transient), resumes an interrupted download with a Range
// request where the server allows it and starts the file over where it
// does not, asks for gzip and checks each file's resource count against
// the manifest. Every file is written atomically and the export's
// manifest.json is written last, so a folder without it is an export that
// did not finish, never one that looks complete. A cancelled export is
// cancelled on the server too (DELETE of its status URL).
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Client talks to one FHIR server.
type Client struct {
	// Base is the FHIR base URL (…/fhir, without a trailing slash).
	Base string
	// HTTP is the client used (default: http.DefaultClient's transport
	// without a timeout, since downloads are long).
	HTTP *http.Client
	// Auth, when set, gives the bearer token of every request to the
	// server (and of downloads whose manifest says requiresAccessToken).
	Auth Auth
	// Status, when set, receives the server's X-Progress text at each
	// poll (the CLI draws a progress line on a terminal).
	Status func(msg string)
	// MaxDelay caps one wait between polls or retries (default 1 min);
	// tests shorten it.
	MaxDelay time.Duration
	// MinDelay is the wait when the server suggests none (default 1 s).
	MinDelay time.Duration
	// Retries is how many 429, 503, transient or dropped answers in a
	// row one request may see before the export fails (default 8).
	Retries int
}

// Request is a kick-off: which level, which resources, since when.
type Request struct {
	// Level is "" (the whole system), "Patient", or "Group/ID".
	Level        string
	Types        []string // _type
	Since        string   // _since, a FHIR instant
	TypeFilters  []string // _typeFilter, each a Type?search query
	Elements     []string // _elements
	OutputFormat string   // _outputFormat (default: the server's, application/fhir+ndjson)
	// Container is Azure's _container: the server writes the files into
	// this container of its own storage account instead of serving them.
	Container string
}

// URL returns the kick-off URL of r against base.
func (r Request) URL(base string) string {
	u := strings.TrimSuffix(base, "/")
	if r.Level != "" {
		u += "/" + strings.Trim(r.Level, "/")
	}
	u += "/$export"
	q := url.Values{}
	if len(r.Types) > 0 {
		q.Set("_type", strings.Join(r.Types, ","))
	}
	if r.Since != "" {
		q.Set("_since", r.Since)
	}
	for _, f := range r.TypeFilters {
		q.Add("_typeFilter", f)
	}
	if len(r.Elements) > 0 {
		q.Set("_elements", strings.Join(r.Elements, ","))
	}
	if r.OutputFormat != "" {
		q.Set("_outputFormat", r.OutputFormat)
	}
	if r.Container != "" {
		q.Set("_container", r.Container)
	}
	if len(q) > 0 {
		// Keep ',' and '/' readable: servers accept them and users read the URL.
		u += "?" + strings.NewReplacer("%2C", ",", "%2F", "/").Replace(q.Encode())
	}
	return u
}

// Manifest is the completion manifest of an export.
type Manifest struct {
	TransactionTime     string `json:"transactionTime"`
	Request             string `json:"request"`
	RequiresAccessToken bool   `json:"requiresAccessToken"`
	Output              []File `json:"output"`
	Deleted             []File `json:"deleted"`
	Error               []File `json:"error"`
	// Raw is the manifest as the server sent it, kept in the export's
	// folder as manifest.json.
	Raw []byte `json:"-"`
}

// File is one entry of a manifest.
type File struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int64  `json:"count,omitempty"`
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{}
}

func (c *Client) maxDelay() time.Duration {
	if c.MaxDelay > 0 {
		return c.MaxDelay
	}
	return time.Minute
}

func (c *Client) minDelay() time.Duration {
	if c.MinDelay > 0 {
		return c.MinDelay
	}
	return time.Second
}

func (c *Client) retries() int {
	if c.Retries > 0 {
		return c.Retries
	}
	return 8
}

// Error is a failed request: the status and the server's
// OperationOutcome in words.
type Error struct {
	Op      string // "kick-off", "status", "download", …
	URL     string
	Status  int
	Message string // the OperationOutcome's diagnostics, or the body's start
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Op, redact(e.URL), e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// redact drops a URL's query when it carries a signature (pre-signed
// download URLs are credentials).
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		q := strings.ToLower(u[i:])
		if strings.Contains(q, "sig=") || strings.Contains(q, "signature") || strings.Contains(q, "token") {
			return u[:i] + "?…"
		}
	}
	return u
}

// outcome reads an OperationOutcome (or any body) into one line.
func outcome(body []byte) (msg string, transient bool) {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string `json:"severity"`
			Code        string `json:"code"`
			Diagnostics string `json:"diagnostics"`
			Details     struct {
				Text string `json:"text"`
			} `json:"details"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) == nil && oo.ResourceType == "OperationOutcome" {
		var parts []string
		for _, is := range oo.Issue {
			text := is.Diagnostics
			if text == "" {
				text = is.Details.Text
			}
			if text == "" {
				text = "(no text)"
			}
			parts = append(parts, fmt.Sprintf("%s (%s, %s)", text, is.Severity, is.Code))
			transient = transient || is.Code == "transient" || is.Code == "throttled"
		}
		return strings.Join(parts, "; "), transient
	}
	// Not an OperationOutcome: an HTML error page or plain text, in one
	// line without its markup.
	s := string(body)
	if strings.Contains(s, "<") {
		s = tags.ReplaceAllString(s, " ")
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s, false
}

var tags = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)

func errorFrom(op, u string, resp *http.Response) (*Error, bool) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg, transient := outcome(body)
	return &Error{Op: op, URL: u, Status: resp.StatusCode, Message: msg}, transient
}

// retryable reports whether an answer asks to try again later.
func retryable(status int, transient bool) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable ||
		(status >= 500 && transient)
}

// retryAfter reads Retry-After: delay-seconds or an HTTP date. Large
// numbers are read as the epoch time they evidently are (a server seen in
// the wild sends epoch milliseconds there); the result is capped.
func (c *Client) retryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	d := fallback
	if v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			switch {
			case n > 1e12:
				d = time.Until(time.UnixMilli(n))
			case n > 1e9:
				d = time.Until(time.Unix(n, 0))
			default:
				d = time.Duration(n) * time.Second
			}
		} else if t, err := http.ParseTime(v); err == nil {
			d = time.Until(t)
		}
	}
	if d < 0 {
		d = 0
	}
	if d > c.maxDelay() {
		d = c.maxDelay()
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send does one request with the server's token, renewing the token
// once on 401 and waiting out 429/503/transient answers.
func (c *Client) send(ctx context.Context, op, method, u string, header http.Header, auth bool) (*http.Response, error) {
	renewed := false
	delay := c.minDelay()
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if auth && c.Auth != nil {
			tok, err := c.Auth.Token(ctx, renewed)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.http().Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if try >= c.retries() {
				return nil, fmt.Errorf("%s %s: %v", op, redact(u), err)
			}
			if err := sleep(ctx, delay); err != nil {
				return nil, err
			}
			delay = min(2*delay, c.maxDelay())
			continue
		}
		if resp.StatusCode == http.StatusUnauthorized && auth && c.Auth != nil && !renewed {
			resp.Body.Close()
			renewed = true
			continue
		}
		if resp.StatusCode < 400 {
			return resp, nil
		}
		e, transient := errorFrom(op, u, resp)
		resp.Body.Close()
		if !retryable(resp.StatusCode, transient) || try >= c.retries() {
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				e.Message = strings.TrimSpace(e.Message + " (check the token, the client's registration and its scopes)")
			}
			return nil, e
		}
		wait := c.retryAfter(resp.Header, delay)
		if c.Status != nil {
			c.Status(fmt.Sprintf("server busy (%d); retrying in %s", resp.StatusCode, wait.Round(time.Second)))
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		delay = min(2*delay, c.maxDelay())
	}
}

// Kickoff starts an export and returns its status URL.
func (c *Client) Kickoff(ctx context.Context, r Request) (string, error) {
	u := r.URL(c.Base)
	h := http.Header{"Accept": {"application/fhir+json"}, "Prefer": {"respond-async"}}
	resp, err := c.send(ctx, "kick-off", http.MethodGet, u, h, true)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusAccepted {
		return "", &Error{Op: "kick-off", URL: u, Status: resp.StatusCode, Message: "expected 202 Accepted with a Content-Location (is this a Bulk Data server?)"}
	}
	loc := resp.Header.Get("Content-Location")
	if loc == "" {
		return "", &Error{Op: "kick-off", URL: u, Status: resp.StatusCode, Message: "the answer has no Content-Location header to poll"}
	}
	if ref, err := url.Parse(loc); err == nil && !ref.IsAbs() {
		if base, err := url.Parse(u); err == nil {
			loc = base.ResolveReference(ref).String()
		}
	}
	return loc, nil
}

// Wait polls the status URL until the manifest is ready, reporting
// X-Progress through Status.
func (c *Client) Wait(ctx context.Context, status string) (*Manifest, error) {
	delay := c.minDelay()
	for {
		resp, err := c.send(ctx, "status", http.MethodGet, status, http.Header{"Accept": {"application/json"}}, true)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
			resp.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("reading the manifest at %s: %v", status, err)
			}
			var m Manifest
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, fmt.Errorf("the manifest at %s is not valid JSON: %v", status, err)
			}
			if m.TransactionTime == "" {
				return nil, fmt.Errorf("the manifest at %s has no transactionTime", status)
			}
			m.Raw = body
			return &m, nil
		case http.StatusAccepted:
			p := strings.TrimSpace(resp.Header.Get("X-Progress"))
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			wait := c.retryAfter(resp.Header, delay)
			if c.Status != nil {
				if p == "" {
					p = "in progress"
				}
				c.Status(p)
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			if resp.Header.Get("Retry-After") == "" {
				delay = min(2*delay, c.maxDelay())
			}
		default:
			resp.Body.Close()
			return nil, &Error{Op: "status", URL: status, Status: resp.StatusCode, Message: "unexpected answer while polling"}
		}
	}
}

// Cancel asks the server to stop an export and delete its files.
func (c *Client) Cancel(ctx context.Context, status string) error {
	resp, err := c.send(ctx, "cancel", http.MethodDelete, status, http.Header{"Accept": {"application/fhir+json"}}, true)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusNotFound {
			return nil // already gone
		}
		return err
	}
	resp.Body.Close()
	return nil
}
