package webhook_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

const mib = 1 << 20

// meter wraps the receiver's handler as the listener would call it, and
// measures from outside what it does with request bodies: the bytes it
// reads, the requests reading one right now, and the status of each answer.
type meter struct {
	next    http.Handler
	arrived atomic.Int64
	read    atomic.Int64 // bytes read from bodies, all requests
	reading atomic.Int64 // requests that have read a byte and not yet answered

	mu       sync.Mutex
	statuses map[int]int
	retry    map[string]int // Retry-After values of 503s
}

func newMeter(next http.Handler) *meter {
	return &meter{next: next, statuses: map[int]int{}, retry: map[string]int{}}
}

func (m *meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.arrived.Add(1)
	body := &meteredBody{ReadCloser: r.Body, m: m}
	r.Body = body
	sw := &statusWriter{ResponseWriter: w}
	m.next.ServeHTTP(sw, r)
	if body.started {
		m.reading.Add(-1)
	}
	m.mu.Lock()
	m.statuses[sw.status]++
	if sw.status == http.StatusServiceUnavailable {
		m.retry[sw.Header().Get("Retry-After")]++
	}
	m.mu.Unlock()
}

func (m *meter) answered() (statuses map[int]int, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	statuses = map[int]int{}
	for k, v := range m.statuses {
		statuses[k] = v
		n += v
	}
	return statuses, n
}

type meteredBody struct {
	io.ReadCloser
	m       *meter
	started bool // only the handler's goroutine reads
}

func (b *meteredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && !b.started {
		b.started = true
		b.m.reading.Add(1)
	}
	b.m.read.Add(int64(n))
	return n, err
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serveMetered serves the receiver's handler, without the env's capture
// (which reads every body), behind a meter.
func serveMetered(t *testing.T, e *env) (*meter, string) {
	t.Helper()
	m := newMeter(e.WebhookHandler())
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv.URL
}

// heapAllocated is the process's cumulative heap allocation.
func heapAllocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// Deliveries whose headers show they cannot be authentic (no signature,
// one that is not a MAC, no secret, a stale timestamp) are refused before
// their bodies are read: a flood of large ones costs no memory per byte.
func TestUnauthenticBodiesAreNotRead(t *testing.T) {
	e := newEnv(t, envOptions{noJiraKey: true})
	m, url := serveMetered(t, e)
	body := bytes.Repeat([]byte("x"), mib)
	now := time.Now().UTC()
	kinds := []struct {
		path   string
		header http.Header
	}{
		{"/webhooks/zendesk", http.Header{}},
		{"/webhooks/zendesk", http.Header{"X-Zendesk-Webhook-Signature-Timestamp": {now.Format(time.RFC3339)}}},
		{"/webhooks/zendesk", http.Header{"X-Zendesk-Webhook-Signature-Timestamp": {now.Format(time.RFC3339)},
			"X-Zendesk-Webhook-Signature": {"bm90IGEgTUFD"}}},
		{"/webhooks/zendesk", http.Header{"X-Zendesk-Webhook-Signature-Timestamp": {now.Add(-time.Hour).Format(time.RFC3339)},
			"X-Zendesk-Webhook-Signature": {fakeSignature()}}},
		{"/webhooks/jira", http.Header{"X-Hub-Signature": {"sha256=" + fmt.Sprintf("%064x", 7)}}}, // no Jira secret here
	}
	const posts, atOnce = 400, 100
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: atOnce}}
	t.Cleanup(client.CloseIdleConnections)

	runtime.GC()
	before := heapAllocated()
	var wg sync.WaitGroup
	slots := make(chan struct{}, atOnce)
	for i := range posts {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			k := kinds[i%len(kinds)]
			req, _ := http.NewRequest(http.MethodPost, url+k.path, bytes.NewReader(body))
			req.Header = k.header.Clone()
			// The server may close the connection before the client has
			// sent the body; what the server answered is counted there.
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	waitFor(t, "every post answered", func() bool { _, n := m.answered(); return n == posts })
	allocated := heapAllocated() - before

	if statuses, _ := m.answered(); statuses[http.StatusUnauthorized] != posts {
		t.Fatalf("answers %v, want %d × 401", statuses, posts)
	}
	if n := m.read.Load(); n != 0 {
		t.Errorf("%d bytes read from the bodies of deliveries refused by their headers; want none", n)
	}
	// Reading each body would allocate at least its MiB.
	perPost := allocated / posts
	t.Logf("%d posts of 1 MiB, %d at once: %.1f MiB allocated in all, %d KiB a post", posts, atOnce,
		float64(allocated)/mib, perPost>>10)
	if perPost > 256<<10 {
		t.Errorf("%d KiB allocated a post; refusing one by its headers should not grow with its body", perPost>>10)
	}
}

