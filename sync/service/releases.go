package service

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

// Bounds of the sidebar's version cache: a panel load costs at most one
// Jira request per project per versionTTL, and the cache holds at most
// versionProjects projects (the synced ones, in practice).
const (
	versionTTL      = time.Minute
	versionProjects = 64
)

// versionCache lists a project's versions for the sidebar through a short
// cache. A failed read is remembered for the TTL too, so an outage costs
// Jira no more than an answer; concurrent misses share one request.
type versionCache struct {
	src sidebar.Versions
	now func() time.Time

	group   singleflight.Group
	mu      sync.Mutex
	entries map[string]versionEntry
}

type versionEntry struct {
	versions []engine.Version
	err      error
	at       time.Time
}

func newVersionCache(src sidebar.Versions, now func() time.Time) *versionCache {
	if now == nil {
		now = time.Now
	}
	return &versionCache{src: src, now: now, entries: map[string]versionEntry{}}
}

func (c *versionCache) Versions(ctx context.Context, project string) ([]engine.Version, error) {
	if e, ok := c.fresh(project); ok {
		return e.versions, e.err
	}
	ch := c.group.DoChan(project, func() (any, error) {
		if e, ok := c.fresh(project); ok {
			return e.versions, e.err
		}
		// The request outlives a caller that gives up, so that the
		// others waiting on it still get an answer.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		list, err := c.src.Versions(rctx, project)
		c.store(project, versionEntry{versions: list, err: err, at: c.now()})
		return list, err
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		list, _ := r.Val.([]engine.Version)
		return list, r.Err
	}
}

func (c *versionCache) fresh(project string) (versionEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[project]
	return e, ok && c.now().Sub(e.at) < versionTTL
}

// store keeps e, first dropping expired entries, then the oldest, when
// the cache is full.
func (c *versionCache) store(project string, e versionEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[project]; !ok && len(c.entries) >= versionProjects {
		now := c.now()
		oldest := ""
		for p, old := range c.entries {
			if now.Sub(old.at) >= versionTTL {
				delete(c.entries, p)
			} else if oldest == "" || old.at.Before(c.entries[oldest].at) {
				oldest = p
			}
		}
		if len(c.entries) >= versionProjects {
			delete(c.entries, oldest)
		}
	}
	c.entries[project] = e
}
