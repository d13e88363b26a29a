// Package lsp is fhirql's language server: diagnostics, hover, completion,
// navigation, formatting and quick fixes for .fview and ViewDefinition JSON
// files, over the Language Server Protocol on a pair of streams.
//
// The JSON-RPC layer is hand-written (a few hundred lines) instead of a
// generated protocol package, so the server adds no dependency to fhirql and
// every message it understands is visible in this package. All state is owned
// by one goroutine: messages and debounced diagnostic runs are handled in
// arrival order, so no handler needs a lock and a request always sees the
// edits that preceded it. Analysis reuses the compiler's own stages, so the
// editor reports exactly what `fhirql check` reports.
package lsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"runtime/debug"
	"sync"
	"time"

	"github.com/fhirql/fhirql/catalog"
	"github.com/fhirql/fhirql/catalog/r4"
)

// DefaultDebounce is how long the server waits after an edit before it
// publishes diagnostics: long enough to merge the changes of a burst of
// typing, short enough that errors appear as the user pauses.
const DefaultDebounce = 40 * time.Millisecond

// Options configure a server. The zero value is ready to use.
type Options struct {
	// Debounce delays diagnostics after a change; 0 means DefaultDebounce and
	// a negative value publishes synchronously (tests use it for determinism).
	Debounce time.Duration
	// Log receives the server's own log lines (recovered panics, protocol
	// errors); nil discards them. The CLI passes stderr, which editors show in
	// their language-server log.
	Log io.Writer
	// Catalog is the FHIR release views are checked against; nil means R4.
	Catalog *catalog.Catalog
}

// ErrNoShutdown is returned by Serve when the client sent exit (or closed the
// stream) without a shutdown request first; the LSP spec asks for exit code 1 then.
var ErrNoShutdown = errors.New("lsp: exit without shutdown")

// Server holds the state of one editor session.
type Server struct {
	opts   Options
	cat    *catalog.Catalog
	log    *log.Logger
	out    *writer
	events chan func()
	done   chan struct{}

	initialized bool
	shutdown    bool
	exited      bool
	watchFiles  bool // the client lets the server register file watchers

	docs   map[string]*document  // open documents by URI
	spaces map[string]*namespace // namespaces by directory key

	cancelMu  sync.Mutex
	cancelled map[string]bool // request IDs the client cancelled before we reached them
}

// Serve runs a server over in and out until the client sends exit or closes
// in. It returns nil after an orderly shutdown and exit.
func Serve(in io.Reader, out io.Writer, opts Options) error {
	s := newServer(out, opts)
	return s.run(in)
}

func newServer(out io.Writer, opts Options) *Server {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	cat := opts.Catalog
	if cat == nil {
		cat = r4.Catalog()
	}
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	return &Server{
		opts:      opts,
		cat:       cat,
		log:       log.New(logw, "fhirql lsp: ", log.LstdFlags|log.Lmicroseconds),
		out:       &writer{w: out},
		events:    make(chan func(), 64),
		done:      make(chan struct{}),
		docs:      map[string]*document{},
		spaces:    map[string]*namespace{},
		cancelled: map[string]bool{},
	}
}

func (s *Server) run(in io.Reader) error {
	defer close(s.done)
	r := newReader(in)
	msgs := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		for {
			body, err := r.read()
			if err != nil {
				readErr <- err
				close(msgs)
				return
			}
			s.noteCancel(body)
			select {
			case msgs <- body:
			case <-s.done:
				return
			}
		}
	}()
	for {
		select {
		case body, ok := <-msgs:
			if !ok {
				err := <-readErr
				if err != io.EOF {
					s.log.Printf("reading input: %v", err)
				}
				if s.shutdown {
					return nil
				}
				return ErrNoShutdown
			}
			s.handle(body)
			if s.exited {
				if s.shutdown {
					return nil
				}
				return ErrNoShutdown
			}
		case f := <-s.events:
			s.safely("background task", f)
		}
	}
}

// post runs f on the server goroutine; timers use it so that all state stays
// single-threaded.
func (s *Server) post(f func()) {
	select {
	case s.events <- f:
	case <-s.done:
	}
}

