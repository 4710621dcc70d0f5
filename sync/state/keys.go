package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// unresolvedWire is what waits of a ticket in the unresolved hash. A
// resolution applies only while the stored text is still the one it was
// computed from, so the encoding must be deterministic (sorted slices).
type unresolvedWire struct {
	Keys []string `json:"k"`
	Bugs []string `json:"b,omitempty"`
}

func encodeUnresolved(u engine.UnresolvedKeys) string {
	return mustJSON(unresolvedWire{Keys: u.Keys, Bugs: u.Bugs})
}

func decodeUnresolved(id, blob string) (engine.UnresolvedTicket, error) {
	tid, err := parseTicketID(id)
	if err != nil {
		return engine.UnresolvedTicket{}, err
	}
	var w unresolvedWire
	if err := json.Unmarshal([]byte(blob), &w); err != nil {
		return engine.UnresolvedTicket{}, fmt.Errorf("state: decode unresolved keys of ticket %s: %w", id, err)
	}
	return engine.UnresolvedTicket{ID: tid, UnresolvedKeys: engine.UnresolvedKeys{Keys: w.Keys, Bugs: w.Bugs}}, nil
}

// Keys reads the aliases and missing records of keys in one pipeline.
func (s *Store) Keys(ctx context.Context, keys []string) (engine.KnownKeys, error) {
	out := engine.KnownKeys{Bugs: map[string]string{}, Missing: map[string]engine.MissingKey{}}
	if len(keys) == 0 {
		return out, nil
	}
	var aliases, missing *redis.SliceCmd
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		aliases = p.HMGet(ctx, s.key("alias"), keys...)
		missing = p.HMGet(ctx, s.key("missing"), keys...)
		return nil
	}); err != nil {
		return out, fmt.Errorf("state: read aliases and missing records of %d keys: %w", len(keys), err)
	}
	for i, v := range aliases.Val() {
		if id, ok := v.(string); ok {
			out.Bugs[keys[i]] = id
		}
	}
	for i, v := range missing.Val() {
		if blob, ok := v.(string); ok {
			m, err := decodeMissing(keys[i], blob)
			if err != nil {
				return out, err
			}
			out.Missing[keys[i]] = m
		}
	}
	return out, nil
}

// UnresolvedTickets pages through the unresolved hash (HSCAN).
func (s *Store) UnresolvedTickets(ctx context.Context, cursor uint64, count int64) ([]engine.UnresolvedTicket, uint64, error) {
	kv, next, err := s.c.HScan(ctx, s.key("unresolved"), cursor, "", count).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("state: scan unresolved tickets: %w", err)
	}
	out := make([]engine.UnresolvedTicket, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		u, err := decodeUnresolved(kv[i], kv[i+1])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, next, nil
}

// resolutionWire is the JSON argument of resolve_keys.lua.
type resolutionWire struct {
	Tickets []resolvedWire `json:"tickets,omitempty"`
	NewBugs []recordWire   `json:"newBugs,omitempty"`
	Aliases [][2]string    `json:"aliases,omitempty"`
	Missing [][2]string    `json:"missing,omitempty"`
}

type resolvedWire struct {
	ID   string   `json:"id"`
	Was  string   `json:"was"` // what waited, as stored
	Bugs []string `json:"bugs,omitempty"`
}

// ResolveTickets applies a key resolution in one script.
func (s *Store) ResolveTickets(ctx context.Context, r engine.KeyResolution) ([]engine.LinkChange, error) {
	w := resolutionWire{Aliases: pairs(r.Aliases)}
	for _, t := range r.Tickets {
		w.Tickets = append(w.Tickets, resolvedWire{ID: formatID(t.ID), Was: encodeUnresolved(t.UnresolvedKeys), Bugs: r.Links[t.ID]})
	}
	for _, b := range r.NewBugs {
		w.NewBugs = append(w.NewBugs, recordWire{ID: b.ID, Rec: encodeBug(b)})
	}
	for _, m := range r.Missing {
		w.Missing = append(w.Missing, [2]string{m.Key, encodeMissing(m)})
	}
	res, err := s.run(ctx, resolveKeysScript, r.Now, mustJSON(w)).Slice()
	if err != nil {
		return nil, fmt.Errorf("state: resolve keys of %d tickets (%s): %w", len(r.Tickets), slices.Sorted(maps.Keys(r.Aliases)), err)
	}
	return decodeChanges(res)
}
