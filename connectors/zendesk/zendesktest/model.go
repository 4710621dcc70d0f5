package zendesktest

import "time"

// Ticket is a ticket as the simulator stores it. Zero values mean "unset"
// and are rendered as JSON null where Zendesk sends null.
type Ticket struct {
	ID             int64
	Subject        string
	Description    string
	Status         string // new, open, pending, hold, solved, closed; "deleted" once deleted
	Priority       string // low, normal, high, urgent or ""
	Type           string // question, incident, problem, task or ""
	RequesterID    int64
	SubmitterID    int64
	AssigneeID     int64
	OrganizationID int64
	GroupID        int64
	Tags           []string
	CustomFields   []CustomField
	ViaChannel     string // "api" when empty
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// GeneratedTimestamp is read-only: the Unix time of the last change of
	// any kind, which the incremental export orders by.
	GeneratedTimestamp int64
}

// CustomField is one custom field value. Value is stored as JSON: a string,
// a number (int, float64, json.Number), a bool, a []string or nil.
type CustomField struct {
	ID    int64
	Value any
}

// Field returns the value of custom field id, or nil.
func (t Ticket) Field(id int64) any {
	for _, f := range t.CustomFields {
		if f.ID == id {
			return f.Value
		}
	}
	return nil
}

// HasTag reports whether the ticket carries tag.
func (t Ticket) HasTag(tag string) bool {
	for _, have := range t.Tags {
		if have == tag {
			return true
		}
	}
	return false
}

// User is a Zendesk user. Role is end-user, agent or admin.
type User struct {
	ID             int64
	Name           string
	Email          string
	Role           string
	OrganizationID int64
	// Locale is the user's language as Zendesk writes it (de, pt-BR);
	// DefaultLocale when empty.
	Locale    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultLocale is the locale of a user created without one, the
// account's default on a new Zendesk account.
const DefaultLocale = "en-US"

// Organization is a Zendesk organization; Fields holds organization_fields
// by field key (e.g. "tier": "enterprise").
type Organization struct {
	ID        int64
	Name      string
	Fields    map[string]any
	Tags      []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Comment is a ticket comment; a private note has Public false.
type Comment struct {
	ID        int64
	AuthorID  int64
	Body      string
	HTMLBody  string
	Public    bool
	CreatedAt time.Time
	AuditID   int64
}

// FieldOption is an option of a dropdown, tagger or multiselect field.
type FieldOption struct {
	ID    int64
	Name  string
	Value string
}

// TicketField is a ticket field definition (type text, textarea, tagger,
// multiselect, integer, decimal, checkbox, date, regexp, or a system type).
type TicketField struct {
	ID      int64
	Type    string
	Title   string
	Active  bool
	Options []FieldOption
}

// OrganizationField is an organization field definition, addressed by Key in
// Organization.Fields.
type OrganizationField struct {
	ID      int64
	Key     string
	Title   string
	Type    string
	Options []FieldOption
}
