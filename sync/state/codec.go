package state

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Records are stored as JSON with short names: compact, readable with
// redis-cli, and independent of the engine's Go field names, so renaming a
// field there never corrupts stored state.

type ticketWire struct {
	Status    string `json:"s"`
	Requester int64  `json:"r,omitempty"`
	Org       int64  `json:"o,omitempty"`
	// Locale is absent from records stored before locales were kept: it
	// decodes as "", the default language, until the ticket is observed.
	Locale   string   `json:"l,omitempty"`
	Subject  string   `json:"j,omitempty"`
	URL      string   `json:"u,omitempty"`
	Keys     []string `json:"k,omitempty"`
	Rejected []string `json:"x,omitempty"`
	Tags     []string `json:"t,omitempty"`
	Field    string   `json:"f,omitempty"`
	// Assignee and Group are absent from records stored before they were
	// kept: they decode as unassigned until the ticket is observed.
	Assignee int64 `json:"as,omitempty"`
	Group    int64 `json:"g,omitempty"`
	// Created is absent from records stored before creation times were
	// kept: it decodes as the zero time, which the engine reads as unknown.
	Created    int64 `json:"cr,omitempty"`
	Updated    int64 `json:"up,omitempty"` // unix nanoseconds; 0 for the zero time
	StampStale bool  `json:"ss,omitempty"`
}

type bugWire struct {
	Key         string   `json:"k"`
	Project     string   `json:"p,omitempty"`
	Summary     string   `json:"j,omitempty"`
	Status      string   `json:"s,omitempty"`
	Category    string   `json:"c,omitempty"`
	Resolution  string   `json:"r,omitempty"`
	FixVersions []string `json:"fv,omitempty"`
	// Released is absent from records stored before release tracking: it
	// decodes as none released, which the next observation of the bug
	// corrects.
	Released     []versionWire `json:"rv,omitempty"`
	Priority     string        `json:"pr,omitempty"`
	Labels       []string      `json:"l,omitempty"`
	Count        *float64      `json:"n,omitempty"`
	Updated      int64         `json:"up,omitempty"`
	URL          string        `json:"u,omitempty"`
	Seq          int           `json:"q,omitempty"`
	State        int           `json:"st,omitempty"`
	LastActivity int64         `json:"la,omitempty"`
	Unattributed int64         `json:"ua,omitempty"`
	Stale        bool          `json:"sf,omitempty"`
	Episode      int           `json:"se,omitempty"`
	StaleSince   int64         `json:"ss,omitempty"`
	StaleIdle    int64         `json:"si,omitempty"`

	// Revenue is the bug's revenue-waiting field.
	Revenue *float64 `json:"rw,omitempty"`
}

// versionWire is a released fix version: id, name, release day (Jira's
// yyyy-mm-dd, "" for none).
type versionWire struct {
	ID   string `json:"i,omitempty"`
	Name string `json:"n"`
	Date string `json:"d,omitempty"`
}

func versionsToWire(vs []engine.Version) []versionWire {
	var out []versionWire
	for _, v := range vs {
		w := versionWire{ID: v.ID, Name: v.Name}
		if !v.ReleaseDate.IsZero() {
			w.Date = v.ReleaseDate.Format(time.DateOnly)
		}
		out = append(out, w)
	}
	return out
}

func versionsFromWire(id, project string, ws []versionWire) ([]engine.Version, error) {
	var out []engine.Version
	for _, w := range ws {
		v := engine.Version{ID: w.ID, Project: project, Name: w.Name, Released: true}
		if w.Date != "" {
			d, err := time.Parse(time.DateOnly, w.Date)
			if err != nil {
				return nil, fmt.Errorf("state: decode bug %s: release date of %s: %w", id, w.Name, err)
			}
			v.ReleaseDate = d
		}
		out = append(out, v)
	}
	return out, nil
}

type pendingWire struct {
	Seq    int    `json:"q,omitempty"`
	Target string `json:"t,omitempty"`
	Text   string `json:"x,omitempty"`
	Phase  uint8  `json:"p,omitempty"`
}

