package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The vectors are the ones computed in shared/api/notes.md (§5, §10).
const (
	zdTestSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
	zdTestStamp  = "2024-04-17T17:18:10Z"
	zdTestSig    = "5W0Vq29SZyd32qzvBOA58etDXg1N0MJRsnIzMj+LuEY="
	jiraTestSig  = "sha256=98995192be6a0d7b804694a431d9c0b967ea2328b6ed51590a69021e74ad3ccd"
	testBody     = `{"ticket_id":"123","status":"open"}`
)

func TestVerifyZendesk(t *testing.T) {
	signedAt, _ := time.Parse(time.RFC3339, zdTestStamp)
	tol := 5 * time.Minute
	tests := []struct {
		name            string
		secret, ts, sig string
		body            string
		now             time.Time
		want            error
	}{
		{"valid", zdTestSecret, zdTestStamp, zdTestSig, testBody, signedAt, nil},
		{"valid at the window's old edge", zdTestSecret, zdTestStamp, zdTestSig, testBody, signedAt.Add(tol), nil},
		{"valid at the window's future edge", zdTestSecret, zdTestStamp, zdTestSig, testBody, signedAt.Add(-tol), nil},
		{"old", zdTestSecret, zdTestStamp, zdTestSig, testBody, signedAt.Add(tol + time.Second), errBadTimestamp},
		{"future", zdTestSecret, zdTestStamp, zdTestSig, testBody, signedAt.Add(-tol - time.Second), errBadTimestamp},
		{"body changed", zdTestSecret, zdTestStamp, zdTestSig, `{"ticket_id":"124","status":"open"}`, signedAt, errBadSignature},
		{"timestamp changed", zdTestSecret, "2024-04-17T17:18:11Z", zdTestSig, testBody, signedAt, errBadSignature},
		{"other secret", "another-secret", zdTestStamp, zdTestSig, testBody, signedAt, errBadSignature},
		{"signature not base64", zdTestSecret, zdTestStamp, "not base64!", testBody, signedAt, errBadSignature},
		{"signature truncated", zdTestSecret, zdTestStamp, zdTestSig[:20], testBody, signedAt, errBadSignature},
		{"signature re-encoded", zdTestSecret, zdTestStamp, zdTestSig[:42] + "Z=", testBody, signedAt, nil},
		{"signature with a line break", zdTestSecret, zdTestStamp, zdTestSig[:20] + "\r\n" + zdTestSig[20:], testBody, signedAt, nil},
		{"signature of a shorter MAC", zdTestSecret, zdTestStamp, "5W0Vq29SZyd32qzvBOA58etDXg1N0MJR", testBody, signedAt, errBadSignature},
		{"timestamp not RFC 3339", zdTestSecret, "1713374290", zdTestSig, testBody, signedAt, errBadTimestamp},
		{"no signature", zdTestSecret, zdTestStamp, "", testBody, signedAt, errUnsigned},
		{"no timestamp", zdTestSecret, "", zdTestSig, testBody, signedAt, errUnsigned},
		{"no secret configured", "", zdTestStamp, zdTestSig, testBody, signedAt, errNoSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mac, err := verifyZendesk([]byte(tc.secret), tc.ts, tc.sig, []byte(tc.body), tc.now, tol)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("verifyZendesk = %v, want %v", err, tc.want)
			}
			// What identifies the delivery is the MAC of what was signed,
			// not the header's spelling.
			if want, _ := base64.StdEncoding.DecodeString(zdTestSig); err == nil && !bytes.Equal(mac, want) {
				t.Fatalf("verifyZendesk identified the delivery as %x, want the MAC %x", mac, want)
			}
			// The header check alone, done before the body is read, never
			// refuses what verification would accept, and refuses alike
			// what the headers alone show to be wrong.
			if _, herr := zendeskHeaders([]byte(tc.secret), tc.ts, tc.sig, tc.now, tol); herr != nil && (err == nil || err.Error() != herr.Error()) {
				t.Fatalf("the header check refused with %v, verification with %v", herr, err)
			}
		})
	}
}

