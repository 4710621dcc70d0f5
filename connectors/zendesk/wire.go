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
	AssigneeID     int64       `json:"assignee_id"` // null (0) when unassigned
	GroupID        int64       `json:"group_id"`
	Tags           []string    `json:"tags"`
	CustomFields   []fieldWire `json:"custom_fields"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// userWire is the part of a sideloaded user the engine needs: locale is
// the user's language as Zendesk writes it (de, pt-BR).
type userWire struct {
	ID     int64  `json:"id"`
	Locale string `json:"locale"`
}

// locales maps user id to locale for the users sideloaded beside tickets.
func locales(users []userWire) map[int64]string {
	out := make(map[int64]string, len(users))
	for _, u := range users {
		out[u.ID] = u.Locale
	}
	return out
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

// ticket is w as the engine sees it; locales are the sideloaded users'
// locales by id, where the requester's is looked up ("" when absent).
func (c *Client) ticket(w *ticketWire, locales map[int64]string) engine.Ticket {
	t := engine.Ticket{ID: w.ID, Status: engine.TicketStatus(w.Status), Subject: w.Subject,
		RequesterID: w.RequesterID, OrganizationID: w.OrganizationID, AssigneeID: w.AssigneeID, GroupID: w.GroupID, Locale: locales[w.RequesterID], Tags: w.Tags,
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
	if c.revenueField != "" {
		o.Revenue = c.revenue(w.ID, w.Fields[c.revenueField])
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
