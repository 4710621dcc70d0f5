package state

import (
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestRecordCodecsRoundTrip(t *testing.T) {
	n := 12.5
	at := time.Date(2025, 1, 2, 3, 4, 5, 6789, time.UTC)
	tk := engine.TicketRecord{ID: 42, Status: engine.StatusPending, RequesterID: 7, OrganizationID: 8, Locale: "pt-BR", Subject: "Crash “quoted”",
		URL: "https://h/agent/tickets/42", Keys: []string{"PROJ-1"}, Rejected: []string{"OTHER-1"}, Tags: []string{"bug_open"}, StatusField: "PROJ-1: To Do",
		AssigneeID: 11, GroupID: 21, CreatedAt: at.Add(-400 * 24 * time.Hour), UpdatedAt: at, StampStale: true, Version: 3}
	gotT, err := decodeTicket(42, encodeTicket(tk), 3)
	if err != nil || fmt.Sprint(gotT) != fmt.Sprint(tk) {
		t.Fatalf("ticket round trip:\n got %+v\nwant %+v (%v)", gotT, tk, err)
	}
	bug := engine.BugRecord{
		Bug: engine.Bug{ID: "10042", Key: "PROJ-12", Project: "PROJ", Summary: "s", Status: "Done", StatusCategory: engine.CategoryDone,
			Resolution: "Fixed", FixVersions: []string{"2.3"}, Priority: "High", Labels: []string{"a"}, CustomerCount: &n, Updated: at, URL: "u"},
		Seq: 3, State: engine.StateDone, LastActivity: at, Stale: engine.StaleFlag{Flagged: true, Episode: 2, Since: at, Idle: 20 * time.Hour}, Version: 9,
	}
	gotB, err := decodeBug("10042", encodeBug(bug), 9)
	if err != nil || fmt.Sprint(gotB.Bug.CustomerCount == nil) != "false" || *gotB.CustomerCount != n {
		t.Fatalf("bug count round trip: %+v %v", gotB, err)
	}
	gotB.CustomerCount, bug.CustomerCount = nil, nil
	if fmt.Sprint(gotB) != fmt.Sprint(bug) {
		t.Fatalf("bug round trip:\n got %+v\nwant %+v", gotB, bug)
	}
	var zero engine.TicketRecord
	if got, _ := decodeTicket(0, encodeTicket(zero), 0); !got.UpdatedAt.IsZero() || !got.CreatedAt.IsZero() {
		t.Fatalf("zero times came back as %v, %v", got.CreatedAt, got.UpdatedAt)
	}
	// A record stored before creation times or locales were kept reads as
	// one whose creation is unknown (the zero time) and whose requester
	// reads the default language (""), never an error.
	old := `{"s":"open","r":7,"o":8,"j":"Crash","u":"https://h/agent/tickets/42","k":["PROJ-1"],"up":1735787045000006789}`
	if got, err := decodeTicket(42, old, 1); err != nil || !got.CreatedAt.IsZero() || got.OrganizationID != 8 || got.Locale != "" || !got.UpdatedAt.Equal(at) {
		t.Fatalf("old ticket record: %+v (%v)", got, err)
	}
	for _, m := range []engine.NoteMark{{}, {Seq: 4}, {Seq: 4, Sending: 5}, {Seq: -1, Sending: 0}, {Seq: -1, Sending: 3}} {
		if got, err := decodeMark(encodeMark(m)); err != nil || got != m {
			t.Fatalf("mark %+v came back as %+v (%v)", m, got, err)
		}
	}
	if _, err := decodeMark("x"); err == nil {
		t.Fatal("garbage mark decoded")
	}
	w := engine.WrittenLink{GlobalID: "helpdesk-sync:https://h/a b", Digest: "d1"}
	if got := decodeWritten(encodeWritten(w)); got != w {
		t.Fatalf("written link %+v", got)
	}
}

func TestBugCodecReleasedVersions(t *testing.T) {
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	bug := engine.BugRecord{
		Bug: engine.Bug{ID: "10042", Key: "PROJ-12", Project: "PROJ", Status: "Done", StatusCategory: engine.CategoryDone, Resolution: "Fixed",
			FixVersions: []string{"5.0.1", "5.1", "6.0"},
			Released: []engine.Version{
				{ID: "10100", Project: "PROJ", Name: "5.0.1", Released: true, ReleaseDate: day},
				{ID: "10101", Project: "PROJ", Name: "5.1", Released: true},
			}},
		Seq: 4, State: engine.StateReleased,
	}
	got, err := decodeBug("10042", encodeBug(bug), 1)
	bug.Version = 1
	if err != nil || fmt.Sprint(got) != fmt.Sprint(bug) {
		t.Fatalf("released versions round trip:\n got %+v\nwant %+v (%v)", got, bug, err)
	}
	// A record of the release before release tracking has no "rv" and a
	// state no higher than done: it reads as none released.
	old := `{"k":"PROJ-12","p":"PROJ","s":"Done","c":"done","r":"Fixed","fv":["5.0.1"],"q":2,"st":3}`
	got, err = decodeBug("10042", old, 1)
	if err != nil || got.Released != nil || got.State != engine.StateDone || got.Seq != 2 {
		t.Fatalf("old bug record: %+v (%v)", got, err)
	}
	if _, err := decodeBug("10042", `{"k":"PROJ-12","p":"PROJ","rv":[{"n":"5.0.1","d":"14/Mar/25"}]}`, 1); err == nil {
		t.Fatal("a release date that is not yyyy-mm-dd decoded")
	}
}
