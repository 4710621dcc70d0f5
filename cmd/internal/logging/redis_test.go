package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// go-redis's lines arrive as the service's JSON lines, named "redis", at a
// level by what they say; before a logger is named they are dropped.
func TestRedisLog(t *testing.T) {
	var r RedisLog
	r.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 5, "refused") // nowhere to go yet

	var buf bytes.Buffer
	log, err := New("debug", "json", &buf, "s3cret-password")
	if err != nil {
		t.Fatal(err)
	}
	r.To(log)
	ctx := context.Background()
	r.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 5, "dial tcp 127.0.0.1:1: connect: connection refused")
	r.Printf(ctx, "sentinel: new master=%q addr=%q", "mymaster", "10.0.0.2:6379")
	r.Printf(ctx, "redis: connection pool: failed to process idle connection by hook: %v\n", "auth s3cret-password refused")
	r.Printf(ctx, "%s", strings.Repeat("x", 2000))

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		lines = append(lines, m)
	}
	want := []struct{ level, msg string }{
		{"debug", "connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"info", `sentinel: new master="mymaster" addr="10.0.0.2:6379"`},
		{"warn", "connection pool: failed to process idle connection by hook: auth [REDACTED] refused"},
		{"warn", strings.Repeat("x", maxRedisLine) + "…"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if lines[i]["level"] != w.level || lines[i]["msg"] != w.msg || lines[i]["logger"] != "redis" || lines[i]["caller"] != nil {
			t.Errorf("line %d = %v, want %s %q from logger redis, no caller", i, lines[i], w.level, w.msg)
		}
	}
}
