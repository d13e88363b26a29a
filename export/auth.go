package export

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Auth gives bearer tokens. renew asks for a fresh one (the server
// answered 401 to the last).
type Auth interface {
	Token(ctx context.Context, renew bool) (string, error)
}

// Bearer is a fixed token, obtained elsewhere.
type Bearer string

// Token returns the token.
func (b Bearer) Token(context.Context, bool) (string, error) { return string(b), nil }

// TokenFunc adapts a token source with expiry, such as Microsoft Entra
// ID's (storage/azure.TokenSource), which caches and renews on its own.
type TokenFunc func(ctx context.Context) (string, time.Time, error)

// Token asks the source.
func (f TokenFunc) Token(ctx context.Context, _ bool) (string, error) {
	t, _, err := f(ctx)
	return t, err
}

// SMART is SMART Backend Services authorization: a client-credentials
// grant whose client authenticates with a JWT assertion signed by its
// private key (RS384 or ES384). Tokens are cached until a minute before
// they expire.
type SMART struct {
	TokenURL string
	ClientID string
	Scope    string // default "system/*.read"
	Key      *Key
	HTTP     *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Token returns the cached access token or requests a new one.
func (s *SMART) Token(ctx context.Context, renew bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !renew && s.token != "" && time.Until(s.expires) > time.Minute {
		return s.token, nil
	}
	assertion, err := s.Key.Assertion(s.ClientID, s.TokenURL, time.Now())
	if err != nil {
		return "", err
	}
	scope := s.Scope
	if scope == "" {
		scope = "system/*.read"
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("SMART token request to %s: %v", s.TokenURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		msg := tr.Error
		if tr.Description != "" {
			msg += ": " + tr.Description
		}
		if msg == "" {
			msg, _ = outcome(body)
		}
		return "", fmt.Errorf("SMART token request to %s: %d %s (check the client id, that the server knows the public key with kid %q, and the scope %q)", s.TokenURL, resp.StatusCode, msg, s.Key.Kid, scope)
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 300
	}
	s.token, s.expires = tr.AccessToken, time.Now().Add(time.Duration(tr.ExpiresIn)*time.Second)
	return s.token, nil
}

// DiscoverTokenURL reads the token endpoint from the server's
// .well-known/smart-configuration.
func DiscoverTokenURL(ctx context.Context, hc *http.Client, base string) (string, error) {
	u := strings.TrimSuffix(base, "/") + "/.well-known/smart-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("reading %s: %v", u, err)
	}
	defer resp.Body.Close()
	var conf struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&conf) != nil || conf.TokenEndpoint == "" {
		return "", fmt.Errorf("%s gives no token_endpoint (%d): pass --token-url", u, resp.StatusCode)
	}
	return conf.TokenEndpoint, nil
}

// Key is a private signing key for SMART Backend Services.
type Key struct {
	Alg  string // "RS384" or "ES384"
	Kid  string
	priv crypto.Signer
}

// LoadKey reads a private key from a JWK, a JWK Set (the first private
// key, or the one whose kid is kid) or a PEM file (PKCS#8, PKCS#1 or
// SEC 1). The algorithm is RS384 for RSA keys and ES384 for P-384 keys,
// the two the IG names. A PEM key's kid is kid, or else its RFC 7638
// thumbprint (register the public key under the same kid).
func LoadKey(path, kid string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k *Key
	if block, _ := pem.Decode(data); block != nil {
		k, err = pemKey(block)
	} else {
		k, err = jwkKey(data, kid)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if kid != "" {
		k.Kid = kid
	}
	if k.Kid == "" {
		k.Kid = thumbprint(k.priv.Public())
	}
	return k, nil
}

func pemKey(b *pem.Block) (*Key, error) {
	var priv any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		priv, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		priv, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("a PEM %q block is not a private key (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", b.Type)
	}
	if err != nil {
		return nil, err
	}
	return newKey(priv, "")
}

func newKey(priv any, alg string) (*Key, error) {
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if alg != "" && alg != "RS384" {
			return nil, fmt.Errorf("the key's alg is %s; SMART Backend Services signs with RS384 or ES384", alg)
		}
		if p.N.BitLen() < 2048 {
			return nil, fmt.Errorf("the RSA key has %d bits; use at least 2048", p.N.BitLen())
		}
		return &Key{Alg: "RS384", priv: p}, nil
	case *ecdsa.PrivateKey:
		if p.Curve != elliptic.P384() {
			return nil, errors.New("the EC key is not on P-384: ES384 needs a P-384 key")
		}
		if alg != "" && alg != "ES384" {
			return nil, fmt.Errorf("the key's alg is %s; SMART Backend Services signs with RS384 or ES384", alg)
		}
		return &Key{Alg: "ES384", priv: p}, nil
	}
	return nil, fmt.Errorf("a %T key cannot sign RS384 or ES384", priv)
}

