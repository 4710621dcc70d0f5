package zendesktest

import (
	"fmt"
	"time"
)

// The JSON shapes below follow go-zendesk's fixture files field for field
// (fixture/GET/ticket.json, user.json, organization.json, ticket_comments.json,
// ticket_fields.json, organization_fields.json); fidelity_test.go walks the
// fixture keys against them. Zendesk sends null for unset ids and strings,
// which the pointer fields reproduce.

type viaJSON struct {
	Channel string `json:"channel"`
	Source  struct {
		From map[string]any `json:"from"`
		To   map[string]any `json:"to"`
		Rel  *string        `json:"rel"`
	} `json:"source"`
}

func via(channel string) viaJSON {
	v := viaJSON{Channel: channel}
	v.Source.From, v.Source.To = map[string]any{}, map[string]any{}
	return v
}

type customFieldJSON struct {
	ID    int64 `json:"id"`
	Value any   `json:"value"`
}

type ticketJSON struct {
	URL                     string            `json:"url"`
	ID                      int64             `json:"id"`
	ExternalID              *string           `json:"external_id"`
	Via                     viaJSON           `json:"via"`
	CreatedAt               string            `json:"created_at"`
	UpdatedAt               string            `json:"updated_at"`
	GeneratedTimestamp      int64             `json:"generated_timestamp"`
	Type                    *string           `json:"type"`
	Subject                 string            `json:"subject"`
	RawSubject              string            `json:"raw_subject"`
	Description             string            `json:"description"`
	Priority                *string           `json:"priority"`
	Status                  string            `json:"status"`
	CustomStatusID          *int64            `json:"custom_status_id"`
	Recipient               *string           `json:"recipient"`
	RequesterID             *int64            `json:"requester_id"`
	SubmitterID             *int64            `json:"submitter_id"`
	AssigneeID              *int64            `json:"assignee_id"`
	OrganizationID          *int64            `json:"organization_id"`
	GroupID                 *int64            `json:"group_id"`
	CollaboratorIDs         []int64           `json:"collaborator_ids"`
	FollowerIDs             []int64           `json:"follower_ids"`
	EmailCCIDs              []int64           `json:"email_cc_ids"`
	ForumTopicID            *int64            `json:"forum_topic_id"`
	ProblemID               *int64            `json:"problem_id"`
	HasIncidents            bool              `json:"has_incidents"`
	IsPublic                bool              `json:"is_public"`
	DueAt                   *string           `json:"due_at"`
	Tags                    []string          `json:"tags"`
	CustomFields            []customFieldJSON `json:"custom_fields"`
	SatisfactionRating      any               `json:"satisfaction_rating"`
	SharingAgreementIDs     []int64           `json:"sharing_agreement_ids"`
	Fields                  []customFieldJSON `json:"fields"`
	FollowupIDs             []int64           `json:"followup_ids"`
	TicketFormID            *int64            `json:"ticket_form_id"`
	BrandID                 *int64            `json:"brand_id"`
	SatisfactionProbability *float64          `json:"satisfaction_probability"`
	AllowChannelback        bool              `json:"allow_channelback"`
	AllowAttachments        bool              `json:"allow_attachments"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func renderTicket(base string, rec *ticketRec) ticketJSON {
	t := rec.Ticket
	fields := make([]customFieldJSON, 0, len(t.CustomFields))
	for _, f := range t.CustomFields {
		fields = append(fields, customFieldJSON(f))
	}
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	// is_public: "true if any comments are public, false otherwise".
	public := len(rec.comments) == 0
	for _, c := range rec.comments {
		public = public || c.Public
	}
	return ticketJSON{
		URL: fmt.Sprintf("%s/api/v2/tickets/%d.json", base, t.ID), ID: t.ID, Via: via(t.ViaChannel),
		CreatedAt: stamp(t.CreatedAt), UpdatedAt: stamp(t.UpdatedAt), GeneratedTimestamp: t.GeneratedTimestamp,
		Type: optString(t.Type), Subject: t.Subject, RawSubject: t.Subject, Description: t.Description,
		Priority: optString(t.Priority), Status: t.Status,
		RequesterID: optID(t.RequesterID), SubmitterID: optID(t.SubmitterID), AssigneeID: optID(t.AssigneeID),
		OrganizationID: optID(t.OrganizationID), GroupID: optID(t.GroupID),
		CollaboratorIDs: []int64{}, FollowerIDs: []int64{}, EmailCCIDs: []int64{},
		IsPublic: public, Tags: tags, CustomFields: fields, SharingAgreementIDs: []int64{},
		Fields: fields, FollowupIDs: []int64{}, AllowAttachments: true,
	}
}

type userJSON struct {
	ID                   int64          `json:"id"`
	URL                  string         `json:"url"`
	Name                 string         `json:"name"`
	Email                string         `json:"email"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
	TimeZone             string         `json:"time_zone"`
	IanaTimeZone         string         `json:"iana_time_zone"`
	Phone                *string        `json:"phone"`
	SharedPhoneNumber    *bool          `json:"shared_phone_number"`
	Photo                any            `json:"photo"`
	LocaleID             int64          `json:"locale_id"`
	Locale               string         `json:"locale"`
	OrganizationID       *int64         `json:"organization_id"`
	Role                 string         `json:"role"`
	Verified             bool           `json:"verified"`
	ExternalID           *string        `json:"external_id"`
	Tags                 []string       `json:"tags"`
	Alias                *string        `json:"alias"`
	Active               bool           `json:"active"`
	Shared               bool           `json:"shared"`
	SharedAgent          bool           `json:"shared_agent"`
	LastLoginAt          *string        `json:"last_login_at"`
	TwoFactorAuthEnabled bool           `json:"two_factor_auth_enabled"`
	Signature            *string        `json:"signature"`
	Details              *string        `json:"details"`
	Notes                *string        `json:"notes"`
	RoleType             *int64         `json:"role_type"`
	CustomRoleID         *int64         `json:"custom_role_id"`
	Moderator            bool           `json:"moderator"`
	TicketRestriction    *string        `json:"ticket_restriction"`
	OnlyPrivateComments  bool           `json:"only_private_comments"`
	RestrictedAgent      bool           `json:"restricted_agent"`
	Suspended            bool           `json:"suspended"`
	ChatOnly             bool           `json:"chat_only"`
	DefaultGroupID       *int64         `json:"default_group_id"`
	ReportCSV            bool           `json:"report_csv"`
	UserFields           map[string]any `json:"user_fields"`
}

