package config

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// numeric reports whether a leaf holds numbers: a number, a duration, or a
// list or map of them (thresholds and count labels hold customer counts).
func numeric(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Float64:
		return true
	case reflect.Map, reflect.Slice:
		e := t.Elem()
		if e.Kind() == reflect.Struct {
			_, ok := e.FieldByName("Customers")
			return ok
		}
		return numeric(e)
	}
	return false
}

// Every number and duration a key holds has a bound, and the defaults lie
// within them.
func TestEveryNumberHasABound(t *testing.T) {
	c := Default()
	seen := map[string]bool{}
	for _, l := range c.leaves() {
		seen[l.key] = true
		if _, ok := bounds[l.key]; numeric(l.v.Type()) && !ok {
			t.Errorf("%s (%s) has no bound", l.key, l.v.Type())
		}
	}
	for key, b := range bounds {
		if !seen[key] {
			t.Errorf("bound of %s, which is no key", key)
		}
		if !(b.lo <= b.hi) || b.why == "" || b.example == "" {
			t.Errorf("bound of %s: %+v", key, b)
		}
	}
	p := newProblems(c)
	c.checkBounds(p)
	for _, pr := range p.list {
		t.Errorf("default out of bounds: %s", pr)
	}
}

// Each bounded scalar key accepts both ends of its range and refuses what
// lies just outside, naming the key, the range and a good value.
func TestBoundsEdges(t *testing.T) {
	for _, l := range Default().leaves() {
		b, ok := bounds[l.key]
		if !ok || l.v.Kind() == reflect.Map || l.v.Kind() == reflect.Slice {
			continue
		}
		below := b.lo - 1
		if l.v.Kind() == reflect.Float64 {
			below = b.lo - max(b.lo/2, 0.001)
		}
		above := b.hi + max(1, b.hi*1e-6)
		for _, tc := range []struct {
			v  float64
			ok bool
		}{{b.lo, true}, {b.hi, true}, {below, false}, {above, false}} {
			c := valid()
			// The keys bounded by another key's value as well are given
			// room: this test is about their own bounds.
			c.Zendesk.RequestsPerMinute, c.Sync.PollInterval = maxPerMinute, 100*time.Millisecond
			setNumber(c, l.key, tc.v)
			err := c.Validate()
			var at []Problem
			for _, p := range problemsOf(t, err) {
				if p.Key == l.key {
					at = append(at, p)
				}
			}
			switch {
			case tc.ok && len(at) > 0:
				t.Errorf("%s = %v refused: %v", l.key, tc.v, at)
			case !tc.ok && len(at) != 1:
				t.Errorf("%s = %v: %d problems at the key, want 1: %v", l.key, tc.v, len(at), err)
			case !tc.ok && (!strings.Contains(at[0].Fix, "e.g. "+leafName(l.key)+": "+b.example) || !strings.Contains(at[0].Fix, " to ")):
				t.Errorf("%s = %v: the fix names no range or example: %s", l.key, tc.v, at[0])
			}
		}
	}
}

// setNumber sets the scalar key of c to v, in the key's unit.
func setNumber(c *Config, key string, v float64) {
	for _, l := range c.leaves() {
		if l.key != key {
			continue
		}
		switch {
		case l.v.CanInt():
			l.v.SetInt(int64(v))
		case l.v.CanFloat():
			l.v.SetFloat(v)
		}
		return
	}
}

