package enginetest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Release releases a project's version on day on, as a release manager
// would: like Jira, it edits no issue (their update times stay), but every
// bug that names it as a fix version shows it released from then on.
func (t *Tracker) Release(project, name string, on time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.released[project] == nil {
		t.released[project] = map[string]engine.Version{}
	}
	y, m, d := on.UTC().Date()
	t.released[project][name] = engine.Version{ID: "v-" + project + "-" + name, Project: project, Name: name,
		Released: true, ReleaseDate: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
	for _, bg := range t.bugs {
		t.showReleased(&bg.b)
	}
}

// showReleased sets b.Released from the versions released; t.mu is held.
func (t *Tracker) showReleased(b *engine.Bug) {
	b.Released = nil
	for _, name := range b.FixVersions {
		if v, ok := t.released[b.Project][name]; ok {
			b.Released = append(b.Released, v)
		}
	}
}

// Versions lists the project's versions that bugs name or that were
// released, released or not.
func (t *Tracker) Versions(ctx context.Context, project string) ([]engine.Version, error) {
	if err := gate(ctx, &t.Calls, t.Fail, "Versions"); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []engine.Version
	for _, v := range t.released[project] {
		out = append(out, v)
	}
	for _, bg := range t.bugs {
		for _, name := range bg.b.FixVersions {
			if bg.b.Project == project && !slices.ContainsFunc(out, func(v engine.Version) bool { return v.Name == name }) {
				out = append(out, engine.Version{ID: "v-" + project + "-" + name, Project: project, Name: name})
			}
		}
	}
	slices.SortFunc(out, func(a, b engine.Version) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
