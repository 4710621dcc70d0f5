package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// zendesk is Zendesk's dialect: X-Zendesk-Webhook-Signature is
// base64(HMAC-SHA256(secret, timestamp + body)) and
// X-Zendesk-Webhook-Signature-Timestamp the RFC 3339 time it was signed.
func zendesk(secret string, tolerance time.Duration) source {
	key := []byte(secret)
	return source{
		name: SourceZendesk,
		precheck: func(h http.Header, now time.Time) error {
			_, err := zendeskHeaders(key, h.Get(zdTimestampHeader), h.Get(zdSignatureHeader), now, tolerance)
			return err
		},
		verify: func(h http.Header, body []byte, now time.Time) ([]byte, error) {
			return verifyZendesk(key, h.Get(zdTimestampHeader), h.Get(zdSignatureHeader), body, now, tolerance)
		},
		parse: parseZendesk,
	}
}

const (
	zdSignatureHeader = "X-Zendesk-Webhook-Signature"
	zdTimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp"
)

// zendeskHeaders checks what the headers alone can tell, before the body
// is read: a secret to check against, a signature that is the base64 of a
// SHA-256 MAC, and a signing time within tolerance of now, either side.
// It returns the signature's bytes.
func zendeskHeaders(secret []byte, timestamp, signature string, now time.Time, tolerance time.Duration) ([]byte, error) {
	if len(secret) == 0 {
		return nil, errNoSecret
	}
	if timestamp == "" || signature == "" {
		return nil, errUnsigned
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return nil, errBadSignature
	}
	at, err := time.Parse(time.RFC3339, timestamp)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not an RFC 3339 time", errBadTimestamp, timestamp)
	}
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return nil, fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)", errBadTimestamp, timestamp, d.Round(time.Second), tolerance)
	}
	return got, nil
}

// verifyZendesk checks the headers, then the signature in constant time.
// It returns the MAC it computed over what the signature covers (the
// timestamp and the body): one per delivery, however the signature header
// is spelled (base64 has several spellings of the same bytes).
func verifyZendesk(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) ([]byte, error) {
	got, err := zendeskHeaders(secret, timestamp, signature, now, tolerance)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write(body)
	want := mac.Sum(nil)
	if !hmac.Equal(got, want) {
		return nil, errBadSignature
	}
	return want, nil
}

// zendeskBody is the trigger body the setup prints,
//
//	{"ticket_id":"{{ticket.id}}","updated_at":"…","status":"…"}
//
// or Zendesk's event-subscription body,
//
//	{"type":"zen:event-type:ticket.status_changed","subject":"zen:ticket:35436","detail":{"id":"35436",…},…}
type zendeskBody struct {
	TicketID *flexID `json:"ticket_id"`
	Type     string  `json:"type"`
	Subject  string  `json:"subject"`
	Detail   struct {
		ID *flexID `json:"id"`
	} `json:"detail"`
}

const ticketEventPrefix = "zen:event-type:ticket."

// parseZendesk names the ticket a delivery is about; events about anything
// but a ticket are errIgnored.
func parseZendesk(body []byte) (names, error) {
	var b zendeskBody
	if err := json.Unmarshal(body, &b); err != nil {
		return names{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	switch {
	case b.TicketID != nil:
		return names{event: "trigger", tickets: []int64{int64(*b.TicketID)}}, nil
	case strings.HasPrefix(b.Type, ticketEventPrefix):
		if b.Detail.ID != nil {
			return names{event: b.Type, tickets: []int64{int64(*b.Detail.ID)}}, nil
		}
		if id, err := positiveID(strings.TrimPrefix(b.Subject, "zen:ticket:")); err == nil && strings.HasPrefix(b.Subject, "zen:ticket:") {
			return names{event: b.Type, tickets: []int64{id}}, nil
		}
		return names{event: b.Type}, fmt.Errorf("%w: %s event without a ticket id", errMalformed, b.Type)
	case b.Type != "":
		return names{event: b.Type}, errIgnored
	}
	return names{}, fmt.Errorf("%w: no ticket_id", errMalformed)
}

// flexID is a positive id sent as a JSON number or a string of digits
// (Zendesk placeholders render as strings).
type flexID int64

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	id, err := positiveID(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*f = flexID(id)
	return nil
}

func positiveID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || s[0] == '+' {
		return 0, fmt.Errorf("%q is not an id", s)
	}
	return id, nil
}
