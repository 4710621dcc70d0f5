package slack

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error is a failed post to a webhook. It names the webhook by its
// configured name; the URL is a secret and appears nowhere in it.
type Error struct {
	Webhook    string
	Status     int           // HTTP status; 0 when no response was read
	Code       string        // Slack's error string, e.g. "channel_is_archived"
	RetryAfter time.Duration // from a 429's Retry-After
	Err        error         // the transport or context error, redacted
}

// Temporary reports whether posting again later may succeed: a 429, a
// 5xx, or no response at all. Other statuses are permanent until someone
// changes the webhook or the channel.
func (e *Error) Temporary() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "slack webhook %q: ", e.Webhook)
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
	} else {
		b.WriteString("no response")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if hint := hints[e.Code]; hint != "" && !e.Temporary() {
		b.WriteString(": " + hint)
	}
	if !e.Temporary() {
		b.WriteString(" (permanent: not retried)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// hints say what to do about Slack's documented webhook errors
// (api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks
// and the incoming-webhooks guide).
var hints = map[string]string{
	"invalid_payload":   "Slack could not read the message as JSON Block Kit (a bug here: report it)",
	"no_text":           "the message has no text (a bug here: report it)",
	"invalid_blocks":    "Slack refused a block (a bug here: report it)",
	"user_not_found":    "the webhook's user no longer exists: create a new webhook",
	"channel_not_found": "the webhook's channel no longer exists: create a new webhook",
	"channel_is_archived": "the webhook's channel is archived: unarchive it or configure " +
		"another webhook",
	"action_prohibited":                 "the workspace restricts this webhook: ask a Slack admin",
	"posting_to_general_channel_denied": "only admins may post to this channel: choose another channel",
	"no_service":                        "the webhook was revoked or its URL is wrong: create a new webhook and update the secret",
	"no_team":                           "the workspace of the webhook is gone: create a new webhook",
	"team_disabled":                     "the workspace of the webhook is disabled",
	"invalid_token":                     "the webhook URL's token is invalid: create a new webhook and update the secret",
}
