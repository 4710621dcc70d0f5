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
// X-Hub-Signature is "sha256=" and the hex HMAC-SHA256 of the body, and
// X-Atlassian-Webhook-Identifier names the delivery (the same on retries).
func jira(secret string) source {
	key := []byte(secret)
	return source{
		name: SourceJira,
		verify: func(h http.Header, body []byte, _ time.Time) (string, error) {
			sig := h.Get("X-Hub-Signature")
			if err := verifyJira(key, sig, body); err != nil {
				return "", err
			}
			return h.Get("X-Atlassian-Webhook-Identifier") + "\x00" + sig, nil
		},
		parse: parseJira,
	}
}

// verifyJira checks the signature in constant time. Jira signs no
// timestamp header; a replay only makes the issue be read once more.
func verifyJira(secret []byte, signature string, body []byte) error {
	if len(secret) == 0 {
		return errNoSecret
	}
	if signature == "" {
		return errUnsigned
	}
	digest, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(digest)
	if err != nil {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	return nil
}

// jiraBody is what the service reads of an issue or comment event.
type jiraBody struct {
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID  json.RawMessage `json:"id"` // "10001"; a number is tolerated
		Key string          `json:"key"`
	} `json:"issue"`
}

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
