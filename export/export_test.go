package export

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/storage"
)

func localDest(t *testing.T) (Dest, string) {
	dir := t.TempDir()
	loc, _ := storage.Parse(dir)
	return Dest{Store: storage.LocalStore{}, Loc: loc}, dir
}

func fastClient(f *fakeServer) *Client {
	return &Client{Base: f.base(), MinDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExport is the whole flow: kick-off with parameters, polling with
// X-Progress, manifest with output, deleted and error files, gzip
// downloads, the layout on disk, manifest.json and the state.
func TestExport(t *testing.T) {
	f := newFake(t)
	f.files["Patient.1.ndjson"] = patients(3, "a")
	f.files["Patient.2.ndjson"] = patients(2, "b")
	f.files["Observation.1.ndjson"] = `{"resourceType":"Observation","id":"o1"}` + "\n"
	f.files["Patient.del.ndjson"] = `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/x"}}]}` + "\n"
	f.files["OperationOutcome.err.ndjson"] = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"Patient/7 could not be read"}]}` + "\n"
	f.deleted = []string{"Patient.del.ndjson"}
	f.errored = []string{"OperationOutcome.err.ndjson"}
	f.polls = 2
	c := fastClient(f)
	var statuses []string
	c.Status = func(s string) { statuses = append(statuses, s) }
	dest, dir := localDest(t)
	req := Request{Level: "Group/g1", Types: []string{"Patient", "Observation"}, Since: "2026-01-01T00:00:00Z",
		TypeFilters: []string{"Observation?category=laboratory"}, Elements: []string{"id", "subject"}, OutputFormat: "application/fhir+ndjson"}
	res, err := c.Run(context.Background(), req, &dest, Options{Now: func() time.Time { return time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	kick, _ := url.Parse(f.kickoffs[0])
	q := kick.Query()
	if kick.Path != "/fhir/Group/g1/$export" || q.Get("_type") != "Patient,Observation" || q.Get("_since") != "2026-01-01T00:00:00Z" ||
		q.Get("_typeFilter") != "Observation?category=laboratory" || q.Get("_elements") != "id,subject" || q.Get("_outputFormat") != "application/fhir+ndjson" {
		t.Errorf("kick-off URL %s", f.kickoffs[0])
	}
	if f.gzipped != 5 {
		t.Errorf("%d of 5 downloads were gzip-compressed", f.gzipped)
	}
	if strings.Join(statuses, "|") != "51% done|50% done" {
		t.Errorf("statuses %q", statuses)
	}
	folder := filepath.Join(dir, "2026-12-06T133740Z")
	if got := read(t, filepath.Join(folder, "output", "Patient.000.ndjson")) + read(t, filepath.Join(folder, "output", "Patient.001.ndjson")); got != patients(3, "a")+patients(2, "b") {
		t.Errorf("Patient files: %q", got)
	}
	read(t, filepath.Join(folder, "output", "Observation.000.ndjson"))
	read(t, filepath.Join(folder, "deleted", "Patient.000.ndjson"))
	read(t, filepath.Join(folder, "error", "OperationOutcome.000.ndjson"))
	if m := read(t, filepath.Join(folder, "manifest.json")); !strings.Contains(m, `"transactionTime":"2026-12-06T13:37:40+00:00"`) {
		t.Errorf("manifest.json: %s", m)
	}
	if res.Downloaded.Output["Patient"] != 5 || res.Downloaded.Deleted["Patient"] != 1 || len(res.Downloaded.Errors) != 1 ||
		!strings.Contains(res.Downloaded.Errors[0], "Patient/7 could not be read (error, processing)") {
		t.Errorf("result %+v", res.Downloaded)
	}
	var st State
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, StateName))), &st); err != nil || len(st.Exports) != 1 ||
		st.Exports[0].Folder != "2026-12-06T133740Z" || st.Exports[0].Output["Patient"] != 5 || st.Exports[0].Finished != "2026-12-06T14:00:00Z" {
		t.Errorf("state %+v %v", st, err)
	}

	// --since last continues from the previous transactionTime.
	f.transaction = "2026-12-07T08:00:00Z"
	res, err = c.Run(context.Background(), Request{}, &dest, Options{SinceLast: true})
	if err != nil {
		t.Fatal(err)
	}
	kick, _ = url.Parse(f.kickoffs[1])
	if kick.Query().Get("_since") != "2026-12-06T13:37:40+00:00" || res.Since != "2026-12-06T13:37:40+00:00" {
		t.Errorf("--since last kicked off %s", f.kickoffs[1])
	}
	if _, err := os.Stat(filepath.Join(dir, "2026-12-07T080000Z", "manifest.json")); err != nil {
		t.Error(err)
	}
	s2, _ := ReadState(context.Background(), dest)
	if last, _ := s2.Last(); last != "2026-12-07T08:00:00Z" || len(s2.Exports) != 2 {
		t.Errorf("state after two exports: %+v", s2)
	}
}

func TestSinceLastWithoutState(t *testing.T) {
	f := newFake(t)
	dest, _ := localDest(t)
	_, err := fastClient(f).Run(context.Background(), Request{}, &dest, Options{SinceLast: true})
	if err == nil || !strings.Contains(err.Error(), "no previous export is recorded") || len(f.kickoffs) != 0 {
		t.Errorf("--since last without state: %v (kick-offs %d)", err, len(f.kickoffs))
	}
}

// TestBackoff: 429 with Retry-After on kick-off, 503 while polling.
func TestBackoff(t *testing.T) {
	f := newFake(t)
	f.files["Patient.1.ndjson"] = patients(1, "p")
	f.kick429, f.status503 = 2, 2
	c := fastClient(f)
	var statuses []string
	c.Status = func(s string) { statuses = append(statuses, s) }
	dest, _ := localDest(t)
	if _, err := c.Run(context.Background(), Request{}, &dest, Options{}); err != nil {
		t.Fatal(err)
	}
	if f.kick429 != 0 || f.status503 != 0 || len(statuses) != 4 || !strings.Contains(statuses[0], "server busy (429)") || !strings.Contains(statuses[2], "server busy (503)") {
		t.Errorf("statuses %q", statuses)
	}
	// Too many in a row: the error says so in words.
	f.kick429 = 100
	c.Retries = 2
	_, err := c.Run(context.Background(), Request{}, &dest, Options{})
	if err == nil || !strings.Contains(err.Error(), "429 Too Many Requests: slow down (error, throttled)") {
		t.Errorf("after too many 429s: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	c := &Client{MaxDelay: time.Hour}
	for v, want := range map[string]time.Duration{
		"":   7 * time.Second,
		"3":  3 * time.Second,
		"-1": 0,
		strings.TrimSpace(time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)): 10 * time.Second,
		// The reference server sends epoch milliseconds, then seconds.
		big.NewInt(time.Now().Add(20 * time.Second).UnixMilli()).String(): 20 * time.Second,
		big.NewInt(time.Now().Add(30 * time.Second).Unix()).String():      30 * time.Second,
	} {
		got := c.retryAfter(http.Header{"Retry-After": {v}}, 7*time.Second)
		if got < want-2*time.Second || got > want+time.Second {
			t.Errorf("Retry-After %q = %s, want about %s", v, got, want)
		}
	}
	c.MaxDelay = 5 * time.Second
	if got := c.retryAfter(http.Header{"Retry-After": {"3600"}}, 0); got != 5*time.Second {
		t.Errorf("Retry-After is not capped: %s", got)
	}
}

// TestResume: a connection dropped mid-download is resumed with Range
// where the server allows it, and the file started over where not.
func TestResume(t *testing.T) {
	for _, ranges := range []bool{true, false} {
		f := newFake(t)
		body := patients(50, "r")
		f.files["Patient.1.ndjson"] = body
		f.dropAfter = 700
		f.ranges = ranges
		dest, dir := localDest(t)
		if _, err := fastClient(f).Run(context.Background(), Request{}, &dest, Options{}); err != nil {
			t.Fatalf("ranges=%v: %v", ranges, err)
		}
		if got := read(t, filepath.Join(dir, "2026-12-06T133740Z", "output", "Patient.000.ndjson")); got != body {
			t.Errorf("ranges=%v: the file differs after the drop (%d bytes, want %d)", ranges, len(got), len(body))
		}
		if ranges && (len(f.ranged) != 1 || f.ranged[0] != "bytes=700-") {
			t.Errorf("Range requests %q, want [bytes=700-]", f.ranged)
		}
		if !ranges && len(f.ranged) != 0 {
			t.Errorf("Range sent to a server without Accept-Ranges: %q", f.ranged)
		}
	}
}

// TestNothingHalfWritten: a count that does not match, a bad checksum
// and an expired file each leave no file and no manifest.json.
func TestNothingHalfWritten(t *testing.T) {
	for name, setup := range map[string]func(f *fakeServer){
		"count": func(f *fakeServer) { f.counts["Patient.1.ndjson"] = 4 },
		"md5":   func(f *fakeServer) { f.badMD5 = true },
	} {
		f := newFake(t)
		f.files["Patient.1.ndjson"] = patients(3, "p")
		setup(f)
		c := fastClient(f)
		if name == "md5" {
			// Content-MD5 is checked on identity bodies: ask without gzip.
			c.HTTP = &http.Client{Transport: noGzip{}}
		}
		dest, dir := localDest(t)
		_, err := c.Run(context.Background(), Request{}, &dest, Options{})
		want := map[string]string{"count": "the manifest says 4 resources but the file has 3 lines", "md5": "Content-MD5"}[name]
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "has no manifest.json") {
			t.Errorf("%s: %v", name, err)
		}
		var files []string
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if len(files) != 0 {
			t.Errorf("%s: files left: %v", name, files)
		}
	}
}

// noGzip strips Accept-Encoding: gzip so that the fake server answers
// with identity bodies and their Content-MD5.
type noGzip struct{}

func (noGzip) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Accept-Encoding") == "gzip" {
		r = r.Clone(r.Context())
		r.Header.Set("Accept-Encoding", "identity")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOperationOutcome(t *testing.T) {
	f := newFake(t)
	f.kickOutcome = "The _typeFilter parameter is not supported"
	dest, _ := localDest(t)
	_, err := fastClient(f).Run(context.Background(), Request{}, &dest, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(err.Error(), "kick-off "+f.base()+"/$export: 400 Bad Request: The _typeFilter parameter is not supported (error, not-supported)") {
		t.Errorf("kick-off error: %v", err)
	}
}

// TestCancel: cancelling while polling DELETEs the status URL.
func TestCancel(t *testing.T) {
	f := newFake(t)
	f.polls = 1 << 30
	c := fastClient(f)
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	c.Status = func(string) {
		if polls++; polls == 3 {
			cancel()
		}
	}
	dest, dir := localDest(t)
	_, err := c.Run(ctx, Request{}, &dest, Options{})
	if !errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "the server was asked to cancel it (DELETE "+f.srv.URL+"/status/1)") {
		t.Errorf("cancel: %v", err)
	}
	if f.deletes != 1 {
		t.Errorf("%d DELETEs, want 1", f.deletes)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a cancelled export left %v", ents)
	}
}

// TestToken: a required token goes to the server, is renewed on 401, and
// goes to downloads only when the manifest requires it.
func TestToken(t *testing.T) {
	for _, fileToken := range []bool{false, true} {
		f := newFake(t)
		f.files["Patient.1.ndjson"] = patients(1, "p")
		f.token, f.fileToken = "good", fileToken
		c := fastClient(f)
		a := &seqAuth{tokens: []string{"stale", "good"}}
		c.Auth = a
		dest, _ := localDest(t)
		if _, err := c.Run(context.Background(), Request{}, &dest, Options{}); err != nil {
			t.Fatalf("fileToken=%v: %v", fileToken, err)
		}
		want := ""
		if fileToken {
			want = "Bearer good"
		}
		if len(f.authSeen) != 1 || f.authSeen[0] != want {
			t.Errorf("fileToken=%v: downloads sent Authorization %q", fileToken, f.authSeen)
		}
		if a.renewals != 1 {
			t.Errorf("fileToken=%v: %d renewals", fileToken, a.renewals)
		}
	}
	f := newFake(t)
	f.token = "good"
	dest, _ := localDest(t)
	_, err := fastClient(f).Run(context.Background(), Request{}, &dest, Options{})
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized: token required (error, login) (check the token") {
		t.Errorf("no token: %v", err)
	}
}

type seqAuth struct {
	tokens   []string
	i        int
	renewals int
}

func (a *seqAuth) Token(_ context.Context, renew bool) (string, error) {
	if renew {
		a.renewals++
		if a.i < len(a.tokens)-1 {
			a.i++
		}
	}
	return a.tokens[a.i], nil
}

// TestSMART signs client assertions with RS384 and ES384 keys from JWK
// and PEM files; a token endpoint in Go checks the signature and claims.
func TestSMART(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	dir := t.TempDir()
	p8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	os.WriteFile(filepath.Join(dir, "rsa.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	os.WriteFile(filepath.Join(dir, "ec.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), 0o600)
	enc := base64.RawURLEncoding.EncodeToString
	rsaJWK, _ := json.Marshal(map[string]any{"keys": []any{
		map[string]string{"kty": "RSA", "kid": "public-only", "n": enc(rsaKey.N.Bytes()), "e": "AQAB"},
		map[string]string{"kty": "RSA", "kid": "k1", "alg": "RS384", "n": enc(rsaKey.N.Bytes()), "e": "AQAB", "d": enc(rsaKey.D.Bytes()),
			"p": enc(rsaKey.Primes[0].Bytes()), "q": enc(rsaKey.Primes[1].Bytes())},
	}})
	os.WriteFile(filepath.Join(dir, "rsa.jwks"), rsaJWK, 0o600)
	ecJWK, _ := json.Marshal(map[string]string{"kty": "EC", "crv": "P-384", "kid": "e1", "x": enc(ecKey.X.FillBytes(make([]byte, 48))), "y": enc(ecKey.Y.FillBytes(make([]byte, 48))), "d": enc(ecKey.D.FillBytes(make([]byte, 48)))})
	os.WriteFile(filepath.Join(dir, "ec.jwk"), ecJWK, 0o600)

	var srv *httptest.Server
	issued := 0
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || r.Form.Get("scope") != "system/Patient.rs" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "form " + r.Form.Encode()})
			return
		}
		parts := strings.Split(r.Form.Get("client_assertion"), ".")
		var hdr map[string]string
		var claims map[string]any
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		cl, _ := base64.RawURLEncoding.DecodeString(parts[1])
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		json.Unmarshal(h, &hdr)
		json.Unmarshal(cl, &claims)
		sum := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
		ok := false
		switch hdr["alg"] {
		case "RS384":
			ok = rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA384, sum[:], sig) == nil
		case "ES384":
			ok = len(sig) == 96 && ecdsa.Verify(&ecKey.PublicKey, sum[:], new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:]))
		}
		if !ok || claims["iss"] != "client-1" || claims["sub"] != "client-1" || claims["aud"] != srv.URL+"/token" || claims["jti"] == "" {
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": "bad assertion " + string(h) + string(cl)})
			return
		}
		issued++
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + hdr["kid"], "expires_in": 300, "token_type": "bearer"})
	}))
	defer srv.Close()
	for file, want := range map[string]string{"rsa.jwks": "tok-k1", "ec.jwk": "tok-e1", "rsa.pem": "tok-" + thumbprint(&rsaKey.PublicKey), "ec.pem": "tok-" + thumbprint(&ecKey.PublicKey)} {
		k, err := LoadKey(filepath.Join(dir, file), "")
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		s := &SMART{TokenURL: srv.URL + "/token", ClientID: "client-1", Scope: "system/Patient.rs", Key: k}
		tok, err := s.Token(context.Background(), false)
		if err != nil || tok != want {
			t.Errorf("%s: token %q, %v; want %q", file, tok, err, want)
		}
		n := issued
		if tok2, _ := s.Token(context.Background(), false); tok2 != tok || issued != n {
			t.Errorf("%s: the token was not cached", file)
		}
		if _, _ = s.Token(context.Background(), true); issued != n+1 {
			t.Errorf("%s: renew did not ask again", file)
		}
	}
	k, _ := LoadKey(filepath.Join(dir, "rsa.pem"), "chosen")
	if k.Kid != "chosen" || k.Alg != "RS384" || k.PublicJWK()["kty"] != "RSA" {
		t.Errorf("kid override: %+v", k)
	}
	s := &SMART{TokenURL: srv.URL + "/token", ClientID: "someone-else", Scope: "system/Patient.rs", Key: k}
	if _, err := s.Token(context.Background(), false); err == nil || !strings.Contains(err.Error(), "401 invalid_client: bad assertion") {
		t.Errorf("a rejected assertion: %v", err)
	}
	// Keys that cannot sign RS384/ES384 are refused with the reason.
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := x509.MarshalECPrivateKey(p256)
	os.WriteFile(filepath.Join(dir, "p256.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b}), 0o600)
	os.WriteFile(filepath.Join(dir, "pub.jwk"), []byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`), 0o600)
	for file, want := range map[string]string{"p256.pem": "P-384", "pub.jwk": "public key", "rsa.jwks": `no private key with kid "zz"`} {
		kid := ""
		if file == "rsa.jwks" {
			kid = "zz"
		}
		if _, err := LoadKey(filepath.Join(dir, file), kid); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
	}
}