type jwk struct {
	Kty, Kid, Alg, Crv  string
	N, E, D, P, Q, X, Y string
	Dp, Dq, Qi          string
	Keys                []json.RawMessage
}

func jwkKey(data []byte, kid string) (*Key, error) {
	var j jwk
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, errors.New("neither a PEM private key nor a JWK (JSON): " + err.Error())
	}
	if j.Keys != nil {
		for _, raw := range j.Keys {
			var one jwk
			if json.Unmarshal(raw, &one) != nil || one.D == "" || (kid != "" && one.Kid != kid) {
				continue
			}
			return jwkKey(raw, kid)
		}
		if kid != "" {
			return nil, fmt.Errorf("the JWK Set has no private key with kid %q", kid)
		}
		return nil, errors.New("the JWK Set has no private key (no \"d\")")
	}
	if j.D == "" {
		return nil, errors.New("the JWK is a public key (no \"d\"): give the private key")
	}
	b := func(s string) *big.Int {
		v, _ := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		return new(big.Int).SetBytes(v)
	}
	var priv any
	switch j.Kty {
	case "RSA":
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: b(j.N), E: int(b(j.E).Int64())}, D: b(j.D)}
		if j.P != "" && j.Q != "" {
			k.Primes = []*big.Int{b(j.P), b(j.Q)}
		}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("the RSA JWK is not a valid key: %v", err)
		}
		k.Precompute()
		priv = k
	case "EC":
		if j.Crv != "P-384" {
			return nil, fmt.Errorf("the EC JWK is on %s: ES384 needs P-384", j.Crv)
		}
		k := &ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: elliptic.P384(), X: b(j.X), Y: b(j.Y)}, D: b(j.D)}
		priv = k
	default:
		return nil, fmt.Errorf("a JWK of kty %q cannot sign RS384 or ES384", j.Kty)
	}
	k, err := newKey(priv, j.Alg)
	if err != nil {
		return nil, err
	}
	k.Kid = j.Kid
	return k, nil
}

// PublicJWK returns the public half of the key as a JWK, with kid and
// alg, to register with a server.
func (k *Key) PublicJWK() map[string]string {
	m := map[string]string{"kid": k.Kid, "alg": k.Alg}
	for f, v := range publicFields(k.priv.Public()) {
		m[f] = v
	}
	return m
}

func publicFields(pub crypto.PublicKey) map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "n": enc(p.N.Bytes()), "e": enc(big.NewInt(int64(p.E)).Bytes())}
	case *ecdsa.PublicKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		return map[string]string{"kty": "EC", "crv": p.Curve.Params().Name, "x": enc(p.X.FillBytes(make([]byte, size))), "y": enc(p.Y.FillBytes(make([]byte, size)))}
	}
	return nil
}

// thumbprint is the RFC 7638 JWK thumbprint of a public key.
func thumbprint(pub crypto.PublicKey) string {
	f := publicFields(pub)
	var s string
	if f["kty"] == "RSA" {
		s = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, f["e"], f["n"])
	} else {
		s = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, f["crv"], f["x"], f["y"])
	}
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Assertion returns the signed client assertion JWT for tokenURL.
func (k *Key) Assertion(clientID, tokenURL string, now time.Time) (string, error) {
	var jti [16]byte
	rand.Read(jti[:])
	header, _ := json.Marshal(map[string]string{"alg": k.Alg, "kid": k.Kid, "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{
		"iss": clientID, "sub": clientID, "aud": tokenURL,
		"exp": now.Add(5 * time.Minute).Unix(), "jti": hex.EncodeToString(jti[:]),
	})
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc(header) + "." + enc(claims)
	sum := sha512.Sum384([]byte(signing))
	var sig []byte
	var err error
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, p, crypto.SHA384, sum[:])
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, p, sum[:])
		if err == nil {
			sig = append(r.FillBytes(make([]byte, 48)), s.FillBytes(make([]byte, 48))...)
		}
	}
	if err != nil {
		return "", fmt.Errorf("signing the client assertion: %v", err)
	}
	return signing + "." + enc(sig), nil
}