type editWire struct {
	ID       string   `json:"i,omitempty"`
	Key      string   `json:"k,omitempty"`
	Priority string   `json:"p,omitempty"`
	Count    *float64 `json:"n,omitempty"`
	Add      []string `json:"a,omitempty"`
	Remove   []string `json:"r,omitempty"`

	Revenue *float64 `json:"rv,omitempty"`
}

// memoryWire is a bug's memory and, in the same record, its standing
// (Distinct through Waiting): one key, so that the engine's read of both is
// one MGET and their write one SET. The field names are fixed: replicas of
// earlier releases, which read the standing as part of the memory, read
// these records during a rolling upgrade, and this one reads theirs.
type memoryWire struct {
	Bump      pendingWire      `json:"b"`
	StaleNote pendingWire      `json:"s"`
	Expect    *editWire        `json:"e,omitempty"`
	Seen      int64            `json:"sn,omitempty"`
	Echo      int64            `json:"ec,omitempty"`
	Open      int              `json:"o,omitempty"`
	Distinct  int              `json:"cd,omitempty"`
	Weighted  float64          `json:"cw,omitempty"`
	ByTier    map[string]int   `json:"ct,omitempty"`
	Category  string           `json:"c,omitempty"`
	Waiting   map[string]int64 `json:"wo,omitempty"` // organization id → since, unix nanoseconds
	// Release is absent from records of earlier releases: the bug waits
	// on no release until it is next reconciled.
	Release *awaitingWire `json:"rl,omitempty"`

	// Revenue is the revenue waiting on the bug, 0 where it is not counted.
	Revenue float64 `json:"cr,omitempty"`
}

// awaitingWire is a bug waiting on a release, as both its memory record
// and the awaiting hash hold it.
type awaitingWire struct {
	Project  string   `json:"p"`
	Versions []string `json:"v"`
}

type missingWire struct {
	First   int64 `json:"f"`
	Recheck int64 `json:"r"`
	Checks  int   `json:"n,omitempty"`
}

type orgWire struct {
	Name    string `json:"n,omitempty"`
	Tier    string `json:"t,omitempty"`
	Expires int64  `json:"e"` // engine clock, unix nanoseconds

	// Revenue is written as a string, so that ticket_page.lua compares
	// the stored and the new value without Lua's number formatting.
	Revenue string `json:"r,omitempty"`
}