func renderUser(base string, u *User) userJSON {
	role := u.Role
	if role == "" {
		role = "end-user"
	}
	locale := u.Locale
	if locale == "" {
		locale = DefaultLocale
	}
	out := userJSON{
		ID: u.ID, URL: fmt.Sprintf("%s/api/v2/users/%d.json", base, u.ID), Name: u.Name, Email: u.Email,
		CreatedAt: stamp(u.CreatedAt), UpdatedAt: stamp(u.UpdatedAt), TimeZone: "UTC", IanaTimeZone: "Etc/UTC",
		LocaleID: localeID(u.Locale), Locale: locale, OrganizationID: optID(u.OrganizationID), Role: role, Verified: true,
		Tags: []string{}, Active: true, UserFields: map[string]any{},
	}
	if role == "end-user" {
		r := "requested"
		out.TicketRestriction = &r
	} else {
		out.Moderator, out.ReportCSV = role == "admin", role == "admin"
	}
	return out
}

// localeID is Zendesk's numeric id of locale where the simulator knows it
// (1 is en-US) and 0 otherwise: clients read the locale's name, and an id
// made up here would look real.
func localeID(locale string) int64 {
	if locale == "" || locale == DefaultLocale {
		return 1
	}
	return 0
}

type organizationJSON struct {
	URL                string         `json:"url"`
	ID                 int64          `json:"id"`
	Name               string         `json:"name"`
	SharedTickets      bool           `json:"shared_tickets"`
	SharedComments     bool           `json:"shared_comments"`
	ExternalID         *string        `json:"external_id"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
	DomainNames        []string       `json:"domain_names"`
	Details            *string        `json:"details"`
	Notes              *string        `json:"notes"`
	GroupID            *int64         `json:"group_id"`
	Tags               []string       `json:"tags"`
	OrganizationFields map[string]any `json:"organization_fields"`
}

// renderOrganization includes every organization field defined on the
// account, null when the organization has no value, as Zendesk does.
func renderOrganization(base string, o *Organization, defs []*OrganizationField) organizationJSON {
	fields := map[string]any{}
	for _, d := range defs {
		fields[d.Key] = nil
	}
	for k, v := range o.Fields {
		fields[k] = v
	}
	tags := o.Tags
	if tags == nil {
		tags = []string{}
	}
	return organizationJSON{
		URL: fmt.Sprintf("%s/api/v2/organizations/%d.json", base, o.ID), ID: o.ID, Name: o.Name,
		CreatedAt: stamp(o.CreatedAt), UpdatedAt: stamp(o.UpdatedAt), DomainNames: []string{},
		Tags: tags, OrganizationFields: fields,
	}
}

type commentJSON struct {
	ID          int64          `json:"id"`
	Type        string         `json:"type"`
	Body        string         `json:"body"`
	HTMLBody    string         `json:"html_body"`
	PlainBody   string         `json:"plain_body"`
	Public      bool           `json:"public"`
	AuthorID    int64          `json:"author_id"`
	Attachments []any          `json:"attachments"`
	AuditID     int64          `json:"audit_id"`
	Via         viaJSON        `json:"via"`
	CreatedAt   string         `json:"created_at"`
	Metadata    map[string]any `json:"metadata"`
}

func renderComment(c Comment) commentJSON {
	html := c.HTMLBody
	if html == "" {
		html = "<div class=\"zd-comment\" dir=\"auto\"><p dir=\"auto\">" + htmlEscape(c.Body) + "</p></div>"
	}
	return commentJSON{ID: c.ID, Type: "Comment", Body: c.Body, HTMLBody: html, PlainBody: c.Body,
		Public: c.Public, AuthorID: c.AuthorID, Attachments: []any{}, AuditID: c.AuditID, Via: via("api"),
		CreatedAt: stamp(c.CreatedAt), Metadata: map[string]any{"system": map[string]any{}, "custom": map[string]any{}}}
}

func htmlEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

type auditJSON struct {
	ID        int64          `json:"id"`
	TicketID  int64          `json:"ticket_id"`
	CreatedAt string         `json:"created_at"`
	AuthorID  int64          `json:"author_id"`
	Via       viaJSON        `json:"via"`
	Metadata  map[string]any `json:"metadata"`
	Events    []any          `json:"events"`
}

// renderAudit follows fixture/GET/ticket_audit.json: a Comment event and
// one Change event per field with value and previous_value.
func renderAudit(a audit) auditJSON {
	events := []any{}
	if c := a.comment; c != nil {
		cj := renderComment(*c)
		events = append(events, map[string]any{"id": cj.ID, "type": "Comment", "body": cj.Body,
			"html_body": cj.HTMLBody, "plain_body": cj.PlainBody, "public": cj.Public,
			"author_id": cj.AuthorID, "attachments": []any{}, "audit_id": a.ID})
	}
	for _, ch := range a.changes {
		events = append(events, map[string]any{"id": ch.id, "type": "Change", "field_name": ch.field,
			"value": ch.value, "previous_value": ch.previous})
	}
	return auditJSON{ID: a.ID, TicketID: a.TicketID, CreatedAt: stamp(a.CreatedAt), AuthorID: a.AuthorID,
		Via: via("api"), Metadata: map[string]any{"system": map[string]any{}, "custom": map[string]any{}}, Events: events}
}

type fieldOptionJSON struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	RawName string `json:"raw_name"`
	Value   string `json:"value"`
	Default bool   `json:"default"`
}

func renderOptions(opts []FieldOption) []fieldOptionJSON {
	if opts == nil {
		return nil
	}
	out := make([]fieldOptionJSON, 0, len(opts))
	for _, o := range opts {
		out = append(out, fieldOptionJSON{ID: o.ID, Name: o.Name, RawName: o.Name, Value: o.Value})
	}
	return out
}

type ticketFieldJSON struct {
	URL                 string            `json:"url"`
	ID                  int64             `json:"id"`
	Type                string            `json:"type"`
	Title               string            `json:"title"`
	RawTitle            string            `json:"raw_title"`
	Description         string            `json:"description"`
	RawDescription      string            `json:"raw_description"`
	Position            int               `json:"position"`
	Active              bool              `json:"active"`
	Required            bool              `json:"required"`
	CollapsedForAgents  bool              `json:"collapsed_for_agents"`
	RegexpForValidation *string           `json:"regexp_for_validation"`
	TitleInPortal       string            `json:"title_in_portal"`
	RawTitleInPortal    string            `json:"raw_title_in_portal"`
	VisibleInPortal     bool              `json:"visible_in_portal"`
	EditableInPortal    bool              `json:"editable_in_portal"`
	RequiredInPortal    bool              `json:"required_in_portal"`
	Tag                 *string           `json:"tag"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	Removable           bool              `json:"removable"`
	AgentDescription    *string           `json:"agent_description"`
	CustomFieldOptions  []fieldOptionJSON `json:"custom_field_options,omitempty"`
}

