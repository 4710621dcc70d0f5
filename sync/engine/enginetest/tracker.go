package enginetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Tracker is an in-memory engine.Tracker. Writes made through the port are
// the service's; writes made through the helper methods are people's, which
// is what ActivityByOthers tells apart.
type Tracker struct {
	Calls    Calls
	PageSize int      // bugs per ChangedBugs page; default 50
	Fail     FailFunc // nil: nothing fails

	clock func() time.Time
	base  string
	mu    sync.Mutex
	bugs  map[string]*bug
	keys  map[string]string // every key an issue ever had → id
	// released are the versions released, by project, then name.
	released map[string]map[string]engine.Version
}

type bug struct {
	b        engine.Bug
	comments []comment
	links    map[string]engine.RemoteLink // by global id
	edits    []time.Time                  // people's edits
}

type comment struct {
	body    string
	service bool
	at      time.Time
}

// NewTracker returns an empty tracker whose browse URLs start with base.
func NewTracker(clock func() time.Time, base string) *Tracker {
	return &Tracker{clock: clock, base: base, bugs: map[string]*bug{}, keys: map[string]string{},
		released: map[string]map[string]engine.Version{}}
}

// Put creates or replaces a bug as a person would.
func (t *Tracker) Put(b engine.Bug) {
	t.Edit(b.ID, func(cur *engine.Bug) { *cur = b })
}

// Edit changes a bug as a person would (creating it when absent).
func (t *Tracker) Edit(id string, f func(*engine.Bug)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, ok := t.bugs[id]
	if !ok {
		bg = &bug{links: map[string]engine.RemoteLink{}}
		t.bugs[id] = bg
	}
	f(&bg.b)
	bg.b.ID = id
	bg.b.Project = bg.b.Key[:strings.LastIndexByte(bg.b.Key, '-')]
	t.showReleased(&bg.b)
	bg.b.URL = t.base + "/browse/" + bg.b.Key
	t.keys[bg.b.Key] = id
	bg.edits = append(bg.edits, t.touch(bg))
}

// Move gives a bug a new key, as moving it to another project does; the
// old key keeps resolving to it.
func (t *Tracker) Move(id, newKey string) {
	t.Edit(id, func(b *engine.Bug) { b.Key = newKey })
}

// Comment adds a person's comment.
func (t *Tracker) Comment(id, body string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bg := t.bugs[id]
	bg.comments = append(bg.comments, comment{body: body, at: t.touch(bg)})
}

// LinkTicket adds a person's remote link to a ticket URL.
func (t *Tracker) LinkTicket(id, globalID, url string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bg := t.bugs[id]
	bg.links[globalID] = engine.RemoteLink{GlobalID: globalID, URL: url, Title: url}
	bg.edits = append(bg.edits, t.touch(bg))
}

// Delete deletes a bug; its keys stop resolving.
func (t *Tracker) Delete(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.bugs, id)
}

// Bug returns a copy of a bug.
func (t *Tracker) Bug(id string) (engine.Bug, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, ok := t.bugs[id]
	if !ok {
		return engine.Bug{}, false
	}
	return copyBug(bg.b), true
}

// ServiceComments returns the comments the service posted on a bug.
func (t *Tracker) ServiceComments(id string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, c := range t.bugs[id].comments {
		if c.service {
			out = append(out, c.body)
		}
	}
	return out
}

// Links returns a bug's remote links by global id.
func (t *Tracker) Links(id string) map[string]engine.RemoteLink {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]engine.RemoteLink{}
	for k, v := range t.bugs[id].links {
		out[k] = v
	}
	return out
}

func (t *Tracker) touch(bg *bug) time.Time {
	now := t.clock().UTC()
	if !now.After(bg.b.Updated) {
		now = bg.b.Updated.Add(time.Millisecond)
	}
	bg.b.Updated = now
	return now
}

func copyBug(b engine.Bug) engine.Bug {
	b.Labels = slices.Clone(b.Labels)
	b.FixVersions = slices.Clone(b.FixVersions)
	b.Released = slices.Clone(b.Released)
	if b.CustomerCount != nil {
		c := *b.CustomerCount
		b.CustomerCount = &c
	}
	return b
}

// ChangedBugs streams bugs updated at or after since, oldest first. Its
// index never lags: the last page is Through the time the search began.
func (t *Tracker) ChangedBugs(ctx context.Context, since time.Time, handle func(context.Context, engine.BugPage) error) error {
	size := t.PageSize
	if size <= 0 {
		size = 50
	}
	began := t.clock().UTC()
	t.mu.Lock()
	var all []engine.Bug
	for _, bg := range t.bugs {
		if !bg.b.Updated.Before(since) {
			all = append(all, copyBug(bg.b))
		}
	}
	t.mu.Unlock()
	slices.SortFunc(all, func(a, b engine.Bug) int { return cmp.Or(a.Updated.Compare(b.Updated), cmp.Compare(a.ID, b.ID)) })
	for {
		if err := gate(ctx, &t.Calls, t.Fail, "ChangedBugs"); err != nil {
			return err
		}
		page := engine.BugPage{Bugs: all[:min(size, len(all))]}
		all = all[len(page.Bugs):]
		if len(all) == 0 {
			page.Through = began
		}
		if err := handle(ctx, page); err != nil {
			return err
		}
		if len(all) == 0 {
			return nil
		}
	}
}

