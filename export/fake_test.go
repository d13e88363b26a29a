package export

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeServer is a Bulk Data server in Go that follows the IG, with
// switches for the corners the reference server cannot produce.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	files       map[string]string // name -> NDJSON
	counts      map[string]int64  // name -> manifest count (default: the lines)
	deleted     []string          // names listed under deleted
	errored     []string          // names listed under error
	polls       int               // 202 answers before the manifest
	kick429     int               // 429s before the kick-off is accepted
	status503   int               // 503s during polling
	token       string            // required bearer token ("" none)
	fileToken   bool              // requiresAccessToken
	ranges      bool              // serve Range requests
	dropAfter   int               // drop the first download of each file after this many bytes (0 never)
	badMD5      bool              // send a wrong Content-MD5
	kickOutcome string            // answer the kick-off with 400 and this diagnostics
	transaction string

	mu        sync.Mutex
	kickoffs  []string // kick-off URLs
	deletes   int
	ranged    []string // Range headers seen
	downloads atomic.Int32
	gzipped   int // downloads answered with Content-Encoding: gzip
	dropped   map[string]bool
	authSeen  []string // Authorization of downloads
}

func newFake(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, files: map[string]string{}, counts: map[string]int64{}, dropped: map[string]bool{}, transaction: "2026-12-06T13:37:40+00:00"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) base() string { return f.srv.URL + "/fhir" }

func outcomeJSON(code, text string) string {
	return fmt.Sprintf(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":%q,"diagnostics":%q}]}`, code, text)
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	authOK := f.token == "" || r.Header.Get("Authorization") == "Bearer "+f.token
	switch {
	case strings.HasSuffix(r.URL.Path, "/$export"):
		if !authOK {
			w.WriteHeader(401)
			fmt.Fprint(w, outcomeJSON("login", "token required"))
			return
		}
		if r.Header.Get("Prefer") != "respond-async" || r.Header.Get("Accept") != "application/fhir+json" {
			w.WriteHeader(400)
			fmt.Fprint(w, outcomeJSON("invalid", "Prefer: respond-async and Accept: application/fhir+json are required"))
			return
		}
		if f.kick429 > 0 {
			f.kick429--
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			fmt.Fprint(w, outcomeJSON("throttled", "slow down"))
			return
		}
		if f.kickOutcome != "" {
			w.WriteHeader(400)
			fmt.Fprint(w, outcomeJSON("not-supported", f.kickOutcome))
			return
		}
		f.kickoffs = append(f.kickoffs, r.URL.String())
		w.Header().Set("Content-Location", "/status/1") // relative: resolved against the kick-off URL
		w.WriteHeader(202)
	case r.URL.Path == "/status/1" && r.Method == http.MethodDelete:
		f.deletes++
		w.WriteHeader(202)
	case r.URL.Path == "/status/1":
		if !authOK {
			w.WriteHeader(401)
			return
		}
		if f.status503 > 0 {
			f.status503--
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			return
		}
		if f.polls > 0 {
			f.polls--
			w.Header().Set("X-Progress", fmt.Sprintf("%d%% done", 50+f.polls))
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(202)
			return
		}
		m := map[string]any{"transactionTime": f.transaction, "request": f.kickoffs[len(f.kickoffs)-1], "requiresAccessToken": f.fileToken}
		entry := func(name string) map[string]any {
			typ, _, _ := strings.Cut(name, ".")
			e := map[string]any{"type": typ, "url": f.srv.URL + "/files/" + name}
			if c, ok := f.counts[name]; ok {
				e["count"] = c
			} else {
				e["count"] = strings.Count(f.files[name], "\n")
			}
			return e
		}
		var out, del, errs []any
		for _, n := range sortedNames(f.files) {
			switch {
			case contains(f.deleted, n):
				del = append(del, entry(n))
			case contains(f.errored, n):
				errs = append(errs, entry(n))
			default:
				out = append(out, entry(n))
			}
		}
		m["output"], m["deleted"], m["error"] = out, del, errs
		json.NewEncoder(w).Encode(m)
	case strings.HasPrefix(r.URL.Path, "/files/"):
		f.authSeen = append(f.authSeen, r.Header.Get("Authorization"))
		if f.fileToken && !authOK {
			w.WriteHeader(401)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/files/")
		body, ok := f.files[name]
		if !ok {
			w.WriteHeader(404)
			fmt.Fprint(w, outcomeJSON("not-found", "no such file"))
			return
		}
		f.downloads.Add(1)
		if f.badMD5 {
			w.Header().Set("Content-MD5", base64.StdEncoding.EncodeToString(make([]byte, 16)))
		} else {
			sum := md5.Sum([]byte(body))
			w.Header().Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
		}
		if f.ranges {
			w.Header().Set("Accept-Ranges", "bytes")
		}
		if rg := r.Header.Get("Range"); rg != "" {
			f.ranged = append(f.ranged, rg)
			if f.ranges {
				start, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
				w.Header().Del("Content-MD5")
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(body)-1, len(body)))
				w.WriteHeader(206)
				fmt.Fprint(w, body[start:])
				return
			}
		}
		if f.dropAfter > 0 && !f.dropped[name] {
			f.dropped[name] = true
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(200)
			fmt.Fprint(w, body[:f.dropAfter])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			f.gzipped++
			w.Header().Del("Content-MD5") // it would be the hash of the gzip bytes
			zw := gzip.NewWriter(w)
			fmt.Fprint(zw, body)
			zw.Close()
			return
		}
		fmt.Fprint(w, body)
	default:
		w.WriteHeader(404)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func sortedNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func patients(n int, prefix string) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "{\"resourceType\":\"Patient\",\"id\":\"%s%d\"}\n", prefix, i)
	}
	return b.String()
}
