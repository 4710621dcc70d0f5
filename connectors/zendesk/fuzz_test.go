package zendesk

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeExport feeds arbitrary bodies to the export decoder: it must
// return a page or an error naming the operation, never panic.
func FuzzDecodeExport(f *testing.F) {
	c, err := New(Options{BaseURL: "https://acme.zendesk.com", Email: "a@b.c", Token: "t",
		KeysFieldID: 1, StatusFieldID: 2, TierField: "tier"})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"tickets":[{"id":1,"status":"open","custom_fields":[{"id":1,"value":123},{"id":2,"value":["a",1]}]}],"after_cursor":"x","end_of_stream":true}`,
		`{"tickets":[{"id":1,"updated_at":"not a time"}]}`,
		`{"organizations":[{"id":1,"organization_fields":{"tier":true}}]}`,
		`<html>`, `{"tickets":`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := c.decodeExport("export tickets page 1", body)
		if err != nil {
			if !strings.Contains(err.Error(), "export tickets page 1") {
				t.Fatalf("error without the operation: %v", err)
			}
			return
		}
		for _, tk := range p.Tickets {
			if tk.URL != c.agentURL(tk.ID) {
				t.Fatalf("ticket %d URL %q", tk.ID, tk.URL)
			}
		}
	})
}

// FuzzParseErrorBody: a body that is not Zendesk's JSON (a proxy page, a
// plain-text 429) becomes one short line, never the whole body.
func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"error":"RecordInvalid","description":"x","details":{"status":[{"description":"y"}]}}`,
		`{"error":"Couldn't authenticate you"}`, "Rate limited\n\n", `{"details":"plain"}`, "\xff\xfe", "<html>\n<body>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, msg := parseErrorBody(body)
		if json.Valid(body) {
			return
		}
		if strings.ContainsAny(msg, "\n\r\t") || len(msg) > 200+len("…") {
			t.Fatalf("message %q from a non-JSON body", msg)
		}
	})
}
