package zendesk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

const (
	keysField   int64 = 360001
	statusField int64 = 360002
	noteAuthor  int64 = 4242
)

// newPair starts a simulator (no export lag) and a client on it.
func newPair(t testing.TB, edit func(*Options), srvOpts ...zendesktest.Option) (*zendesktest.Server, *Client) {
	t.Helper()
	srv := zendesktest.NewServer(append([]zendesktest.Option{zendesktest.WithExportLag(0)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	opts := Options{BaseURL: srv.URL, Email: zendesktest.DefaultEmail, Token: zendesktest.DefaultToken,
		KeysFieldID: keysField, StatusFieldID: statusField, TierField: "tier", NoteAuthorID: noteAuthor,
		JobPoll: 2 * time.Millisecond, JobTimeout: 5 * time.Second}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestNewValidatesOptions(t *testing.T) {
	ok := Options{BaseURL: "https://acme.zendesk.com", Email: "a@b.c", Token: "t"}
	tests := []struct {
		name    string
		edit    func(*Options)
		wantErr string
	}{
		{"base url", func(*Options) {}, ""},
		{"api suffix accepted", func(o *Options) { o.BaseURL = "https://acme.zendesk.com/api/v2/" }, ""},
		{"subdomain", func(o *Options) { o.BaseURL, o.Subdomain = "", "acme" }, ""},
		{"oauth", func(o *Options) { o.Email, o.Token, o.OAuthToken = "", "", "tok" }, ""},
		{"no account", func(o *Options) { o.BaseURL = "" }, "set BaseURL"},
		{"no credentials", func(o *Options) { o.Token = "" }, "credentials missing"},
		{"both credentials", func(o *Options) { o.OAuthToken = "x" }, "not both"},
		{"not http", func(o *Options) { o.BaseURL = "ftp://acme.zendesk.com" }, "http(s) URL"},
		{"path", func(o *Options) { o.BaseURL = "https://acme.zendesk.com/agent" }, "account root"},
		{"userinfo", func(o *Options) { o.BaseURL = "https://u:secret@acme.zendesk.com" }, "must not carry credentials"},
		{"page size", func(o *Options) { o.PageSize = 1001 }, "PageSize 1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := New(o)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestTicketRef(t *testing.T) {
	c, err := New(Options{BaseURL: "https://acme.zendesk.com", Email: "a@b.c", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		id   int64
		want bool
	}{
		{"https://acme.zendesk.com/agent/tickets/42", 42, true},
		{"https://acme.zendesk.com/api/v2/tickets/42.json", 42, true},
		{"https://acme.zendesk.com/api/v2/tickets/42", 42, true},
		{"https://ACME.zendesk.com/agent/tickets/7?x=1#c", 7, true},
		{"https://acme.zendesk.com:443/agent/tickets/7", 7, true},
		{"http://acme.zendesk.com/agent/tickets/7", 7, true},
		{"https://other.zendesk.com/agent/tickets/42", 0, false},
		{"https://acme.zendesk.com.evil.com/agent/tickets/42", 0, false},
		{"https://acme.zendesk.com:8443/agent/tickets/42", 0, false},
		{"https://acme.zendesk.com/agent/tickets/", 0, false},
		{"https://acme.zendesk.com/agent/tickets/0", 0, false},
		{"https://acme.zendesk.com/agent/tickets/-4", 0, false},
		{"https://acme.zendesk.com/agent/tickets/+4", 0, false},
		{"https://acme.zendesk.com/agent/tickets/042", 0, false},
		{"https://acme.zendesk.com/agent/tickets/42/events", 0, false},
		{"https://acme.zendesk.com/agent/tickets/99999999999999999999", 0, false},
		{"https://acme.zendesk.com/api/v2/tickets/42.json.json", 0, false},
		{"https://user@acme.zendesk.com/agent/tickets/42", 0, false},
		{"ftp://acme.zendesk.com/agent/tickets/42", 0, false},
		{"acme.zendesk.com/agent/tickets/42", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		id, ok := c.TicketRef(tt.url)
		if ok != tt.want || id != tt.id {
			t.Errorf("TicketRef(%q) = %d, %v; want %d, %v", tt.url, id, ok, tt.id, tt.want)
		}
	}
}

func FuzzTicketRef(f *testing.F) {
	c, err := New(Options{BaseURL: "https://acme.zendesk.com", Email: "a@b.c", Token: "t"})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"https://acme.zendesk.com/agent/tickets/42", "https://acme.zendesk.com/api/v2/tickets/1.json",
		"https://acme.zendesk.com/agent/tickets/%34%32", "http://acme.zendesk.com:80/agent/tickets/9", "https://x/agent/tickets/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, ok := c.TicketRef(raw)
		if !ok {
			if id != 0 {
				t.Fatalf("TicketRef(%q) = %d with ok false", raw, id)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("TicketRef(%q) accepted id %d", raw, id)
		}
		// Whatever was accepted names this account's ticket id, and the
		// canonical URL of that id round-trips.
		if back, ok := c.TicketRef(c.agentURL(id)); !ok || back != id {
			t.Fatalf("agent URL of %d does not round-trip", id)
		}
	})
}

func TestUpdateTicketsNothingToWriteSendsNothing(t *testing.T) {
	srv, c := newPair(t, nil)
	res, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1}, {ID: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("result %+v", r)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests for empty updates", n)
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tt := range []struct {
		status int
		kind   error
	}{
		{400, engine.ErrPermanent}, {401, engine.ErrPermanent}, {403, engine.ErrPermanent}, {404, engine.ErrNotFound},
		{409, engine.ErrConflict}, {422, engine.ErrPermanent}, {429, nil}, {500, nil}, {503, nil},
	} {
		e := &Error{Op: "x", Status: tt.status, kind: kindOf(tt.status)}
		for _, k := range []error{engine.ErrPermanent, engine.ErrNotFound, engine.ErrConflict} {
			if errors.Is(e, k) != (k == tt.kind) {
				t.Errorf("status %d: errors.Is(%v) = %v", tt.status, k, errors.Is(e, k))
			}
		}
	}
}

func TestFieldText(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{`"PROJ-1, PROJ-2"`, "PROJ-1, PROJ-2"},
		{`12345`, "12345"},
		{`-1.5e3`, "-1.5e3"},
		{`["proj_1","proj_2"]`, "proj_1,proj_2"},
		{`["a",3,true,null,["x"]]`, "a,3"},
		{`true`, ""},
		{`false`, ""},
		{`null`, ""},
		{`{"a":1}`, ""},
		{``, ""},
		{`"unterminated`, ""},
	} {
		if got := fieldText([]byte(tt.raw)); got != tt.want {
			t.Errorf("fieldText(%s) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	for _, tt := range []struct{ body, code, msg string }{
		{`{"error":"RecordNotFound","description":"Not found"}`, "RecordNotFound", "Not found"},
		{`{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}`,
			"RecordInvalid", "Record validation errors: Status: closed prevents ticket update"},
		{`{"error":"Couldn't authenticate you"}`, "", "Couldn't authenticate you"},
		{"Rate limited\n  try later", "", "Rate limited try later"},
		{`{"error":{"title":"Forbidden"}}`, "", ""},
	} {
		code, msg := parseErrorBody([]byte(tt.body))
		if code != tt.code || msg != tt.msg {
			t.Errorf("parseErrorBody(%s) = %q, %q; want %q, %q", tt.body, code, msg, tt.code, tt.msg)
		}
	}
}
