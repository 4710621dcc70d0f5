package config

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

func TestUniversalOptions(t *testing.T) {
	tests := []struct {
		name  string
		redis Redis
		check func(t *testing.T, o *redis.UniversalOptions)
	}{
		{"url", Redis{URL: "redis://u:p@host:6380/3?dial_timeout=3s&pool_size=7"}, func(t *testing.T, o *redis.UniversalOptions) {
			if o.Addrs[0] != "host:6380" || o.DB != 3 || o.Username != "u" || o.Password != "p" || o.TLSConfig != nil ||
				o.DialTimeout != 3*time.Second || o.PoolSize != 7 || o.IsClusterMode || o.MasterName != "" {
				t.Errorf("options = %+v", o)
			}
		}},
		{"rediss", Redis{URL: "rediss://host:6380/0"}, func(t *testing.T, o *redis.UniversalOptions) {
			if o.TLSConfig == nil || o.TLSConfig.ServerName != "host" {
				t.Errorf("TLS = %+v", o.TLSConfig)
			}
		}},
		{"keys override the URL", Redis{URL: "redis://u:p@host:6379/0", Username: "acl", Password: "pw", TLS: true}, func(t *testing.T, o *redis.UniversalOptions) {
			if o.Username != "acl" || o.Password != "pw" || o.TLSConfig == nil {
				t.Errorf("options = %+v", o)
			}
		}},
		{"unix socket", Redis{URL: "unix:///run/redis.sock?db=2"}, func(t *testing.T, o *redis.UniversalOptions) {
			if o.Addrs[0] != "/run/redis.sock" || o.DB != 2 || o.Dialer == nil {
				t.Errorf("options = %+v", o)
			}
		}},
		{"sentinel", Redis{URL: "redis://ignored:1/0", Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "mymaster", Password: "pw"}, func(t *testing.T, o *redis.UniversalOptions) {
			if len(o.Addrs) != 2 || o.MasterName != "mymaster" || o.IsClusterMode || o.Password != "pw" {
				t.Errorf("options = %+v", o)
			}
			client := redis.NewUniversalClient(o)
			defer client.Close()
			if _, ok := client.(*redis.Client); !ok {
				t.Errorf("%T is not a failover client", client)
			}
		}},
		{"cluster from one seed", Redis{Addrs: []string{"cfg:6379"}, TLS: true}, func(t *testing.T, o *redis.UniversalOptions) {
			if !o.IsClusterMode || o.TLSConfig == nil {
				t.Errorf("options = %+v", o)
			}
			client := redis.NewUniversalClient(o)
			defer client.Close()
			if _, ok := client.(*redis.ClusterClient); !ok {
				t.Errorf("%T is not a cluster client", client)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.redis.UniversalOptions()
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
	if _, err := (Redis{URL: "http://:pw-secret@x"}).UniversalOptions(); err == nil || !strings.Contains(err.Error(), "xxxxx") || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("bad URL error = %v", err)
	}
}

// TestUniversalOptionsConnect dials the test Redis with options built from
// its URL, the way the service will.
func TestUniversalOptionsConnect(t *testing.T) {
	u, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load("", envOf(exampleSecrets, map[string]string{
		"HELPDESK_SYNC_REDIS_URL": u, "HELPDESK_SYNC_ZENDESK_SUBDOMAIN": "acme", "HELPDESK_SYNC_ZENDESK_EMAIL": "a@acme.com",
		"HELPDESK_SYNC_JIRA_URL": "https://acme.atlassian.net", "HELPDESK_SYNC_JIRA_EMAIL": "a@acme.com", "HELPDESK_SYNC_JIRA_PROJECTS": "PROJ",
	}))
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Redis.UniversalOptions()
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewUniversalClient(o)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING %s: %v", redactURL(u), err)
	}
}