func TestFolder(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-06T13:37:40+00:00":     "2026-12-06T133740Z",
		"2026-12-06T15:37:40.123+02:00": "2026-12-06T133740Z",
		"2026-12-06T13:37:40Z":          "2026-12-06T133740Z",
	} {
		if got := Folder(in); got != want {
			t.Errorf("Folder(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequestURL(t *testing.T) {
	got := Request{Types: []string{"Patient"}, Container: "fhirexport"}.URL("https://ws-fhir.fhir.azurehealthcareapis.com/")
	if got != "https://ws-fhir.fhir.azurehealthcareapis.com/$export?_container=fhirexport&_type=Patient" {
		t.Errorf("URL = %s", got)
	}
}

// TestContainer: with Azure's _container the server writes the files
// itself; nothing is downloaded, and the manifest and state are kept.
func TestContainer(t *testing.T) {
	f := newFake(t)
	f.files["Patient.1.ndjson"] = patients(2, "p")
	dest, dir := localDest(t)
	res, err := fastClient(f).Run(context.Background(), Request{Types: []string{"Patient"}, Container: "fhirexport"}, &dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := url.Parse(f.kickoffs[0]); q.Query().Get("_container") != "fhirexport" {
		t.Errorf("kick-off %s", f.kickoffs[0])
	}
	if res.Downloaded != nil || f.downloads.Load() != 0 {
		t.Errorf("a _container export downloaded %d files", f.downloads.Load())
	}
	read(t, filepath.Join(dir, "2026-12-06T133740Z", ManifestName))
	st, _ := ReadState(context.Background(), dest)
	if len(st.Exports) != 1 || st.Exports[0].Container != "fhirexport" || st.Exports[0].Folder != "" {
		t.Errorf("state %+v", st)
	}
}

func TestOutcomeText(t *testing.T) {
	for body, want := range map[string]string{
		"<!DOCTYPE html>\n<html><head><title>Error</title><style>p{}</style></head>\n<body><pre>Cannot GET //fhir/$export</pre></body></html>": "Error Cannot GET //fhir/$export",
		`{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception","details":{"text":"boom"}}]}`:                      "boom (fatal, exception)",
		"  plain\n text ": "plain text",
	} {
		if got, _ := outcome([]byte(body)); got != want {
			t.Errorf("outcome(%q) = %q, want %q", body, got, want)
		}
	}
}
