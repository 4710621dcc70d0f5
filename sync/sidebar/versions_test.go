package sidebar

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// versionList answers Versions from a map, or fails, counting the calls.
type versionList struct {
	byProject map[string][]engine.Version
	err       error
	calls     map[string]int
}

func (l *versionList) Versions(_ context.Context, project string) ([]engine.Version, error) {
	l.calls[project]++
	return l.byProject[project], l.err
}

func TestFixVersions(t *testing.T) {
	shipped := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	planned := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	proj := []engine.Version{
		{Name: "5.0", Released: true, ReleaseDate: shipped},
		{Name: "5.1", ReleaseDate: planned},
		{Name: "5.2"},
		{Name: "4.9", Released: true},
	}
	for _, tt := range []struct {
		name  string
		key   string
		fix   []string
		err   error
		nilPt bool
		want  string
	}{
		{"released with date", "PROJ-1", []string{"5.0"}, nil, false, "[5.0 (released 2026-11-02)]"},
		{"planned", "PROJ-1", []string{"5.1"}, nil, false, "[5.1 (not released yet, planned 2026-12-20)]"},
		{"unreleased without date", "PROJ-1", []string{"5.2"}, nil, false, "[5.2 (not released yet)]"},
		{"released without date", "PROJ-1", []string{"4.9"}, nil, false, "[4.9 (released)]"},
		{"several, one unknown", "PROJ-1", []string{"5.0", "6.0"}, nil, false, "[5.0 (released 2026-11-02) 6.0]"},
		{"other project's versions", "WEB-1", []string{"5.0"}, nil, false, "[5.0]"},
		{"versions not read", "PROJ-1", []string{"5.0"}, errors.New("jira down"), false, "[5.0]"},
		{"no port", "PROJ-1", []string{"5.0"}, nil, true, "[5.0]"},
		{"no fix version", "PROJ-1", nil, nil, false, "[]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &versionList{byProject: map[string][]engine.Version{"PROJ": proj}, err: tt.err, calls: map[string]int{}}
			s := &viewer{Source: Source{Versions: l, Logger: zap.NewNop()}}
			if tt.nilPt {
				s.Versions = nil
			}
			b := engine.BugRecord{Bug: engine.Bug{Key: tt.key, FixVersions: tt.fix}}
			if got := fmt.Sprint(s.fixVersions(context.Background(), b, map[string]map[string]engine.Version{})); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// One view reads a project's versions once, however many of its bugs it
// shows, and a failed read is not retried within the view.
func TestFixVersionsReadOncePerView(t *testing.T) {
	l := &versionList{err: errors.New("jira down"), calls: map[string]int{}}
	s := &viewer{Source: Source{Versions: l, Logger: zap.NewNop()}}
	known := map[string]map[string]engine.Version{}
	for _, key := range []string{"PROJ-1", "PROJ-2", "WEB-3"} {
		s.fixVersions(context.Background(), engine.BugRecord{Bug: engine.Bug{Key: key, FixVersions: []string{"1.0"}}}, known)
	}
	if l.calls["PROJ"] != 1 || l.calls["WEB"] != 1 {
		t.Errorf("calls %v, want one per project", l.calls)
	}
}

func TestFixText(t *testing.T) {
	nov2 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	oct9 := time.Date(2026, 10, 9, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		state    engine.BugState
		fix      []string
		released []engine.Version
		read     []FixVersion // the panel's own read of the project's versions
		want     string
	}{
		{"released", engine.StateReleased, []string{"5.0"}, []engine.Version{{Name: "5.0", Released: true, ReleaseDate: nov2}}, nil,
			"Fixed in 5.0 — released 2026-11-02"},
		{"released without a date", engine.StateReleased, []string{"5.0"}, []engine.Version{{Name: "5.0", Released: true}}, nil,
			"Fixed in 5.0 — released"},
		{"the first shipped of several", engine.StateReleased, []string{"5.0", "4.9", "4.8"},
			[]engine.Version{{Name: "5.0", ReleaseDate: nov2}, {Name: "4.9", ReleaseDate: oct9}, {Name: "4.8"}}, nil,
			"Fixed in 4.9 — released 2026-10-09"},
		{"not yet released", engine.StateDone, []string{"5.1"}, nil, []FixVersion{{Name: "5.1", Known: true, ReleaseDate: "2026-12-20"}},
			"Fixed in 5.1 — not yet released"},
		{"several not yet released", engine.StateDone, []string{"5.1", "6.0"}, nil, nil,
			"Fixed in 5.1, 6.0 — not yet released"},
		{"released, engine not caught up", engine.StateDone, []string{"5.1", "5.2"}, nil,
			[]FixVersion{{Name: "5.1", Known: true}, {Name: "5.2", Known: true, Released: true, ReleaseDate: "2026-11-02"}},
			"Fixed in 5.2 — released 2026-11-02"},
		{"engine's record first", engine.StateReleased, []string{"5.1", "5.2"}, []engine.Version{{Name: "5.2", Released: true, ReleaseDate: nov2}},
			[]FixVersion{{Name: "5.1", Known: true, Released: true, ReleaseDate: "2026-10-09"}, {Name: "5.2", Known: true, Released: true, ReleaseDate: "2026-11-02"}},
			"Fixed in 5.2 — released 2026-11-02"},
		{"fixed without a fix version", engine.StateDone, nil, nil, nil, ""},
		{"won't fix", engine.StateWontFix, []string{"5.1"}, nil, nil, ""},
		{"in progress with a fix version", engine.StateInProgress, []string{"5.1"}, nil, nil, ""},
		{"to do", engine.StateToDo, []string{"5.1"}, nil, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := engine.BugRecord{Bug: engine.Bug{Key: "PROJ-1", FixVersions: tt.fix, Released: tt.released}, State: tt.state}
			if got := fixText(b, tt.read); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
