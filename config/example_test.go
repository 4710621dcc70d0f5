package config

import (
	"os"
	"regexp"
	"testing"
)

// exampleSecrets are what example.yaml and simulators.yaml leave to the
// environment: the two API tokens, nothing else.
var exampleSecrets = map[string]string{
	"HELPDESK_SYNC_ZENDESK_TOKEN": "zd-token",
	"HELPDESK_SYNC_JIRA_TOKEN":    "jira-token",
}

// Both shipped configurations are valid as they stand once the API tokens
// are in the environment, and only then: every other secret they need is
// for a feature they leave off.
func TestExamplesAreValid(t *testing.T) {
	for _, file := range []string{"example.yaml", "simulators.yaml"} {
		c, err := Load(file, envOf(exampleSecrets))
		if err != nil {
			t.Fatalf("%s with the API tokens from the environment:\n%v", file, err)
		}
		if len(c.Warnings()) > 0 {
			t.Errorf("%s: warnings: %v", file, c.Warnings())
		}
		if c.Policy.TierWeights["enterprise"] != 5 {
			t.Errorf("%s: values not read: %+v", file, c.Policy)
		}
		_, err = Load(file, nil)
		got := problemsOf(t, err)
		if len(got) != 2 || got[0].Key != "zendesk.token" || got[1].Key != "jira.token" {
			t.Errorf("%s without the tokens: %v, want the two tokens missing", file, err)
		}
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
