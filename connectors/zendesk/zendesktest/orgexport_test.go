package zendesktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type orgExportResp struct {
	Count         int     `json:"count"`
	EndOfStream   bool    `json:"end_of_stream"`
	EndTime       int64   `json:"end_time"`
	NextPage      *string `json:"next_page"`
	Organizations []struct {
		ID     int64          `json:"id"`
		Fields map[string]any `json:"organization_fields"`
	} `json:"organizations"`
}

func exportOrgs(t *testing.T, srv *Server, query string) orgExportResp {
	t.Helper()
	var out orgExportResp
	resp, body := call(t, srv, "GET", "/api/v2/incremental/organizations.json?"+query, nil, &out)
	if resp.StatusCode != 200 {
		t.Fatalf("export organizations %s: %d %s", query, resp.StatusCode, body)
	}
	return out
}

func orgIDs(r orgExportResp) string {
	var s []string
	for _, o := range r.Organizations {
		s = append(s, fmt.Sprint(o.ID))
	}
	return strings.Join(s, ",")
}

// The response carries exactly the properties of Zendesk's
// ExportIncrementalOrganizationsResponse schema.
func TestOrganizationExportShapeIsDocumented(t *testing.T) {
	path := "testdata/openapi/incremental.openapi.yml"
	raw, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for k := range doc.Components.Schemas["ExportIncrementalOrganizationsResponse"].Properties {
		want = append(want, k)
	}
	if len(want) == 0 {
		t.Fatal("ExportIncrementalOrganizationsResponse has no properties in " + path)
	}
	srv := newTestServer(t)
	srv.AddOrganization(Organization{ID: 1, Name: "Acme"})
	_, body := call(t, srv, "GET", "/api/v2/incremental/organizations.json?start_time=0", nil, nil)
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, documented %v", keys, want)
	}
}

// Organizations come oldest first from start_time on, per_page at a time;
// each page's end_time starts the next (its last second comes again), and
// an edit moves an organization to its new updated_at.
func TestOrganizationExportPagesAndEdits(t *testing.T) {
	srv := newTestServer(t)
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := int64(1); i <= 3; i++ {
		srv.SetNow(base.Add(time.Duration(i) * time.Minute))
		srv.AddOrganization(Organization{ID: i, Name: fmt.Sprint("Org ", i), Fields: map[string]any{"arr": 10}})
	}
	srv.SetNow(base.Add(time.Hour))
	p := exportOrgs(t, srv, "start_time=0&per_page=2")
	if orgIDs(p) != "1,2" || p.EndOfStream || p.Count != 2 || p.EndTime != base.Add(2*time.Minute).Unix() {
		t.Fatalf("first page %+v", p)
	}
	if want := fmt.Sprintf("/api/v2/incremental/organizations.json?start_time=%d&per_page=2", p.EndTime); p.NextPage == nil || !strings.HasSuffix(*p.NextPage, want) {
		t.Fatalf("next_page %v, want …%s", p.NextPage, want)
	}
	p = exportOrgs(t, srv, fmt.Sprintf("start_time=%d&per_page=2", p.EndTime))
	if orgIDs(p) != "2,3" || !p.EndOfStream || p.EndTime != base.Add(3*time.Minute).Unix() {
		t.Fatalf("second page %+v", p)
	}
	end := p.EndTime + 1
	if p = exportOrgs(t, srv, fmt.Sprint("start_time=", end)); orgIDs(p) != "" || !p.EndOfStream || p.EndTime != end || p.Count != 0 {
		t.Fatalf("nothing changed: %+v", p)
	}

	srv.SetOrganizationField(1, "arr", 500000)
	srv.Advance(2 * time.Minute)
	p = exportOrgs(t, srv, fmt.Sprint("start_time=", end))
	if orgIDs(p) != "1" || p.Organizations[0].Fields["arr"] != float64(500000) || p.EndTime != base.Add(time.Hour).Unix() {
		t.Fatalf("after an edit: %+v", p)
	}
}

// start_time is required and at least the lag in the past; agents may
// not export.
func TestOrganizationExportParametersLagAndAdmins(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	srv.SetNow(now)
	srv.AddOrganization(Organization{ID: 1})
	for _, tt := range []struct {
		query  string
		status int
	}{
		{"", 400}, {"start_time=x", 400}, {"start_time=-1", 400}, {"start_time=0&per_page=0", 400},
		{fmt.Sprint("start_time=", now.Add(-30*time.Second).Unix()), 422},
		{fmt.Sprint("start_time=", now.Add(-time.Minute).Unix()), 200},
	} {
		if resp, body := call(t, srv, "GET", "/api/v2/incremental/organizations.json?"+tt.query, nil, nil); resp.StatusCode != tt.status {
			t.Errorf("%q: %d %s, want %d", tt.query, resp.StatusCode, body, tt.status)
		}
	}
	if p := exportOrgs(t, srv, "start_time=0"); orgIDs(p) != "" {
		t.Errorf("an organization younger than the lag exported: %s", orgIDs(p))
	}
	srv.Advance(time.Minute)
	if p := exportOrgs(t, srv, "start_time=0"); orgIDs(p) != "1" {
		t.Errorf("after the lag: %q", orgIDs(p))
	}

	srv.AddUser(User{Email: "agent@example.com", Role: "agent"})
	srv.AddAPIToken("agent@example.com", "agent-token")
	req, _ := newRequest(srv, "GET", "/api/v2/incremental/organizations.json?start_time=0")
	req.SetBasicAuth("agent@example.com/token", "agent-token")
	if resp, body := do(t, req); resp.StatusCode != 403 {
		t.Fatalf("agent export: %d %s", resp.StatusCode, body)
	}
}
