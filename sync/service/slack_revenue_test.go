package service_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// arrOrg adds an organization whose arr field holds arr.
func arrOrg(e *servicetest.Env, arr float64) int64 {
	return e.Zendesk.AddOrganization(zendesktest.Organization{Name: "Customer", Fields: map[string]any{"arr": arr}}).ID
}

// With revenue counted, a raise by a revenue threshold names the revenue
// waiting, a min_revenue rule gets only the notices of bugs with that much
// waiting, and the digest lists the bugs by revenue waiting.
func TestSlackRevenueRaiseRuleAndDigest(t *testing.T) {
	sales := slacktest.New(t)
	file := t.TempDir() + "/sales"
	if err := os.WriteFile(file, []byte(sales.WebhookURL()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, srv, _ := slackEnv(t, map[string]string{
		"REVENUE_FIELD":       "arr",
		"REVENUE_CURRENCY":    "EUR",
		"POLICY_THRESHOLDS":   "3=Medium,10=High,25=Highest,revenue:100000=High",
		"SLACK_WEBHOOK_FILES": "sales=" + file,
		"SLACK_RULES":         `[{"webhook": "default"}, {"webhook": "sales", "min_revenue": 100000}]`,
	})
	big, small := e.Bug("PROJ", "Low"), e.Bug("PROJ", "Low")
	e.Ticket(arrOrg(e, 90000), big.Key)
	e.Ticket(arrOrg(e, 35000), big.Key) // 125,000 EUR waiting: High by revenue
	for range 3 {
		e.Ticket(arrOrg(e, 1000), small.Key) // 3 customers: Medium
	}
	e.Settle()
	deliver(t, e.Service)

	raises := map[string]string{} // the reason of each raise, by its fallback text
	for _, m := range srv.Messages() {
		last := m.Blocks[len(m.Blocks)-1]
		raises[m.Text] = last.Elements[0].Text
	}
	wantRaises := map[string]string{
		"Priority raised to High: " + big.Key + " Export fails for large files (2 customers, 125,000 EUR waiting)":   "Why: 2 customers, 125,000 EUR waiting",
		"Priority raised to Medium: " + small.Key + " Export fails for large files (3 customers, 3,000 EUR waiting)": "Why: 3 customers waiting",
	}
	if len(raises) != len(wantRaises) {
		t.Fatalf("raises %q, want %q", raises, wantRaises)
	}
	for text, why := range wantRaises {
		if raises[text] != why {
			t.Errorf("raise %q: reason %q, want %q (got %q)", text, raises[text], why, raises)
		}
	}
	if got := sales.Messages(); len(got) != 1 || !strings.HasPrefix(got[0].Text, "Priority raised to High: "+big.Key) {
		t.Fatalf("sales (min_revenue 100000) got %d messages, want the raise of %s alone: %+v", len(got), big.Key, got)
	}

	if err := e.Service.Notices.Digest(e.Ctx, e.Clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	deliver(t, e.Service)
	msgs := srv.Messages()
	digest := msgs[len(msgs)-1]
	var byRevenue string
	for _, b := range digest.Blocks {
		if b.Text != nil && strings.HasPrefix(b.Text.Text, "*Most revenue waiting*") {
			byRevenue = b.Text.Text
		}
	}
	first, second := strings.Index(byRevenue, big.Key), strings.Index(byRevenue, small.Key)
	if first < 0 || second < first || !strings.Contains(byRevenue, "2 customers, 125,000 EUR waiting") ||
		!strings.Contains(byRevenue, "3 customers, 3,000 EUR waiting") {
		t.Fatalf("digest's revenue section %q, want %s (125,000 EUR) then %s (3,000 EUR)", byRevenue, big.Key, small.Key)
	}
	if n := len(sales.Messages()); n != 1 {
		t.Fatalf("sales got the digest: a min_revenue rule filters bugs (%d messages)", n)
	}
}

// Without revenue counted, no notice and no digest says anything of it.
func TestSlackNoRevenueWhereNotCounted(t *testing.T) {
	e, srv, _ := slackEnv(t, nil)
	b := e.Bug("PROJ", "Low")
	for range 3 {
		e.Ticket(arrOrg(e, 90000), b.Key)
	}
	e.Settle()
	if err := e.Service.Notices.Digest(e.Ctx, e.Clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	deliver(t, e.Service)
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want a raise and a digest", len(msgs))
	}
	for _, m := range msgs {
		if strings.Contains(m.Text, "revenue") || strings.Contains(m.Text, "EUR") {
			t.Errorf("message %q speaks of revenue, which is not counted", m.Text)
		}
		for _, b := range m.Blocks {
			if b.Text != nil && strings.Contains(b.Text.Text, "revenue") {
				t.Errorf("block %q speaks of revenue, which is not counted", b.Text.Text)
			}
		}
	}
}
