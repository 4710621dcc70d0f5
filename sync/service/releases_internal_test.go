package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

type countedVersions map[string]int

func (c countedVersions) Versions(_ context.Context, project string) ([]engine.Version, error) {
	c[project]++
	return []engine.Version{{Name: "1.0"}}, nil
}

// The cache holds at most versionProjects projects, dropping the oldest,
// and reads a project again once its entry is older than versionTTL.
func TestVersionCacheBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := countedVersions{}
	c := newVersionCache(src, func() time.Time { return now })
	ctx := context.Background()
	for _, tt := range []struct {
		advance time.Duration
		project string
		reads   int // of project, after the call
	}{
		{0, "P0", 1},
		{30 * time.Second, "P0", 1},
		{31 * time.Second, "P0", 2},
	} {
		now = now.Add(tt.advance)
		if _, err := c.Versions(ctx, tt.project); err != nil || src[tt.project] != tt.reads {
			t.Fatalf("after %s: %d reads of %s (%v), want %d", tt.advance, src[tt.project], tt.project, err, tt.reads)
		}
	}
	for i := range versionProjects + 5 {
		now = now.Add(time.Millisecond)
		if _, err := c.Versions(ctx, fmt.Sprintf("Q%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.entries); n != versionProjects {
		t.Errorf("%d entries, want at most %d", n, versionProjects)
	}
	if _, kept := c.entries["P0"]; kept {
		t.Error("the oldest entry was kept over newer ones")
	}
}
