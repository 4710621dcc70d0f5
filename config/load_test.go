package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// minimal is the smallest valid file, given secretEnv.
const minimal = `
zendesk:
  subdomain: acme
  email: sync@acme.com
jira:
  url: https://acme.atlassian.net
  email: sync@acme.com
  projects: [PROJ]
`

var secretEnv = map[string]string{
	"HELPDESK_SYNC_ZENDESK_TOKEN": "zd-secret-value-1",
	"HELPDESK_SYNC_JIRA_TOKEN":    "jira-secret-value-2",
}

func envOf(maps ...map[string]string) func(string) string {
	all := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			all[k] = v
		}
	}
	return func(k string) string { return all[k] }
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	writeAt(t, path, content)
	return path
}

func writeAt(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// problemsOf returns the problems of a Load or Validate error.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *config.Error", err, err)
	}
	return ce.Problems
}

func keysOf(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Key)
	}
	return out
}

// problemAt finds the problem of key whose text contains want.
func problemAt(t *testing.T, err error, key, want string) Problem {
	t.Helper()
	for _, p := range problemsOf(t, err) {
		if p.Key == key && strings.Contains(p.String(), want) {
			return p
		}
	}
	t.Fatalf("no problem at %q containing %q; got:\n%v", key, want, err)
	return Problem{}
}

func TestLoadMinimal(t *testing.T) {
	c, err := Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Zendesk.Subdomain != "acme" || c.Jira.Projects[0] != "PROJ" || c.Zendesk.Token.Value() != "zd-secret-value-1" {
		t.Errorf("file or env values not applied: %+v", c.Zendesk)
	}
	want := Default()
	if c.Policy.Stale.Windows["Highest"] != 48*time.Hour || !reflect.DeepEqual(c.Policy.Thresholds, want.Policy.Thresholds) ||
		c.Sync.PollInterval != time.Minute || c.Redis.KeyPrefix != "helpdesk-sync:" {
		t.Errorf("defaults not kept: %+v", c.Policy)
	}
	if got := c.Origin("zendesk.subdomain"); !strings.HasSuffix(got, "c.yaml:3") {
		t.Errorf("Origin(zendesk.subdomain) = %q, want the file and line 3", got)
	}
	if got := c.Origin("zendesk.token"); got != "env HELPDESK_SYNC_ZENDESK_TOKEN" {
		t.Errorf("Origin(zendesk.token) = %q", got)
	}
	if got := c.Origin("sync.workers"); got != "" {
		t.Errorf("Origin of a default = %q, want empty", got)
	}
	if len(c.Warnings()) != 0 {
		t.Errorf("warnings: %v", c.Warnings())
	}
}

