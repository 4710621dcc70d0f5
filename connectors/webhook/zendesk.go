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
		verify: func(h http.Header, body []byte, now time.Time) (string, error) {
			sig := h.Get("X-Zendesk-Webhook-Signature")
			if err := verifyZendesk(key, h.Get("X-Zendesk-Webhook-Signature-Timestamp"), sig, body, now, tolerance); err != nil {
				return "", err
			}
			// The signature covers the timestamp and the body: one per
			// delivery, the same for a replay of it.
			return sig, nil
		},
		parse: parseZendesk,
	}
}

// verifyZendesk checks the signature in constant time, then that the
// signing time lies within tolerance of now, either side.
func verifyZendesk(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errNoSecret
	}
	if timestamp == "" || signature == "" {
		return errUnsigned
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	at, err := time.Parse(time.RFC3339, timestamp)
	if err != nil {
		return fmt.Errorf("%w: %q is not an RFC 3339 time", errBadTimestamp, timestamp)
	}
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)", errBadTimestamp, timestamp, d.Round(time.Second), tolerance)
	}
	return nil
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
