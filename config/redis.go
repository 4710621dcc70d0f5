package config

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/redis/go-redis/v9"
)

// UniversalOptions are the go-redis options for r, for
// redis.NewUniversalClient: a single server from url, Sentinel from addrs
// with master_name, or Cluster from addrs alone. redis.username and
// redis.password override those in the URL.
func (r Redis) UniversalOptions() (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{}
	if len(r.Addrs) > 0 {
		o.Addrs = append([]string(nil), r.Addrs...)
		o.MasterName = r.MasterName
		o.IsClusterMode = r.MasterName == "" // one seed node is enough for a cluster
	} else {
		po, err := redis.ParseURL(r.URL)
		if err != nil {
			return nil, fmt.Errorf("redis.url %q: %w", redactURL(r.URL), err)
		}
		o.Addrs = []string{po.Addr}
		o.DB, o.Username, o.Password, o.TLSConfig = po.DB, po.Username, po.Password, po.TLSConfig
		o.Protocol, o.ClientName = po.Protocol, po.ClientName
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = po.DialTimeout, po.ReadTimeout, po.WriteTimeout
		o.PoolSize, o.PoolTimeout, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns = po.PoolSize, po.PoolTimeout, po.MinIdleConns, po.MaxIdleConns, po.MaxActiveConns
		o.ConnMaxIdleTime, o.ConnMaxLifetime = po.ConnMaxIdleTime, po.ConnMaxLifetime
		o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff = po.MaxRetries, po.MinRetryBackoff, po.MaxRetryBackoff
		if po.Network == "unix" { // UniversalOptions has no Network
			o.Dialer = func(ctx context.Context, _, addr string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", addr)
			}
		}
	}
	if r.Username != "" {
		o.Username = r.Username
	}
	if r.Password != "" {
		o.Password = r.Password.Value()
	}
	if r.TLS && o.TLSConfig == nil {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return o, nil
}
