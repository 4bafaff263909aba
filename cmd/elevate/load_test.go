package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

var (
	loadWindows  = flag.Int("load.windows", 0, "TestLoadMassExpiry: how many windows end in the same second (0 skips the load test)")
	loadReplicas = flag.Int("load.replicas", 3, "TestLoadMassExpiry: how many replicas run schedulers")
)

// revokeClock records when each request's revoke was called.
type revokeClock struct {
	mu sync.Mutex
	at map[string][]time.Time
}

func (r *revokeClock) Name() string                            { return "load" }
func (r *revokeClock) Grant(context.Context, core.Grant) error { return nil }
func (r *revokeClock) Revoke(_ context.Context, g core.Grant) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at[g.RequestID] = append(r.at[g.RequestID], time.Now())
	return nil
}

// TestLoadMassExpiry is the load script behind scripts/load-expiry.sh: N
// windows end in the same second on Redis with -load.replicas replicas
// (three by default) running schedulers; it reports how late each revoke was called after its window
// ended, and fails if any window was revoked, or audited as expired, other
// than exactly once.
func TestLoadMassExpiry(t *testing.T) {
	n := *loadWindows
	if n == 0 {
		t.Skip("run with -args -load.windows=N (scripts/load-expiry.sh)")
	}
	target := &revokeClock{at: map[string][]time.Time{}}
	prefix := redistest.NewPrefix(t)
	dir, seed := svcDirectory(n)
	replicas := make([]*core.Service, 1+max(1, *loadReplicas)) // one to open the windows, the others to expire them
	var audit core.AuditReader
	for i := range replicas {
		st := redis.New(redistest.NewClient(t), redis.WithPrefix(prefix))
		audit = st
		svc, err := core.NewService(core.Config{Store: st, Directory: dir, Targets: oneTarget{target}})
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = svc
	}
	ctx := context.Background()
	if err := replicas[0].SeedAssignments(ctx, seed); err != nil {
		t.Fatal(err)
	}
	// Open the windows so that all end in one second, well after they are open.
	lead := time.Duration(n/1000+5) * time.Second // opening runs at 2 000 to 5 000 a second
	end := time.Now().Add(lead).Truncate(time.Second)
	ends := make(map[string]time.Time, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	opened := time.Now()
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			at := end.Add(time.Duration(i%1000) * time.Millisecond) // spread over the second
			r, err := replicas[0].RequestActivation(ctx, core.Caller{Principal: fmt.Sprintf("p%d", i)}, core.ActivationInput{Role: "svc", Duration: time.Until(at)})
			if err != nil {
				t.Errorf("activate %d: %v", i, err)
				return
			}
			mu.Lock()
			ends[r.ID] = r.EndsAt
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() || time.Now().After(end) {
		t.Fatalf("opening %d windows took %v, past their end", n, time.Since(opened))
	}
	t.Logf("opened %d windows in %v (%.0f/s)", n, time.Since(opened), float64(n)/time.Since(opened).Seconds())
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	for _, svc := range replicas[1:] {
		go svc.Run(runCtx, func(err error) { t.Errorf("scheduler: %v", err) })
	}
	deadline := end.Add(time.Second + 30*time.Second)
	for {
		target.mu.Lock()
		done := len(target.at)
		target.mu.Unlock()
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d windows revoked", done, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	var late []time.Duration
	for id, at := range target.at {
		if len(at) != 1 {
			t.Errorf("%s revoked %d times", id, len(at))
		}
		late = append(late, at[0].Sub(ends[id]))
	}
	// Exactly once in the audit trail too: one "expire" event per window.
	expired := map[string]int{}
	if _, err := core.ScanAudit(ctx, audit, 0, func(e *core.AuditEvent) error {
		if e.Action == "expire" {
			expired[e.RequestID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id := range ends {
		if expired[id] != 1 {
			t.Errorf("%s audited as expired %d times", id, expired[id])
		}
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	q := func(p float64) time.Duration { return late[int(p*float64(len(late)-1))].Round(time.Millisecond) }
	t.Logf("%d windows ending in one second, schedulers on %d replica(s): revoke called p50 %v, p99 %v, max %v after the window's end",
		n, len(replicas)-1, q(0.5), q(0.99), late[len(late)-1].Round(time.Millisecond))
}