func TestVerifyJira(t *testing.T) {
	tests := []struct {
		name, secret, sig, body string
		want                    error
	}{
		{"valid", "my-jira-secret", jiraTestSig, testBody, nil},
		{"body changed", "my-jira-secret", jiraTestSig, testBody + " ", errBadSignature},
		{"other secret", "other", jiraTestSig, testBody, errBadSignature},
		{"no prefix", "my-jira-secret", jiraTestSig[len("sha256="):], testBody, errBadSignature},
		{"sha1 prefix", "my-jira-secret", "sha1=" + jiraTestSig[len("sha256="):], testBody, errBadSignature},
		{"not hex", "my-jira-secret", "sha256=zz", testBody, errBadSignature},
		{"truncated", "my-jira-secret", jiraTestSig[:40], testBody, errBadSignature},
		{"upper-case hex", "my-jira-secret", strings.ToUpper(jiraTestSig[:7]) + strings.ToUpper(jiraTestSig[7:]), testBody, errBadSignature},
		{"upper-case digest", "my-jira-secret", "sha256=" + strings.ToUpper(jiraTestSig[7:]), testBody, nil},
		{"no signature", "my-jira-secret", "", testBody, errUnsigned},
		{"no secret configured", "", jiraTestSig, testBody, errNoSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mac, err := verifyJira([]byte(tc.secret), tc.sig, []byte(tc.body))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("verifyJira = %v, want %v", err, tc.want)
			}
			if want, _ := hex.DecodeString(jiraTestSig[7:]); err == nil && !bytes.Equal(mac, want) {
				t.Fatalf("verifyJira identified the delivery as %x, want the MAC %x", mac, want)
			}
			if _, herr := jiraHeaders([]byte(tc.secret), tc.sig); herr != nil && (err == nil || err.Error() != herr.Error()) {
				t.Fatalf("the header check refused with %v, verification with %v", herr, err)
			}
		})
	}
}

func TestParseZendesk(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // fmt of the ticket ids, or the error kind
	}{
		{"trigger body", `{"ticket_id":"123","updated_at":"2025-06-02T09:00:00Z","status":"open"}`, "[123]"},
		{"number", `{"ticket_id":123}`, "[123]"},
		{"spaces", `{"ticket_id":" 123 "}`, "[123]"},
		{"event subscription", `{"type":"zen:event-type:ticket.status_changed","subject":"zen:ticket:35436","detail":{"id":"35436"}}`, "[35436]"},
		{"event with a numeric id", `{"type":"zen:event-type:ticket.comment_added","detail":{"id":35436}}`, "[35436]"},
		{"event by subject only", `{"type":"zen:event-type:ticket.tags_changed","subject":"zen:ticket:7","detail":{}}`, "[7]"},
		{"user event", `{"type":"zen:event-type:user.deleted","detail":{"id":"9"}}`, "ignored"},
		{"placeholder not rendered", `{"ticket_id":"{{ticket.id}}"}`, "malformed"},
		{"zero", `{"ticket_id":0}`, "malformed"},
		{"negative", `{"ticket_id":"-4"}`, "malformed"},
		{"plus", `{"ticket_id":"+4"}`, "malformed"},
		{"fraction", `{"ticket_id":1.5}`, "malformed"},
		{"too big", `{"ticket_id":"99999999999999999999"}`, "malformed"},
		{"no ticket id", `{"status":"open"}`, "malformed"},
		{"ticket event without id", `{"type":"zen:event-type:ticket.status_changed","subject":"zen:user:4"}`, "malformed"},
		{"not JSON", `ticket_id=123`, "malformed"},
		{"array", `[{"ticket_id":1}]`, "malformed"},
		{"null", `null`, "malformed"},
		{"empty", ``, "malformed"},
		{"truncated", `{"ticket_id":"12`, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseZendesk([]byte(tc.body))
			if got := describe(n.tickets, err); got != tc.want {
				t.Fatalf("parseZendesk(%s) = %s (%v), want %s", tc.body, got, err, tc.want)
			}
		})
	}
}

