package board

import (
	"testing"
	"time"
)

func TestTicketLinks(t *testing.T) {
	tests := []struct {
		name    string
		tickets []Ticket
		more    int
		want    string
	}{
		{"open and solved", []Ticket{{ID: 7, URL: "https://acme.zendesk.com/agent/tickets/7", Open: true}, {ID: 5, URL: "https://acme.zendesk.com/agent/tickets/5"}}, 0,
			`<a href="https://acme.zendesk.com/agent/tickets/7">#7</a> <a href="https://acme.zendesk.com/agent/tickets/5" class="closed">#5</a> `},
		{"subject escaped in the title", []Ticket{{ID: 1, URL: "https://h/agent/tickets/1?a=1&b=2", Open: true, Subject: `"><script>alert('x')</script>`}}, 0,
			`<a href="https://h/agent/tickets/1?a=1&amp;b=2" title="&#34;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;">#1</a> `},
		{"a script URL is not linked", []Ticket{{ID: 2, URL: "javascript:alert(1)", Open: true}}, 0, `#2 `},
		{"an unknown ticket is not linked", []Ticket{{ID: 3}}, 4, `#3 <small>+4 more</small>`},
		{"none", nil, 0, ``},
	}
	for _, tt := range tests {
		if got := string(ticketLinks(tt.tickets, tt.more)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Minute: "0s", 30 * time.Second: "30s", 5 * time.Minute: "5m", 3 * time.Hour: "3h", 47 * time.Hour: "47h", 72 * time.Hour: "3d",
	} {
		if got := ago(now, now.Add(-d)); got != want {
			t.Errorf("ago(%v) = %q, want %q", d, got, want)
		}
	}
	if got := ago(now, time.Time{}); got != "—" {
		t.Errorf("ago(zero) = %q", got)
	}
}

func TestTierText(t *testing.T) {
	m := newFixture(t).model()
	if got := tierText(m.tierCounts(map[string]int{"pro": 2, "enterprise": 2, "free": 5, "gold": 1})); got != "2 enterprise, 2 pro, 5 free, 1 gold" {
		t.Errorf("tierText = %q, want the heaviest tier first, whatever the counts", got)
	}
}
