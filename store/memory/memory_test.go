package memory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/memory"
	"github.com/elevate-pim/elevate/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return memory.New() })
}

// manualClock is a core.Clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClock() *manualClock {
	return &manualClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func TestWindowEndsByInjectedClock(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.WithClock(clock))
	w := core.Window{Principal: "alice", Role: "prod-db", RequestID: "r-1", Start: clock.Now(), End: clock.Now().Add(time.Hour)}
	if err := s.Apply(t.Context(), core.Change{OpenWindows: []core.WindowWrite{{Window: w, TTL: time.Hour}}}); err != nil {
		t.Fatal(err)
	}

	clock.advance(time.Hour - time.Nanosecond)
	if got, err := s.Window(t.Context(), "alice", "prod-db"); err != nil || *got != w {
		t.Fatalf("Window just before the TTL = %+v, %v; want %+v", got, err, w)
	}
	clock.advance(time.Nanosecond)
	if _, err := s.Window(t.Context(), "alice", "prod-db"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Window at the TTL: %v, want ENOTFOUND", err)
	}
	if ws, err := s.Windows(t.Context(), "prod-db"); err != nil || len(ws) != 0 {
		t.Fatalf("Windows at the TTL = %+v, %v; want none", ws, err)
	}
}

func TestWindowTTLIsNotItsEnd(t *testing.T) {
	// The key lives for its TTL: a window whose End says otherwise is still
	// governed by the TTL, as a Redis key would be.
	clock := newClock()
	s := memory.New(memory.WithClock(clock))
	w := core.Window{Principal: "alice", Role: "prod-db", Start: clock.Now(), End: clock.Now().Add(time.Minute)}
	if err := s.Apply(t.Context(), core.Change{OpenWindows: []core.WindowWrite{{Window: w, TTL: time.Hour}}}); err != nil {
		t.Fatal(err)
	}
	clock.advance(30 * time.Minute)
	if _, err := s.Window(t.Context(), "alice", "prod-db"); err != nil {
		t.Fatalf("Window within its TTL, past its End: %v", err)
	}
}

func TestOnceExpiresByInjectedClock(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.WithClock(clock))
	once := func() bool {
		t.Helper()
		first, err := s.Once(t.Context(), "evt-1", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !once() {
		t.Fatal("first sight reported as seen")
	}
	clock.advance(time.Minute - time.Nanosecond)
	if once() {
		t.Fatal("sight within the ttl reported as new")
	}
	clock.advance(time.Nanosecond)
	if !once() {
		t.Fatal("sight at the ttl reported as seen")
	}
}

func TestClaimedJobsShowTheirLease(t *testing.T) {
	s := memory.New()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	j := core.Job{Kind: core.JobExpire, Ref: "r-1", Due: now}
	if err := s.Apply(t.Context(), core.Change{Schedule: []core.Job{j}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimJobs(t.Context(), now, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	js, err := s.Jobs(t.Context())
	if err != nil || len(js) != 1 || !js[0].Lease.Equal(now.Add(time.Minute)) || !js[0].Due.Equal(now) {
		t.Fatalf("Jobs = %+v, %v; want the job leased until %v", js, err, now.Add(time.Minute))
	}
}

func TestCanceledContext(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Apply(ctx, core.Change{Requests: []core.RequestWrite{{Request: &core.Request{ID: "r-1"}}}}); err == nil {
		t.Fatal("Apply with a canceled context succeeded")
	}
	if _, err := s.Request(t.Context(), "r-1"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Apply with a canceled context wrote: %v", err)
	}
}