// Bodies that may be authentic are read within a budget shared by all
// requests: with every reader stalled on its last byte, at most the budget
// is being read and held at once (8 bodies of 1 MiB by default), the heap
// holds no more, and the requests that got no share are answered 503 with
// Retry-After, unread. Once the readers finish, the budget is free again.
func TestBodiesAreReadWithinBudget(t *testing.T) {
	e, key, _ := linked(t, envOptions{})
	m, url := serveMetered(t, e)
	const posts, budget = 40, 8 // bodies of 1 MiB; the default budget is 8 × max_body_bytes
	release := make(chan struct{})
	data := bytes.Repeat([]byte("y"), mib) // shared: the test's own memory stays out of the measure
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc
	var wg sync.WaitGroup
	for range posts {
		wg.Go(func() {
			// Headers that pass every check a header allows, and a body
			// that stalls on its last byte until the test releases it.
			body := &stalling{data: data, release: release}
			req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/zendesk", body)
			req.ContentLength = mib
			req.Header.Set("X-Zendesk-Webhook-Signature-Timestamp", time.Now().UTC().Format(time.RFC3339))
			req.Header.Set("X-Zendesk-Webhook-Signature", fakeSignature())
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	// Final: every post arrived, and each is either reading (stalled, so
	// it stays so) or answered.
	waitFor(t, "every post reading or answered", func() bool {
		_, n := m.answered()
		return m.arrived.Load() == posts && int64(n)+m.reading.Load() == posts
	})
	reading, read := m.reading.Load(), m.read.Load()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	held := int64(ms.HeapAlloc) - int64(heapBefore)
	statuses, _ := m.answered()
	t.Logf("%d posts of 1 MiB: %d reading, %.1f MiB read, heap %+.1f MiB, answers %v", posts, reading,
		float64(read)/mib, float64(held)/mib, statuses)
	if reading > budget || read > budget*mib {
		t.Errorf("%d bodies (%.1f MiB) being read at once; the budget is %d MiB", reading, float64(read)/mib, budget)
	}
	// Beyond the bodies: each connection's buffers, the goroutines' state.
	if held > (budget+8)*mib {
		t.Errorf("the heap grew by %.1f MiB with every reader stalled; the budget is %d MiB", float64(held)/mib, budget)
	}
	if statuses[http.StatusServiceUnavailable] != posts-budget || m.retry["1"] != posts-budget {
		t.Errorf("answers %v, Retry-After %v; want %d × 503 with Retry-After: 1", statuses, m.retry, posts-budget)
	}

	close(release)
	wg.Wait()
	waitFor(t, "every post answered", func() bool { _, n := m.answered(); return n == posts })
	if statuses, _ := m.answered(); statuses[http.StatusUnauthorized] != budget {
		t.Errorf("answers %v; the stalled readers' forged signatures should be 401", statuses)
	}
	// The budget is whole again: a genuine delivery is read and accepted.
	e.Jira.SetWebhook(jiratest.Webhook{URL: url + "/webhooks/jira", Secret: jiraSecret, Events: []string{"jira:issue_updated"}})
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.flush()
	if ds := e.Jira.Deliveries(); len(ds) != 1 || ds[0].Status != http.StatusAccepted {
		t.Fatalf("deliveries after the stall: %+v", ds)
	}
}

// stalling yields data but its last byte, then waits for release.
type stalling struct {
	data    []byte
	off     int
	release <-chan struct{}
}

func (s *stalling) Read(p []byte) (int, error) {
	if s.off == len(s.data) {
		return 0, io.EOF
	}
	if s.off == len(s.data)-1 {
		<-s.release
	}
	end := min(len(s.data)-1, s.off+len(p))
	if s.off == len(s.data)-1 {
		end = len(s.data)
	}
	n := copy(p, s.data[s.off:end])
	s.off += n
	return n, nil
}

// fakeSignature is well formed, and signs nothing.
func fakeSignature() string {
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	return base64.StdEncoding.EncodeToString(mac)
}

// A body sent without a Content-Length takes max_body_bytes of the budget
// and is read no further than one byte past it: over it, 413.
func TestOversizedBodyWithoutLength(t *testing.T) {
	e := newEnv(t, envOptions{maxBody: 256})
	m, url := serveMetered(t, e)
	body := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("z"), 64<<10))) // hides its length: sent chunked
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/zendesk", body)
	req.Header.Set("X-Zendesk-Webhook-Signature-Timestamp", time.Now().UTC().Format(time.RFC3339))
	req.Header.Set("X-Zendesk-Webhook-Signature", fakeSignature())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d for a chunked body over the limit, want 413", resp.StatusCode)
	}
	// Some bytes read: the length was not declared, so only reading told.
	if n := m.read.Load(); n == 0 || n > 257 {
		t.Fatalf("%d bytes read of a chunked body over a limit of 256; want at most 257", n)
	}
}
