// Package azure is fhirql's data lake: storage.Store over Azure Blob
// Storage and ADLS Gen2 (through the Blob API, which hierarchical-namespace
// accounts also serve), and Microsoft Entra ID tokens for the FHIR server.
// It is the only package importing the Azure SDK (azblob, azidentity,
// azcore), so the rest of fhirql never sees it.
//
// Authentication, in order: a SAS token written in the location's query;
// a connection string (AZURE_STORAGE_CONNECTION_STRING) for the location's
// account, whose BlobEndpoint also points abfss:// and https:// locations
// at an emulator; otherwise a Microsoft Entra ID credential (the default
// chain, a managed identity, a client secret or the az CLI's login).
//
// Reads are streamed in ranges pinned to the blob's ETag, so nothing is
// downloaded before processing starts and a blob replaced mid-read is an
// error, not a mixture. Writes stage blocks and commit the block list
// last: until the commit nothing exists under the blob's name (or the
// previous blob stays whole).
package azure

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/fhirql/fhirql/storage"
)

// Credential kinds for Microsoft Entra ID (Options.Credential).
const (
	CredDefault         = "default"          // azidentity's default chain: environment, workload identity, managed identity, az CLI, …
	CredManagedIdentity = "managed-identity" // the machine's managed identity (AZURE_CLIENT_ID picks a user-assigned one)
	CredClientSecret    = "client-secret"    // AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET
	CredAzureCLI        = "azure-cli"        // the account `az login` signed in
)

// CredentialKinds lists the accepted Options.Credential values.
var CredentialKinds = []string{CredDefault, CredManagedIdentity, CredClientSecret, CredAzureCLI}

// Options configure access to storage accounts.
type Options struct {
	// Credential is one of CredentialKinds ("" means CredDefault).
	Credential string
	// ConnectionString, when set, authenticates its account with the
	// account key (or its SAS) and gives the account's blob endpoint.
	ConnectionString string
	// BlockSize is the size of staged blocks and of ranged reads
	// (default 4 MiB).
	BlockSize int
}

// FromEnv returns Options with the connection string of
// AZURE_STORAGE_CONNECTION_STRING.
func FromEnv(credential string) Options {
	return Options{Credential: credential, ConnectionString: os.Getenv("AZURE_STORAGE_CONNECTION_STRING")}
}

// Opener returns the storage.Opener of Azure locations.
func Opener(o Options) storage.Opener {
	var once sync.Once
	var cred azcore.TokenCredential
	var credErr error
	token := func() (azcore.TokenCredential, error) {
		once.Do(func() { cred, credErr = newCredential(o.Credential) })
		return cred, credErr
	}
	return func(ctx context.Context, loc storage.Location) (storage.Store, error) {
		return open(loc, o, token)
	}
}

func clientOptions() *container.ClientOptions {
	return &container.ClientOptions{ClientOptions: policy.ClientOptions{
		Telemetry: policy.TelemetryOptions{ApplicationID: "fhirql"},
	}}
}

func open(loc storage.Location, o Options, token func() (azcore.TokenCredential, error)) (storage.Store, error) {
	bs := o.BlockSize
	if bs <= 0 {
		bs = 4 << 20
	}
	endpoint := loc.Endpoint
	cs, csErr := parseConnectionString(o.ConnectionString)
	useCS := o.ConnectionString != "" && csErr == nil && strings.EqualFold(cs["AccountName"], loc.Account)
	if useCS && cs["BlobEndpoint"] != "" && !strings.HasPrefix(strings.ToLower(loc.Raw), "http") {
		// abfss:// and wasbs:// name the account, not the endpoint: the
		// connection string's endpoint wins (an emulator's, in tests).
		endpoint = strings.TrimSuffix(cs["BlobEndpoint"], "/")
	}
	curl := endpoint + "/" + loc.Container
	var (
		c   *container.Client
		err error
	)
	switch {
	case loc.SAS != "":
		c, err = container.NewClientWithNoCredential(curl+"?"+loc.SAS, clientOptions())
	case useCS && cs["AccountKey"] != "":
		var key *container.SharedKeyCredential
		key, err = container.NewSharedKeyCredential(cs["AccountName"], cs["AccountKey"])
		if err == nil {
			c, err = container.NewClientWithSharedKeyCredential(curl, key, clientOptions())
		}
	case useCS && cs["SharedAccessSignature"] != "":
		c, err = container.NewClientWithNoCredential(curl+"?"+strings.TrimPrefix(cs["SharedAccessSignature"], "?"), clientOptions())
	default:
		if o.ConnectionString != "" && csErr != nil {
			return nil, fmt.Errorf("AZURE_STORAGE_CONNECTION_STRING: %v", csErr)
		}
		var cred azcore.TokenCredential
		cred, err = token()
		if err != nil {
			return nil, fmt.Errorf("%s: no SAS token in the location, no connection string for account %s, and no Microsoft Entra ID credential: %v", loc, loc.Account, err)
		}
		c, err = container.NewClient(curl, cred, clientOptions())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", loc, err)
	}
	return &Store{c: c, base: loc.Endpoint + "/" + loc.Container + "/", blockSize: bs}, nil
}

