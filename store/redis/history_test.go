package redis_test

import (
	"context"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestHistoryLeavesNoEntryBehind: a purged request's entry leaves its
// principal's history sorted set, and indexing it again adds none, so the
// history holds exactly the stored requests.
func TestHistoryLeavesNoEntryBehind(t *testing.T) {
	ctx := context.Background()
	client := redistest.NewClient(t)
	prefix := redistest.NewPrefix(t)
	s := redis.New(client, redis.WithPrefix(prefix))
	key := "{" + prefix + "}:reqof:alice"
	r := &core.Request{ID: "r-1", Principal: "alice", Role: "db", State: core.Expired}
	if err := s.Apply(ctx, core.Change{Requests: []core.RequestWrite{{Request: r}}}); err != nil {
		t.Fatal(err)
	}
	if n := client.ZCard(ctx, key).Val(); n != 1 {
		t.Fatalf("history holds %d entries, want 1", n)
	}
	if err := s.PurgeRequest(ctx, "r-1", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexRequests(ctx, []*core.Request{r}); err != nil {
		t.Fatal(err)
	}
	if n := client.ZCard(ctx, key).Val(); n != 0 {
		t.Fatalf("history holds %d entries after the purge, want 0", n)
	}
}
