package connectors

import (
	"maps"
	"sync"
	"time"
)

// Observer hears about every attempt the Transport makes. ObserveRequest is
// called synchronously on the request's goroutine, so it must be quick and
// safe for concurrent use.
type Observer interface {
	ObserveRequest(RequestInfo)
}

// RequestInfo describes one attempt. It holds no URL, header or body: only
// what is safe to put in a metric or a log line.
type RequestInfo struct {
	Vendor, Method, Route string
	Status                int // 0: no response (transport error)
	Duration              time.Duration
	Attempt               int  // 1 for the first try
	WillRetry             bool // the Transport sends the request again
	// RetryAfter is the wait the vendor asked for (Retry-After and its
	// relatives), 0 when it asked for none.
	RetryAfter time.Duration
	// RateLimitRemaining is the vendor's count of requests left in the
	// current window, -1 when the response did not say.
	RateLimitRemaining int
	VendorRequestID    string
	Err                error // the transport error when Status is 0
}

// Observers fans one attempt out to several observers, in order.
type Observers []Observer

// ObserveRequest implements Observer.
func (o Observers) ObserveRequest(info RequestInfo) {
	for _, obs := range o {
		obs.ObserveRequest(info)
	}
}

// Counter counts attempts per method and route: what the vendor was asked,
// retries included. Tests and benchmarks use it to assert the cost of an
// operation in requests. The zero value is ready to use.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
	total  int
}

// ObserveRequest implements Observer.
func (c *Counter) ObserveRequest(info RequestInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]int)
	}
	c.counts[info.Method+" "+info.Route]++
	c.total++
}

// Count is the number of attempts made for method and route (a route as
// the Transport's Route function names it, e.g. "/api/v2/tickets/{id}.json").
func (c *Counter) Count(method, route string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[method+" "+route]
}

// Total is the number of attempts on every route.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Snapshot copies the counts, keyed "METHOD route".
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.counts)
	if out == nil {
		out = map[string]int{}
	}
	return out
}
