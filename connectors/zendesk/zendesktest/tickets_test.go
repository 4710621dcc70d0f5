package zendesktest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type updateResp struct {
	Ticket struct {
		ID           int64    `json:"id"`
		Status       string   `json:"status"`
		Tags         []string `json:"tags"`
		UpdatedAt    string   `json:"updated_at"`
		CustomFields []struct {
			ID    int64 `json:"id"`
			Value any   `json:"value"`
		} `json:"custom_fields"`
	} `json:"ticket"`
	Audit struct {
		ID       int64            `json:"id"`
		TicketID int64            `json:"ticket_id"`
		Events   []map[string]any `json:"events"`
	} `json:"audit"`
}

func TestUpdateTicket(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1, Status: "open", Tags: []string{"a", "b"}})
	before, _ := srv.Ticket(1)

	var out updateResp
	resp, body := call(t, srv, "PUT", "/api/v2/tickets/1.json", map[string]any{"ticket": map[string]any{
		"additional_tags": []string{"C"}, "remove_tags": []string{"a"},
		"custom_fields": []map[string]any{{"id": 9, "value": 12.5}, {"id": 10, "value": []string{"x", "y"}}},
		"comment":       map[string]any{"body": "internal", "public": false, "author_id": 77},
		"status":        "pending",
	}}, &out)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if strings.Join(out.Ticket.Tags, ",") != "b,c" || out.Ticket.Status != "pending" || out.Audit.TicketID != 1 {
		t.Fatalf("response %+v", out)
	}
	if !strings.Contains(string(body), `{"id":9,"value":12.5}`) {
		t.Fatalf("numeric custom field not kept as a number: %s", body)
	}
	kinds := map[string]int{}
	for _, e := range out.Audit.Events {
		kinds[e["type"].(string)]++
	}
	if kinds["Comment"] != 1 || kinds["Change"] != 4 { // status, tags, two fields
		t.Fatalf("audit events %v", out.Audit.Events)
	}
	after, _ := srv.Ticket(1)
	if !after.UpdatedAt.After(before.UpdatedAt) || after.GeneratedTimestamp < before.GeneratedTimestamp {
		t.Fatalf("timestamps not bumped: %v -> %v", before.UpdatedAt, after.UpdatedAt)
	}
	c := srv.Comments(1)
	if len(c) != 1 || c[0].Public || c[0].AuthorID != 77 || c[0].Body != "internal" {
		t.Fatalf("comments %+v", c)
	}

	// tags replaces the whole set [ZD-TAGS].
	call(t, srv, "PUT", "/api/v2/tickets/1", map[string]any{"ticket": map[string]any{"tags": []string{"only"}}}, &out)
	if strings.Join(out.Ticket.Tags, ",") != "only" {
		t.Fatalf("tags replace: %v", out.Ticket.Tags)
	}
	// A comment without "public" is public; its author is the caller.
	call(t, srv, "PUT", "/api/v2/tickets/1", map[string]any{"ticket": map[string]any{"comment": map[string]any{"body": "hi"}}}, nil)
	if c := srv.Comments(1); !c[1].Public || c[1].AuthorID != DefaultUserID {
		t.Fatalf("default comment %+v", c[1])
	}
}

