package redistest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
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

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestSweepNamesAndDeletesKeysLeftBehind(t *testing.T) {
	ctx := context.Background()
	c, prefix := Client(t)
	// A goroutine of an ended test wrote under its prefix.
	if err := c.Set(ctx, prefix+"late", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	strays := sweep(ctx, c.(*redis.Client), map[string]string{prefix: "TestEnded", prefix + "x:": "TestClean"})
	if len(strays) != 1 || !strings.Contains(strays[0], "1 keys left behind by TestEnded") || !strings.Contains(strays[0], prefix+"late") {
		t.Errorf("strays %q, want the one key of TestEnded", strays)
	}
	if n := c.Exists(ctx, prefix+"late").Val(); n != 0 {
		t.Error("the stray key was not deleted")
	}
}
