package zendesk

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// ticketWire is the part of Zendesk's ticket object the engine needs. It is
// decoded here rather than into go-zendesk's Ticket, whose CustomField
// rejects numeric values (notes.md §7) and fails the whole page.
type ticketWire struct {
	ID             int64       `json:"id"`
	Status         string      `json:"status"`
	Subject        string      `json:"subject"`
	RequesterID    int64       `json:"requester_id"`
	OrganizationID int64       `json:"organization_id"`
	Tags           []string    `json:"tags"`
	CustomFields   []fieldWire `json:"custom_fields"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

type fieldWire struct {
	ID    int64           `json:"id"`
	Value json.RawMessage `json:"value"`
}

type organizationWire struct {
	ID     int64                      `json:"id"`
	Name   string                     `json:"name"`
	Fields map[string]json.RawMessage `json:"organization_fields"`
}

func (c *Client) ticket(w *ticketWire) engine.Ticket {
	t := engine.Ticket{ID: w.ID, Status: engine.TicketStatus(w.Status), Subject: w.Subject,
		RequesterID: w.RequesterID, OrganizationID: w.OrganizationID, Tags: w.Tags,
		URL: c.agentURL(w.ID), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	for _, f := range w.CustomFields {
		switch {
		case c.keysField != 0 && f.ID == c.keysField:
			t.KeysField = fieldText(f.Value)
		case c.statusFld != 0 && f.ID == c.statusFld:
			t.StatusField = fieldText(f.Value)
		}
	}
	return t
}

func (c *Client) organization(w *organizationWire) engine.Organization {
	o := engine.Organization{ID: w.ID, Name: w.Name}
	if c.tierField != "" {
		o.Tier = fieldText(w.Fields[c.tierField])
	}
	return o
}

// fieldText renders a custom field value as text whatever its JSON type:
// a string as is, a number as written, an array (multiselect) as its
// elements joined by ","; booleans (checkboxes), objects and null give "".
func fieldText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) > 0 && it[0] != '[' && it[0] != '{' {
				if s := fieldText(it); s != "" {
					parts = append(parts, s)
				}
			}
		}
		return strings.Join(parts, ",")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
	}
	return ""
}
