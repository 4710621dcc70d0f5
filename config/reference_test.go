package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the configuration reference in docs/configuration.md")

const (
	refDoc   = "../docs/configuration.md"
	refBegin = "<!-- config-reference:begin -->\n"
	refEnd   = "<!-- config-reference:end -->"
)

// TestReference fails when docs/configuration.md's reference table and the
// doc tags disagree; -update rewrites the table.
func TestReference(t *testing.T) {
	b, err := os.ReadFile(refDoc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start, end := strings.Index(text, refBegin), strings.Index(text, refEnd)
	if start < 0 || end < start {
		t.Fatalf("%s lacks the markers %q and %q", refDoc, refBegin, refEnd)
	}
	want := Reference()
	if got := text[start+len(refBegin) : end]; got != want {
		if *update {
			if err := os.WriteFile(refDoc, []byte(text[:start+len(refBegin)]+want+text[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the configuration reference in %s is out of date; regenerate it with\n\tgo test ./config -run TestReference -update", strings.TrimPrefix(refDoc, "../"))
	}
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	ref := Reference()
	for _, l := range Default().leaves() {
		if strings.TrimSpace(l.doc) == "" {
			t.Errorf("%s has no doc tag", l.key)
		}
		if !strings.Contains(ref, "| `"+l.key+"` | `"+l.env()+"`") {
			t.Errorf("the reference lacks %s", l.key)
		}
	}
	for _, row := range []string{
		"| `jira.priorities` | `HELPDESK_SYNC_JIRA_PRIORITIES` | `Highest,High,Medium,Low,Lowest` |",
		"| `policy.thresholds` | `HELPDESK_SYNC_POLICY_THRESHOLDS` | `10=High,25=Highest` |",
		"| `redis.url` | `HELPDESK_SYNC_REDIS_URL`, `REDIS_URL` | `redis://127.0.0.1:6379/0` |",
		"| `zendesk.token` | `HELPDESK_SYNC_ZENDESK_TOKEN` |  | API token",
		"&lt;prefix&gt;",
	} {
		if !strings.Contains(ref, row) {
			t.Errorf("the reference lacks %q", row)
		}
	}
}
