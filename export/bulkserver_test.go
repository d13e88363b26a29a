package export

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirql/fhirql/internal/testsvc"
)

// The tests below run against the SMART reference Bulk Data server
// (smart-on-fhir/bulk-data-server 2.1.1, 100 Synthea patients), started
// from ../shared/tools/bulkserver or given by FHIRQL_TEST_BULKSERVER.

// sim returns the server's base URL with a simulation segment (errors,
// deletes, required tokens: see the tool's README).
func sim(base string, opts map[string]any) string {
	u, _ := url.Parse(base)
	b, _ := json.Marshal(opts)
	return u.Scheme + "://" + u.Host + "/" + base64.RawURLEncoding.EncodeToString(b) + "/fhir"
}

func bulkClient(base string) *Client {
	return &Client{Base: base, MinDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second}
}

func lines(t *testing.T, pattern string) int {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), "\n")
	}
	return n
}

func TestBulkServer(t *testing.T) {
	base := testsvc.BulkServer(t)
	ctx := context.Background()

	t.Run("system, Patient and Group levels", func(t *testing.T) {
		for _, c := range []struct {
			req  Request
			want map[string]int
		}{
			{Request{Types: []string{"Patient", "Condition"}, OutputFormat: "application/fhir+ndjson"}, map[string]int{"Patient": 100, "Condition": 639}},
			{Request{Level: "Patient", Types: []string{"Patient"}}, map[string]int{"Patient": 100}},
			{Request{Level: "Group/BMCHealthNet", Types: []string{"Patient"}}, map[string]int{"Patient": 10}},
			{Request{Types: []string{"Patient"}, Elements: []string{"gender"}}, map[string]int{"Patient": 100}},
			{Request{Types: []string{"Patient"}, TypeFilters: []string{"Patient?gender=female"}}, map[string]int{"Patient": 40}},
		} {
			dest, dir := localDest(t)
			res, err := bulkClient(base).Run(ctx, c.req, &dest, Options{})
			if err != nil {
				t.Fatalf("%s: %v", c.req.URL(base), err)
			}
			folder := filepath.Join(dir, Folder(res.Manifest.TransactionTime))
			for typ, n := range c.want {
				if got := lines(t, filepath.Join(folder, "output", typ+".*.ndjson")); got != n || res.Downloaded.Output[typ] != int64(n) {
					t.Errorf("%s: %d %s lines (summary %d), want %d", c.req.URL(base), got, typ, res.Downloaded.Output[typ], n)
				}
			}
			if _, err := os.Stat(filepath.Join(folder, ManifestName)); err != nil {
				t.Error(err)
			}
			if len(c.req.Elements) > 0 {
				b, _ := os.ReadFile(filepath.Join(folder, "output", "Patient.000.ndjson"))
				if strings.Contains(string(b), `"birthDate"`) || !strings.Contains(string(b), `"gender"`) {
					t.Errorf("_elements=gender kept other elements: %.200s", b)
				}
			}
		}
	})

	t.Run("since last, with deletes", func(t *testing.T) {
		dest, dir := localDest(t)
		del := sim(base, map[string]any{"del": 20})
		c := bulkClient(del)
		first, err := c.Run(ctx, Request{Types: []string{"Condition"}, Since: "2010-01-01T00:00:00Z"}, &dest, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if first.Downloaded.Deleted["Bundle"] == 0 {
			t.Errorf("no deleted entries with del=20: %+v", first.Downloaded)
		}
		if n := lines(t, filepath.Join(dir, Folder(first.Manifest.TransactionTime), "deleted", "*.ndjson")); n == 0 {
			t.Error("no deleted files written")
		}
		time.Sleep(1100 * time.Millisecond) // transactionTime has whole seconds
		second, err := c.Run(ctx, Request{Types: []string{"Condition"}}, &dest, Options{SinceLast: true})
		if err != nil {
			t.Fatal(err)
		}
		if second.Since != first.Manifest.TransactionTime || !strings.Contains(second.Manifest.Request, "_since=") {
			t.Errorf("--since last used %q (manifest request %s), want %q", second.Since, second.Manifest.Request, first.Manifest.TransactionTime)
		}
		st, _ := ReadState(ctx, dest)
		if len(st.Exports) != 2 {
			t.Errorf("state has %d exports", len(st.Exports))
		}
	})

	t.Run("SMART backend services", func(t *testing.T) {
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		dir := t.TempDir()
		for name, priv := range map[string]any{"rsa.pem": rsaKey, "ec.pem": ecKey} {
			der, _ := x509.MarshalPKCS8PrivateKey(priv)
			os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		}
		secure := sim(base, map[string]any{"secure": 1})
		tokenURL, err := DiscoverTokenURL(ctx, nil, base)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"rsa.pem", "ec.pem"} {
			k, err := LoadKey(filepath.Join(dir, name), "")
			if err != nil {
				t.Fatal(err)
			}
			clientID := register(t, base, k)
			c := bulkClient(secure)
			c.Auth = &SMART{TokenURL: tokenURL, ClientID: clientID, Scope: "system/*.read", Key: k}
			dest, d := localDest(t)
			res, err := c.Run(ctx, Request{Types: []string{"Patient"}}, &dest, Options{})
			if err != nil {
				t.Fatalf("%s (%s): %v", name, k.Alg, err)
			}
			if !res.Manifest.RequiresAccessToken || lines(t, filepath.Join(d, Folder(res.Manifest.TransactionTime), "output", "*.ndjson")) != 100 {
				t.Errorf("%s: requiresAccessToken=%v", name, res.Manifest.RequiresAccessToken)
			}
		}
		// Without a token the server's 401 OperationOutcome is shown.
		dest, _ := localDest(t)
		_, err = bulkClient(secure).Run(ctx, Request{Types: []string{"Patient"}}, &dest, Options{})
		var e *Error
		if !errors.As(err, &e) || e.Status != 401 || e.Message == "" {
			t.Errorf("no token: %v", err)
		}
	})

	t.Run("server errors", func(t *testing.T) {
		// Kick-off refused: the OperationOutcome in words.
		dest, dir := localDest(t)
		_, err := bulkClient(sim(base, map[string]any{"err": "file_generation_failed"})).Run(ctx, Request{Types: []string{"Patient"}}, &dest, Options{})
		if err == nil || !strings.Contains(err.Error(), "kick-off") || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "File generation failed") {
			t.Errorf("file_generation_failed: %v", err)
		}
		// Files expired: 410, nothing half-written, no manifest.json.
		_, err = bulkClient(sim(base, map[string]any{"err": "file_expired"})).Run(ctx, Request{Types: []string{"Patient"}}, &dest, Options{})
		if err == nil || !strings.Contains(err.Error(), "410") || !strings.Contains(err.Error(), "has no manifest.json") {
			t.Errorf("file_expired: %v", err)
		}
		var left []string
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) != 0 {
			t.Errorf("an expired export left %v", left)
		}
		// A transient 500 while polling is retried.
		dest, _ = localDest(t)
		if _, err := bulkClient(sim(base, map[string]any{"err": "transient_error"})).Run(ctx, Request{Types: []string{"Patient"}}, &dest, Options{}); err != nil {
			t.Errorf("transient_error: %v", err)
		}
		// Some files failed: they are kept under error/ and summarised.
		dest, _ = localDest(t)
		res, err := bulkClient(sim(base, map[string]any{"err": "some_file_generation_failed"})).Run(ctx, Request{Types: []string{"Patient", "Condition", "Encounter"}}, &dest, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Manifest.Error) == 0 || len(res.Downloaded.Errors) == 0 || !strings.Contains(res.Downloaded.Errors[0], "Failed to export") {
			t.Errorf("some_file_generation_failed: %d error files, messages %q", len(res.Manifest.Error), res.Downloaded.Errors)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		c := bulkClient(sim(base, map[string]any{"m": 100}))
		ctx, cancel := context.WithCancel(ctx)
		var status string
		polls := 0
		c.Status = func(string) {
			if polls++; polls == 2 {
				cancel()
			}
		}
		dest, _ := localDest(t)
		_, err := c.Run(ctx, Request{Types: []string{"Observation"}}, &dest, Options{Started: func(s string) { status = s }})
		if !errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "the server was asked to cancel it") {
			t.Fatalf("cancel: %v", err)
		}
		resp, err := http.Get(status)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("the status URL answers %d after the cancel, want 404", resp.StatusCode)
		}
	})
}

// register registers k's public key with the reference server and
// returns the client id it issues.
func register(t *testing.T, base string, k *Key) string {
	t.Helper()
	u, _ := url.Parse(base)
	jwks, _ := json.Marshal(map[string]any{"keys": []any{k.PublicJWK()}})
	resp, err := http.PostForm(u.Scheme+"://"+u.Host+"/auth/register", url.Values{"jwks": {string(jwks)}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("register: %d %s", resp.StatusCode, b)
	}
	return strings.TrimSpace(string(b))
}