func TestLoadEnvOnly(t *testing.T) {
	c, err := Load("", envOf(secretEnv, map[string]string{
		"HELPDESK_SYNC_ZENDESK_URL":       "https://acme.zendesk.com",
		"HELPDESK_SYNC_ZENDESK_EMAIL":     "sync@acme.com",
		"HELPDESK_SYNC_JIRA_URL":          "https://acme.atlassian.net",
		"HELPDESK_SYNC_JIRA_EMAIL":        "sync@acme.com",
		"HELPDESK_SYNC_JIRA_PROJECTS":     "PROJ,WEB",
		"HELPDESK_SYNC_POLICY_THRESHOLDS": "5=Medium,10=High,25=Highest",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !slices.Equal(c.Jira.Projects, []string{"PROJ", "WEB"}) || len(c.Policy.Thresholds) != 3 {
		t.Errorf("env values not applied: %v %v", c.Jira.Projects, c.Policy.Thresholds)
	}
}

func TestEnvOverrides(t *testing.T) {
	file := minimal + `
policy:
  thresholds:
    - {customers: 3, priority: Medium}
  stale:
    label: stale-file
redis:
  url: redis://file:6379/0
`
	tests := []struct {
		name  string
		env   map[string]string
		check func(c *Config) any // returns the value...
		want  any                 // ...that must equal this
		key   string              // origin expected to be env
	}{
		{"string over the file", map[string]string{"HELPDESK_SYNC_POLICY_STALE_LABEL": "stale-env"},
			func(c *Config) any { return c.Policy.Stale.Label }, "stale-env", "policy.stale.label"},
		{"empty marker empties", map[string]string{"HELPDESK_SYNC_POLICY_STALE_LABEL": `""`},
			func(c *Config) any { return c.Policy.Stale.Label }, "", "policy.stale.label"},
		{"empty variable is unset", map[string]string{"HELPDESK_SYNC_POLICY_STALE_LABEL": ""},
			func(c *Config) any { return c.Policy.Stale.Label }, "stale-file", ""},
		{"bool", map[string]string{"HELPDESK_SYNC_POLICY_DRY_RUN": "true"},
			func(c *Config) any { return c.Policy.DryRun }, true, "policy.dry_run"},
		{"int64", map[string]string{"HELPDESK_SYNC_ZENDESK_KEYS_FIELD_ID": "360001"},
			func(c *Config) any { return c.Zendesk.KeysFieldID }, int64(360001), "zendesk.keys_field_id"},
		{"float", map[string]string{"HELPDESK_SYNC_JIRA_REQUESTS_PER_SECOND": "2.5"},
			func(c *Config) any { return c.Jira.RequestsPerSecond }, 2.5, "jira.requests_per_second"},
		{"duration", map[string]string{"HELPDESK_SYNC_SYNC_POLL_INTERVAL": "90s"},
			func(c *Config) any { return c.Sync.PollInterval }, 90 * time.Second, "sync.poll_interval"},
		{"time", map[string]string{"HELPDESK_SYNC_ZENDESK_START_TIME": "2024-01-31T00:00:00+01:00"},
			func(c *Config) any { return c.Zendesk.StartTime.UTC() }, time.Date(2024, 1, 30, 23, 0, 0, 0, time.UTC), "zendesk.start_time"},
		{"list", map[string]string{"HELPDESK_SYNC_JIRA_PROJECTS": "PROJ, WEB"},
			func(c *Config) any { return c.Jira.Projects }, []string{"PROJ", "WEB"}, "jira.projects"},
		{"map", map[string]string{"HELPDESK_SYNC_POLICY_TIER_WEIGHTS": "enterprise=5,free=1", "HELPDESK_SYNC_ZENDESK_TIER_FIELD": "tier"},
			func(c *Config) any { return c.Policy.TierWeights }, map[string]float64{"enterprise": 5, "free": 1}, "policy.tier_weights"},
		{"map of durations", map[string]string{"HELPDESK_SYNC_POLICY_STALE_WINDOWS": "Highest=24h"},
			func(c *Config) any { return c.Policy.Stale.Windows }, map[string]time.Duration{"Highest": 24 * time.Hour}, "policy.stale.windows"},
		{"thresholds replace the file's", map[string]string{"HELPDESK_SYNC_POLICY_THRESHOLDS": "10=High,25=Highest"},
			func(c *Config) any { return c.Policy.Thresholds }, []Threshold{{Customers: 10, Priority: "High"}, {Customers: 25, Priority: "Highest"}}, "policy.thresholds"},
		{"count labels", map[string]string{"HELPDESK_SYNC_POLICY_COUNT_LABELS": "10=customers-10plus"},
			func(c *Config) any { return c.Policy.CountLabels }, []CountLabel{{10, "customers-10plus"}}, "policy.count_labels"},
		{"nested struct key", map[string]string{"HELPDESK_SYNC_POLICY_STATUS_TAGS_IN_PROGRESS": "bug_wip"},
			func(c *Config) any { return c.Policy.StatusTags.InProgress }, "bug_wip", "policy.status_tags.in_progress"},
		{"REDIS_URL over the file", map[string]string{"REDIS_URL": "redis://plain:6379/1"},
			func(c *Config) any { return c.Redis.URL }, "redis://plain:6379/1", "redis.url"},
		{"HELPDESK_SYNC_REDIS_URL over REDIS_URL", map[string]string{"REDIS_URL": "redis://plain:6379/1", "HELPDESK_SYNC_REDIS_URL": "redis://ours:6379/2"},
			func(c *Config) any { return c.Redis.URL }, "redis://ours:6379/2", "redis.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, "c.yaml", file), envOf(secretEnv, tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if tt.key != "" && !strings.HasPrefix(c.Origin(tt.key), "env ") {
				t.Errorf("Origin(%s) = %q, want the variable", tt.key, c.Origin(tt.key))
			}
			if tt.key == "policy.thresholds" && c.Origin("policy.thresholds[0].customers") != "" {
				t.Errorf("the file's origins under an overridden key remain")
			}
		})
	}
}

// TestEnvProblems: a bad variable is named with its key and the way to
// write it, in the variable's form.
func TestEnvProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		key  string
		want string
	}{
		{"threshold with = for :", map[string]string{"HELPDESK_SYNC_POLICY_THRESHOLDS": "revenue=100000=High"},
			"policy.thresholds", "customers: not a number; write customers=priority, e.g. 10=High, revenue:amount=priority"},
		{"revenue threshold with a unit", map[string]string{
			"HELPDESK_SYNC_REVENUE_FIELD": "arr", "HELPDESK_SYNC_REVENUE_CURRENCY": "EUR", "HELPDESK_SYNC_POLICY_THRESHOLDS": "revenue:100k=High",
		}, "policy.thresholds", "revenue: not a number; write customers=priority"},
		{"count label without a count", map[string]string{"HELPDESK_SYNC_POLICY_COUNT_LABELS": "many=customers-many"},
			"policy.count_labels", "write customers=label, e.g. 10=customers-10plus"},
		{"negative revenue threshold", map[string]string{
			"HELPDESK_SYNC_REVENUE_FIELD": "arr", "HELPDESK_SYNC_REVENUE_CURRENCY": "EUR", "HELPDESK_SYNC_POLICY_THRESHOLDS": "10=High,revenue:-5=Highest",
		}, "policy.thresholds[1].revenue", "-5 is out of range"},
		{"currency in lower case", map[string]string{"HELPDESK_SYNC_REVENUE_FIELD": "arr", "HELPDESK_SYNC_REVENUE_CURRENCY": "usd"},
			"revenue.currency", `"usd" is not an ISO 4217 currency code; write three capital letters`},
		{"currency emptied", map[string]string{"HELPDESK_SYNC_REVENUE_FIELD": "arr", "HELPDESK_SYNC_REVENUE_CURRENCY": `""`},
			"revenue.currency", "not set, but revenue.field is"},
		{"unknown when", map[string]string{"HELPDESK_SYNC_POLICY_TICKET_STATUS_WHEN": "shipped"},
			"policy.ticket_status.when", `"shipped" is neither fixed nor released`},
		{"group by name", map[string]string{"HELPDESK_SYNC_POLICY_TICKET_STATUS_ASSIGN": "group:abc"},
			"policy.ticket_status.assign", `"group:abc" does not name a group by its id`},
		{"digest hour 25", map[string]string{"HELPDESK_SYNC_SLACK_DIGEST_HOUR": "25"},
			"slack.digest_hour", "25 is over 23"},
		{"unknown time zone", map[string]string{"HELPDESK_SYNC_SLACK_TIME_ZONE": "CET+1"},
			"slack.time_zone", `"CET+1" is not an IANA time zone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv, tt.env))
			p := problemAt(t, err, tt.key, tt.want)
			if !strings.HasPrefix(p.Origin, "env HELPDESK_SYNC_") || p.Fix == "" {
				t.Errorf("problem without the variable as its origin, or without a fix: %+v", p)
			}
		})
	}
}

// TestEveryKeyHasAVariable sets each key by its variable alone and reads
// it back: no key is file-only.
func TestEveryKeyHasAVariable(t *testing.T) {
	samples := map[reflect.Type]string{
		reflect.TypeFor[string]():                       "sample-value",
		secretType:                                      "sample-secret",
		reflect.TypeFor[bool]():                         "true",
		reflect.TypeFor[int]():                          "7",
		reflect.TypeFor[int64]():                        "7",
		reflect.TypeFor[float64]():                      "7.5",
		durationType:                                    "7m",
		timeType:                                        "2024-01-31T00:00:00Z",
		reflect.TypeFor[[]string]():                     "A1,B2",
		reflect.TypeFor[[]Threshold]():                  "7=High",
		reflect.TypeFor[[]CountLabel]():                 "7=seven",
		reflect.TypeFor[map[string]float64]():           "t=7",
		reflect.TypeFor[map[string]time.Duration]():     "High=7h",
		reflect.TypeFor[map[string]map[string]string](): `{"de": {"fixed": "Behoben, in {{.Versions}}."}}`,
		reflect.TypeFor[map[string]Secret]():            "eng=https://hooks.slack.com/services/T1/B2/x",
		reflect.TypeFor[map[string]string]():            "eng=/run/secrets/slack-eng",
		reflect.TypeFor[SlackRules]():                   `[{"webhook": "eng", "events": ["stale"], "min_customers": 3}]`,
	}
	seen := map[string]string{}
	for _, l := range Default().leaves() {
		if other, dup := seen[l.env()]; dup {
			t.Errorf("%s and %s share the variable %s", other, l.key, l.env())
		}
		seen[l.env()] = l.key
		s, ok := samples[l.v.Type()]
		if !ok {
			t.Errorf("%s: no sample for type %s", l.key, l.v.Type())
			continue
		}
		c, _ := Load("", envOf(map[string]string{l.env(): s}))
		want, err := parseEnv(s, l.v.Type())
		if err != nil {
			t.Fatal(err)
		}
		got := reflect.ValueOf(c).Elem().FieldByIndex(fieldPath(t, l.key))
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			t.Errorf("%s=%s set %s to %#v", l.env(), s, l.key, got.Interface())
		}
		if !strings.HasPrefix(l.env(), EnvPrefix) || strings.ContainsAny(l.env(), ".-") {
			t.Errorf("%s: variable %s is malformed", l.key, l.env())
		}
	}
}

// fieldPath is the reflect field index path of a leaf key.
func fieldPath(t *testing.T, key string) []int {
	var idx []int
	typ := reflect.TypeFor[Config]()
	for name := range strings.SplitSeq(key, ".") {
		i, ok := fieldIndex(typ, name)
		if !ok {
			t.Fatalf("no field %s in %s", name, key)
		}
		idx = append(idx, i)
		typ = typ.Field(i).Type
	}
	return idx
}

func TestFileProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		key  string
		want string // in Problem.String()
	}{
		{"unknown key suggests the nearest", "jira:\n  projetcs: [PROJ]\n", "jira.projetcs", "unknown key; did you mean projects?"},
		{"unknown key in the wrong section", "zendesk:\n  projects: [PROJ]\n", "zendesk.projects", "belongs elsewhere: jira.projects"},
		{"case differs", "jira:\n  URL: https://x.atlassian.net\n", "jira.URL", "did you mean url?"},
		{"unknown top-level key lists the valid ones", "frobnicate: 1\n", "frobnicate", "valid keys here: zendesk, jira, redis"},
		{"unknown key inside a threshold", "policy:\n  thresholds:\n    - {customers: 1, priorty: High}\n", "policy.thresholds[0].priorty", "did you mean priority?"},
		{"key given twice", "jira:\n  url: https://a.atlassian.net\n  url: https://b.atlassian.net\n", "jira.url", "given twice"},
		{"list where a value belongs", "jira:\n  url: [a, b]\n", "jira.url", "not a single value"},
		{"value where a list belongs", "jira:\n  projects: PROJ\n", "jira.projects", "not a list; write a list, e.g. projects: [a, b]"},
		{"value where a section belongs", "jira: https://acme.atlassian.net\n", "jira", "not a map of keys"},
		{"bad duration names value and fix", "sync:\n  poll_interval: 90\n", "sync.poll_interval", `"90": not a duration; write a number with a unit`},
		{"bad bool", "policy:\n  dry_run: yes\n", "policy.dry_run", `"yes": not true or false; write true or false`},
		{"bad number in a list item", "policy:\n  thresholds:\n    - {customers: ten, priority: High}\n", "policy.thresholds[0].customers", `"ten": not a number`},
		{"bad map value", "policy:\n  stale:\n    windows:\n      High: 2 days\n", "policy.stale.windows.High", "not a duration"},
		{"bad time", "zendesk:\n  start_time: yesterday\n", "zendesk.start_time", "RFC 3339"},
		{"secret values are not echoed", "allow_inline_secrets: true\njira:\n  token: [s3cr3t-in-list]\n", "jira.token", "not a single value"},
		{"invalid YAML", "jira:\n  url: [\n", "", "not valid YAML"},
		{"two documents", minimal + "---\njira: {}\n", "", "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", tt.yaml), envOf(secretEnv))
			p := problemAt(t, err, tt.key, tt.want)
			if tt.key != "" && !strings.Contains(p.Origin, "c.yaml:") {
				t.Errorf("origin %q does not name the file and line", p.Origin)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("a secret value reached the error: %v", err)
			}
		})
	}
}

func TestFileProblemsOrigin(t *testing.T) {
	_, err := Load(writeFile(t, "c.yaml", minimal+"sync:\n  workers: 0\n"), envOf(secretEnv))
	p := problemAt(t, err, "sync.workers", "0 must be more than 0; each worker reconciles one bug")
	if !strings.HasSuffix(p.Origin, "c.yaml:10") || p.Env != "HELPDESK_SYNC_SYNC_WORKERS" {
		t.Errorf("problem = %+v, want origin c.yaml:10 and its variable", p)
	}
	_, err = Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv, map[string]string{"HELPDESK_SYNC_SYNC_WORKERS": "-1"}))
	p = problemAt(t, err, "sync.workers", "-1 must be more than 0")
	if p.Origin != "env HELPDESK_SYNC_SYNC_WORKERS" {
		t.Errorf("origin = %q, want the variable", p.Origin)
	}
	_, err = Load("", envOf(map[string]string{"HELPDESK_SYNC_SYNC_WORKERS": "four"}))
	problemAt(t, err, "sync.workers", `(env HELPDESK_SYNC_SYNC_WORKERS): "four": not a whole number`)
}

func TestLoadFileErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), envOf(secretEnv))
	problemAt(t, err, "", "cannot read the file")
	_, err = Load("/dev/zero", envOf(secretEnv))
	problemAt(t, err, "", "cannot read the file: /dev/zero is larger than 1024 KiB")

	c, err := Load(writeFile(t, "empty.yaml", ""), envOf(secretEnv))
	for _, p := range problemsOf(t, err) {
		if p.Key == "" {
			t.Errorf("an empty file is a problem: %v", p)
		}
	}
	if c == nil || c.Redis.KeyPrefix != "helpdesk-sync:" {
		t.Errorf("an empty file loses the defaults")
	}

	c, err = Load(writeFile(t, "null.yaml", minimal+"policy:\nsync:\n  workers:\n"), envOf(secretEnv))
	problemAt(t, err, "sync.workers", "0 must be more than 0") // an empty value is zero...
	if c.Policy.CountBy != "organization" {
		t.Errorf("an empty section lost its defaults") // ...an empty section keeps its defaults
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	c, err := Load(writeFile(t, "c.yaml", minimal+`
x-sla: &sla
  default_window: 100h
policy:
  stale:
    <<: *sla
    label: slow
`), envOf(secretEnv))
	problemAt(t, err, "x-sla", "unknown key") // extension keys are not silently ignored
	if c.Policy.Stale.DefaultWindow != 100*time.Hour || c.Policy.Stale.Label != "slow" {
		t.Errorf("merge key not applied: %+v", c.Policy.Stale)
	}
}

func TestAliasLoops(t *testing.T) {
	for _, doc := range []string{"policy: &x {<<: *x}\n", "policy: &x\n  stale:\n    <<: *x\n", "&x {jira: {<<: *x}}\n"} {
		_, err := Load(writeFile(t, "c.yaml", doc), envOf(secretEnv))
		if !strings.Contains(errString(err), "refers to a mapping that contains it") {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

// TestAllProblemsAtOnce is the promise of Load: one run lists everything.
func TestAllProblemsAtOnce(t *testing.T) {
	broken := `
zendesk:
  url: ftp://acme.zendesk.com
  subdomain: acme
  page_size: 5000
  tokn: x
jira:
  url: https://acme.atlassian.net
  deployment: server
  projects: [proj, PROJ, PROJ]
  search_overlap: 30s
policy:
  count_by: company
  thresholds:
    - {customers: 25, priority: High}
    - {customers: 10, priority: Highest}
    - {customers: 5, priority: Urgent}
  stale:
    windows: {Critical: 24h}
sync:
  poll_interval: soon
log:
  level: verbose
webhooks:
  enabled: true
`
	_, err := Load(writeFile(t, "broken.yaml", broken), envOf(map[string]string{"HELPDESK_SYNC_HTTP_LISTEN": "8080"}))
	want := []string{
		"zendesk.tokn", "sync.poll_interval", // read problems
		"zendesk.subdomain", "zendesk.token", "zendesk.page_size",
		"jira.deployment", "jira.projects[0]", "jira.projects[2]", "jira.search_overlap",
		"policy.count_by", "policy.thresholds[2].priority", "policy.thresholds[0]",
		"policy.stale.windows.Critical", "http.listen", "log.level", "webhooks.enabled",
	}
	got := keysOf(problemsOf(t, err))
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("no problem at %s", k)
		}
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(got) {
		t.Errorf("Error() has %d lines for %d problems", len(lines), len(got))
	}
	for _, l := range lines {
		if !strings.Contains(l, ": ") || (!strings.Contains(l, "(env HELPDESK_SYNC_") && !strings.HasPrefix(l, "zendesk.tokn")) {
			t.Errorf("problem line without its variable: %s", l)
		}
	}
	t.Logf("the problems, as an operator sees them:\n%v", err)
}

func TestCheckEnviron(t *testing.T) {
	got := CheckEnviron([]string{
		"HELPDESK_SYNC_JIRA_URL=https://x", "HELPDESK_SYNC_CONFIG=/etc/c.yaml", "PATH=/bin", "REDIS_URL=redis://x",
		"HELPDESK_SYNC_JIRA_TOKEN_FIEL=/run/secrets/t", "HELPDESK_SYNC_WHATEVER=1",
	})
	want := []string{
		"HELPDESK_SYNC_JIRA_TOKEN_FIEL sets no configuration key; did you mean HELPDESK_SYNC_JIRA_TOKEN_FILE?",
		"HELPDESK_SYNC_WHATEVER sets no configuration key",
	}
	if !slices.Equal(got, want) {
		t.Errorf("CheckEnviron =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func ExampleLoad() {
	c, err := Load("", envOf(map[string]string{
		"HELPDESK_SYNC_ZENDESK_SUBDOMAIN": "acme",
		"HELPDESK_SYNC_ZENDESK_EMAIL":     "sync@acme.com",
		"HELPDESK_SYNC_ZENDESK_TOKEN":     "t0ken",
		"HELPDESK_SYNC_JIRA_URL":          "https://acme.atlassian.net",
		"HELPDESK_SYNC_JIRA_EMAIL":        "sync@acme.com",
		"HELPDESK_SYNC_JIRA_TOKEN":        "t0ken",
		"HELPDESK_SYNC_JIRA_PROJECTS":     "proj",
		"HELPDESK_SYNC_SYNC_WORKERS":      "0",
	}))
	fmt.Println(c.Jira.URL)
	fmt.Println(err)
	// Output:
	// https://acme.atlassian.net
	// jira.projects[0] (env HELPDESK_SYNC_JIRA_PROJECTS): "proj" is not a project key; write it as Jira shows it: 2-10 upper-case letters, digits or _, starting with a letter, e.g. PROJ (env HELPDESK_SYNC_JIRA_PROJECTS=PROJ)
	// sync.workers (env HELPDESK_SYNC_SYNC_WORKERS): 0 must be more than 0; each worker reconciles one bug at a time within the request budgets; set 1 to 256, e.g. workers: 4 (env HELPDESK_SYNC_SYNC_WORKERS=4)
}

func TestOverrides(t *testing.T) {
	env := envOf(secretEnv, map[string]string{"HELPDESK_SYNC_LOG_LEVEL": "warn", "HELPDESK_SYNC_POLICY_DRY_RUN": "false"})
	path := writeFile(t, "c.yaml", minimal+"log:\n  format: console\n")
	c, err := Load(path, env,
		Override{Key: "log.level", Value: "debug", Origin: "flag --log-level"},
		Override{Key: "log.format", Value: "", Origin: "flag --log-format"}, // not given
		Override{Key: "policy.dry_run", Value: "true", Origin: "flag --dry-run"},
		Override{Key: "jira.token", Value: "flag-secret", Origin: "flag --token"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Log.Level != "debug" || c.Log.Format != "console" || !c.Policy.DryRun || c.Jira.Token.Value() != "flag-secret" {
		t.Errorf("overrides not applied over the file and the environment: %+v %v", c.Log, c.Policy.DryRun)
	}
	if c.Origin("log.level") != "flag --log-level" || !strings.HasSuffix(c.Origin("log.format"), "c.yaml:10") {
		t.Errorf("origins: %q, %q", c.Origin("log.level"), c.Origin("log.format"))
	}

	_, err = Load(path, env, Override{Key: "log.level", Value: "loud", Origin: "flag --log-level"}, Override{Key: "log.colour", Value: "x", Origin: "flag --colour"})
	problemAt(t, err, "log.level", `log.level (flag --log-level): "loud" is not one of info`)
	problemAt(t, err, "log.colour", "unknown key")
}

// FuzzDecodeYAML feeds arbitrary documents to the strict decoder: it may
// report problems, never panic, and a problem always has a message.
func FuzzDecodeYAML(f *testing.F) {
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(b), minimal, "", "# only a comment\n", "---\n", "~", "[1, 2]", "jira: [", "a: &x {b: *x}",
		"policy:\n  thresholds: [10=High, {customers: 1, priority: Low}]\n", "policy: {stale: {windows: {High: 1h, High: 2h}}}",
		"<<: {jira: {url: x}}", "policy: &x {<<: *x}", "zendesk: {keys_field_id: 99999999999999999999}", "jira: {projects: [[A]]}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		c := Default()
		c.origins = map[string]string{}
		p := newProblems(c)
		decodeYAML(c, []byte(doc), "fuzz.yaml", p)
		for _, pr := range p.list {
			if pr.Msg == "" || pr.String() == "" {
				t.Fatalf("problem without a message: %#v", pr)
			}
		}
		c.check(p)
		_ = c.Redacted()
	})
}