// parseConnectionString reads "Key=Value;Key=Value" (values may hold '=').
func parseConnectionString(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not Key=Value", part)
		}
		m[k] = v
	}
	if s != "" && m["AccountName"] == "" {
		return nil, errors.New("the connection string names no AccountName")
	}
	return m, nil
}

// Store is a blob container.
type Store struct {
	c         *container.Client
	base      string // the container's URL without SAS, for messages
	blockSize int
}

// Location returns the blob's URL (without any SAS token).
func (s *Store) Location(name string) string { return s.base + name }

// Stat returns a blob's size.
func (s *Store) Stat(ctx context.Context, name string) (storage.Object, error) {
	p, err := s.c.NewBlobClient(name).GetProperties(ctx, nil)
	if err != nil {
		return storage.Object{}, s.wrap(name, err)
	}
	// On accounts with a hierarchical namespace (ADLS Gen2) the Blob API
	// shows a directory as an empty blob marked hdi_isfolder: it is a
	// prefix to list, not an input.
	for k, v := range p.Metadata {
		if strings.EqualFold(k, "hdi_isfolder") && v != nil && strings.EqualFold(*v, "true") {
			return storage.Object{}, fmt.Errorf("%s is a directory: %w", s.Location(name), storage.ErrNotExist)
		}
	}
	var n int64
	if p.ContentLength != nil {
		n = *p.ContentLength
	}
	return storage.Object{Name: name, Size: n}, nil
}

// List lists the blobs whose names begin with prefix, in name order (the
// service lists in that order).
func (s *Store) List(ctx context.Context, prefix string) ([]storage.Object, error) {
	var out []storage.Object
	pager := s.c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, s.wrap(prefix, err)
		}
		for _, b := range page.Segment.BlobItems {
			if b.Name == nil {
				continue
			}
			o := storage.Object{Name: *b.Name}
			if b.Properties != nil && b.Properties.ContentLength != nil {
				o.Size = *b.Properties.ContentLength
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// Open streams the blob in ranges of BlockSize, each request pinned to
// the ETag the first one saw. Two ranges are fetched ahead of the reader,
// so the network and the run overlap; memory stays at three ranges.
func (s *Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	bc := s.c.NewBlobClient(name)
	p, err := bc.GetProperties(ctx, nil)
	if err != nil {
		return nil, s.wrap(name, err)
	}
	var size int64
	if p.ContentLength != nil {
		size = *p.ContentLength
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &rangeReader{cancel: cancel, ch: make(chan chunk, 2)}
	go s.fetchRanges(ctx, bc, name, p.ETag, size, r.ch)
	return r, nil
}

type chunk struct {
	data []byte
	err  error
}

// fetchRanges sends the blob's ranges in order, then closes ch.
func (s *Store) fetchRanges(ctx context.Context, bc *blob.Client, name string, etag *azcore.ETag, size int64, ch chan<- chunk) {
	defer close(ch)
	for off := int64(0); off < size; {
		n := int64(s.blockSize)
		if off+n > size {
			n = size - off
		}
		data, err := s.fetchRange(ctx, bc, name, etag, off, n)
		select {
		case ch <- chunk{data, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
		off += n
	}
}

func (s *Store) fetchRange(ctx context.Context, bc *blob.Client, name string, etag *azcore.ETag, off, n int64) ([]byte, error) {
	resp, err := bc.DownloadStream(ctx, &blob.DownloadStreamOptions{
		Range:            blob.HTTPRange{Offset: off, Count: n},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: etag}},
	})
	if err != nil {
		if bloberror.HasCode(err, bloberror.ConditionNotMet) {
			return nil, fmt.Errorf("%s changed while it was being read; read it again", s.Location(name))
		}
		return nil, s.wrap(name, err)
	}
	body := resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 5})
	defer body.Close()
	data := make([]byte, n)
	if _, err := io.ReadFull(body, data); err != nil {
		return nil, s.wrap(name, err)
	}
	return data, nil
}

type rangeReader struct {
	cancel context.CancelFunc
	ch     chan chunk
	cur    []byte
	err    error
}

func (r *rangeReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		c, ok := <-r.ch
		if !ok {
			r.err = io.EOF
			continue
		}
		r.cur, r.err = c.data, c.err
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func (r *rangeReader) Close() error {
	r.cancel()
	for range r.ch { // let the fetcher end
	}
	return nil
}

// Create stages blocks of BlockSize (up to four uploads in flight) and
// commits the block list in Commit; Abort stages nothing more, and the
// service discards uncommitted blocks on its own.
func (s *Store) Create(ctx context.Context, name string) (storage.Writer, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &blockWriter{
		ctx: ctx, cancel: cancel, s: s, name: name,
		bb:  s.c.NewBlockBlobClient(name),
		buf: make([]byte, 0, s.blockSize),
		sem: make(chan struct{}, 4),
	}
	return w, nil
}

type blockWriter struct {
	ctx    context.Context
	cancel context.CancelFunc
	s      *Store
	name   string
	bb     *blockblob.Client
	buf    []byte
	ids    []string
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	done   bool
}

func (w *blockWriter) Name() string { return w.s.Location(w.name) }

func (w *blockWriter) Write(p []byte) (int, error) {
	if err := w.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		if len(w.buf) == cap(w.buf) {
			w.stage()
		}
	}
	return n, w.failed()
}

func (w *blockWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// stage uploads the buffer as the next block, in the background.
func (w *blockWriter) stage() {
	if len(w.buf) == 0 {
		return
	}
	var idb [16]byte
	copy(idb[:], "fhirql-")
	binary.BigEndian.PutUint64(idb[8:], uint64(len(w.ids)))
	id := base64.StdEncoding.EncodeToString(idb[:])
	w.ids = append(w.ids, id)
	data := w.buf
	w.buf = make([]byte, 0, w.s.blockSize)
	w.sem <- struct{}{}
	w.wg.Add(1)
	go func() {
		defer func() { <-w.sem; w.wg.Done() }()
		_, err := w.bb.StageBlock(w.ctx, id, nopSeekCloser{bytes.NewReader(data)}, nil)
		if err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = w.s.wrap(w.name, err)
			}
			w.mu.Unlock()
		}
	}()
}

