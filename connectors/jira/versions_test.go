package jira_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestVersions(t *testing.T) {
	for name, dep := range map[string]jiratest.Deployment{"cloud": jiratest.Cloud, "datacenter": jiratest.DataCenter} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil, jiratest.WithDeployment(dep))
			// 120 versions: three pages of 50.
			for i := range 120 {
				if _, err := f.srv.AddVersion("PROJ", fmt.Sprintf("5.0.%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.srv.AddVersion("OPS", "ops-1"); err != nil {
				t.Fatal(err)
			}
			day := time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)
			if err := f.srv.ReleaseVersion("PROJ", "5.0.1", day.Add(15*time.Hour)); err != nil {
				t.Fatal(err)
			}
			f.srv.ResetLog()
			got, err := f.jira.Versions(context.Background(), "PROJ")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 120 {
				t.Fatalf("%d versions, want 120", len(got))
			}
			want := engine.Version{ID: f.srv.Versions("PROJ")[1].ID, Project: "PROJ", Name: "5.0.1", Released: true, ReleaseDate: day}
			if got[1] != want {
				t.Errorf("released version %+v, want %+v", got[1], want)
			}
			if v := got[2]; v.Released || !v.ReleaseDate.IsZero() || v.Name != "5.0.2" {
				t.Errorf("unreleased version %+v", v)
			}
			if n := f.srv.Count("GET", "/rest/api/2/project/{projectIdOrKey}/version"); n != 3 {
				t.Errorf("%d page requests, want 3", n)
			}
		})
	}
}

func TestVersionsErrors(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		project string
		want    error
	}{
		{"proj/../x", engine.ErrPermanent},
		{"", engine.ErrPermanent},
		{"NOPE", engine.ErrNotFound},
	}
	for _, c := range cases {
		_, err := f.jira.Versions(context.Background(), c.project)
		if !errors.Is(err, c.want) {
			t.Errorf("Versions(%q): %v, want %v", c.project, err, c.want)
		}
	}
}
