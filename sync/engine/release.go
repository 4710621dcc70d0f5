package engine

import (
	"slices"
	"time"
)

// Version is a tracker's release of a project (a Jira fix version): the
// engine tells customers their fix shipped when the version a bug is fixed
// in is released.
type Version struct {
	ID      string
	Project string // project key
	Name    string
	// Released reports that the version has shipped.
	Released bool
	// ReleaseDate is the day the version shipped or is planned to, at
	// midnight UTC; zero when the tracker has none.
	ReleaseDate time.Time
}

// sameVersions compares released fix versions by what the notes say of
// them.
func sameVersions(a, b []Version) bool {
	return slices.EqualFunc(a, b, func(x, y Version) bool {
		return x.ID == y.ID && x.Name == y.Name && x.ReleaseDate.Equal(y.ReleaseDate)
	})
}

// FirstReleased is the version of released a released note names: the
// one that shipped first (the earliest release date, a version without one
// last), released's order among equals. Every surface that names "the"
// release uses it, so that they all name the same one.
func FirstReleased(released []Version) (Version, bool) {
	if len(released) == 0 {
		return Version{}, false
	}
	first := released[0]
	for _, v := range released[1:] {
		if !v.ReleaseDate.IsZero() && (first.ReleaseDate.IsZero() || v.ReleaseDate.Before(first.ReleaseDate)) {
			first = v
		}
	}
	return first, true
}

// Awaiting is a fixed bug whose open tickets wait for one of its fix
// versions to be released.
type Awaiting struct {
	BugID    string
	Project  string
	Versions []string // its fix versions, none of them released yet
}

// awaiting is the release b's open tickets wait on, nil when they wait on
// none: b is fixed (not released, not won't fix) in versions none of
// which has shipped, and at least one linked ticket is open.
func awaiting(b BugRecord, openTickets int) *Awaiting {
	if b.State != StateDone || len(b.FixVersions) == 0 || len(b.Released) > 0 || openTickets == 0 {
		return nil
	}
	return &Awaiting{BugID: b.ID, Project: b.Project, Versions: slices.Clone(b.FixVersions)}
}

func sameAwaiting(a, b *Awaiting) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.BugID == b.BugID && a.Project == b.Project && slices.Equal(a.Versions, b.Versions)
}