// BugsByKey resolves keys, following moves.
func (t *Tracker) BugsByKey(ctx context.Context, keys []string) ([]engine.Bug, []string, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "BugsByKey"); err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var found []engine.Bug
	var missing []string
	for _, k := range keys {
		if bg, ok := t.bugs[t.keys[k]]; ok {
			if !slices.ContainsFunc(found, func(b engine.Bug) bool { return b.ID == bg.b.ID }) {
				found = append(found, copyBug(bg.b))
			}
		} else {
			missing = append(missing, k)
		}
	}
	return found, missing, nil
}

// BugsByID reads bugs by id.
func (t *Tracker) BugsByID(ctx context.Context, ids []string) ([]engine.Bug, []string, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "BugsByID"); err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var found []engine.Bug
	var missing []string
	for _, id := range ids {
		if bg, ok := t.bugs[id]; ok {
			found = append(found, copyBug(bg.b))
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing, nil
}

func (t *Tracker) get(id string) (*bug, error) {
	bg, ok := t.bugs[id]
	if !ok {
		return nil, fmt.Errorf("enginetest: issue %s: %w", id, engine.ErrNotFound)
	}
	return bg, nil
}

// EditBug applies one edit as the service.
func (t *Tracker) EditBug(ctx context.Context, e engine.BugEdit) error {
	if err := gate(ctx, &t.Calls, t.Fail, "EditBug"); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(e.ID)
	if err != nil {
		return err
	}
	if e.Priority != "" {
		bg.b.Priority = e.Priority
	}
	if e.CustomerCount != nil {
		c := *e.CustomerCount
		bg.b.CustomerCount = &c
	}
	bg.b.Labels = slices.DeleteFunc(bg.b.Labels, func(l string) bool { return slices.Contains(e.RemoveLabels, l) })
	for _, l := range e.AddLabels {
		if !slices.Contains(bg.b.Labels, l) {
			bg.b.Labels = append(bg.b.Labels, l)
		}
	}
	t.touch(bg)
	return nil
}

// AddComment posts a comment as the service and returns its time, the
// bug's new update time.
func (t *Tracker) AddComment(ctx context.Context, bugID, body string) (time.Time, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "AddComment"); err != nil {
		return time.Time{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(bugID)
	if err != nil {
		return time.Time{}, err
	}
	at := t.touch(bg)
	bg.comments = append(bg.comments, comment{body: body, service: true, at: at})
	return at, nil
}

// HasComment reports whether a comment on the bug contains marker.
func (t *Tracker) HasComment(ctx context.Context, bugID, marker string) (bool, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "HasComment"); err != nil {
		return false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(bugID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(bg.comments, func(c comment) bool { return strings.Contains(c.body, marker) }), nil
}

// RemoteLinks lists a bug's remote links, ordered by global id.
func (t *Tracker) RemoteLinks(ctx context.Context, bugID string) ([]engine.RemoteLink, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "RemoteLinks"); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(bugID)
	if err != nil {
		return nil, err
	}
	out := make([]engine.RemoteLink, 0, len(bg.links))
	for _, l := range bg.links {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b engine.RemoteLink) int { return cmp.Compare(a.GlobalID, b.GlobalID) })
	return out, nil
}

// UpsertRemoteLink creates or replaces the link with link.GlobalID. Like
// Jira, it does not change the bug's update time.
func (t *Tracker) UpsertRemoteLink(ctx context.Context, bugID string, link engine.RemoteLink) error {
	if err := gate(ctx, &t.Calls, t.Fail, "UpsertRemoteLink"); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(bugID)
	if err != nil {
		return err
	}
	bg.links[link.GlobalID] = link
	return nil
}

// DeleteRemoteLink removes a link; an absent one is not an error.
func (t *Tracker) DeleteRemoteLink(ctx context.Context, bugID, globalID string) error {
	if err := gate(ctx, &t.Calls, t.Fail, "DeleteRemoteLink"); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(bugID)
	if err != nil {
		return err
	}
	delete(bg.links, globalID)
	return nil
}

// ActivityByOthers returns the time of a person's newest edit or comment
// after since, zero when there is none.
func (t *Tracker) ActivityByOthers(ctx context.Context, bugID string, since time.Time) (time.Time, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "ActivityByOthers"); err != nil {
		return time.Time{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bg, err := t.get(bugID)
	if err != nil {
		return time.Time{}, err
	}
	var newest time.Time
	for _, at := range bg.edits {
		if at.After(since) && at.After(newest) {
			newest = at
		}
	}
	for _, c := range bg.comments {
		if !c.service && c.at.After(since) && c.at.After(newest) {
			newest = c.at
		}
	}
	return newest, nil
}

// TrackerWrites are the Tracker methods that write.
var TrackerWrites = []string{"EditBug", "AddComment", "UpsertRemoteLink", "DeleteRemoteLink"}

// HelpdeskWrites are the Helpdesk methods that write.
var HelpdeskWrites = []string{"UpdateTickets"}

var _ engine.Tracker = (*Tracker)(nil)
