package zendesktest

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

type exportResp struct {
	AfterCursor  *string `json:"after_cursor"`
	AfterURL     *string `json:"after_url"`
	BeforeCursor *string `json:"before_cursor"`
	BeforeURL    *string `json:"before_url"`
	EndOfStream  bool    `json:"end_of_stream"`
	Tickets      []struct {
		ID                 int64  `json:"id"`
		Status             string `json:"status"`
		GeneratedTimestamp int64  `json:"generated_timestamp"`
	} `json:"tickets"`
	Users         []struct{ ID int64 } `json:"users"`
	Organizations []struct{ ID int64 } `json:"organizations"`
}

func export(t *testing.T, srv *Server, query string) exportResp {
	t.Helper()
	var out exportResp
	resp, body := call(t, srv, "GET", "/api/v2/incremental/tickets/cursor.json?"+query, nil, &out)
	if resp.StatusCode != 200 {
		t.Fatalf("export %s: %d %s", query, resp.StatusCode, body)
	}
	return out
}

func ids(r exportResp) string {
	var s []string
	for _, tk := range r.Tickets {
		s = append(s, fmt.Sprint(tk.ID))
	}
	return strings.Join(s, ",")
}

// The cursor-based export's documented shape [ZD-INC "Cursor-based
// Pagination JSON Format"]: after_cursor/after_url to go on,
// before_cursor/before_url (null when none), end_of_stream, tickets.
func TestExportShapeAndPaging(t *testing.T) {
	srv := newTestServer(t)
	for i := 1; i <= 5; i++ {
		srv.CreateTicket(Ticket{ID: int64(i)})
	}
	_, raw := call(t, srv, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=2", nil, nil)
	for _, key := range []string{`"after_cursor":"`, `"after_url":"`, `"before_cursor":null`, `"before_url":null`,
		`"end_of_stream":false`, `"tickets":[`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("first page lacks %s: %s", key, raw)
		}
	}

	p1 := export(t, srv, "start_time=0&per_page=2")
	if ids(p1) != "1,2" || p1.EndOfStream {
		t.Fatalf("page 1: %s end=%v", ids(p1), p1.EndOfStream)
	}
	if _, err := base64.StdEncoding.DecodeString(*p1.AfterCursor); err != nil {
		t.Fatalf("cursor %q is not base64", *p1.AfterCursor)
	}
	u, _ := url.Parse(*p1.AfterURL)
	if u.Path != "/api/v2/incremental/tickets/cursor.json" || u.Query().Get("cursor") != *p1.AfterCursor {
		t.Fatalf("after_url %s", *p1.AfterURL)
	}
	p2 := export(t, srv, "per_page=2&cursor="+url.QueryEscape(*p1.AfterCursor))
	if again := export(t, srv, "per_page=2&cursor="+url.QueryEscape(*p1.AfterCursor)); ids(again) != ids(p2) ||
		*again.AfterCursor != *p2.AfterCursor {
		t.Fatal("the same cursor gave a different page")
	}
	p3 := export(t, srv, "per_page=2&cursor="+url.QueryEscape(*p2.AfterCursor))
	if ids(p2) != "3,4" || p2.EndOfStream || ids(p3) != "5" || !p3.EndOfStream {
		t.Fatalf("pages 2,3: %s/%v %s/%v", ids(p2), p2.EndOfStream, ids(p3), p3.EndOfStream)
	}
	// A page that fills up exactly at the end of the stream says so.
	if full := export(t, srv, "start_time=0&per_page=5"); ids(full) != "1,2,3,4,5" || !full.EndOfStream {
		t.Fatalf("exact page: %s end=%v", ids(full), full.EndOfStream)
	}

	// At the end: an empty page, end_of_stream, a cursor to poll with.
	idle := export(t, srv, "cursor="+url.QueryEscape(*p3.AfterCursor))
	if len(idle.Tickets) != 0 || !idle.EndOfStream || idle.AfterCursor == nil {
		t.Fatalf("idle page %+v", idle)
	}
	// A changed ticket moves behind the cursor and is exported again, once.
	srv.AddTags(2, "changed")
	next := export(t, srv, "cursor="+url.QueryEscape(*idle.AfterCursor))
	if ids(next) != "2" || !next.EndOfStream {
		t.Fatalf("after a change: %s", ids(next))
	}
	if from0 := export(t, srv, "start_time=0"); ids(from0) != "1,3,4,5,2" {
		t.Fatalf("full stream order %s, want 1,3,4,5,2", ids(from0))
	}
}

