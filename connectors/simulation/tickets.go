package simulation

import (
	"fmt"
	"strings"
	"time"
)

// LinkTagPrefix starts the tags that link a ticket (zendesk.link_tag_prefix).
const LinkTagPrefix = "jira_"

// LinkForm is how a ticket names its bug, as agents really write it.
type LinkForm string

const (
	LinkNone           LinkForm = "none"            // no bug named
	LinkKey            LinkForm = "key"             // keys field "PROJ-12"
	LinkLowerCase      LinkForm = "lower_case"      // keys field "proj-12"
	LinkTwoKeys        LinkForm = "two_keys"        // keys field "PROJ-12, WEB-3"
	LinkBrowseURL      LinkForm = "browse_url"      // keys field "https://…/browse/PROJ-12"
	LinkTag            LinkForm = "tag"             // tag jira_proj_12
	LinkFieldAndTag    LinkForm = "field_and_tag"   // both, naming the same bug
	LinkUnknownProject LinkForm = "unknown_project" // keys field "OPS-7", alone or after a good key
	LinkMissingIssue   LinkForm = "missing_issue"   // keys field naming an issue that does not exist
)

var (
	linkForms = []LinkForm{LinkNone, LinkKey, LinkLowerCase, LinkTwoKeys, LinkBrowseURL, LinkTag,
		LinkFieldAndTag, LinkUnknownProject, LinkMissingIssue}
	linkShare = []float64{0.25, 0.30, 0.09, 0.06, 0.05, 0.15, 0.03, 0.04, 0.03}
)

// Ticket is a Zendesk ticket of the dataset.
type Ticket struct {
	ID             int64
	Subject        string
	Status         string // new, open, pending, hold, solved or closed
	Priority       string // low, normal, high or urgent
	RequesterID    int64
	OrganizationID int64 // 0 for an individual
	KeysField      string
	Tags           []string
	Age            time.Duration // since the ticket was created
	Link           LinkForm
	// Bugs are the indexes of the bugs the ticket names that the service
	// links: existing issues of configured projects.
	Bugs []int
}

// Ticket is ticket i (0 ≤ i < Size.Tickets).
func (d Dataset) Ticket(i int) Ticket {
	r := d.rng(streamTicket, i)
	t := Ticket{ID: int64(i) + 1}
	t.Status = []string{"new", "open", "pending", "hold", "solved", "closed"}[pick(r, 0.08, 0.42, 0.22, 0.05, 0.15, 0.08)]
	t.Priority = []string{"low", "normal", "high", "urgent"}[pick(r, 0.20, 0.55, 0.20, 0.05)]
	if t.Status == "solved" || t.Status == "closed" {
		t.Age = days(r, 5, 180)
	} else {
		t.Age = days(r, 0, 60)
	}

	if r.Float64() < 0.08 {
		t.RequesterID = d.individual(r.IntN(d.individuals())).ID
	} else {
		// Bigger customers file more tickets: draw organizations until one
		// is accepted with its tier's share.
		for {
			j := r.IntN(d.Size.Orgs)
			tier := d.orgTier(j)
			if r.Float64()*tierTickets[TierEnterprise] < tierTickets[tier] {
				t.OrganizationID = orgBase + int64(j) + 1
				t.RequesterID = userBase + int64(j)*maxOrgUsers + int64(r.IntN(tierUsers[tier]))
				if tier == TierEnterprise {
					t.Tags = append(t.Tags, "vip")
				}
				break
			}
		}
	}

	t.Link = linkForms[pick(r, linkShare...)]
	if t.Link == LinkTwoKeys && d.Size.Bugs < 2 {
		t.Link = LinkKey
	}
	b := d.popularBug(r)
	key := d.bugKey(b)
	switch t.Link {
	case LinkNone:
		t.Subject = supportSubjects[r.IntN(len(supportSubjects))]
		return t
	case LinkKey:
		t.KeysField = key
	case LinkLowerCase:
		t.KeysField = strings.ToLower(key)
	case LinkTwoKeys:
		other := d.popularBug(r)
		if other == b {
			other = (b + 1) % d.Size.Bugs
		}
		t.KeysField = key + ", " + d.bugKey(other)
		t.Bugs = append(t.Bugs, other)
	case LinkBrowseURL:
		t.KeysField = strings.TrimSuffix(d.BrowseURL, "/") + "/browse/" + key
	case LinkTag:
		t.Tags = append(t.Tags, linkTag(key))
	case LinkFieldAndTag:
		t.KeysField = key
		t.Tags = append(t.Tags, linkTag(key))
	case LinkUnknownProject:
		ops := fmt.Sprintf("%s-%d", UnknownProject, 1+r.IntN(300))
		if r.IntN(2) == 0 {
			t.KeysField = ops
			b = -1
		} else {
			t.KeysField = key + " " + ops
		}
	case LinkMissingIssue:
		p := projectCycle[r.IntN(len(projectCycle))]
		t.KeysField = fmt.Sprintf("%s-%d", projectKeys[p], d.projectIssues(p)+1+r.IntN(500))
		b = -1
	}
	if b >= 0 {
		t.Bugs = append([]int{b}, t.Bugs...)
		t.Subject = fmt.Sprintf(ticketSubjects[r.IntN(len(ticketSubjects))], d.Bug(b).Summary)
	} else {
		t.Subject = supportSubjects[r.IntN(len(supportSubjects))]
	}
	return t
}

func (d Dataset) bugKey(i int) string {
	return fmt.Sprintf("%s-%d", projectKeys[projectCycle[i%len(projectCycle)]], bugNumber(i))
}

// linkTag is the tag that links key: jira_proj_12 for PROJ-12.
func linkTag(key string) string {
	return LinkTagPrefix + strings.ToLower(strings.Replace(key, "-", "_", 1))
}
