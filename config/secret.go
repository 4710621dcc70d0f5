package config

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// Secret is a credential. Every way of printing it (fmt verbs, JSON, YAML,
// zap's reflection) shows a placeholder; only Value gives it away.
type Secret string

const redacted = "[redacted]"

// Value is the secret itself, for the one place that sends it.
func (s Secret) Value() string { return string(s) }

// String is the placeholder, or "" when the secret is not set.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from showing the secret.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// MarshalText is used by JSON, YAML and zap's reflection alike.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Secrets are every secret value of the configuration, including the forms
// they take on the wire (the Basic-auth encodings of the API tokens) and a
// password inside redis.url, for the log redactor.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s ...string) {
		for _, v := range s {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	basic := func(user string, token Secret) string {
		if token == "" {
			return ""
		}
		return base64.StdEncoding.EncodeToString([]byte(user + ":" + token.Value()))
	}
	for _, s := range c.secretFields() {
		add(s.value.Value())
	}
	// Zendesk API tokens authenticate as "email/token:TOKEN"; Jira Cloud as
	// "email:TOKEN". A dumped request carries these, not the token.
	add(basic(c.Zendesk.Email+"/token", c.Zendesk.Token), basic(c.Jira.Email, c.Jira.Token),
		basic(c.Board.BasicUser, c.Board.BasicPassword))
	if u, err := url.Parse(c.Redis.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	add(c.slackSecrets()...)
	return out
}

// secretField is one secret key and its _file sibling.
type secretField struct {
	key   string  // "zendesk.token"
	value *Secret // the value
	file  *string // the _file path
}

func (c *Config) secretFields() []secretField {
	return []secretField{
		{"zendesk.token", &c.Zendesk.Token, &c.Zendesk.TokenFile},
		{"zendesk.oauth_token", &c.Zendesk.OAuthToken, &c.Zendesk.OAuthTokenFile},
		{"jira.token", &c.Jira.Token, &c.Jira.TokenFile},
		{"jira.pat", &c.Jira.PAT, &c.Jira.PATFile},
		{"redis.password", &c.Redis.Password, &c.Redis.PasswordFile},
		{"webhooks.zendesk_secret", &c.Webhooks.ZendeskSecret, &c.Webhooks.ZendeskSecretFile},
		{"webhooks.jira_secret", &c.Webhooks.JiraSecret, &c.Webhooks.JiraSecretFile},
		{"board.token", &c.Board.Token, &c.Board.TokenFile},
		{"board.basic_password", &c.Board.BasicPassword, &c.Board.BasicPasswordFile},
		{"sidebar.session_key", &c.Sidebar.SessionKey, &c.Sidebar.SessionKeyFile},
		{"slack.webhook_url", &c.Slack.WebhookURL, &c.Slack.WebhookURLFile},
	}
}

// resolveSecrets settles where each secret comes from and reads the
// _file ones. The environment wins over the YAML file for the pair as a
// whole, so a variable can replace a file's token_file; two sources on
// the same level are a problem, as is a secret written in the YAML file
// itself unless allow_inline_secrets is set.
func resolveSecrets(c *Config, p *problems) {
	defer resolveSlackSecrets(c, p)
	for _, s := range c.secretFields() {
		fileKey := s.key + "_file"
		// Set outside the file: by a variable or an Override.
		outside := func(k string) bool { return c.origins[k] != "" && !c.fromFile(k) }
		switch {
		case outside(s.key) && outside(fileKey):
			p.add(s.key, "set by both "+envName(s.key)+" and "+envName(fileKey), "unset one of them", "")
			continue
		case outside(s.key):
			*s.file = ""
			delete(c.origins, fileKey)
		case outside(fileKey):
			*s.value = ""
			delete(c.origins, s.key)
		case *s.value != "" && *s.file != "":
			p.add(s.key, "set together with "+fileKey, "keep one of them", "")
			continue
		}
		if *s.value != "" && c.fromFile(s.key) {
			inline(c, p, s.key, "move it to env "+envName(s.key)+" or to a file named by "+fileKey)
		}
		if *s.file != "" {
			readSecretFile(c, p, s, fileKey)
		}
		if strings.ContainsAny(s.value.Value(), "\r\n") {
			p.add(s.key, "contains a line break", "remove it: a secret is one line", "")
		}
	}
	if u, err := url.Parse(c.Redis.URL); err == nil && u.User != nil && c.fromFile("redis.url") {
		if _, ok := u.User.Password(); ok {
			inline(c, p, "redis.url", "set the password with redis.password_file or env "+envName("redis.password")+
				", or the whole URL with env "+envName("redis.url")+" or REDIS_URL")
		}
	}
}

// fromFile reports whether the YAML file set key.
func (c *Config) fromFile(key string) bool {
	return c.file != "" && strings.HasPrefix(c.origins[key], c.file+":")
}

// inline handles a secret written in the YAML file at key.
func inline(c *Config, p *problems, key, fix string) {
	if c.AllowInlineSecrets {
		c.warnings = append(c.warnings, key+" is written in the config file ("+c.origins[key]+"); "+fix)
		return
	}
	p.add(key, "a secret written in the config file", fix+", or set allow_inline_secrets: true", "")
}

// readSecretFile sets s from the file its _file key names. Like Docker
// and Kubernetes secrets, the file may end in a newline, which is not part
// of the secret.
func readSecretFile(c *Config, p *problems, s secretField, fileKey string) {
	if looksLikeURL(*s.file) { // not quoted: it may be the secret itself
		p.add(fileKey, "a URL, where the path of a file holding the secret is wanted",
			"write the path of the file, or set "+s.key+" itself ("+envName(s.key)+")", "")
		return
	}
	b, err := readLimited(*s.file, maxSecretBytes)
	if err != nil {
		p.add(fileKey, fmt.Sprintf("cannot read the secret: %v", err), "mount the secret there or fix the path", "")
		return
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		p.add(fileKey, fmt.Sprintf("%q is empty", *s.file), "write the secret into it", "")
		return
	}
	*s.value = Secret(v)
	c.origins[s.key] = "file " + *s.file
}

// maxSecretBytes bounds a secret file: a path mistakenly naming a large
// file (or /dev/zero) is refused instead of read without end.
const maxSecretBytes = 64 << 10

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB, too large for a secret", path, limit>>10)
	}
	return b, nil
}
