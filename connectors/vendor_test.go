package connectors

import (
	"context"
	"net/http"
	"strings"
	"testing"

	gojira "github.com/andygrunwald/go-jira"
	zd "github.com/nukosuke/go-zendesk/zendesk"
)

// The Transport under the real vendor clients: their requests must be
// replayable (GetBody set) and their auth, added above the Transport, must
// be on every attempt.

func TestUnderGoZendesk(t *testing.T) {
	srv := newVendor(t,
		reply{status: 429, header: map[string]string{"Retry-After": "0"}},
		reply{status: 201, body: `{"ticket":{"id":1}}`},
	)
	var seenAuth []string
	tr := NewTransport(fast(Options{Vendor: "zendesk"}))
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seenAuth = append(seenAuth, r.Header.Get("Authorization"))
		return tr.RoundTrip(r)
	})}
	api, err := zd.NewClient(hc)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SetEndpointURL(srv.URL + "/api/v2"); err != nil {
		t.Fatal(err)
	}
	api.SetCredential(zd.NewAPITokenCredential("agent@example.com", "tok"))
	body, err := api.Post(context.Background(), "/tickets.json", map[string]any{"ticket": map[string]any{"subject": "x"}})
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if !strings.Contains(string(body), `"id":1`) {
		t.Errorf("body %s", body)
	}
	got := srv.requests()
	if len(got) != 2 || got[0].body == "" || got[0].body != got[1].body {
		t.Fatalf("requests %+v: want the POST twice with the same body", got)
	}
	if len(seenAuth) != 1 || seenAuth[0] == "" {
		t.Errorf("auth seen %d times; go-zendesk calls the client once and the Transport retries", len(seenAuth))
	}
}

func TestUnderGoJira(t *testing.T) {
	link := &gojira.RemoteLink{GlobalID: "zendesk-ticket-7", Object: &gojira.RemoteLinkObject{URL: "https://acme.zendesk.com/agent/tickets/7", Title: "#7"}}
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		wantSent int
	}{
		{"upsert marked idempotent is resent", WithIdempotent(context.Background()), 2},
		{"plain POST is not", context.Background(), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newVendor(t, reply{status: 500}, reply{status: 200, body: `{"id":10000,"self":"x"}`})
			tr := NewTransport(fast(Options{Vendor: "jira"}))
			hc := &http.Client{Transport: &gojira.BasicAuthTransport{Username: "me@example.com", Password: "tok", Transport: tr}}
			jc, err := gojira.NewClient(hc, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			_, resp, err := jc.Issue.AddRemoteLinkWithContext(tc.ctx, "ABC-1", link)
			got := srv.requests()
			authed := 0
			for _, r := range got {
				if r.user == "me@example.com" {
					authed++
				}
			}
			if len(got) != tc.wantSent || authed != tc.wantSent {
				t.Fatalf("server received %d requests (%d authenticated), want %d", len(got), authed, tc.wantSent)
			}
			if tc.wantSent == 1 {
				if err == nil || resp == nil || resp.StatusCode != 500 {
					t.Fatalf("err %v, resp %v: want go-jira to see the 500", err, resp)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0].body != got[1].body || !strings.Contains(got[1].body, "zendesk-ticket-7") {
				t.Errorf("bodies %q and %q: want the same link twice", got[0].body, got[1].body)
			}
		})
	}
}
