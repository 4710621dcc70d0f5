package zendesktest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSignAppTokenClaims(t *testing.T) {
	s := NewServer(WithSubdomain("acme"), WithApp(11, 22))
	t.Cleanup(s.Close)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s.SetNow(now)
	agent := s.AddUser(User{Name: "A", Email: "a@example.com", Role: "agent"})

	tok, err := s.SignAppToken(agent.ID, AppToken{Location: "new_ticket_sidebar"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var header, claims map[string]any
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	if header["alg"] != "RS256" {
		t.Errorf("alg %v, want RS256", header["alg"])
	}
	want := map[string]any{
		"iss": "acme.zendesk.com",
		"aud": "https://acme.zendesk.com/api/v2/apps/installations/22.json",
		"sub": "1001",
		"iat": float64(now.Unix()),
		"nbf": float64(now.Unix()),
		"exp": float64(now.Add(AppTokenTTL).Unix()),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("%s = %v, want %v", k, claims[k], v)
		}
	}
	ctx, _ := claims["context"].(map[string]any)
	if ctx["product"] != "support" || ctx["location"] != "new_ticket_sidebar" {
		t.Errorf("context = %v", claims["context"])
	}
	if q, _ := claims["qsh"].(string); len(q) != 64 {
		t.Errorf("qsh = %v, want a sha256 hex", claims["qsh"])
	}
}

func TestSignAppTokenRefuses(t *testing.T) {
	noApp := NewServer()
	t.Cleanup(noApp.Close)
	if _, err := noApp.SignAppToken(DefaultUserID, AppToken{}); err == nil {
		t.Error("signed without an installed app")
	}
	if noApp.AppPublicKeyPEM() != nil {
		t.Error("a public key without an installed app")
	}
	resp, err := http.Get(noApp.URL + "/api/v2/apps/1/public_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("public key without an app: %d, want 404", resp.StatusCode)
	}

	s := NewServer(WithApp(1, 2))
	t.Cleanup(s.Close)
	if s.Subdomain() != DefaultSubdomain {
		t.Errorf("subdomain %q, want %q", s.Subdomain(), DefaultSubdomain)
	}
	user := s.AddUser(User{Name: "U", Email: "u@example.com"})
	for _, id := range []int64{user.ID, 999999} {
		if _, err := s.SignAppToken(id, AppToken{}); err == nil {
			t.Errorf("signed for user %d, who is no agent", id)
		}
	}
}
