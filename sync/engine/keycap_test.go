package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// maxLogLine bounds every line the engine logs about one ticket, whatever
// agents typed into it.
const maxLogLine = 2 << 10

// A ticket whose keys field names thousands of keys (a pasted export, a
// runaway macro) links the first MaxKeys of them and no more: one bounded
// line names the ticket and what was ignored, the bugs beyond the cap are
// neither looked up nor reported missing, and no priority moves for them.
func TestTicketNamingThousandsOfKeysIsCapped(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := newHarness(t, func(o *engine.Options) {
		o.Logger = zap.New(core)
		o.Policy.MaxKeys = 5
	})
	for i := 1; i <= 9; i++ {
		h.bug(fmt.Sprint(i), fmt.Sprintf("PROJ-%d", i), "Low")
	}
	// Customers enough on bugs 6..9 that a link from a fourth customer
	// would raise them to Medium (threshold 3).
	for i := int64(6); i <= 9; i++ {
		for c := int64(0); c < 2; c++ {
			h.ticket(100+10*i+c, 500+10*i+c, fmt.Sprintf("PROJ-%d", i))
		}
	}
	var field strings.Builder
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&field, "PROJ-%d, ", i)
	}
	field.WriteString(strings.Repeat("x", 1<<20)) // one 1 MB token as well
	h.ticket(1, 101, field.String(), "jira_proj_7", "jira_other_1")
	h.settle()

	h.expectLinkedTickets("1", 1)
	h.expectLinkedTickets("5", 1)
	for _, id := range []string{"6", "7", "8", "9"} {
		if b := h.getBug(id); b.Priority != "Low" {
			t.Errorf("bug %s raised to %s by keys over the cap", id, b.Priority)
		}
		h.expectLinkedTickets(id, 100+10*int64(id[0]-'0'), 101+10*int64(id[0]-'0'))
	}
	if ev := h.events.of(engine.EventKeyMissing); len(ev) != 0 {
		t.Errorf("%d keys over the cap were looked up and reported missing, e.g. %+v", len(ev), ev[0])
	}

	ignored := h.events.of(engine.EventKeyIgnored)
	if len(ignored) != 1 || ignored[0].TicketID != 1 {
		t.Fatalf("key_ignored events %+v, want one naming ticket 1", ignored)
	}
	for _, want := range []string{"ignored 2998 bug keys", "links at most 5", `"PROJ-6": too many keys`, `"xxxx`} {
		if !strings.Contains(ignored[0].Detail, want) {
			t.Errorf("detail %q lacks %q", ignored[0].Detail, want)
		}
	}
	for _, e := range logs.All() {
		if n := lineSize(e); n > maxLogLine {
			t.Errorf("a %d-byte log line: %.200s…", n, e.Message)
		}
	}
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if e.ContextMap()["event"] != nil {
			t.Errorf("warning %q (%v)", e.Message, e.ContextMap()["event"])
		}
	}
	// Rebuilding from the vendors reports the ticket once more, no louder.
	before := len(logs.All())
	if _, err := h.engine().Resync(h.ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range logs.All()[before:] {
		if n := lineSize(e); n > maxLogLine || e.Level >= zapcore.WarnLevel {
			t.Errorf("resync logged a %d-byte %s line: %.200s", n, e.Level, e.Message)
		}
	}
}

// lineSize is about what a log line takes: its message and its fields.
func lineSize(e observer.LoggedEntry) int {
	n := len(e.Message)
	for k, v := range e.ContextMap() {
		n += len(k) + len(fmt.Sprint(v))
	}
	return n
}

// The keys kept are the first MaxKeys distinct valid ones in the order an
// agent reads them (field, then tags, then subject), and a ticket that names
// no more than MaxKeys keeps them all.
func TestKeyCapKeepsTheFirstInOrder(t *testing.T) {
	p := policy()
	p.MaxKeys = 3
	p.SubjectKeys = true
	got := p.Keys(engine.Ticket{KeysField: "PROJ-9 proj-9 PROJ-2 OTHER-1", Tags: []string{"jira_web_4", "jira_proj_1"}, Subject: "see PROJ-3"})
	if !slices.Equal(got.Keys, []string{"PROJ-2", "PROJ-9", "WEB-4"}) || got.Ignored != 3 || got.OverCap != 2 {
		t.Fatalf("got %+v", got)
	}
	p.MaxKeys = 6
	if got := p.Keys(engine.Ticket{KeysField: "PROJ-9 PROJ-2", Tags: []string{"jira_web_4", "jira_proj_1"}, Subject: "see PROJ-3"}); len(got.Keys) != 5 || got.OverCap != 0 {
		t.Fatalf("under the cap: %+v", got)
	}
}
