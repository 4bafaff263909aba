package main

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// waitRevoked waits until every request in ids was revoked at the receiver, or fails.
func waitRevoked(t *testing.T, rcv *receiver, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		missing := 0
		for _, id := range ids {
			if n, _ := rcv.count("revoke", id); n == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d windows were never revoked", missing, len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestThreeSchedulersRunEachJobOnce: 1 000 windows end in the same second
// with three replicas running schedulers on one Redis: every window is
// revoked exactly once and expires exactly once.
func TestThreeSchedulersRunEachJobOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("1 000 activations")
	}
	const n, probe = 1000, 32
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, n+probe)
	a := mustMain(t, cfg, false)
	ctx := context.Background()
	// The windows must all be open before their common end, however busy
	// the machine: time the opening of probe windows (an hour long, out of
	// the count) and give the 1 000 three times what that rate needs.
	open := func(from, to int, d func() time.Duration) []string {
		ids := make([]string, to-from)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for i := from; i < to; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				c := core.Caller{Principal: "p" + itoa(i), Source: "test"}
				r, err := a.Service.RequestActivation(ctx, c, core.ActivationInput{Role: "svc", Duration: d()})
				if err != nil {
					t.Errorf("activate %d: %v", i, err)
					return
				}
				ids[i-from] = r.ID
			}()
		}
		wg.Wait()
		return ids
	}
	began := time.Now()
	open(n, n+probe, func() time.Duration { return time.Hour })
	need := time.Since(began) * n / probe
	end := time.Now().Add(max(3*need, 5*time.Second)).Truncate(time.Second).Add(time.Second)
	ids := open(0, n, func() time.Duration { return time.Until(end) })
	t.Logf("opened %d windows, %v before their end (probe rate: %v for all)", n, time.Until(end).Round(time.Millisecond), need.Round(time.Millisecond))
	if t.Failed() || time.Now().After(end) {
		t.Fatalf("could not open %d windows before their common end", n)
	}
	for range 3 {
		mustMain(t, cfg, true)
	}
	waitRevoked(t, rcv, ids, time.Until(end)+20*time.Second)
	for _, id := range ids {
		if got, _ := rcv.count("revoke", id); got != 1 {
			t.Fatalf("%s revoked %d times", id, got)
		}
	}
	events, _, err := core.ReadAudit(ctx, a.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	expired := 0
	for _, e := range events {
		if e.Action == "expire" && slices.Contains(ids, e.RequestID) {
			expired++
		}
	}
	if expired != n {
		t.Fatalf("%d expiries audited, want %d", expired, n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestAbandonedJobRunsAfterTheLease: a replica that claims the expiry job
// and dies leaves it to another replica, which runs it once the lease ends.
func TestAbandonedJobRunsAfterTheLease(t *testing.T) {
	t.Setenv("ELEVATE_JOB_LEASE", "1s")
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	dead := mustMain(t, cfg, false)
	ctx := context.Background()
	r, err := dead.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "svc", Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(r.EndsAt) + 50*time.Millisecond)
	claimed, err := dead.Store.ClaimJobs(ctx, time.Now(), time.Second, 100)
	if err != nil || !slices.ContainsFunc(claimed, func(j core.Job) bool { return j.Kind == core.JobExpire && j.Ref == r.ID }) {
		t.Fatalf("claim: %v %+v", err, claimed)
	}
	claimedAt := time.Now()
	mustMain(t, cfg, true) // the survivor
	waitRevoked(t, rcv, []string{r.ID}, 5*time.Second)
	_, at := rcv.count("revoke", r.ID)
	if wait := at.Sub(claimedAt); wait < 900*time.Millisecond {
		t.Fatalf("the survivor ran the job %v after the claim, inside the dead replica's lease", wait)
	}
	if got, _ := dead.Store.Request(ctx, r.ID); got.State != core.Expired {
		t.Fatalf("state = %s", got.State)
	}
}

// TestServeSurvivesSIGKILL: `elevate serve` killed with SIGKILL while
// windows end; after a restart every due revoke has run, no window is
// left or doubled, and pending requests are still pending.
func TestServeSurvivesSIGKILL(t *testing.T) {
	t.Setenv("ELEVATE_JOB_LEASE", "1s")
	elevateBinary(t)
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 20)
	m := mustMain(t, cfg, false)
	ctx := context.Background()
	var ids []string
	for i := range 20 {
		d := time.Duration(300+150*i) * time.Millisecond // ending over 3 s
		r, err := m.Service.RequestActivation(ctx, core.Caller{Principal: "p" + itoa(i)}, core.ActivationInput{Role: "svc", Duration: d})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	pending, err := m.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "db", Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, pause := range []time.Duration{700 * time.Millisecond, 900 * time.Millisecond} {
		p := startServe(t, cfg)
		time.Sleep(pause)
		_ = p.Process.Signal(syscall.SIGKILL)
		_ = p.Wait()
	}
	startServe(t, cfg)
	waitRevoked(t, rcv, ids, 10*time.Second)
	for i, id := range ids {
		r, err := m.Store.Request(ctx, id)
		if err != nil || r.State != core.Expired {
			t.Fatalf("%s: %v %+v", id, err, r)
		}
		if _, err := m.Store.Window(ctx, "p"+itoa(i), "svc"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("window of p%d still there: %v", i, err)
		}
	}
	events, head, err := core.ReadAudit(ctx, m.Store, core.AuditFilter{})
	if err != nil || core.VerifyAudit(events, head) != nil {
		t.Fatalf("audit after kills: %v", err)
	}
	per := map[string]int{}
	for _, e := range events {
		if e.Action == "expire" {
			per[e.RequestID]++
		}
	}
	for _, id := range ids {
		if per[id] != 1 {
			t.Fatalf("%s expired %d times", id, per[id])
		}
	}
	if got, _ := m.Store.Request(ctx, pending.ID); got.State != core.PendingApproval {
		t.Fatalf("pending request is %s after the kills", got.State)
	}
}
