package sidebar

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// othersShown is how many other customers' waiting tickets a bug lists;
// the board has the rest.
const othersShown = 3

// TicketView is what the panel shows for one ticket.
type TicketView struct {
	Ticket   TicketInfo   `json:"ticket"`
	Bugs     []BugView    `json:"bugs"`
	Unlinked []Unlinked   `json:"unlinked"`
	Filing   FilingConfig `json:"filing"`
	BoardURL string       `json:"board_url,omitempty"`
}

// TicketInfo is the ticket as the service last observed it; Known is
// false until it has been (a new ticket, read at the next reconcile).
type TicketInfo struct {
	ID      int64  `json:"id"`
	Known   bool   `json:"known"`
	Subject string `json:"subject,omitempty"`
	URL     string `json:"url,omitempty"`
	Tier    string `json:"tier,omitempty"` // of the ticket's organization
}

// BugView is a linked bug.
type BugView struct {
	Key         string       `json:"key"`
	URL         string       `json:"url"`
	Summary     string       `json:"summary"`
	Status      string       `json:"status"`
	Category    string       `json:"category"` // "To Do", "In Progress", "Done"
	Resolution  string       `json:"resolution,omitempty"`
	FixVersions []FixVersion `json:"fix_versions,omitempty"`
	// Fix says, of a fixed bug with a fix version, whether the fix has
	// shipped: "Fixed in 5.0 — released 2026-11-02", "Fixed in 5.1 — not
	// yet released"; "" for any other bug.
	Fix            string    `json:"fix,omitempty"`
	Priority       string    `json:"priority,omitempty"`
	PriorityLocked bool      `json:"priority_locked"`
	Customers      Customers `json:"customers"`
	Standing       string    `json:"standing"` // where this ticket's customer stands in the count
	// Counted is false while the count does not include this ticket's
	// customer yet (it follows within a moment of linking).
	Counted      bool    `json:"counted"`
	Stale        bool    `json:"stale"`
	StaleSince   string  `json:"stale_since,omitempty"`
	LastActivity string  `json:"last_activity,omitempty"` // last change by a person, RFC 3339
	ByTracker    bool    `json:"by_tracker"`              // linked by a Jira remote link, not by the ticket
	Others       []Other `json:"others"`
	MoreOthers   int     `json:"more_others"`
}

// FixVersion is a version a bug is fixed in and, when the tracker's
// versions could be read, whether it is released.
type FixVersion struct {
	Name string `json:"name"`
	// Known is false when the project's versions could not be read or do
	// not name this one; Released and ReleaseDate then say nothing.
	Known    bool `json:"known"`
	Released bool `json:"released"`
	// ReleaseDate is the day it shipped, or is planned to, as YYYY-MM-DD.
	ReleaseDate string `json:"release_date,omitempty"`
}

// String is the version as the panel says it.
func (f FixVersion) String() string {
	switch {
	case !f.Known:
		return f.Name
	case f.Released && f.ReleaseDate != "":
		return f.Name + " (released " + f.ReleaseDate + ")"
	case f.Released:
		return f.Name + " (released)"
	case f.ReleaseDate != "":
		return f.Name + " (not released yet, planned " + f.ReleaseDate + ")"
	}
	return f.Name + " (not released yet)"
}

// Customers is a bug's customer count.
type Customers struct {
	Distinct int         `json:"distinct"`
	Weighted float64     `json:"weighted"`
	ByTier   []TierCount `json:"by_tier,omitempty"`

	// Revenue is the revenue waiting on the bug in Currency, and
	// RevenueText the two as the panel writes them (120,000 EUR): set only
	// where revenue is counted.
	Revenue     *float64 `json:"revenue_waiting,omitempty"`
	Currency    string   `json:"currency,omitempty"`
	RevenueText string   `json:"revenue_text,omitempty"`
}

// TierCount is the customers of one tier.
type TierCount struct {
	Tier      string `json:"tier"`
	Customers int    `json:"customers"`
}

// Other is another customer's open ticket waiting on the same bug.
type Other struct {
	ID      int64  `json:"id"`
	URL     string `json:"url,omitempty"`
	Subject string `json:"subject,omitempty"`
	Status  string `json:"status"`
	Since   string `json:"since,omitempty"`
}