func TestExportOrderedByGeneratedTimestamp(t *testing.T) {
	srv := newTestServer(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	srv.SetNow(base)
	srv.CreateTicket(Ticket{ID: 10})
	srv.SetNow(base.Add(time.Minute))
	srv.CreateTicket(Ticket{ID: 5})
	srv.SetNow(base.Add(2 * time.Minute))
	srv.CreateTicket(Ticket{ID: 7})
	srv.SetStatus(10, "open")
	out := export(t, srv, "start_time=0")
	prev := int64(0)
	for _, tk := range out.Tickets {
		if tk.GeneratedTimestamp < prev {
			t.Fatalf("not ordered by generated_timestamp: %+v", out.Tickets)
		}
		prev = tk.GeneratedTimestamp
	}
	if ids(out) != "5,7,10" {
		t.Fatalf("order %s", ids(out))
	}
	if st := export(t, srv, fmt.Sprintf("start_time=%d", base.Add(time.Minute).Unix())); ids(st) != "5,7,10" {
		t.Fatalf("start_time at 5's change: %s", ids(st))
	}
	if st := export(t, srv, fmt.Sprintf("start_time=%d", base.Add(90*time.Second).Unix())); ids(st) != "7,10" {
		t.Fatalf("start_time after 5's change: %s", ids(st))
	}
}

// "any items that were created or changed within the minute prior to your
// request are excluded" [ZD-INCG]; start_time "must be at least one minute
// in the past" (422 otherwise).
func TestExportOneMinuteLag(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	srv.SetNow(base)
	srv.CreateTicket(Ticket{ID: 1})
	srv.SetNow(base.Add(30 * time.Second))
	srv.CreateTicket(Ticket{ID: 2})

	resp, body := call(t, srv, "GET", fmt.Sprintf("/api/v2/incremental/tickets/cursor.json?start_time=%d", base.Unix()), nil, nil)
	want := `{"error":"InvalidValue","description":"Too recent start_time. Use a start_time older than 1 minute"}`
	if resp.StatusCode != 422 || strings.TrimSpace(string(body)) != want {
		t.Fatalf("recent start_time: %d %s", resp.StatusCode, body)
	}
	first := export(t, srv, "start_time=0")
	if len(first.Tickets) != 0 || !first.EndOfStream {
		t.Fatalf("changes younger than a minute exported: %s", ids(first))
	}
	srv.Advance(40 * time.Second) // ticket 1 is 70s old, ticket 2 40s
	p := export(t, srv, "cursor="+url.QueryEscape(*first.AfterCursor))
	if ids(p) != "1" || !p.EndOfStream {
		t.Fatalf("after 70s: %s", ids(p))
	}
	srv.Advance(30 * time.Second)
	if p = export(t, srv, "cursor="+url.QueryEscape(*p.AfterCursor)); ids(p) != "2" {
		t.Fatalf("after 100s: %s", ids(p))
	}
}

func TestExportDeletedSideloadsAndParameters(t *testing.T) {
	srv := newTestServer(t)
	srv.AddOrganization(Organization{ID: 3, Name: "Acme"})
	req := srv.AddUser(User{Name: "Customer", Email: "c@example.com"})
	srv.CreateTicket(Ticket{ID: 1, RequesterID: req.ID, OrganizationID: 3, AssigneeID: DefaultUserID})
	srv.CreateTicket(Ticket{ID: 2})
	srv.DeleteTicket(2)

	all := export(t, srv, "start_time=0&include=users,organizations")
	if ids(all) != "1,2" || all.Tickets[1].Status != "deleted" {
		t.Fatalf("stream %+v", all.Tickets)
	}
	if len(all.Organizations) != 1 || all.Organizations[0].ID != 3 || len(all.Users) != 2 {
		t.Fatalf("sideloads orgs %+v users %+v", all.Organizations, all.Users)
	}
	if plain := export(t, srv, "start_time=0"); plain.Users != nil || plain.Organizations != nil {
		t.Fatal("sideloads without include")
	}
	if kept := export(t, srv, "start_time=0&exclude_deleted=true"); ids(kept) != "1" {
		t.Fatalf("exclude_deleted: %s", ids(kept))
	}
	if resp, _ := call(t, srv, "GET", "/api/v2/tickets/2.json", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("deleted ticket: %d", resp.StatusCode)
	}

	for _, tt := range []struct {
		query  string
		status int
	}{
		{"", 400},
		{"start_time=abc", 400},
		{"cursor=%21%21", 422},
		{"cursor=bm90LWEtY3Vyc29y", 422},
		{"start_time=0&per_page=0", 400},
		{"start_time=0&per_page=5000", 200}, // clamped to 1000
	} {
		if resp, body := call(t, srv, "GET", "/api/v2/incremental/tickets/cursor.json?"+tt.query, nil, nil); resp.StatusCode != tt.status {
			t.Errorf("%q: %d %s, want %d", tt.query, resp.StatusCode, body, tt.status)
		}
	}
}

func TestExportAdminsOnly(t *testing.T) {
	srv := newTestServer(t)
	srv.AddUser(User{Email: "agent@example.com", Role: "agent"})
	srv.AddAPIToken("agent@example.com", "agent-token")
	req, _ := newRequest(srv, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0")
	req.SetBasicAuth("agent@example.com/token", "agent-token")
	resp, body := do(t, req)
	if resp.StatusCode != 403 || !strings.Contains(string(body), `"error":"Forbidden"`) {
		t.Fatalf("agent export: %d %s", resp.StatusCode, body)
	}
}

// Users carry a locale (en-US unless set), which show_many sideloads with
// include=users as the export does; changing it leaves the tickets alone.
func TestUserLocaleSideloads(t *testing.T) {
	srv := newTestServer(t)
	de := srv.AddUser(User{Name: "Kunde", Email: "k@example.com", Locale: "de"})
	en := srv.AddUser(User{Name: "Customer", Email: "c@example.com"})
	srv.CreateTicket(Ticket{ID: 1, RequesterID: de.ID})
	srv.CreateTicket(Ticket{ID: 2, RequesterID: en.ID})
	type user struct {
		ID       int64  `json:"id"`
		Locale   string `json:"locale"`
		LocaleID int64  `json:"locale_id"`
	}
	var page struct {
		Tickets []struct {
			UpdatedAt string `json:"updated_at"`
		} `json:"tickets"`
		Users []user `json:"users"`
	}
	locales := func(path string) map[int64]user {
		t.Helper()
		page.Users = nil
		if resp, body := call(t, srv, "GET", path, nil, &page); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		out := map[int64]user{}
		for _, u := range page.Users {
			out[u.ID] = u
		}
		return out
	}
	got := locales("/api/v2/tickets/show_many.json?ids=1,2&include=users")
	if got[de.ID].Locale != "de" || got[en.ID] != (user{ID: en.ID, Locale: DefaultLocale, LocaleID: 1}) || len(got) != 2 {
		t.Fatalf("sideloaded users %+v, want the two requesters", got)
	}
	if got := locales("/api/v2/tickets/show_many.json?ids=1,2"); len(got) != 0 {
		t.Fatalf("users without include: %+v", got)
	}
	stamp := page.Tickets[0].UpdatedAt
	srv.Advance(time.Hour)
	if !srv.SetUserLocale(en.ID, "fr") || srv.SetUserLocale(9999, "fr") {
		t.Fatal("SetUserLocale: known user refused or unknown user accepted")
	}
	if got := locales("/api/v2/users/show_many.json?ids=" + strconv.FormatInt(en.ID, 10)); got[en.ID].Locale != "fr" {
		t.Fatalf("after SetUserLocale: %+v", got)
	}
	if got := locales("/api/v2/tickets/show_many.json?ids=1,2&include=users"); got[en.ID].Locale != "fr" || page.Tickets[0].UpdatedAt != stamp {
		t.Fatalf("after SetUserLocale: users %+v, ticket stamp %s (was %s)", got, page.Tickets[0].UpdatedAt, stamp)
	}
}