func TestUpdateTicketErrors(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1, Status: "closed"})
	tk := srv.CreateTicket(Ticket{ID: 2, Status: "open"})
	srv.AddTags(2, "moved") // ticket 2 changed after tk was read

	tests := []struct {
		name, path string
		body       any
		status     int
		want       string
	}{
		{"closed", "/api/v2/tickets/1.json", map[string]any{"ticket": map[string]any{"status": "open"}}, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}`},
		{"missing", "/api/v2/tickets/9.json", map[string]any{"ticket": map[string]any{"status": "open"}}, 404,
			`{"error":"RecordNotFound","description":"Not found"}`},
		{"stale safe update", "/api/v2/tickets/2.json", map[string]any{"ticket": map[string]any{"tags": []string{"x"},
			"safe_update": true, "updated_stamp": tk.UpdatedAt.Format(time.RFC3339)}}, 409, `"error":"UpdateConflict"`},
		{"stale safe update, string flag", "/api/v2/tickets/2.json", map[string]any{"ticket": map[string]any{
			"tags": []string{"x"}, "safe_update": "true", "updated_stamp": tk.UpdatedAt.Format(time.RFC3339)}}, 409, "Safe Update"},
		{"bad status", "/api/v2/tickets/2.json", map[string]any{"ticket": map[string]any{"status": "done"}}, 422, "not a valid status"},
		{"blank comment", "/api/v2/tickets/2.json", map[string]any{"ticket": map[string]any{"comment": map[string]any{"body": " "}}}, 422, "blank"},
		{"no ticket", "/api/v2/tickets/2.json", map[string]any{"tickets": []any{}}, 400, "ticket is required"},
		{"bad json", "/api/v2/tickets/2.json", "{", 400, "InvalidJSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, srv, "PUT", tt.path, tt.body, nil)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%d %s, want %d with %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	if got, _ := srv.Ticket(2); got.HasTag("x") {
		t.Fatal("a refused update changed the ticket")
	}
	fresh, _ := srv.Ticket(2)
	resp, body := call(t, srv, "PUT", "/api/v2/tickets/2.json", map[string]any{"ticket": map[string]any{
		"additional_tags": []string{"x"}, "safe_update": true, "updated_stamp": fresh.UpdatedAt.Format(time.RFC3339)}}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("fresh safe update: %d %s", resp.StatusCode, body)
	}
}

type jobResp struct {
	JobStatus struct {
		ID       string `json:"id"`
		URL      string `json:"url"`
		Total    int    `json:"total"`
		Progress int    `json:"progress"`
		Status   string `json:"status"`
		Message  string `json:"message"`
		Results  []struct {
			ID      int64  `json:"id"`
			Action  string `json:"action"`
			Success bool   `json:"success"`
			Status  string `json:"status"`
			Error   string `json:"error"`
			Details string `json:"details"`
		} `json:"results"`
	} `json:"job_status"`
}

func waitJob(t *testing.T, srv *Server, id string) jobResp {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out jobResp
		call(t, srv, "GET", "/api/v2/job_statuses/"+id+".json", nil, &out)
		switch out.JobStatus.Status {
		case "completed", "failed", "killed":
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s", id, out.JobStatus.Status)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// update_many in both forms [ZD-OAS TicketsUpdateMany] answers with a
// queued job; the job's results follow [ZD-JOB]: id, action "update",
// success, status, and the reason of a failure.
func TestUpdateManyJobs(t *testing.T) {
	srv := newTestServer(t, WithJobDelay(20*time.Millisecond))
	srv.CreateTicket(Ticket{ID: 1})
	srv.CreateTicket(Ticket{ID: 2, Status: "closed"})
	srv.CreateTicket(Ticket{ID: 3})

	var q jobResp
	resp, body := call(t, srv, "PUT", "/api/v2/tickets/update_many.json", map[string]any{"tickets": []map[string]any{
		{"id": 1, "additional_tags": []string{"x"}}, {"id": 2, "additional_tags": []string{"x"}},
		{"id": 404, "additional_tags": []string{"x"}}}}, &q)
	if resp.StatusCode != 200 || q.JobStatus.Status != "queued" || q.JobStatus.Total != 3 ||
		!strings.HasSuffix(q.JobStatus.URL, "/api/v2/job_statuses/"+q.JobStatus.ID+".json") {
		t.Fatalf("queued job: %d %s", resp.StatusCode, body)
	}
	if tk, _ := srv.Ticket(1); tk.HasTag("x") {
		t.Fatal("update_many applied synchronously")
	}
	done := waitJob(t, srv, q.JobStatus.ID)
	js := done.JobStatus
	if js.Status != "completed" || js.Progress != 3 || len(js.Results) != 3 || !strings.HasPrefix(js.Message, "Completed at ") {
		t.Fatalf("completed job %+v", js)
	}
	want := []string{"1 update true Updated  ", "2 update false Failed RecordInvalid Status: closed prevents ticket update",
		"404 update false Failed RecordNotFound Not found"}
	for i, r := range js.Results {
		if got := fmt.Sprintf("%d %s %v %s %s %s", r.ID, r.Action, r.Success, r.Status, r.Error, r.Details); got != want[i] {
			t.Errorf("result %d = %q, want %q", i, got, want[i])
		}
	}
	if tk, _ := srv.Ticket(1); !tk.HasTag("x") {
		t.Fatal("job did not apply the update")
	}

	// Bulk form: one update for the listed ids.
	call(t, srv, "PUT", "/api/v2/tickets/update_many?ids=1,3", map[string]any{"ticket": map[string]any{"status": "solved"}}, &q)
	waitJob(t, srv, q.JobStatus.ID)
	for _, id := range []int64{1, 3} {
		if tk, _ := srv.Ticket(id); tk.Status != "solved" {
			t.Fatalf("bulk: ticket %d is %s", id, tk.Status)
		}
	}

	// show_many lists known jobs and leaves unknown ids out.
	var many struct {
		JobStatuses []struct{ ID, Status string } `json:"job_statuses"`
	}
	jobs := srv.Jobs()
	call(t, srv, "GET", "/api/v2/job_statuses/show_many.json?ids="+strings.Join(jobs, ",")+",nope", nil, &many)
	if len(many.JobStatuses) != 2 || many.JobStatuses[0].ID != jobs[0] || many.JobStatuses[1].Status != "completed" {
		t.Fatalf("show_many %+v", many)
	}
}

func TestUpdateManyLimitsAndForcedFailures(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1})
	var tickets []map[string]any
	var ids []string
	for i := 1; i <= 101; i++ {
		tickets = append(tickets, map[string]any{"id": i})
		ids = append(ids, fmt.Sprint(i))
	}
	if resp, body := call(t, srv, "PUT", "/api/v2/tickets/update_many.json", map[string]any{"tickets": tickets}, nil); resp.StatusCode != 400 {
		t.Fatalf("101 tickets: %d %s", resp.StatusCode, body)
	}
	if resp, _ := call(t, srv, "PUT", "/api/v2/tickets/update_many.json?ids="+strings.Join(ids, ","),
		map[string]any{"ticket": map[string]any{"status": "open"}}, nil); resp.StatusCode != 400 {
		t.Fatalf("101 ids: %d", resp.StatusCode)
	}
	if resp, _ := call(t, srv, "PUT", "/api/v2/tickets/update_many.json", map[string]any{"tickets": []map[string]any{{"status": "open"}}}, nil); resp.StatusCode != 400 {
		t.Fatalf("entry without id: %d", resp.StatusCode)
	}

	srv.FailNextJobs(1, "killed")
	var q jobResp
	call(t, srv, "PUT", "/api/v2/tickets/update_many.json", map[string]any{"tickets": []map[string]any{{"id": 1, "status": "solved"}}}, &q)
	if done := waitJob(t, srv, q.JobStatus.ID); done.JobStatus.Status != "killed" || done.JobStatus.Results != nil {
		t.Fatalf("forced job %+v", done.JobStatus)
	}
	if tk, _ := srv.Ticket(1); tk.Status == "solved" {
		t.Fatal("killed job applied its update")
	}
}

func TestListCommentsPagination(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1})
	for i := range 5 {
		srv.AddComment(1, Comment{Body: fmt.Sprintf("c%d", i), Public: i%2 == 0})
	}
	type page struct {
		Comments []struct {
			Body   string `json:"body"`
			Public bool   `json:"public"`
		} `json:"comments"`
		Meta struct {
			HasMore     bool   `json:"has_more"`
			AfterCursor string `json:"after_cursor"`
		} `json:"meta"`
		NextPage *string `json:"next_page"`
		Count    int     `json:"count"`
	}
	bodies := func(p page) string {
		var s []string
		for _, c := range p.Comments {
			s = append(s, c.Body)
		}
		return strings.Join(s, ",")
	}
	// Cursor pagination, as go-zendesk's ListTicketComments sends it.
	var p page
	call(t, srv, "GET", "/api/v2/tickets/1/comments.json?page%5Bsize%5D=2", nil, &p)
	var all []string
	for {
		all = append(all, bodies(p))
		if !p.Meta.HasMore {
			break
		}
		next := p
		p = page{}
		call(t, srv, "GET", "/api/v2/tickets/1/comments.json?page%5Bsize%5D=2&page%5Bafter%5D="+next.Meta.AfterCursor, nil, &p)
	}
	if strings.Join(all, "|") != "c0,c1|c2,c3|c4" {
		t.Fatalf("cursor pages %v", all)
	}
	// Offset pagination.
	p = page{}
	call(t, srv, "GET", "/api/v2/tickets/1/comments.json?per_page=3&page=2", nil, &p)
	if bodies(p) != "c3,c4" || p.NextPage != nil || p.Count != 5 {
		t.Fatalf("offset page 2: %s next=%v count=%d", bodies(p), p.NextPage, p.Count)
	}
	p = page{}
	call(t, srv, "GET", "/api/v2/tickets/1/comments.json?sort_order=desc&per_page=2", nil, &p)
	if bodies(p) != "c4,c3" || p.NextPage == nil {
		t.Fatalf("desc: %s", bodies(p))
	}
}

func TestPersonMutationsShowUpInTheAPI(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1, Status: "open", Description: "It crashes", RequesterID: 5})
	srv.SetCustomField(1, 9, "PROJ-7")
	srv.AddTags(1, "Jira_PROJ_7", "vip vip")
	srv.SetStatus(1, "solved")
	var out struct {
		Ticket json.RawMessage `json:"ticket"`
	}
	call(t, srv, "GET", "/api/v2/tickets/1.json", nil, &out)
	for _, want := range []string{`"status":"solved"`, `"tags":["jira_proj_7","vip"]`, `{"id":9,"value":"PROJ-7"}`,
		`"description":"It crashes"`} {
		if !strings.Contains(string(out.Ticket), want) {
			t.Errorf("ticket lacks %s: %s", want, out.Ticket)
		}
	}
	if c := srv.Comments(1); len(c) != 1 || !c[0].Public || c[0].AuthorID != 5 {
		t.Fatalf("description comment %+v", c)
	}
	if srv.SetStatus(99, "open") || srv.AddComment(99, Comment{Body: "x"}) || srv.DeleteTicket(99) {
		t.Fatal("mutations of a missing ticket reported success")
	}
	if err := srv.FlushWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
}
