package redistest

import (
	"context"
	"strings"
	"testing"
)

func TestClientIsolatesAndCleansUp(t *testing.T) {
	ctx := context.Background()
	var key string
	t.Run("write", func(t *testing.T) {
		c, prefix := Client(t)
		if !strings.HasPrefix(prefix, "test:") {
			t.Fatalf("prefix %q", prefix)
		}
		key = prefix + "k"
		if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	c, _ := Client(t)
	n, err := c.Exists(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("key %s survived its test's cleanup", key)
	}
}
