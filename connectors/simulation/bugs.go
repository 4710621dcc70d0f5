package simulation

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Project is a Jira project of the dataset.
type Project struct {
	Key  string
	Name string
}

// UnknownProject is a project agents also write keys of (an operations
// tracker, say) that the service is not configured for.
const UnknownProject = "OPS"

// Projects are the dataset's Jira projects, all configured in the service.
func Projects() []Project {
	out := make([]Project, len(projectKeys))
	for i, k := range projectKeys {
		out[i] = Project{Key: k, Name: projectNames[i]}
	}
	return out
}

// ProjectKeys are the keys of Projects.
func ProjectKeys() []string { return slices.Clone(projectKeys[:]) }

// The projects, indexed by projectCycle.
var (
	projectKeys  = [...]string{"PROJ", "WEB", "MOB"}
	projectNames = [...]string{"Product", "Web app", "Mobile"}
)

// projectCycle lays bugs out over projects in blocks of ten (five PROJ,
// three WEB, two MOB), so that a bug's key follows from its index alone.
var projectCycle = [10]int{0, 1, 0, 2, 0, 1, 0, 1, 0, 2}

// Labels the dataset puts on bugs that the example configuration knows.
const (
	LockedLabel = "priority-locked" // policy.priority_locked_label
	OnHoldLabel = "on-hold"         // in policy.stale.exempt_labels
)

// Bug is an issue of one of Projects.
type Bug struct {
	Index    int
	Key      string
	Project  string
	Summary  string
	Status   string // a status of the simulator's workflow: To Do, In Progress, In Review or Done
	Priority string
	// Resolution and FixVersion are set for Done bugs: Done with a fix
	// version, or a won't-fix resolution without one.
	Resolution string
	FixVersion string
	Labels     []string
	// Age is how long ago the bug was created, Idle how long ago it was
	// last updated: some bugs customers wait on have sat for months.
	Age  time.Duration
	Idle time.Duration
}

// Bug is bug i (0 ≤ i < Size.Bugs).
func (d Dataset) Bug(i int) Bug {
	r := d.rng(streamBug, i)
	p := projectCycle[i%len(projectCycle)]
	b := Bug{Index: i, Project: projectKeys[p]}
	b.Key = d.bugKey(i)
	b.Summary = bugAreas[r.IntN(len(bugAreas))] + " " + bugSymptoms[r.IntN(len(bugSymptoms))]
	b.Priority = []string{"Highest", "High", "Medium", "Low", "Lowest"}[pick(r, 0.03, 0.12, 0.45, 0.33, 0.07)]
	switch pick(r, 0.50, 0.18, 0.07, 0.15, 0.10) {
	case 0:
		b.Status = "To Do"
	case 1:
		b.Status = "In Progress"
	case 2:
		b.Status = "In Review"
	case 3:
		b.Status, b.Resolution = "Done", "Done"
		b.FixVersion = fmt.Sprintf("4.%d.%d", 1+r.IntN(9), r.IntN(5))
	default:
		b.Status, b.Resolution = "Done", []string{"Won't Do", "Duplicate", "Cannot Reproduce"}[r.IntN(3)]
	}
	// A quarter of the bugs have not moved for months: the stale backlog.
	if r.Float64() < 0.25 {
		b.Idle = days(r, 60, 400)
	} else {
		b.Idle = days(r, 0, 20)
	}
	b.Age = b.Idle + days(r, 1, 200)
	// Two bugs in every fifty carry the lock label, one the exemption from
	// stale flags, so that even the demo's forty have them. An engineer
	// locks a bug to keep it low, whatever customers say.
	switch i % 50 {
	case 11, 37:
		b.Labels = append(b.Labels, LockedLabel)
		b.Priority = "Low"
	case 23:
		b.Labels = append(b.Labels, OnHoldLabel)
	}
	if r.Float64() < 0.2 {
		b.Labels = append(b.Labels, "regression")
	}
	return b
}

// bugNumber is the number in the key of bug i: bugs are created in index
// order and each project numbers its own from 1.
func bugNumber(i int) int {
	p := projectCycle[i%len(projectCycle)]
	return i/len(projectCycle)*perCycle(p) + countIn(projectCycle[:i%len(projectCycle)], p) + 1
}

// projectIssues is how many issues project p ends up with.
func (d Dataset) projectIssues(p int) int {
	n := d.Size.Bugs
	return n/len(projectCycle)*perCycle(p) + countIn(projectCycle[:n%len(projectCycle)], p)
}

func perCycle(p int) int { return countIn(projectCycle[:], p) }

func countIn(s []int, p int) int {
	n := 0
	for _, v := range s {
		if v == p {
			n++
		}
	}
	return n
}

// popularBug draws a bug by popularity: Zipf-distributed ranks, so a few
// bugs collect hundreds of customers and most collect one or none.
func (d Dataset) popularBug(r *rand.Rand) int {
	z := rand.NewZipf(r, 1.1, d.zipfV, uint64(d.Size.Bugs-1))
	return (int(z.Uint64())*d.stride + d.offset) % d.Size.Bugs
}
