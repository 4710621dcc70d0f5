package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// followStatuses are the statuses the automation may set: ones that keep
// the conversation going. new cannot be set on an existing ticket, and
// solved or closed would end it unanswered.
var followStatuses = []string{"open", "pending", "hold"}

// Assignment splits policy.ticket_status.assign into its kind (none,
// last_agent, group) and, for group:<id>, the group id; ok is false when
// it is none of these.
func (t TicketStatus) Assignment() (kind string, group int64, ok bool) {
	switch t.Assign {
	case "none", "last_agent":
		return t.Assign, 0, true
	}
	rest, found := strings.CutPrefix(t.Assign, "group:")
	if !found {
		return "", 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return "group", 0, false
	}
	return "group", id, true
}

// checkTicketStatus checks the automation's keys whether or not it is
// enabled, so that turning it on later meets no surprise.
func (c *Config) checkTicketStatus(p *problems) {
	t := c.Policy.TicketStatus
	// Each example is the key's default, so that taking it for one key does
	// not set while_open and then alike.
	for _, k := range []struct{ key, v, example string }{
		{"policy.ticket_status.while_open", t.WhileOpen, "hold"},
		{"policy.ticket_status.then", t.Then, "open"},
	} {
		if !slices.Contains(followStatuses, k.v) {
			p.add(k.key, fmt.Sprintf("%q is not a status the service sets", k.v),
				"use open, pending or hold (Zendesk's names; solved and closed are the agent's to set), e.g. "+k.example, k.example)
		}
	}
	if t.WhileOpen == t.Then && slices.Contains(followStatuses, t.Then) {
		p.add("policy.ticket_status.then", fmt.Sprintf("%q is also while_open, so a ticket would never move", t.Then),
			"give the two different statuses, e.g. while_open: hold, then: open", "open")
	}
	if t.When != "fixed" && t.When != "released" {
		p.add("policy.ticket_status.when", fmt.Sprintf("%q is neither fixed nor released", t.When),
			"use fixed (every bug fixed or won't fix) or released (every fix released, or won't fix)", "fixed")
	}
	switch kind, _, ok := t.Assignment(); {
	case ok:
	case kind == "group":
		p.add("policy.ticket_status.assign", fmt.Sprintf("%q does not name a group by its id", t.Assign),
			"write group: and the group's numeric id (Admin Center > People > Groups, in the URL), e.g. group:360001234567", "group:360001234567")
	default:
		p.add("policy.ticket_status.assign", fmt.Sprintf("%q is not none, last_agent or group:<id>", t.Assign),
			"use none, last_agent, or group: and a group id, e.g. group:360001234567", "last_agent")
	}
}
