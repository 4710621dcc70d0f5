package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Epoch returns the state's generation id, "" when there is none.
func (s *Store) Epoch(ctx context.Context) (string, error) {
	return s.get(ctx, "epoch")
}

// SetEpoch records the state's generation id.
func (s *Store) SetEpoch(ctx context.Context, epoch string) error {
	return s.set(ctx, "epoch", epoch)
}

// TicketCursor is the helpdesk stream position, "" before the first page.
func (s *Store) TicketCursor(ctx context.Context) (string, error) {
	return s.get(ctx, "cursor:tickets")
}

// SetTicketCursor moves the helpdesk stream position (resync restarts it).
func (s *Store) SetTicketCursor(ctx context.Context, cursor string) error {
	if cursor == "" {
		if err := s.c.Del(ctx, s.key("cursor:tickets")).Err(); err != nil {
			return fmt.Errorf("state: reset ticket cursor: %w", err)
		}
		return nil
	}
	return s.set(ctx, "cursor:tickets", cursor)
}

// BugWatermark is the tracker stream position, zero before the first page.
func (s *Store) BugWatermark(ctx context.Context) (time.Time, error) {
	return s.getTime(ctx, "watermark:bugs")
}

// SetBugWatermark moves the tracker stream position.
func (s *Store) SetBugWatermark(ctx context.Context, t time.Time) error {
	return s.set(ctx, "watermark:bugs", t.UTC().Format(time.RFC3339Nano))
}

// SweptAt is when the last stale sweep ran.
func (s *Store) SweptAt(ctx context.Context) (time.Time, error) {
	return s.getTime(ctx, "swept")
}

// SetSweptAt records a stale sweep.
func (s *Store) SetSweptAt(ctx context.Context, t time.Time) error {
	return s.set(ctx, "swept", t.UTC().Format(time.RFC3339Nano))
}

func (s *Store) get(ctx context.Context, name string) (string, error) {
	v, err := s.c.Get(ctx, s.key(name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state: read %s: %w", name, err)
	}
	return v, nil
}

func (s *Store) set(ctx context.Context, name, v string) error {
	if err := s.c.Set(ctx, s.key(name), v, 0).Err(); err != nil {
		return fmt.Errorf("state: write %s: %w", name, err)
	}
	return nil
}

func (s *Store) getTime(ctx context.Context, name string) (time.Time, error) {
	v, err := s.get(ctx, name)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("state: %s holds %q: %w", name, v, err)
	}
	return t, nil
}

// Organizations returns cached organizations that have not expired at now.
// Expiry is checked against the engine's clock; Redis's own TTL only
// collects the garbage.
func (s *Store) Organizations(ctx context.Context, ids []int64, now time.Time) (map[int64]engine.Organization, error) {
	out := make(map[int64]engine.Organization, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.key("org:", formatID(id))
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read %d organizations: %w", len(ids), err)
	}
	for i, v := range vals {
		blob, ok := v.(string)
		if !ok {
			continue
		}
		var w orgWire
		if err := json.Unmarshal([]byte(blob), &w); err != nil {
			return nil, fmt.Errorf("state: decode organization %d: %w", ids[i], err)
		}
		if now.UnixNano() >= w.Expires {
			continue
		}
		out[ids[i]] = w.organization(ids[i])
	}
	return out, nil
}

// PutOrganizations caches organizations for the store's TTL.
func (s *Store) PutOrganizations(ctx context.Context, orgs []engine.Organization, now time.Time) error {
	if len(orgs) == 0 {
		return nil
	}
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, o := range orgs {
			rec := s.encodeOrg(o, now)
			p.Set(ctx, s.key("org:", formatID(o.ID)), rec, s.orgTTL)
			// The board names the organizations customers wait on long
			// after the cache has let them go.
			p.HSet(ctx, s.key("orgname"), formatID(o.ID), rec)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: cache %d organizations: %w", len(orgs), err)
	}
	return nil
}

func (s *Store) encodeOrg(o engine.Organization, now time.Time) string {
	w := orgWire{Name: o.Name, Tier: o.Tier, Expires: now.Add(s.orgTTL).UnixNano()}
	if o.Revenue != 0 {
		w.Revenue = strconv.FormatFloat(o.Revenue, 'f', -1, 64)
	}
	return mustJSON(w)
}

// organization is the organization w records; a revenue that does not
// parse (written by hand) reads as 0, as the adapter reads a bad value.
func (w orgWire) organization(id int64) engine.Organization {
	o := engine.Organization{ID: id, Name: w.Name, Tier: w.Tier}
	if v, err := strconv.ParseFloat(w.Revenue, 64); err == nil && v > 0 {
		o.Revenue = v
	}
	return o
}

// Guards lists the kinds of writes the blast-radius guard holds.
func (s *Store) Guards(ctx context.Context) ([]engine.GuardState, error) {
	m, err := s.c.HGetAll(ctx, s.key("guard")).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read guard: %w", err)
	}
	out := make([]engine.GuardState, 0, len(m))
	for kind, blob := range m {
		var w guardWire
		if err := json.Unmarshal([]byte(blob), &w); err != nil {
			return nil, fmt.Errorf("state: decode guard %s: %w", kind, err)
		}
		out = append(out, engine.GuardState{Kind: kind, Planned: w.Planned, Limit: w.Limit, Since: fromNanos(w.Since)})
	}
	return out, nil
}

// SetGuard records that the guard holds writes of g.Kind.
func (s *Store) SetGuard(ctx context.Context, g engine.GuardState) error {
	blob := mustJSON(guardWire{Planned: g.Planned, Limit: g.Limit, Since: nanos(g.Since)})
	if err := s.c.HSet(ctx, s.key("guard"), g.Kind, blob).Err(); err != nil {
		return fmt.Errorf("state: write guard %s: %w", g.Kind, err)
	}
	return nil
}

// ClearGuard records that the guard no longer holds writes of kind.
func (s *Store) ClearGuard(ctx context.Context, kind string) error {
	if err := s.c.HDel(ctx, s.key("guard"), kind).Err(); err != nil {
		return fmt.Errorf("state: clear guard %s: %w", kind, err)
	}
	return nil
}