func renderTicketField(base string, f *TicketField, pos int, created time.Time) ticketFieldJSON {
	return ticketFieldJSON{URL: fmt.Sprintf("%s/api/v2/ticket_fields/%d.json", base, f.ID), ID: f.ID,
		Type: f.Type, Title: f.Title, RawTitle: f.Title, Position: pos, Active: f.Active,
		TitleInPortal: f.Title, RawTitleInPortal: f.Title, CreatedAt: stamp(created), UpdatedAt: stamp(created),
		Removable: true, CustomFieldOptions: renderOptions(f.Options)}
}

type organizationFieldJSON struct {
	ID                     int64             `json:"id"`
	URL                    string            `json:"url"`
	Title                  string            `json:"title"`
	Type                   string            `json:"type"`
	RelationshipTargetType string            `json:"relationship_target_type"`
	RelationshipFilter     map[string]any    `json:"relationship_filter"`
	Active                 bool              `json:"active"`
	Description            string            `json:"description"`
	Key                    string            `json:"key"`
	Position               int               `json:"position"`
	RawDescription         string            `json:"raw_description"`
	RawTitle               string            `json:"raw_title"`
	CreatedAt              string            `json:"created_at"`
	UpdatedAt              string            `json:"updated_at"`
	CustomFieldOptions     []fieldOptionJSON `json:"custom_field_options,omitempty"`
}

func renderOrganizationField(base string, f *OrganizationField, pos int, created time.Time) organizationFieldJSON {
	return organizationFieldJSON{ID: f.ID, URL: fmt.Sprintf("%s/api/v2/organization_fields/%d.json", base, f.ID),
		Title: f.Title, Type: f.Type, RelationshipFilter: map[string]any{"all": nil, "any": nil}, Active: true, Key: f.Key, Position: pos, RawTitle: f.Title,
		CreatedAt: stamp(created), UpdatedAt: stamp(created), CustomFieldOptions: renderOptions(f.Options)}
}
