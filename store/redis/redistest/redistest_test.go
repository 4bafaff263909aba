package redistest_test

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// This package has no TestMain calling Main: each test gets its own server
// (unless ELEVATE_TEST_REDIS_URL names one), stopped when the test ends.

func TestStoresDoNotShareState(t *testing.T) {
	a, b := redistest.NewStore(t), redistest.NewStore(t)
	w := core.WindowWrite{Window: core.Window{Principal: "alice", Role: "prod-db"}, TTL: time.Minute}
	if err := a.Apply(t.Context(), core.Change{OpenWindows: []core.WindowWrite{w}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Window(t.Context(), "alice", "prod-db"); err != nil {
		t.Fatalf("Window in the store that opened it: %v", err)
	}
	if _, err := b.Window(t.Context(), "alice", "prod-db"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Window in another store: %v, want ENOTFOUND", err)
	}
}

func TestPrefixKeysAreDeletedAtCleanup(t *testing.T) {
	c := redistest.NewClient(t)
	var prefix string
	t.Run("writer", func(t *testing.T) {
		prefix = redistest.NewPrefix(t)
		if err := c.Set(t.Context(), "{"+prefix+"}:k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	n, err := c.Exists(t.Context(), "{"+prefix+"}:k").Result()
	if err != nil || n != 0 {
		t.Fatalf("EXISTS after the writer's cleanup = %d, %v; want 0", n, err)
	}
}
