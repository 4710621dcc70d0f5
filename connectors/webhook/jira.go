package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// jira is Jira's dialect for admin webhooks registered with a secret:
// X-Hub-Signature is "sha256=" and the hex HMAC-SHA256 of the body. The
// X-Atlassian-Webhook-Identifier header is not signed, so it plays no part:
// the body names its event and carries its time ("timestamp", in ms).
func jira(secret string) source {
	key := []byte(secret)
	return source{
		name: SourceJira,
		precheck: func(h http.Header, _ time.Time) error {
			_, err := jiraHeaders(key, h.Get(jiraSignatureHeader))
			return err
		},
		verify: func(h http.Header, body []byte, _ time.Time) ([]byte, error) {
			return verifyJira(key, h.Get(jiraSignatureHeader), body)
		},
		parse: parseJira,
	}
}

const jiraSignatureHeader = "X-Hub-Signature"

// jiraHeaders checks what the headers alone can tell, before the body is
// read: a secret to check against, and a signature that is "sha256=" and a
// hex SHA-256 MAC. It returns the signature's bytes.
func jiraHeaders(secret []byte, signature string) ([]byte, error) {
	if len(secret) == 0 {
		return nil, errNoSecret
	}
	if signature == "" {
		return nil, errUnsigned
	}
	digest, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return nil, errBadSignature
	}
	got, err := hex.DecodeString(digest)
	if err != nil || len(got) != sha256.Size {
		return nil, errBadSignature
	}
	return got, nil
}

// verifyJira checks the signature in constant time and returns the MAC it
// computed over the body. Jira signs no timestamp header; a replay within
// the deduplication window is a duplicate, and a later one only makes the
// issue be read once more.
func verifyJira(secret []byte, signature string, body []byte) ([]byte, error) {
	got, err := jiraHeaders(secret, signature)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	want := mac.Sum(nil)
	if !hmac.Equal(got, want) {
		return nil, errBadSignature
	}
	return want, nil
}

// jiraBody is what the service reads of an issue, comment or version
// event.
type jiraBody struct {
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID  json.RawMessage `json:"id"` // "10001"; a number is tolerated
		Key string          `json:"key"`
	} `json:"issue"`
	Version *struct {
		ID json.RawMessage `json:"id"` // the Version bean's id, "10100"
	} `json:"version"`
}

// jiraVersionReleased is the one version event the service follows:
// fixed bugs may wait on the version (release tracking).
const jiraVersionReleased = "jira:version_released"

var issueKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]*-[1-9][0-9]*$`)

// parseJira names the issue of a jira:issue_* or comment_* event, by its
// immutable id (by key only when no id came); other events are errIgnored.
func parseJira(body []byte) (names, error) {
	var b jiraBody
	if err := json.Unmarshal(body, &b); err != nil {
		return names{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	ev := b.WebhookEvent
	switch {
	case ev == "":
		return names{}, fmt.Errorf("%w: no webhookEvent", errMalformed)
	case ev == jiraVersionReleased:
		if b.Version == nil || len(b.Version.ID) == 0 || string(b.Version.ID) == "null" {
			return names{event: ev}, fmt.Errorf("%w: %s event without a version id", errMalformed, ev)
		}
		var id flexID
		if err := json.Unmarshal(b.Version.ID, &id); err != nil || id <= 0 {
			return names{event: ev}, fmt.Errorf("%w: version id %s", errMalformed, b.Version.ID)
		}
		return names{event: ev, versions: []string{strconv.FormatInt(int64(id), 10)}}, nil
	case !strings.HasPrefix(ev, "jira:issue_") && !strings.HasPrefix(ev, "comment_"):
		return names{event: ev}, errIgnored
	case b.Issue == nil:
		return names{event: ev}, fmt.Errorf("%w: %s event without an issue", errMalformed, ev)
	}
	if len(b.Issue.ID) > 0 && string(b.Issue.ID) != "null" {
		var id flexID
		if err := json.Unmarshal(b.Issue.ID, &id); err != nil {
			return names{event: ev}, fmt.Errorf("%w: issue id: %v", errMalformed, err)
		}
		return names{event: ev, bugs: []string{strconv.FormatInt(int64(id), 10)}}, nil
	}
	if issueKey.MatchString(b.Issue.Key) {
		return names{event: ev, bugs: []string{b.Issue.Key}}, nil
	}
	return names{event: ev}, fmt.Errorf("%w: %s event without an issue id or key", errMalformed, ev)
}