// noteCancel records $/cancelRequest as soon as it is read, so a request still
// queued behind a slow one is answered "cancelled" instead of computed.
func (s *Server) noteCancel(body []byte) {
	if len(body) > 4096 {
		return
	}
	var m struct {
		Method string `json:"method"`
		Params struct {
			ID json.RawMessage `json:"id"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil || m.Method != "$/cancelRequest" || len(m.Params.ID) == 0 {
		return
	}
	s.cancelMu.Lock()
	s.cancelled[string(m.Params.ID)] = true
	s.cancelMu.Unlock()
}

func (s *Server) takeCancelled(id json.RawMessage) bool {
	s.cancelMu.Lock()
	defer s.cancelMu.Unlock()
	k := string(id)
	if s.cancelled[k] {
		delete(s.cancelled, k)
		return true
	}
	return false
}

// safely runs f and turns a panic into a log line with its stack; it reports
// whether f panicked.
func (s *Server) safely(what string, f func()) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Printf("internal error in %s: %v\n%s", what, r, debug.Stack())
			panicked = true
		}
	}()
	f()
	return false
}

type requestHandler func(s *Server, params json.RawMessage) (any, error)
type notificationHandler func(s *Server, params json.RawMessage) error

var requests = map[string]requestHandler{}
var notifications = map[string]notificationHandler{}

func (s *Server) handle(body []byte) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		s.log.Printf("unparsable message: %v", err)
		s.replyError(json.RawMessage("null"), codeParseError, "parse error: "+err.Error())
		return
	}
	switch {
	case m.isRequest():
		s.handleRequest(&m)
	case m.isNotification():
		s.handleNotification(&m)
	case len(m.ID) > 0:
		// A response to a server-to-client request; the server sends none that
		// need an answer, so there is nothing to match it with.
	default:
		s.log.Printf("invalid message without method or id")
		s.replyError(json.RawMessage("null"), codeInvalidRequest, "message has neither method nor id")
	}
}

func (s *Server) handleRequest(m *message) {
	if s.takeCancelled(m.ID) {
		s.replyError(m.ID, codeRequestCancelled, "request cancelled")
		return
	}
	if !s.initialized && m.Method != "initialize" {
		s.replyError(m.ID, codeServerNotInitialized, "server not initialized")
		return
	}
	if s.shutdown {
		s.replyError(m.ID, codeInvalidRequest, "server is shutting down")
		return
	}
	h, ok := requests[m.Method]
	if !ok {
		s.replyError(m.ID, codeMethodNotFound, "method not found: "+m.Method)
		return
	}
	var result any
	var err error
	start := time.Now()
	if s.safely(m.Method, func() { result, err = h(s, m.Params) }) {
		s.replyError(m.ID, codeInternalError, "internal error in "+m.Method+"; see the server log")
		return
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		s.log.Printf("%s took %v", m.Method, d)
	}
	if err != nil {
		var re *rpcError
		if errors.As(err, &re) {
			s.replyError(m.ID, re.Code, re.Message)
		} else {
			s.replyError(m.ID, codeInternalError, err.Error())
		}
		return
	}
	if err := s.out.write(response{JSONRPC: "2.0", ID: m.ID, Result: result}); err != nil {
		s.log.Printf("writing response: %v", err)
	}
}

func (s *Server) handleNotification(m *message) {
	if m.Method == "exit" {
		s.exited = true
		return
	}
	if !s.initialized && m.Method != "initialized" {
		return // the spec: notifications before initialize are dropped
	}
	h, ok := notifications[m.Method]
	if !ok {
		return // $/ and unknown notifications may be ignored
	}
	var err error
	s.safely(m.Method, func() { err = h(s, m.Params) })
	if err != nil {
		s.log.Printf("%s: %v", m.Method, err)
	}
}

func (s *Server) replyError(id json.RawMessage, code int, msg string) {
	if err := s.out.write(errorResponse{JSONRPC: "2.0", ID: id, Error: &rpcError{Code: code, Message: msg}}); err != nil {
		s.log.Printf("writing error response: %v", err)
	}
}

func (s *Server) notify(method string, params any) {
	if err := s.out.write(notification{JSONRPC: "2.0", Method: method, Params: params}); err != nil {
		s.log.Printf("writing %s: %v", method, err)
	}
}

// decode unmarshals params, turning a failure into the "invalid params" error.
func decode(params json.RawMessage, v any) error {
	if len(params) == 0 {
		return &rpcError{Code: codeInvalidParams, Message: "missing params"}
	}
	if err := json.Unmarshal(params, v); err != nil {
		return &rpcError{Code: codeInvalidParams, Message: fmt.Sprintf("invalid params: %v", err)}
	}
	return nil
}

// req registers a request handler with typed params.
func req[P any](method string, h func(s *Server, p *P) (any, error)) {
	requests[method] = func(s *Server, raw json.RawMessage) (any, error) {
		p := new(P)
		if err := decode(raw, p); err != nil {
			return nil, err
		}
		return h(s, p)
	}
}

// note registers a notification handler with typed params.
func note[P any](method string, h func(s *Server, p *P) error) {
	notifications[method] = func(s *Server, raw json.RawMessage) error {
		p := new(P)
		if err := decode(raw, p); err != nil {
			return err
		}
		return h(s, p)
	}
}

// Semantic token legend, shared by initialize and the token encoder.
var tokenTypes = []string{"keyword", "type", "property", "function", "variable", "string", "number", "comment"}
var tokenModifiers = []string{"declaration", "documentation", "defaultLibrary"}

func init() {
	requests["initialize"] = func(s *Server, raw json.RawMessage) (any, error) {
		var p InitializeParams
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, &rpcError{Code: codeInvalidParams, Message: err.Error()}
			}
		}
		if s.initialized {
			return nil, &rpcError{Code: codeInvalidRequest, Message: "initialize sent twice"}
		}
		s.initialized = true
		// Namespaces are directories, found from the open files; the
		// workspace root only goes to the log, to help read it.
		root := p.RootPath
		if d, ok := uriToPath(p.RootURI); ok {
			root = d
		}
		s.log.Printf("starting (fhirql %s) in %s", serverVersion(), root)
		if w := p.Capabilities.Workspace; w != nil && w.DidChangeWatchedFiles != nil && w.DidChangeWatchedFiles.DynamicRegistration {
			s.watchFiles = true
		}
		if o := p.InitializationOptions; o != nil && o.DebounceMillis != nil {
			s.opts.Debounce = time.Duration(*o.DebounceMillis) * time.Millisecond
			if *o.DebounceMillis <= 0 {
				s.opts.Debounce = -1
			}
		}
		return map[string]any{
			"capabilities": map[string]any{
				"positionEncoding": "utf-16",
				"textDocumentSync": map[string]any{
					"openClose": true,
					"change":    1, // full text: documents are small and it cannot drift
					"save":      map[string]any{"includeText": false},
				},
				"hoverProvider": true,
				"completionProvider": map[string]any{
					"triggerCharacters": []string{".", "%", "(", " "},
					"resolveProvider":   false,
				},
				"definitionProvider":         true,
				"referencesProvider":         true,
				"documentSymbolProvider":     true,
				"documentFormattingProvider": true,
				"renameProvider":             map[string]any{"prepareProvider": true},
				"codeActionProvider":         map[string]any{"codeActionKinds": []string{"quickfix"}},
				"semanticTokensProvider": map[string]any{
					"legend": map[string]any{"tokenTypes": tokenTypes, "tokenModifiers": tokenModifiers},
					"full":   true,
				},
			},
			"serverInfo": map[string]any{"name": "fhirql", "version": serverVersion()},
		}, nil
	}
	notifications["initialized"] = func(s *Server, _ json.RawMessage) error {
		if s.watchFiles {
			// Files changed on disk (by git, another editor, a generator)
			// change what the open files of their directory see.
			s.out.write(map[string]any{"jsonrpc": "2.0", "id": "fhirql-watch", "method": "client/registerCapability", "params": map[string]any{
				"registrations": []map[string]any{{
					"id": "fhirql-watch", "method": "workspace/didChangeWatchedFiles",
					"registerOptions": map[string]any{"watchers": []map[string]any{{"globPattern": "**/*.fview"}, {"globPattern": "**/*.json"}}},
				}},
			}})
		}
		return nil
	}
	requests["shutdown"] = func(s *Server, _ json.RawMessage) (any, error) {
		s.shutdown = true
		for _, ns := range s.spaces {
			ns.stopTimer()
		}
		return nil, nil
	}
}

func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
