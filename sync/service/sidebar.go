package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

// SidebarOptions are what the configuration does not say about the
// sidebar: for tests, another Apps Framework library and clock.
type SidebarOptions struct {
	SDKURL string           // "" is sidebar.ZAFSDK
	Now    func() time.Time // of token and session checks; nil is the wall clock
	Logger *zap.Logger
}

// SidebarHandler serves the Zendesk ticket-sidebar app of the
// configuration (sidebar.enabled) on sidebar.Patterns. The app's public
// key is read from Zendesk on the first page request, not at start, so a
// Zendesk outage does not stop the service from starting.
func (s *Service) SidebarHandler(o SidebarOptions) (http.Handler, error) {
	c := s.Config
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	sessions, err := sidebar.NewSessions(sidebar.SessionsOptions{Key: []byte(c.Sidebar.SessionKey.Value()),
		Subdomain: c.SidebarSubdomain(), InstallationID: c.Sidebar.InstallationID, Now: o.Now})
	if err != nil {
		return nil, err
	}
	board := ""
	if c.Board.Enabled && c.Sidebar.PublicURL != "" {
		board = strings.TrimSuffix(c.Sidebar.PublicURL, "/") + "/board"
	}
	keys := &appKeys{client: s.Helpdesk, appID: c.Sidebar.AppID, opts: zendesk.AppVerifierOptions{
		Subdomain: c.SidebarSubdomain(), InstallationID: c.Sidebar.InstallationID, Now: o.Now}}
	return sidebar.NewHandler(sidebar.Options{
		Verify: keys.verify, Sessions: sessions, State: s.Store, Tracker: s.Tracker, Keys: s.Helpdesk,
		Queue:    &kicker{engine: s.Engine, log: o.Logger, wg: &s.drains},
		Filings:  &filings{rdb: s.Redis, prefix: c.Redis.KeyPrefix + "sidebar:filing:"},
		Versions: newVersionCache(s.Tracker, o.Now),
		Policy:   Policy(c), Subdomain: c.SidebarSubdomain(),
		Project: c.SidebarProject(), IssueType: c.Sidebar.IssueType, Labels: c.Sidebar.Labels, Components: c.Sidebar.Components,
		BoardURL: board, SDKURL: o.SDKURL, Logger: o.Logger.Named("sidebar"),
	})
}

// appKeys verifies Zendesk's signed page requests with the app's public
// key, read once from Zendesk; a failed read is tried again after a
// minute, and the page refused meanwhile.
type appKeys struct {
	client *zendesk.Client
	appID  int64
	opts   zendesk.AppVerifierOptions

	mu       sync.Mutex
	verifier *zendesk.AppVerifier
	failedAt time.Time
}

func (k *appKeys) verify(token string) (int64, error) {
	v, err := k.load()
	if err != nil {
		return 0, err
	}
	claims, err := v.Verify(token)
	if err != nil {
		return 0, err
	}
	return claims.UserID, nil
}

func (k *appKeys) load() (*zendesk.AppVerifier, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.verifier != nil {
		return k.verifier, nil
	}
	if !k.failedAt.IsZero() && time.Since(k.failedAt) < time.Minute {
		return nil, errors.New("sidebar: the app's public key could not be read from Zendesk; retrying within a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	key, err := k.client.AppPublicKey(ctx, k.appID)
	if err != nil {
		k.failedAt = time.Now()
		return nil, fmt.Errorf("sidebar: %w", err)
	}
	opts := k.opts
	opts.Key = key
	if k.verifier, err = zendesk.NewAppVerifier(opts); err != nil {
		return nil, err
	}
	return k.verifier, nil
}

// kicker queues a ticket for the engine and drains the queue at once in
// the background, so the panel sees the change within a second instead of
// at the next drain. One background drain runs at a time; a kick during
// one runs another after it.
type kicker struct {
	engine *engine.Engine
	log    *zap.Logger

	running, again atomic.Bool
	wg             *sync.WaitGroup // the Service's: Close waits for a drain under way
}

// drainBound bounds a background drain started by the panel.
const drainBound = time.Minute

func (k *kicker) Enqueue(ctx context.Context, ticketIDs []int64, bugRefs []string) error {
	if err := k.engine.Enqueue(ctx, ticketIDs, bugRefs); err != nil {
		return err
	}
	k.again.Store(true)
	if !k.running.CompareAndSwap(false, true) {
		return nil
	}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for {
			for k.again.Swap(false) {
				dctx, cancel := context.WithTimeout(context.Background(), drainBound)
				if _, err := k.engine.Drain(dctx); err != nil {
					k.log.Warn("sidebar: drain after a change failed; the next drain retries", zap.Error(err))
				}
				cancel()
			}
			k.running.Store(false)
			// A kick that came as the loop ended found running set: take it.
			if !k.again.Load() || !k.running.CompareAndSwap(false, true) {
				return
			}
		}
	}()
	return nil
}

// filings is the sidebar's ledger of filed bugs in Redis: one key per
// idempotency key, set with SET NX so that one filing wins.
type filings struct {
	rdb    redis.UniversalClient
	prefix string
}

// filingTTL is how long a filing is remembered: longer than any retry.
const filingTTL = 7 * 24 * time.Hour

func (f *filings) Reserve(ctx context.Context, key string) (string, bool, error) {
	ok, err := f.rdb.SetNX(ctx, f.prefix+key, "", filingTTL).Result()
	if err != nil {
		return "", false, fmt.Errorf("reserve filing %s: %w", key, err)
	}
	if ok {
		return "", true, nil
	}
	filed, err := f.rdb.Get(ctx, f.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		// Released meanwhile: the caller's retry reserves it.
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read filing %s: %w", key, err)
	}
	return filed, false, nil
}

func (f *filings) Filed(ctx context.Context, key, bugKey string) error {
	if err := f.rdb.SetArgs(ctx, f.prefix+key, bugKey, redis.SetArgs{Mode: "XX", KeepTTL: true}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("record filing %s as %s: %w", key, bugKey, err)
	}
	return nil
}

func (f *filings) Release(ctx context.Context, key string) error {
	if err := f.rdb.Del(ctx, f.prefix+key).Err(); err != nil {
		return fmt.Errorf("release filing %s: %w", key, err)
	}
	return nil
}