// What issue #18 found accepted, and the entries of lists and maps.
func TestBoundsRefuse(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		key, want  string
	}{
		{"ten gigabyte bodies", "webhooks:\n  max_body_bytes: 10000000000\n", nil, "webhooks.max_body_bytes",
			"10000000000 is over 67108864; a delivery is a few kilobytes, and the receiver holds it in memory; set 4096 to 67108864, e.g. max_body_bytes: 1048576"},
		{"a replay window of 41 days", "webhooks:\n  tolerance: 1000h\n", nil, "webhooks.tolerance",
			"1000h is over 1h; a signed delivery can be replayed within this window, and deliveries from a clock further off are refused; set 30s to 1h, e.g. tolerance: 5m"},
		{"a lease of an hour", "sync:\n  lease_ttl: 1h\n", nil, "sync.lease_ttl", "1h is over 10m"},
		{"a tier weighing a million", "policy:\n  tier_weights: {pro: 1000000}\n", map[string]string{"HELPDESK_SYNC_ZENDESK_TIER_FIELD": "tier"},
			"policy.tier_weights.pro", "1000000 is over 1000"},
		{"a weight that is no number", "policy:\n  default_weight: .nan\n", nil, "policy.default_weight", "not a number"},
		{"a threshold of a billion customers", "policy:\n  thresholds: [{customers: 1e9, priority: Highest}]\n", nil, "policy.thresholds[0].customers",
			"1000000000 is over 1000000; a threshold is a (weighted) number of customers; count from 1 up, e.g. 10=High; set more than 0, up to 1000000"},
		{"a stale window of a minute", "policy:\n  stale:\n    windows: {High: 1m}\n", nil, "policy.stale.windows.High", "1m is under 1h"},
		{"no keys linked", "", map[string]string{"HELPDESK_SYNC_ZENDESK_MAX_KEYS_PER_TICKET": "0"}, "zendesk.max_keys_per_ticket", "0 must be more than 0"},
		{"a thousand keys", "", map[string]string{"HELPDESK_SYNC_ZENDESK_MAX_KEYS_PER_TICKET": "1000"}, "zendesk.max_keys_per_ticket", "1000 is over 100"},
		{"a start time in the future", "", map[string]string{"HELPDESK_SYNC_ZENDESK_START_TIME": "2999-01-01T00:00:00Z"}, "zendesk.start_time", "2999-01-01T00:00:00Z is in the future"},
		{"a huge export budget, once", "", map[string]string{"HELPDESK_SYNC_ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "1000000000"},
			"zendesk.export_requests_per_minute", "1000000000 is over 100000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", minimal+tt.yaml), envOf(secretEnv, tt.env))
			p := problemAt(t, err, tt.key, tt.want)
			if p.Origin == "" || p.Env == "" {
				t.Errorf("problem names no origin or variable: %+v", p)
			}
			if n := len(problemsOf(t, err)); n != 1 {
				t.Errorf("%d problems, want the one:\n%v", n, err)
			}
		})
	}
}

// Secrets people choose or copy by hand have a least length; the problem
// says how long the value is and how to make a good one, never the value.
func TestSecretLengths(t *testing.T) {
	tests := []struct {
		env, key string
		min      int
	}{
		{"HELPDESK_SYNC_BOARD_TOKEN", "board.token", 16},
		{"HELPDESK_SYNC_BOARD_BASIC_PASSWORD", "board.basic_password", 16},
		{"HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET", "webhooks.jira_secret", 16},
		{"HELPDESK_SYNC_WEBHOOKS_ZENDESK_SECRET", "webhooks.zendesk_secret", 32},
	}
	for _, tt := range tests {
		extra := map[string]string{}
		if tt.key == "board.basic_password" {
			extra["HELPDESK_SYNC_BOARD_BASIC_USER"] = "lead"
		}
		for _, n := range []int{1, tt.min - 1, tt.min} {
			secret := strings.Repeat("ç", n) // runes, not bytes, are counted
			_, err := Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv, extra, map[string]string{tt.env: secret}))
			if n == tt.min {
				if err != nil {
					t.Errorf("%s of %d characters refused: %v", tt.key, n, err)
				}
				continue
			}
			want := fmt.Sprintf("%s long, under %d", plural(n, "character", "characters"), tt.min)
			p := problemAt(t, err, tt.key, want)
			if strings.Contains(err.Error(), secret) || p.Fix == "" {
				t.Errorf("%s: %v", tt.key, p)
			}
		}
	}
	// The one-character board token, on an enabled board.
	_, err := Load(writeFile(t, "c.yaml", minimal+"board:\n  enabled: true\n"), envOf(secretEnv, map[string]string{"HELPDESK_SYNC_BOARD_TOKEN": "x"}))
	problemAt(t, err, "board.token", "1 character long, under 16: it alone opens the board; generate one, e.g. openssl rand -hex 16")
}

// A duration key's problem shows durations as they are written.
func TestBoundShowsDurations(t *testing.T) {
	c := valid()
	c.Sync.ShutdownGrace = 20 * time.Minute
	problemAt(t, c.Validate(), "sync.shutdown_grace", "20m is over 10m; keep it under the orchestrator's kill timeout; set 1s to 10m, e.g. shutdown_grace: 25s")
	c = valid()
	c.Jira.RequestsPerSecond = math.Inf(1)
	problemAt(t, c.Validate(), "jira.requests_per_second", "+Inf is over 1000000")
}
