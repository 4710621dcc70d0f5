package config

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretNeverPrints(t *testing.T) {
	v := struct {
		Name  string
		Token Secret
	}{"x", "hunter2-secret"}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, v.Token))
	}
	j, _ := json.Marshal(v)
	y, _ := yaml.Marshal(v)
	outs = append(outs, string(j), string(y))
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Errorf("secret printed: %s", o)
		}
	}
	if v.Token.Value() != "hunter2-secret" || Secret("").String() != "" {
		t.Errorf("Value or the empty String broken")
	}
}

// TestSecretFieldsCoverEverySecret keeps the hand-written list of secrets
// in step with the struct: every Secret has a _file twin and is listed.
func TestSecretFieldsCoverEverySecret(t *testing.T) {
	c := Default()
	listed := map[string]bool{}
	for _, s := range c.secretFields() {
		listed[s.key] = true
	}
	leaves := map[string]leaf{}
	for _, l := range c.leaves() {
		leaves[l.key] = l
	}
	for _, l := range c.leaves() {
		if l.v.Type() != secretType {
			continue
		}
		if !listed[l.key] {
			t.Errorf("secret %s is missing from secretFields", l.key)
		}
		if f, ok := leaves[l.key+"_file"]; !ok || f.v.Kind() != reflect.String {
			t.Errorf("secret %s has no %s_file key", l.key, leafName(l.key))
		}
	}
	if len(listed) != len(c.secretFields()) {
		t.Errorf("secretFields lists a key twice")
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		writeAt(t, p, content)
		return p
	}
	tokenFile := file("token", "from-file-secret\n")
	crlfFile := file("crlf", "crlf-secret\r\n")
	otherFile := file("other", "other-file-secret")
	emptyFile := file("empty", "\n")
	twoLines := file("two", "line-one\nline-two\n")
	missing := filepath.Join(dir, "missing")
	noEnvToken := map[string]string{"HELPDESK_SYNC_JIRA_TOKEN": "jira-secret-value-2"}

	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		want    string // zendesk.token afterwards, if no problem
		origin  string
		problem string // "key: text" of the expected problem
		warning string
	}{
		{name: "file, newline trimmed", yaml: "zendesk:\n  token_file: " + tokenFile, want: "from-file-secret", origin: "file " + tokenFile},
		{name: "file, CRLF trimmed", yaml: "zendesk:\n  token_file: " + crlfFile, want: "crlf-secret"},
		{name: "env value", env: map[string]string{"HELPDESK_SYNC_ZENDESK_TOKEN": "env-secret"}, want: "env-secret", origin: "env HELPDESK_SYNC_ZENDESK_TOKEN"},
		{name: "env file", env: map[string]string{"HELPDESK_SYNC_ZENDESK_TOKEN_FILE": tokenFile}, want: "from-file-secret"},
		{name: "env file replaces the file's token_file", yaml: "zendesk:\n  token_file: " + missing,
			env: map[string]string{"HELPDESK_SYNC_ZENDESK_TOKEN_FILE": otherFile}, want: "other-file-secret"},
		{name: "env value replaces the file's token_file, which is not read", yaml: "zendesk:\n  token_file: " + missing,
			env: map[string]string{"HELPDESK_SYNC_ZENDESK_TOKEN": "env-secret"}, want: "env-secret"},
		{name: "env file replaces an inline token", yaml: "allow_inline_secrets: true\nzendesk:\n  token: inline-secret",
			env: map[string]string{"HELPDESK_SYNC_ZENDESK_TOKEN_FILE": otherFile}, want: "other-file-secret"},
		{name: "both variables", env: map[string]string{"HELPDESK_SYNC_ZENDESK_TOKEN": "env-secret", "HELPDESK_SYNC_ZENDESK_TOKEN_FILE": tokenFile},
			problem: "zendesk.token|(env HELPDESK_SYNC_ZENDESK_TOKEN): set by both HELPDESK_SYNC_ZENDESK_TOKEN and HELPDESK_SYNC_ZENDESK_TOKEN_FILE; unset one of them"},
		{name: "both keys in the file", yaml: "allow_inline_secrets: true\nzendesk:\n  token: inline-secret\n  token_file: " + tokenFile,
			problem: "zendesk.token|c.yaml:3): set together with zendesk.token_file; keep one of them"},
		{name: "missing file", yaml: "zendesk:\n  token_file: " + missing, problem: "zendesk.token_file|c.yaml:2): cannot read the secret: open " + missing + ": no such file or directory; mount the secret there or fix the path"},
		{name: "empty file", yaml: "zendesk:\n  token_file: " + emptyFile, problem: "zendesk.token_file|c.yaml:2): \"" + emptyFile + "\" is empty; write the secret into it"},
		{name: "endless file", yaml: "zendesk:\n  token_file: /dev/zero", problem: "zendesk.token_file|cannot read the secret: /dev/zero is larger than 64 KiB, too large for a secret"},
		{name: "two lines", yaml: "zendesk:\n  token_file: " + twoLines, problem: "zendesk.token|(file " + twoLines + "): contains a line break"},
		{name: "inline refused", yaml: "zendesk:\n  token: inline-secret",
			problem: "zendesk.token|c.yaml:2): a secret written in the config file; move it to env HELPDESK_SYNC_ZENDESK_TOKEN or to a file named by zendesk.token_file, or set allow_inline_secrets: true"},
		{name: "inline allowed, with a warning", yaml: "allow_inline_secrets: true\nzendesk:\n  token: inline-secret", want: "inline-secret",
			warning: "zendesk.token is written in the config file"},
		{name: "inline allowed by env", yaml: "zendesk:\n  token: inline-secret", env: map[string]string{"HELPDESK_SYNC_ALLOW_INLINE_SECRETS": "true"},
			want: "inline-secret", warning: "zendesk.token is written in the config file"},
		{name: "redis password in the file's URL", yaml: "redis:\n  url: redis://:url-secret@host:6379/0",
			problem: "redis.url|c.yaml:2): a secret written in the config file; set the password with redis.password_file or env HELPDESK_SYNC_REDIS_PASSWORD, or the whole URL with env HELPDESK_SYNC_REDIS_URL or REDIS_URL, or set allow_inline_secrets: true"},
		{name: "redis password in REDIS_URL", env: map[string]string{"REDIS_URL": "redis://:url-secret@host:6379/0"}, want: "zd"},
		{name: "redis password twice", env: map[string]string{"REDIS_URL": "redis://:url-secret@host:6379/0", "HELPDESK_SYNC_REDIS_PASSWORD": "pw-secret"},
			problem: "redis.password|(env HELPDESK_SYNC_REDIS_PASSWORD): set, and redis.url carries a password too; keep one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HELPDESK_SYNC_ZENDESK_EMAIL": "sync@acme.com", "HELPDESK_SYNC_ZENDESK_SUBDOMAIN": "acme"}
			if tt.want == "zd" || strings.HasPrefix(tt.problem, "redis") {
				env["HELPDESK_SYNC_ZENDESK_TOKEN"] = "zd"
			}
			path := writeFile(t, "c.yaml", tt.yaml+"\njira: {url: https://acme.atlassian.net, email: sync@acme.com, projects: [PROJ]}\n")
			c, err := Load(path, envOf(noEnvToken, env, tt.env))
			text := fmt.Sprint(err, c.Warnings())
			for _, s := range []string{"from-file", "crlf-secret", "other-file", "env-secret", "inline-secret", "url-secret", "pw-secret", "line-one"} {
				if strings.Contains(text, s) {
					t.Errorf("secret %q reached a problem or warning: %s", s, text)
				}
			}
			if tt.problem != "" {
				key, text, _ := strings.Cut(tt.problem, "|")
				problemAt(t, err, key, text)
				if n := len(problemsOf(t, err)); n != 1 {
					t.Errorf("%d problems, want 1:\n%v", n, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tt.want != "zd" && c.Zendesk.Token.Value() != tt.want {
				t.Errorf("token = %q, want %q", c.Zendesk.Token.Value(), tt.want)
			}
			if tt.origin != "" && c.Origin("zendesk.token") != tt.origin {
				t.Errorf("origin = %q, want %q", c.Origin("zendesk.token"), tt.origin)
			}
			if ws := c.Warnings(); tt.warning == "" && len(ws) > 0 || tt.warning != "" && !slices.ContainsFunc(ws, func(w string) bool { return strings.Contains(w, tt.warning) }) {
				t.Errorf("warnings = %q, want %q", ws, tt.warning)
			}
		})
	}
}

func TestSecretsForTheRedactor(t *testing.T) {
	c := Default()
	c.Zendesk.Email, c.Zendesk.Token = "a@acme.com", "zd-tok"
	c.Jira.Email, c.Jira.Token = "b@acme.com", "jira-tok"
	c.Webhooks.JiraSecret = "hook"
	c.Redis.URL = "redis://user:redis-pw@host:6379/0"
	got := c.Secrets()
	for _, want := range []string{
		"zd-tok", "jira-tok", "hook", "redis-pw",
		base64.StdEncoding.EncodeToString([]byte("a@acme.com/token:zd-tok")),
		base64.StdEncoding.EncodeToString([]byte("b@acme.com:jira-tok")),
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() lacks %q", want)
		}
	}
	if slices.Contains(got, "") {
		t.Errorf("Secrets() holds an empty string, which would match everywhere")
	}
}
