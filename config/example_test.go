package config

import (
	"os"
	"regexp"
	"testing"
)

// exampleSecrets are what example.yaml leaves to the environment.
var exampleSecrets = map[string]string{
	"HELPDESK_SYNC_ZENDESK_TOKEN":           "zd-token",
	"HELPDESK_SYNC_JIRA_TOKEN":              "jira-token",
	"HELPDESK_SYNC_WEBHOOKS_ZENDESK_SECRET": "zd-webhook-secret",
	"HELPDESK_SYNC_BOARD_TOKEN":             "board-token",
}

func TestExampleIsValid(t *testing.T) {
	c, err := Load("example.yaml", envOf(exampleSecrets))
	if err != nil {
		t.Fatalf("example.yaml with its secrets from the environment:\n%v", err)
	}
	if len(c.Warnings()) > 0 {
		t.Errorf("warnings: %v", c.Warnings())
	}
	if c.Policy.TierWeights["enterprise"] != 5 || len(c.Policy.CountLabels) != 2 {
		t.Errorf("example values not read: %+v", c.Policy)
	}
}

// commentedKey is a commented-out alternative: "# key: value" at the
// indentation the key would have.
var commentedKey = regexp.MustCompile(`(?m)^(\s*)# ([a-z_]+:(?: .*)?)$`)

// TestExampleShowsEveryKey: every key appears in example.yaml, set or as
// a commented-out alternative, and those alternatives are valid keys with
// valid values once uncommented.
func TestExampleShowsEveryKey(t *testing.T) {
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	uncommented := commentedKey.ReplaceAllString(string(b), "$1$2")
	c := Default()
	c.origins = map[string]string{}
	p := newProblems(c)
	decodeFile(c, writeFile(t, "uncommented.yaml", uncommented), p)
	for _, pr := range p.list {
		t.Errorf("uncommented example.yaml: %s", pr)
	}
	for _, l := range c.leaves() {
		if c.origins[l.key] == "" {
			t.Errorf("example.yaml does not show %s", l.key)
		}
	}
}
