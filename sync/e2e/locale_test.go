package e2e_test

import (
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// A note is written in the requester's language when a translation is
// configured, and in the default language otherwise; the locale comes
// sideloaded with the export, so the writes and reads are those of any
// note.
func TestNotesFollowTheRequestersLocale(t *testing.T) {
	e := newEnv(t, func(o *servicetest.Options) {
		o.Config["POLICY_TEXTS_TRANSLATIONS"] = `{"de": {"fixed": "{{.Key}} ist behoben{{with .Versions}}, in {{.}}{{end}}. Bitte dem Kunden Bescheid geben."}}`
	})
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	de, fr, en := e.Ticket(101, b.Key), e.Ticket(101, b.Key), e.Ticket(101, b.Key)
	for id, locale := range map[int64]string{de: "de", fr: "fr"} {
		tk, _ := e.Zendesk.Ticket(id)
		if !e.Zendesk.SetUserLocale(tk.RequesterID, locale) {
			t.Fatalf("requester of ticket %d missing", id)
		}
	}
	e.settle()

	if err := e.Jira.Resolve(b.Key, "Done", "2.3.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.ResetLogs()
	e.cycle()
	e.expectWrites(map[string]int{zdUpdate: 3})
	want := map[int64]string{
		de: b.Key + " ist behoben, in 2.3.1. Bitte dem Kunden Bescheid geben.",
		fr: "Tell the customer: fixed in 2.3.1, not yet released", // no French: the default language
		en: "Tell the customer: fixed in 2.3.1, not yet released", // en-US, the simulator's default locale
	}
	for id, text := range want {
		// The marker that makes a note restart-safe goes with every language.
		if n := e.notes(id); len(n) != 1 || !strings.Contains(n[0], text) || !strings.Contains(n[0], "(ref: hs-") {
			t.Fatalf("ticket %d notes %q, want one with %q", id, n, text)
		}
	}
	if n := e.notes(fr)[0]; strings.Contains(n, "behoben") {
		t.Fatalf("French requester got German: %q", n)
	}
	e.expectIdle()
}