func TestParseJira(t *testing.T) {
	tests := []struct {
		name, body string
		want       string
	}{
		{"issue updated", `{"timestamp":1,"webhookEvent":"jira:issue_updated","issue":{"id":"10001","key":"PROJ-1"}}`, "[10001]"},
		{"issue deleted", `{"webhookEvent":"jira:issue_deleted","issue":{"id":"10001","key":"PROJ-1"}}`, "[10001]"},
		{"comment created", `{"webhookEvent":"comment_created","comment":{},"issue":{"id":"10002","key":"WEB-3"}}`, "[10002]"},
		{"numeric id", `{"webhookEvent":"jira:issue_created","issue":{"id":10003}}`, "[10003]"},
		{"key only", `{"webhookEvent":"jira:issue_updated","issue":{"key":"PROJ-12"}}`, "[PROJ-12]"},
		{"bad key only", `{"webhookEvent":"jira:issue_updated","issue":{"key":"PROJ-12 OR 1=1"}}`, "malformed"},
		{"bad id", `{"webhookEvent":"jira:issue_updated","issue":{"id":"10001 OR 1=1"}}`, "malformed"},
		{"no issue", `{"webhookEvent":"jira:issue_updated"}`, "malformed"},
		{"no event", `{"issue":{"id":"1"}}`, "malformed"},
		{"other event", `{"webhookEvent":"jira:version_created","version":{"id":"10100"}}`, "ignored"},
		{"version released", `{"webhookEvent":"jira:version_released","version":{"id":"10100","name":"5.0.1","released":true}}`, "v[10100]"},
		{"version released, numeric id", `{"webhookEvent":"jira:version_released","version":{"id":10100}}`, "v[10100]"},
		{"version released without id", `{"webhookEvent":"jira:version_released","version":{}}`, "malformed"},
		{"version released, bad id", `{"webhookEvent":"jira:version_released","version":{"id":"1 OR 1=1"}}`, "malformed"},
		{"version released without version", `{"webhookEvent":"jira:version_released"}`, "malformed"},
		{"worklog event", `{"webhookEvent":"worklog_created","issue":{"id":"1"}}`, "ignored"},
		{"not JSON", `<xml/>`, "malformed"},
		{"empty", ``, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseJira([]byte(tc.body))
			got := describe(n.bugs, err)
			if len(n.versions) > 0 {
				got = "v" + describe(n.versions, err)
			}
			if got != tc.want {
				t.Fatalf("parseJira(%s) = %s (%v), want %s", tc.body, got, err, tc.want)
			}
		})
	}
}

func describe[T any](ids []T, err error) string {
	switch {
	case errors.Is(err, errIgnored):
		return "ignored"
	case errors.Is(err, errMalformed):
		return "malformed"
	case err != nil:
		return "unexpected error"
	}
	return fmt.Sprint(ids)
}

// The parsers see whatever an authenticated sender posts: they never panic,
// and what they return is either an error or names the service can use.
func FuzzParseZendesk(f *testing.F) {
	for _, s := range []string{testBody, `{"ticket_id":7}`, `{"type":"zen:event-type:ticket.x","detail":{"id":"1"}}`,
		`{"type":"zen:event-type:ticket.x","subject":"zen:ticket:9"}`, `{"ticket_id":"0"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseZendesk(body)
		if err != nil {
			if !errors.Is(err, errMalformed) && !errors.Is(err, errIgnored) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if len(n.tickets) != 1 || n.tickets[0] <= 0 || len(n.bugs) != 0 {
			t.Fatalf("accepted %s as %+v", body, n)
		}
	})
}

func FuzzParseJira(f *testing.F) {
	for _, s := range []string{`{"webhookEvent":"jira:issue_updated","issue":{"id":"10001","key":"PROJ-1"}}`,
		`{"webhookEvent":"comment_created","issue":{"key":"A-1"}}`, `{"webhookEvent":"x"}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseJira(body)
		if err != nil {
			if !errors.Is(err, errMalformed) && !errors.Is(err, errIgnored) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if len(n.bugs) != 1 || len(n.tickets) != 0 {
			t.Fatalf("accepted %s as %+v", body, n)
		}
		if ref := n.bugs[0]; !isDigits(ref) && !issueKey.MatchString(ref) {
			t.Fatalf("accepted ref %q, neither an id nor a key", ref)
		}
	})
}

// Verification never panics and accepts only what it signed itself.
func FuzzVerifyZendesk(f *testing.F) {
	f.Add(zdTestStamp, zdTestSig, []byte(testBody))
	f.Add("", "", []byte{})
	signedAt, _ := time.Parse(time.RFC3339, zdTestStamp)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		_, err := verifyZendesk([]byte(zdTestSecret), ts, sig, body, signedAt, time.Hour)
		// (Other spellings of the same MAC, e.g. with line breaks, are the
		// same signature.)
		if err == nil && (ts != zdTestStamp || string(body) != testBody) {
			t.Fatalf("accepted a forgery: ts %q sig %q body %q", ts, sig, body)
		}
	})
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