// Commit stages what is left and commits the block list: the blob
// appears (or is replaced) whole, at once.
func (w *blockWriter) Commit() error {
	if w.done {
		return nil
	}
	w.done = true
	defer w.cancel()
	w.stage()
	w.wg.Wait()
	if err := w.failed(); err != nil {
		return err
	}
	if _, err := w.bb.CommitBlockList(w.ctx, w.ids, nil); err != nil {
		return w.s.wrap(w.name, err)
	}
	return nil
}

func (w *blockWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.cancel()
	w.wg.Wait()
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

// wrap turns the SDK's multi-line errors into one line naming the blob,
// the status and what to do.
func (s *Store) wrap(name string, err error) error {
	where := s.Location(name)
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code := re.ErrorCode
		switch {
		case re.StatusCode == http.StatusNotFound && code == string(bloberror.ContainerNotFound):
			return fmt.Errorf("%s: the container does not exist: create it first (%w)", where, storage.ErrNotExist)
		case re.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%s: %w", where, storage.ErrNotExist)
		case re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("%s: access denied (%d %s): check the SAS token or the role assignment (Storage Blob Data Reader to read, Contributor to write)", where, re.StatusCode, code)
		}
		return fmt.Errorf("%s: %d %s", where, re.StatusCode, code)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var authErr *azidentity.AuthenticationFailedError
	msg := err.Error()
	if errors.As(err, &authErr) || strings.Contains(msg, "failed to acquire a token") {
		// The SDK lists every credential it tried over many lines.
		first, _, _ := strings.Cut(msg, "\n")
		return fmt.Errorf("%s: %s (sign in with az login and --azure-credential azure-cli, put a SAS token in the URL, or set AZURE_STORAGE_CONNECTION_STRING)", where, strings.TrimSpace(first))
	}
	return fmt.Errorf("%s: %v", where, err)
}

// newCredential makes the Microsoft Entra ID credential of a kind.
func newCredential(kind string) (azcore.TokenCredential, error) {
	switch kind {
	case "", CredDefault:
		return azidentity.NewDefaultAzureCredential(nil)
	case CredManagedIdentity:
		var o azidentity.ManagedIdentityCredentialOptions
		if id := os.Getenv("AZURE_CLIENT_ID"); id != "" {
			o.ID = azidentity.ClientID(id)
		}
		return azidentity.NewManagedIdentityCredential(&o)
	case CredClientSecret:
		t, c, sec := os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID"), os.Getenv("AZURE_CLIENT_SECRET")
		if t == "" || c == "" || sec == "" {
			return nil, errors.New("the client-secret credential needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET in the environment")
		}
		return azidentity.NewClientSecretCredential(t, c, sec, nil)
	case CredAzureCLI:
		return azidentity.NewAzureCLICredential(nil)
	}
	return nil, fmt.Errorf("unknown credential %q: use one of %s", kind, strings.Join(CredentialKinds, ", "))
}

// TokenSource returns a function giving Microsoft Entra ID access tokens
// for scope (a FHIR service's "https://….fhir.azurehealthcareapis.com/.default"),
// for the export client's Authorization header; tokens are cached by the
// SDK and refreshed before they expire.
func TokenSource(kind, scope string) (func(ctx context.Context) (string, time.Time, error), error) {
	cred, err := newCredential(kind)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (string, time.Time, error) {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			return "", time.Time{}, fmt.Errorf("Microsoft Entra ID token for %s: %v", scope, err)
		}
		return tok.Token, tok.ExpiresOn, nil
	}, nil
}

// CreateContainer creates the container of an Azure location if it does
// not exist yet. fhirql itself never creates containers (a mistyped name
// should fail, not appear); tests and setup scripts use this.
func CreateContainer(ctx context.Context, o Options, location string) error {
	loc, err := storage.Parse(location)
	if err != nil {
		return err
	}
	st, err := Opener(o)(ctx, loc)
	if err != nil {
		return err
	}
	_, err = st.(*Store).c.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return st.(*Store).wrap("", err)
	}
	return nil
}
