package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestMarkersAreForgottenByTheStoreClock: the ids of applied Changes and
// the Once keys are kept ten minutes (their ttl) by the store's clock, not
// Redis's: a script re-sent within them is a no-op and a Once key is seen;
// once the fake clock has moved past them, a Once key is new, and the
// writes that follow forget the old members, so both sets hold only what
// is within its ttl.
func TestMarkersAreForgottenByTheStoreClock(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	prefix := redistest.NewPrefix(t)
	s := redis.New(redistest.NewClient(t), redis.WithPrefix(prefix), redis.WithClock(clock))
	raw := redistest.NewClient(t)
	size := func(set string) int64 {
		t.Helper()
		n, err := raw.ZCard(ctx, "{"+prefix+"}:"+set).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	newRequest := core.Change{Requests: []core.RequestWrite{{Request: &core.Request{ID: "r-1", Principal: "alice", Role: "ops", State: core.PendingApproval}}}}
	send, resend, err := redis.ApplyResent(ctx, s, newRequest)
	if err != nil {
		t.Fatal(err)
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(9 * time.Minute)
	if err := resend(); err != nil {
		t.Fatalf("a script re-sent within ten minutes ran again: %v", err)
	}
	const n = 200
	for i := range n {
		mustApply(t, s, core.Change{Schedule: []core.Job{{Kind: core.JobPurge, Ref: fmt.Sprint(i), Due: clock.Now()}}})
		if fresh, err := s.Once(ctx, fmt.Sprint("k", i), 10*time.Minute); err != nil || !fresh {
			t.Fatalf("Once(k%d) = %v, %v", i, fresh, err)
		}
	}
	if got := size("applied"); got != n+1 {
		t.Fatalf("%d applied ids held, want %d", got, n+1)
	}
	if fresh, _ := s.Once(ctx, "k0", 10*time.Minute); fresh {
		t.Fatal("a Once key within its ttl reported new")
	}

	clock.Advance(11 * time.Minute) // Redis's clock has hardly moved
	if fresh, _ := s.Once(ctx, "k0", 10*time.Minute); !fresh {
		t.Fatal("a Once key past its ttl by the store's clock reported seen")
	}
	const later = 30
	for i := range later {
		mustApply(t, s, core.Change{Schedule: []core.Job{{Kind: core.JobPurge, Ref: fmt.Sprint("later", i), Due: clock.Now()}}})
		if _, err := s.Once(ctx, fmt.Sprint("later", i), 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if got := size("applied"); got != later {
		t.Fatalf("%d applied ids held after %d more writes, want only those %d", got, later, later)
	}
	if got := size("once"); got != later+1 {
		t.Fatalf("%d Once keys held after %d more, want only those and k0 (%d)", got, later, later+1)
	}
}
