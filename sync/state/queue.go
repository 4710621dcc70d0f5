package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The work queue of each kind is a sorted set of ids scored by due time
// (engine clock, ms), a hash of versions bumped on every mark, and a hash of
// failed attempts.

// Enqueue marks ids dirty, due at now unless already queued.
func (s *Store) Enqueue(ctx context.Context, q engine.Queue, ids []string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	zkey, vkey := s.key("q:", string(q)), s.key("q:", string(q), ":v")
	score := float64(now.UnixMilli())
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.ZAddNX(ctx, zkey, redis.Z{Score: score, Member: id})
			p.HIncrBy(ctx, vkey, id, 1)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: enqueue %d %s items: %w", len(ids), q, err)
	}
	return nil
}

// Due lists items due at or before until, without claiming them.
func (s *Store) Due(ctx context.Context, q engine.Queue, until time.Time, offset, count int64) ([]string, error) {
	ids, err := s.c.ZRangeByScore(ctx, s.key("q:", string(q)), &redis.ZRangeBy{
		Min: "-inf", Max: ms(until), Offset: offset, Count: count,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("state: list due %s items: %w", q, err)
	}
	return ids, nil
}

// DueCount counts items due at or before until.
func (s *Store) DueCount(ctx context.Context, q engine.Queue, until time.Time) (int64, error) {
	n, err := s.c.ZCount(ctx, s.key("q:", string(q)), "-inf", ms(until)).Result()
	if err != nil {
		return 0, fmt.Errorf("state: count due %s items: %w", q, err)
	}
	return n, nil
}

// ClaimantPrefix is where, under the store's prefix, the claimants' keys
// live: a claim made for claimant token is held while prefix+ClaimantPrefix
// +token exists (see sync/lease.Claimant).
const ClaimantPrefix = "claimant:"

// Claim takes up to count due items until leaseUntil, for claimant
// ("" for none): its claims end early if its key expires. Claims of
// claimants whose key is gone are released first.
func (s *Store) Claim(ctx context.Context, q engine.Queue, until time.Time, count int64, leaseUntil time.Time, claimant string) ([]engine.Claim, error) {
	res, err := s.run(ctx, claimScript, until, string(q), ms(until), strconv.FormatInt(count, 10), ms(leaseUntil), claimant).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("state: claim %s items: %w", q, err)
	}
	out := make([]engine.Claim, 0, len(res)/4)
	for i := 0; i+3 < len(res); i += 4 {
		v, _ := strconv.ParseInt(res[i+1], 10, 64)
		a, _ := strconv.Atoi(res[i+2])
		due, _ := strconv.ParseFloat(res[i+3], 64)
		out = append(out, engine.Claim{ID: res[i], Version: v, Attempts: a, Due: time.UnixMilli(int64(due)).UTC(), Claimant: claimant})
	}
	return out, nil
}

// Ack finishes claimed items; those marked dirty meanwhile become due at
// now. An item another claimant has claimed since is left to it.
func (s *Store) Ack(ctx context.Context, q engine.Queue, claims []engine.Claim, now time.Time) error {
	if len(claims) == 0 {
		return nil
	}
	args := []any{string(q)}
	for _, c := range claims {
		args = append(args, c.ID, strconv.FormatInt(c.Version, 10), c.Claimant)
	}
	if err := s.run(ctx, ackScript, now, args...).Err(); err != nil {
		return fmt.Errorf("state: ack %d %s items: %w", len(claims), q, err)
	}
	return nil
}

// Reschedule makes claimed items due at due, counting a failed attempt when
// failed is set. An item another claimant has claimed since is left to it.
func (s *Store) Reschedule(ctx context.Context, q engine.Queue, claims []engine.Claim, due time.Time, failed bool) error {
	if len(claims) == 0 {
		return nil
	}
	flag := "0"
	if failed {
		flag = "1"
	}
	args := []any{string(q), ms(due), flag}
	for _, c := range claims {
		args = append(args, c.ID, c.Claimant)
	}
	if err := s.run(ctx, rescheduleScript, due, args...).Err(); err != nil {
		return fmt.Errorf("state: reschedule %d %s items: %w", len(claims), q, err)
	}
	return nil
}

// claimLost turns the scripts' refusal to write for a claimant that no
// longer holds the claim into engine.ErrClaimLost.
func claimLost(err error) error {
	if err != nil && strings.HasPrefix(err.Error(), "CLAIM_LOST") {
		return fmt.Errorf("%w: %s", engine.ErrClaimLost, strings.TrimPrefix(err.Error(), "CLAIM_LOST "))
	}
	return err
}