type guardWire struct {
	Planned int   `json:"p"`
	Limit   int   `json:"l"`
	Since   int64 `json:"s"`
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func encodeTicket(r engine.TicketRecord) string {
	return mustJSON(ticketWire{
		Status: string(r.Status), Requester: r.RequesterID, Org: r.OrganizationID, Locale: r.Locale, Subject: r.Subject, URL: r.URL,
		Keys: r.Keys, Rejected: r.Rejected, Tags: r.Tags, Field: r.StatusField, Assignee: r.AssigneeID, Group: r.GroupID, Created: nanos(r.CreatedAt), Updated: nanos(r.UpdatedAt),
		StampStale: r.StampStale,
	})
}

func decodeTicket(id int64, blob string, version int64) (engine.TicketRecord, error) {
	var w ticketWire
	if err := json.Unmarshal([]byte(blob), &w); err != nil {
		return engine.TicketRecord{}, fmt.Errorf("state: decode ticket %d: %w", id, err)
	}
	return engine.TicketRecord{
		ID: id, Status: engine.TicketStatus(w.Status), RequesterID: w.Requester, OrganizationID: w.Org, Locale: w.Locale, Subject: w.Subject,
		URL: w.URL, Keys: w.Keys, Rejected: w.Rejected, Tags: w.Tags, StatusField: w.Field, AssigneeID: w.Assignee, GroupID: w.Group, CreatedAt: fromNanos(w.Created), UpdatedAt: fromNanos(w.Updated),
		StampStale: w.StampStale, Version: version,
	}, nil
}

func encodeBug(r engine.BugRecord) string {
	return mustJSON(bugWire{
		Key: r.Key, Project: r.Project, Summary: r.Summary, Status: r.Status, Category: string(r.StatusCategory),
		Resolution: r.Resolution, FixVersions: r.FixVersions, Released: versionsToWire(r.Released), Priority: r.Priority, Labels: r.Labels,
		Count: r.CustomerCount, Updated: nanos(r.Updated), URL: r.URL, Seq: r.Seq, State: int(r.State),
		LastActivity: nanos(r.LastActivity), Unattributed: nanos(r.Unattributed), Stale: r.Stale.Flagged, Episode: r.Stale.Episode, StaleSince: nanos(r.Stale.Since),
		StaleIdle: int64(r.Stale.Idle), Revenue: r.Revenue,
	})
}

func decodeBug(id, blob string, version int64) (engine.BugRecord, error) {
	var w bugWire
	if err := json.Unmarshal([]byte(blob), &w); err != nil {
		return engine.BugRecord{}, fmt.Errorf("state: decode bug %s: %w", id, err)
	}
	released, err := versionsFromWire(id, w.Project, w.Released)
	if err != nil {
		return engine.BugRecord{}, err
	}
	return engine.BugRecord{
		Bug: engine.Bug{
			ID: id, Key: w.Key, Project: w.Project, Summary: w.Summary, Status: w.Status,
			StatusCategory: engine.StatusCategory(w.Category), Resolution: w.Resolution, FixVersions: w.FixVersions, Released: released,
			Priority: w.Priority, Labels: w.Labels, CustomerCount: w.Count, Updated: fromNanos(w.Updated), URL: w.URL,
			Revenue: w.Revenue,
		},
		Seq: w.Seq, State: engine.BugState(w.State), LastActivity: fromNanos(w.LastActivity), Unattributed: fromNanos(w.Unattributed),
		Stale:   engine.StaleFlag{Flagged: w.Stale, Episode: w.Episode, Since: fromNanos(w.StaleSince), Idle: time.Duration(w.StaleIdle)},
		Version: version,
	}, nil
}

func pendingToWire(p engine.Pending) pendingWire {
	return pendingWire{Seq: p.Seq, Target: p.Target, Text: p.Text, Phase: uint8(p.Phase)}
}

func pendingFromWire(w pendingWire) engine.Pending {
	return engine.Pending{Seq: w.Seq, Target: w.Target, Text: w.Text, Phase: engine.Phase(w.Phase)}
}

func encodeMemory(m engine.BugMemory, s engine.Standing) string {
	w := memoryWire{
		Bump: pendingToWire(m.Bump), StaleNote: pendingToWire(m.StaleNote), Seen: nanos(m.Seen), Echo: nanos(m.Echo), Open: m.OpenTickets,
		Distinct: s.Customers.Distinct, Weighted: s.Customers.Weighted, ByTier: s.Customers.ByTier,
		Category: string(s.Category), Revenue: s.Customers.Revenue,
	}
	if len(s.Waiting) > 0 {
		w.Waiting = make(map[string]int64, len(s.Waiting))
		for org, since := range s.Waiting {
			w.Waiting[formatID(org)] = nanos(since)
		}
	}
	if a := s.Release; a != nil {
		w.Release = &awaitingWire{Project: a.Project, Versions: a.Versions}
	}
	if e := m.Expect; e.ID != "" {
		w.Expect = &editWire{ID: e.ID, Key: e.Key, Priority: e.Priority, Count: e.CustomerCount, Add: e.AddLabels, Remove: e.RemoveLabels, Revenue: e.Revenue}
	}
	return mustJSON(w)
}

func decodeMemory(id, blob string) (engine.BugMemory, engine.Standing, error) {
	var w memoryWire
	if err := json.Unmarshal([]byte(blob), &w); err != nil {
		return engine.BugMemory{}, engine.Standing{}, fmt.Errorf("state: decode memory of bug %s: %w", id, err)
	}
	m := engine.BugMemory{
		Bump: pendingFromWire(w.Bump), StaleNote: pendingFromWire(w.StaleNote), Seen: fromNanos(w.Seen), Echo: fromNanos(w.Echo), OpenTickets: w.Open,
	}
	if e := w.Expect; e != nil {
		m.Expect = engine.BugEdit{ID: e.ID, Key: e.Key, Priority: e.Priority, CustomerCount: e.Count, AddLabels: e.Add, RemoveLabels: e.Remove, Revenue: e.Revenue}
	}
	s := engine.Standing{
		Category:  engine.StatusCategory(w.Category),
		Customers: engine.Customers{Distinct: w.Distinct, Weighted: w.Weighted, ByTier: w.ByTier, Revenue: w.Revenue},
	}
	if a := w.Release; a != nil {
		s.Release = &engine.Awaiting{BugID: id, Project: a.Project, Versions: a.Versions}
	}
	if len(w.Waiting) > 0 {
		s.Waiting = make(map[int64]time.Time, len(w.Waiting))
		for org, since := range w.Waiting {
			oid, err := strconv.ParseInt(org, 10, 64)
			if err != nil {
				return engine.BugMemory{}, engine.Standing{}, fmt.Errorf("state: decode memory of bug %s: organization %q: %w", id, org, err)
			}
			s.Waiting[oid] = fromNanos(since)
		}
	}
	return m, s, nil
}

func encodeMissing(m engine.MissingKey) string {
	return mustJSON(missingWire{First: nanos(m.FirstSeen), Recheck: nanos(m.RecheckAt), Checks: m.Checks})
}

func decodeMissing(key, blob string) (engine.MissingKey, error) {
	var w missingWire
	if err := json.Unmarshal([]byte(blob), &w); err != nil {
		return engine.MissingKey{}, fmt.Errorf("state: decode missing key %s: %w", key, err)
	}
	return engine.MissingKey{Key: key, FirstSeen: fromNanos(w.First), RecheckAt: fromNanos(w.Recheck), Checks: w.Checks}, nil
}

// Note marks are "seq" or "seq:sending".
func encodeMark(m engine.NoteMark) string {
	if m.Sending != 0 {
		return fmt.Sprintf("%d:%d", m.Seq, m.Sending)
	}
	return fmt.Sprintf("%d", m.Seq)
}

func decodeMark(s string) (engine.NoteMark, error) {
	var m engine.NoteMark
	seq, sending, found := strings.Cut(s, ":")
	var err error
	if m.Seq, err = strconv.Atoi(seq); err == nil && found {
		m.Sending, err = strconv.Atoi(sending)
	}
	if err != nil {
		return engine.NoteMark{}, fmt.Errorf("state: decode note mark %q: %w", s, err)
	}
	return m, nil
}

// Written links are "digest globalID"; digests hold no space.
func encodeWritten(w engine.WrittenLink) string { return w.Digest + " " + w.GlobalID }

func decodeWritten(s string) engine.WrittenLink {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return engine.WrittenLink{Digest: s[:i], GlobalID: s[i+1:]}
		}
	}
	return engine.WrittenLink{Digest: s}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings, numbers and slices are encoded.
		panic(fmt.Sprintf("state: encode %T: %v", v, err))
	}
	return string(b)
}

// actWire is a ticket's status automation memory, stored in its own field
// of the ticket's hash so that observations, which replace the record,
// never erase it. Records stored before the automation have no field: they
// decode as never acted on.
type actWire struct {
	Phase uint8  `json:"p"`
	Set   string `json:"s,omitempty"`
	Agent int64  `json:"a,omitempty"`
	Group int64  `json:"g,omitempty"`
}

// encodeAct is "" for the zero act, which the store deletes.
func encodeAct(a engine.StatusAct) string {
	if a == (engine.StatusAct{}) {
		return ""
	}
	return mustJSON(actWire{Phase: uint8(a.Phase), Set: string(a.Set), Agent: a.AgentID, Group: a.GroupID})
}

func decodeAct(id int64, blob string) (engine.StatusAct, error) {
	if blob == "" {
		return engine.StatusAct{}, nil
	}
	var w actWire
	if err := json.Unmarshal([]byte(blob), &w); err != nil {
		return engine.StatusAct{}, fmt.Errorf("state: decode status automation of ticket %d: %w", id, err)
	}
	return engine.StatusAct{Phase: engine.WaitPhase(w.Phase), Set: engine.TicketStatus(w.Set), AgentID: w.Agent, GroupID: w.Group}, nil
}
