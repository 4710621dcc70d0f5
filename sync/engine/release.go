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

// firstReleased is the fix version a released note names: the one that
// shipped first (the earliest release date, a version without one last),
// FixVersions' order among equals.
func firstReleased(b Bug) (Version, bool) {
	if len(b.Released) == 0 {
		return Version{}, false
	}
	first := b.Released[0]
	for _, v := range b.Released[1:] {
		if !v.ReleaseDate.IsZero() && (first.ReleaseDate.IsZero() || v.ReleaseDate.Before(first.ReleaseDate)) {
			first = v
		}
	}
	return first, true
}
