package jiratest_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// countingWriter records, at the moment the response starts, how many
// requests the site's log holds: what a client that has just read the
// response would count.
type countingWriter struct {
	*httptest.ResponseRecorder
	count   func() int
	atStart int
	started bool
}

// start reads the count as the response starts. A log that cannot be read
// while a response is being written (its lock held by the handler) counts
// as -1 after a wait no handler needs.
func (w *countingWriter) start() {
	if w.started {
		return
	}
	w.started, w.atStart = true, -1
	got := make(chan int, 1)
	go func() { got <- w.count() }()
	select {
	case w.atStart = <-got:
	case <-time.After(5 * time.Second):
	}
}

func (w *countingWriter) WriteHeader(code int) {
	w.start()
	w.ResponseRecorder.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseRecorder.Write(b)
}

func TestRequestIsLoggedBeforeItsResponse(t *testing.T) {
	srv, _ := startUnchecked(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	srv.InjectFault(jiratest.Fault{Pattern: "/rest/api/2/issue/{issueIdOrKey}", Status: 502})
	srv.InjectFault(jiratest.Fault{Pattern: "/rest/api/2/issue/{issueIdOrKey}", Malformed: true})
	statuses := []int{502, 200, 200, 401}
	for i, want := range statuses {
		r := httptest.NewRequest("GET", "/rest/api/2/issue/"+is.Key, nil)
		if want != 401 {
			r.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
		}
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder(),
			count: func() int { return srv.Count("GET", "/rest/api/2/issue/{issueIdOrKey}") }}
		srv.ServeHTTP(w, r)
		if w.Code != want {
			t.Fatalf("request %d: status %d, want %d", i+1, w.Code, want)
		}
		if w.atStart != i+1 {
			t.Errorf("request %d (status %d): the log held %d requests as its response started, want %d",
				i+1, want, w.atStart, i+1)
		}
	}
	for i, r := range srv.Requests() {
		if r.Status != statuses[i] {
			t.Errorf("request %d logged with status %d, want %d", i+1, r.Status, statuses[i])
		}
	}
}