// Unlinked is a key the ticket names that links nothing, and why.
type Unlinked struct {
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// FilingConfig is where the panel files bugs.
type FilingConfig struct {
	Project   string   `json:"project"`
	IssueType string   `json:"issue_type"`
	Labels    []string `json:"labels"` // the form's labels to start with
	// Components are the project's components every filed bug is in.
	Components []string `json:"components,omitempty"`
}

var categoryNames = map[engine.StatusCategory]string{
	engine.CategoryToDo: "To Do", engine.CategoryInProgress: "In Progress", engine.CategoryDone: "Done",
}

// reasons are the panel's words for the engine's rejection reasons.
var reasons = map[string]string{
	engine.ReasonMalformed:      "malformed: not a key like PROJ-123",
	engine.ReasonUnknownProject: "project not synced",
	engine.ReasonTooMany:        "too many keys on this ticket",
}

// Source is what a ticket's view is read from.
type Source struct {
	State State
	// Versions tells whether fix versions are released; nil shows them
	// by name only.
	Versions Versions
	// Policy validates keys and weighs tiers as the engine does.
	Policy engine.Policy
	// Logger records versions that could not be read; nil records nothing.
	Logger *zap.Logger
}

// View reads what the service knows of ticket id, as the panel shows it
// (without the filing configuration and board link, which are the
// handler's). A ticket the service has not observed yet is returned with
// Known false and no error.
func View(ctx context.Context, src Source, id int64) (TicketView, error) {
	if src.Logger == nil {
		src.Logger = zap.NewNop()
	}
	s := &viewer{Source: src}
	v := TicketView{Ticket: TicketInfo{ID: id}, Bugs: []BugView{}, Unlinked: []Unlinked{}}
	recs, err := s.State.Tickets(ctx, []int64{id})
	if err != nil {
		return v, fmt.Errorf("read ticket %d: %w", id, err)
	}
	rec, known := recs[id]
	if !known {
		return v, nil
	}
	v.Ticket = TicketInfo{ID: id, Known: true, Subject: rec.Subject, URL: rec.URL}
	if rec.OrganizationID != 0 {
		orgs, err := s.State.OrganizationNames(ctx, []int64{rec.OrganizationID})
		if err != nil {
			return v, fmt.Errorf("read organization %d: %w", rec.OrganizationID, err)
		}
		v.Ticket.Tier = orgs[rec.OrganizationID].Tier
	}
	links, err := s.State.TicketLinks(ctx, []int64{id})
	if err != nil {
		return v, fmt.Errorf("read links of ticket %d: %w", id, err)
	}
	ids := slices.Sorted(maps.Keys(links[id]))
	if v.Bugs, err = s.bugViews(ctx, rec, ids, links[id]); err != nil {
		return v, err
	}
	if v.Unlinked, err = s.unlinked(ctx, rec, v.Bugs); err != nil {
		return v, err
	}
	return v, nil
}

// viewer computes a view from its Source.
type viewer struct {
	Source
}

// ticketView is the panel's view of ticket id.
func (h *handler) ticketView(ctx context.Context, id int64) (TicketView, error) {
	v, err := View(ctx, Source{State: h.opts.State, Versions: h.opts.Versions, Policy: h.opts.Policy, Logger: h.log}, id)
	v.Filing = FilingConfig{Project: h.opts.Project, IssueType: h.opts.IssueType, Labels: append([]string{}, h.opts.Labels...),
		Components: h.opts.Components}
	v.BoardURL = h.opts.BoardURL
	return v, err
}

func (s *viewer) bugViews(ctx context.Context, rec engine.TicketRecord, ids []string, src map[string]engine.LinkSource) ([]BugView, error) {
	out := []BugView{}
	if len(ids) == 0 {
		return out, nil
	}
	bugs, err := s.State.Bugs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read bugs of ticket %d: %w", rec.ID, err)
	}
	_, standings, err := s.State.BugMemories(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read bugs of ticket %d: %w", rec.ID, err)
	}
	bugLinks, err := s.State.BugLinks(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read tickets of the bugs of ticket %d: %w", rec.ID, err)
	}
	var tier string
	if rec.OrganizationID != 0 {
		orgs, err := s.State.OrganizationNames(ctx, []int64{rec.OrganizationID})
		if err != nil {
			return nil, err
		}
		tier = orgs[rec.OrganizationID].Tier
	}
	versions := map[string]map[string]engine.Version{} // by project, by name
	for _, id := range ids {
		b, ok := bugs[id]
		if !ok {
			continue
		}
		st := standings[id]
		bv := BugView{Key: b.Key, URL: b.URL, Summary: b.Summary, Status: b.Status,
			Category:   cmp.Or(categoryNames[b.StatusCategory], string(b.StatusCategory)),
			Resolution: b.Resolution, FixVersions: s.fixVersions(ctx, b, versions), Priority: b.Priority,
			PriorityLocked: s.Policy.PriorityLockedLabel != "" && slices.Contains(b.Labels, s.Policy.PriorityLockedLabel),
			Customers:      s.customers(st.Customers),
			Stale:          b.Stale.Flagged,
			ByTracker:      src[id]&engine.LinkFromTicket == 0,
			LastActivity:   stamp(cmp.Or(b.LastActivity, b.Updated)),
		}
		if b.Stale.Flagged {
			bv.StaleSince = stamp(b.Stale.Since)
		}
		bv.Fix = fixText(b, bv.FixVersions)
		bv.Counted = counted(rec, st)
		bv.Standing = standing(rec, tier, st.Customers, bv.Counted)
		if bv.Others, bv.MoreOthers, err = s.others(ctx, rec, bugLinks[id]); err != nil {
			return nil, err
		}
		out = append(out, bv)
	}
	slices.SortFunc(out, func(a, b BugView) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// fixVersions are a bug's fix versions with their release, read once per
// project and view (known caches the reads). Versions that cannot be read
// leave the names alone: the panel shows the rest regardless.
func (s *viewer) fixVersions(ctx context.Context, b engine.BugRecord, known map[string]map[string]engine.Version) []FixVersion {
	if len(b.FixVersions) == 0 {
		return nil
	}
	out := make([]FixVersion, 0, len(b.FixVersions))
	for _, name := range b.FixVersions {
		out = append(out, FixVersion{Name: name})
	}
	dash := strings.LastIndexByte(b.Key, '-')
	if s.Versions == nil || dash <= 0 {
		return out
	}
	project := b.Key[:dash]
	byName, read := known[project]
	if !read {
		list, err := s.Versions.Versions(ctx, project)
		if err != nil {
			s.Logger.Warn("sidebar: versions not read; fix versions shown by name", zap.String("project", project), zap.Error(err))
			list = nil
		}
		byName = make(map[string]engine.Version, len(list))
		for _, v := range list {
			byName[v.Name] = v
		}
		known[project] = byName
	}
	for i := range out {
		if v, ok := byName[out[i].Name]; ok {
			out[i].Known, out[i].Released = true, v.Released
			if !v.ReleaseDate.IsZero() {
				out[i].ReleaseDate = v.ReleaseDate.UTC().Format(time.DateOnly)
			}
		}
	}
	return out
}

// fixText says whether a fixed bug's fix has shipped. The engine's own
// record of the released fix versions comes first, so that the panel names
// the version the ticket's note names (the one shipped first); a release
// the engine has not read yet but the panel's fresher read of the
// project's versions (fv) shows counts too. A bug that is not fixed, won't
// be, or has no fix version gets "".
func fixText(b engine.BugRecord, fv []FixVersion) string {
	if (b.State != engine.StateDone && b.State != engine.StateReleased) || len(b.FixVersions) == 0 {
		return ""
	}
	shipped := b.Released
	if len(shipped) == 0 {
		for _, f := range fv {
			if f.Known && f.Released {
				d, _ := time.Parse(time.DateOnly, f.ReleaseDate)
				shipped = append(shipped, engine.Version{Name: f.Name, Released: true, ReleaseDate: d})
			}
		}
	}
	if len(shipped) == 0 {
		return "Fixed in " + strings.Join(b.FixVersions, ", ") + " — not yet released"
	}
	first, _ := engine.FirstReleased(shipped)
	if first.ReleaseDate.IsZero() {
		return "Fixed in " + first.Name + " — released"
	}
	return "Fixed in " + first.Name + " — released " + first.ReleaseDate.UTC().Format(time.DateOnly)
}

// customers lists the count's tiers heaviest first, as the engine weighs
// them.
func (s *viewer) customers(c engine.Customers) Customers {
	out := Customers{Distinct: c.Distinct, Weighted: c.Weighted}
	for t, n := range c.ByTier {
		out.ByTier = append(out.ByTier, TierCount{Tier: t, Customers: n})
	}
	p := s.Policy
	if p.Revenue.Enabled {
		v := c.Revenue
		out.Revenue, out.Currency, out.RevenueText = &v, p.Revenue.Currency, p.Revenue.FormatRevenue(v)
	}
	slices.SortFunc(out.ByTier, func(a, b TierCount) int {
		return cmp.Or(cmp.Compare(p.Weight(b.Tier), p.Weight(a.Tier)), strings.Compare(a.Tier, b.Tier))
	})
	return out
}

// open reports whether a ticket still waits (and so counts).
func open(rec engine.TicketRecord) bool {
	return rec.Status != engine.StatusSolved && rec.Status != engine.StatusClosed && rec.Status != engine.StatusDeleted
}

// counted reports whether the bug's last reconcile counted this ticket's
// customer, as far as the state tells: by the organizations it counted.
// A ticket without an organization, or one that no longer waits, is taken
// as counted, since nothing more will change.
func counted(rec engine.TicketRecord, st engine.Standing) bool {
	if !open(rec) || rec.OrganizationID == 0 {
		return true
	}
	_, ok := st.Waiting[rec.OrganizationID]
	return ok
}

// standing says where this ticket's customer stands in a bug's count.
func standing(rec engine.TicketRecord, tier string, c engine.Customers, isCounted bool) string {
	switch {
	case !isCounted:
		return "This customer is not counted yet; the count follows in a moment."
	case c.Distinct == 0:
		return "No customer counted yet; the count follows at the next reconcile."
	case c.Distinct == 1 && open(rec):
		return "This customer is the only one waiting on this bug so far."
	case !open(rec):
		return fmt.Sprintf("This ticket is %s; %s still counted.", rec.Status, plural(c.Distinct, "customer is", "customers are"))
	case tier != "" && c.ByTier[tier] > 0:
		return fmt.Sprintf("This customer (%s) is one of %s, %d of them %s.", tier, plural(c.Distinct, "customer", "customers"), c.ByTier[tier], tier)
	}
	return fmt.Sprintf("This customer is one of %s waiting.", plural(c.Distinct, "customer", "customers"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// others are a few open tickets of other customers linked to the bug,
// the longest waiting first.
func (s *viewer) others(ctx context.Context, rec engine.TicketRecord, linked map[int64]engine.LinkSource) ([]Other, int, error) {
	ids := make([]int64, 0, len(linked))
	for id := range linked {
		if id != rec.ID {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return []Other{}, 0, nil
	}
	recs, err := s.State.Tickets(ctx, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("read tickets linked with ticket %d: %w", rec.ID, err)
	}
	var waiting []engine.TicketRecord
	for _, t := range recs {
		same := t.RequesterID == rec.RequesterID || (t.OrganizationID != 0 && t.OrganizationID == rec.OrganizationID)
		if !same && open(t) {
			waiting = append(waiting, t)
		}
	}
	slices.SortFunc(waiting, func(a, b engine.TicketRecord) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	out := []Other{}
	for _, t := range waiting[:min(othersShown, len(waiting))] {
		out = append(out, Other{ID: t.ID, URL: t.URL, Subject: t.Subject, Status: string(t.Status), Since: stamp(t.CreatedAt)})
	}
	return out, len(waiting) - len(out), nil
}

// unlinked are the keys the ticket names that link no bug: those the
// engine rejected, and valid keys whose issue was not found or not read
// yet.
func (s *viewer) unlinked(ctx context.Context, rec engine.TicketRecord, linked []BugView) ([]Unlinked, error) {
	out := []Unlinked{}
	for _, text := range rec.Rejected {
		if strings.HasPrefix(text, "+") {
			out = append(out, Unlinked{Text: text, Reason: "more keys rejected"})
			continue
		}
		out = append(out, Unlinked{Text: text, Reason: s.rejection(text)})
	}
	var pending []string
	for _, k := range rec.Keys {
		if !slices.ContainsFunc(linked, func(b BugView) bool { return b.Key == k }) {
			pending = append(pending, k)
		}
	}
	if len(pending) == 0 {
		return out, nil
	}
	missing, err := s.State.MissingKeys(ctx, pending)
	if err != nil {
		return nil, fmt.Errorf("read missing keys of ticket %d: %w", rec.ID, err)
	}
	aliases, err := s.State.Aliases(ctx, pending)
	if err != nil {
		return nil, fmt.Errorf("read keys of ticket %d: %w", rec.ID, err)
	}
	for _, k := range pending {
		switch _, gone := missing[k]; {
		case gone:
			out = append(out, Unlinked{Text: k, Reason: "not found in Jira"})
		case aliases[k] != "":
			// Known under another key (moved), linked under that one.
		default:
			out = append(out, Unlinked{Text: k, Reason: "not read yet; shown once Jira answers"})
		}
	}
	return out, nil
}

// rejection re-derives why the engine rejected a candidate (the record
// keeps the text only): as a link tag, else as keys field text.
func (s *viewer) rejection(text string) string {
	p := s.Policy
	for _, t := range []engine.Ticket{{Tags: []string{text}}, {KeysField: text}} {
		if k := p.Keys(t); len(k.Rejected) > 0 {
			return cmp.Or(reasons[k.Rejected[0].Reason], k.Rejected[0].Reason)
		}
	}
	return reasons[engine.ReasonTooMany]
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
