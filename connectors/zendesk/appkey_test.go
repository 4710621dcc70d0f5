package zendesk

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestParseAppPublicKey(t *testing.T) {
	key, _ := testKeys(t)
	pkix, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	quoted, _ := json.Marshal(string(pkixPEM))
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)})
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)

	tests := []struct {
		name    string
		body    []byte
		wantErr string
	}{
		{"PEM as served by .pem", pkixPEM, ""},
		{"PEM with surrounding space", append(append([]byte("\n "), pkixPEM...), '\n'), ""},
		{"JSON string holding the PEM, as the reference shows", quoted, ""},
		{"PKCS#1 PEM", pkcs1PEM, ""},
		{"not PEM", []byte("Not Found"), "no PEM block"},
		{"private key block", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), "want PUBLIC KEY"},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), "public key:"},
		{"EC key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}), "want RSA"},
		{"1024-bit RSA", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: smallDER}), "1024 bits"},
		{"bad JSON string", []byte(`"-----BEGIN`), "JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAppPublicKey(tt.body)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(&key.PublicKey) {
				t.Fatal("parsed a different key")
			}
		})
	}
}

func TestAppPublicKeyFromSimulator(t *testing.T) {
	const appID, install = 9001, 5005
	srv, c := newPair(t, nil, zendesktest.WithApp(appID, install))
	ctx := context.Background()

	key, err := c.AppPublicKey(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseAppPublicKey(srv.AppPublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(want) {
		t.Fatal("AppPublicKey returned a key other than the app's")
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/api/v2/apps/9001/public_key.pem" || last.Status != http.StatusOK {
		t.Fatalf("last request = %+v, want GET /api/v2/apps/9001/public_key.pem 200", last)
	}

	_, err = c.AppPublicKey(ctx, appID+1)
	var zerr *Error
	if !errors.As(err, &zerr) || zerr.Status != http.StatusNotFound || !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("unknown app: error = %v, want a 404 *Error wrapping ErrNotFound", err)
	}
	if _, err := c.AppPublicKey(ctx, 0); err == nil {
		t.Fatal("app id 0 accepted")
	}
}

// TestAppVerifierAcceptsSimulatorTokens checks the simulator and the
// verifier against each other: what the simulator signs as Zendesk passes,
// anything altered after signing does not.
func TestAppVerifierAcceptsSimulatorTokens(t *testing.T) {
	const appID, install = 9001, 5005
	srv, c := newPair(t, nil, zendesktest.WithApp(appID, install), zendesktest.WithSubdomain("acme"))
	agent := srv.AddUser(zendesktest.User{Name: "Agent", Email: "agent@example.com", Role: "agent"})
	customer := srv.AddUser(zendesktest.User{Name: "Customer", Email: "c@example.com"})
	key, err := c.AppPublicKey(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	clock := srv.Now
	v, err := NewAppVerifier(AppVerifierOptions{Subdomain: srv.Subdomain(), InstallationID: install, Key: key, Now: clock})
	if err != nil {
		t.Fatal(err)
	}

	tok, err := srv.SignAppToken(agent.ID, zendesktest.AppToken{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("Verify(simulator token): %v", err)
	}
	if got.UserID != agent.ID || got.Subdomain != "acme" || got.InstallationID != install ||
		got.Product != "support" || got.Location != "ticket_sidebar" {
		t.Fatalf("claims = %+v", got)
	}

	// The page request carries the token in the form field "token".
	req, err := srv.NewAppPageRequest(context.Background(), "https://sync.example.com/zendesk/app/sidebar", agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := req.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost {
		t.Fatalf("page request method %s, want POST", req.Method)
	}
	if _, err := v.Verify(req.PostForm.Get("token")); err != nil {
		t.Fatalf("Verify(page request token): %v", err)
	}

	parts := strings.Split(tok, ".")
	tampered := map[string]string{
		"signature flipped": parts[0] + "." + parts[1] + "." + flipLast(parts[2]),
		"payload swapped":   parts[0] + "." + otherPayload(t, srv) + "." + parts[2],
		"header to none":    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
	}
	for name, forged := range tampered {
		if _, err := v.Verify(forged); !errors.Is(err, ErrAppToken) {
			t.Errorf("%s: Verify error = %v, want a refusal", name, err)
		}
	}

	// Another installation of the same app on the account: wrong aud.
	v2, err := NewAppVerifier(AppVerifierOptions{Subdomain: "acme", InstallationID: install + 1, Key: key, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(tok); !errors.Is(err, ErrAppToken) {
		t.Errorf("other installation accepted the token: %v", err)
	}

	// Zendesk signs only for agents.
	if _, err := srv.SignAppToken(customer.ID, zendesktest.AppToken{}); err == nil {
		t.Error("simulator signed a token for an end user")
	}

	// The token expires with the simulator's clock.
	srv.Advance(zendesktest.AppTokenTTL + AppLeeway + time.Second)
	if _, err := v.Verify(tok); !errors.Is(err, ErrAppToken) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired simulator token: Verify error = %v", err)
	}
}

func flipLast(s string) string {
	b := []byte(s)
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	return string(b)
}

// otherPayload is the payload of a token the simulator signed for the
// account's admin: valid on its own, not with another token's signature.
func otherPayload(t *testing.T, srv *zendesktest.Server) string {
	t.Helper()
	tok, err := srv.SignAppToken(zendesktest.DefaultUserID, zendesktest.AppToken{Location: "user_sidebar"})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(tok, ".")[1]
}

// TestAppPublicKeyIsAnonymous: Zendesk serves the key without credentials.
func TestAppPublicKeyIsAnonymous(t *testing.T) {
	srv := zendesktest.NewServer(zendesktest.WithApp(7, 8))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/api/v2/apps/7/public_key.pem", "/api/v2/apps/7/public_key", "/api/v2/apps/7/public_key.json"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s anonymously: %d", path, resp.StatusCode)
		}
		if _, err := ParseAppPublicKey(body); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	resp, err := http.Get(srv.URL + "/api/v2/tickets/1.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("other endpoints must still need credentials: got %d", resp.StatusCode)
	}
}
