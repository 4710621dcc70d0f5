package zendesktest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// countingWriter records, at the moment the response starts, how many
// requests the server's log holds: what a client that has just read the
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
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1, Subject: "s"})
	srv.Inject(Fault{Path: "/api/v2/tickets/{id}", Status: 502})
	srv.Inject(Fault{Path: "/api/v2/tickets/{id}", Truncate: true})
	for i, want := range []int{502, 200, 200, 401} {
		r := httptest.NewRequest("GET", "/api/v2/tickets/1.json", nil)
		if want != 401 {
			r.SetBasicAuth(DefaultEmail+"/token", DefaultToken)
		}
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder(), count: func() int { return srv.Count("GET", "/api/v2/tickets/{id}") }}
		srv.ServeHTTP(w, r)
		if w.Code != want {
			t.Fatalf("request %d: status %d, want %d", i+1, w.Code, want)
		}
		if w.atStart != i+1 {
			t.Errorf("request %d (status %d): the log held %d requests as its response started, want %d",
				i+1, want, w.atStart, i+1)
		}
	}
	got := srv.Requests()
	for i, want := range []int{502, 200, 200, 401} {
		if got[i].Status != want {
			t.Errorf("request %d logged with status %d, want %d", i+1, got[i].Status, want)
		}
	}
}

func TestRequestWithoutResponseIsLogged(t *testing.T) {
	srv := newTestServer(t)
	srv.Inject(Fault{Hang: true})
	r := httptest.NewRequest("GET", "/api/v2/tickets/1.json", nil)
	r.SetBasicAuth(DefaultEmail+"/token", DefaultToken)
	ctx, cancel := context.WithCancel(r.Context())
	cancel() // the client has given up: the hang ends at once
	srv.ServeHTTP(httptest.NewRecorder(), r.WithContext(ctx))
	if got := srv.Requests(); len(got) != 1 || got[0].Path != "/api/v2/tickets/1.json" {
		t.Errorf("log %+v, want the hung request", got)
	}
}
