package engine

import "time"

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
