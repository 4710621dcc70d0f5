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

// A bug's remote links make one info line for the bug, naming the tickets;
// the line per link is debug, or a backfill would log one per ticket.
func TestRemoteLinksLogOneLineABug(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := newHarness(t, func(o *engine.Options) { o.Logger = zap.New(core) })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	h.ticket(3, 103, "PROJ-1")
	h.settle()
	h.hd.Edit(2, func(tk *engine.Ticket) { tk.KeysField = "" })
	h.cycle()

	var lines []string
	for _, e := range logs.All() {
		ctx := e.ContextMap()
		switch {
		case e.Message == "remote link to ticket written" || e.Message == "remote link to unlinked ticket removed":
			if e.Level != zapcore.DebugLevel {
				t.Errorf("%q logged at %s, want debug", e.Message, e.Level)
			}
		case ctx["bug"] == "PROJ-1" && e.Level == zapcore.InfoLevel && strings.HasPrefix(e.Message, "remote links:"):
			lines = append(lines, e.Message)
			linked, unlinked := fmt.Sprint(ctx["tickets_linked"]), fmt.Sprint(ctx["tickets_unlinked"])
			if e.Message == "remote links: 3 written, 0 removed" && (linked != "[1 2 3]" || unlinked != "[]") ||
				e.Message == "remote links: 0 written, 1 removed" && (linked != "[]" || unlinked != "[2]") {
				t.Errorf("%q names tickets linked %v, unlinked %v", e.Message, linked, unlinked)
			}
		}
	}
	want := []string{"remote links: 3 written, 0 removed", "remote links: 0 written, 1 removed"}
	if !slices.Equal(lines, want) {
		t.Errorf("info lines for the bug's remote links: %q, want %q", lines, want)
	}
}
