package engine

// NewBug is a bug an agent files from a ticket. The tracker adapter
// validates it (a synced project, a summary the tracker accepts) before
// anything is sent; recording what was filed, so that a retry does not
// file twice, is the caller's part.
type NewBug struct {
	Project     string // project key, one of the synced projects
	IssueType   string // issue type name, e.g. "Bug"
	Summary     string
	Description string // plain text; the adapter renders it for the tracker
	Labels      []string
	// Components are component names of the project; the tracker refuses
	// a name the project does not have.
	Components []string
}
