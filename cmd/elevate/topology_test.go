package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestSentinelFailoverMidTraffic: two serving replicas on a Sentinel
// deployment (master, replica, three sentinels); half of the activations
// run before SENTINEL FAILOVER and half while it happens. Each activation
// ends in one outcome (a retry at most, never two requests), every window
// is granted once and revoked once, and the audit chain is intact on the
// new master.
func TestSentinelFailoverMidTraffic(t *testing.T) {
	d := redistest.StartSentinel(t)
	trafficThrough(t, d.URL, "", func() { d.Failover(t) })
}

// TestClusterTraffic: the same traffic on a three-master Redis Cluster.
func TestClusterTraffic(t *testing.T) {
	url := redistest.StartCluster(t)
	trafficThrough(t, url, "cluster", nil)
}

// trafficThrough runs activations of short windows through two serving
// replicas on the Redis deployment at url, calling mid (if any) while the
// second half of them runs, and checks that each ended once: one request
// per principal, granted once, expired, revoked once.
func trafficThrough(t *testing.T, url, mode string, mid func()) {
	const n = 24
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, n)
	t.Setenv("ELEVATE_REDIS_URL", url)
	t.Setenv("ELEVATE_REDIS_MODE", mode)
	t.Setenv("ELEVATE_JOB_LEASE", "2s")
	replicas := []*Main{mustMain(t, cfg, true), mustMain(t, cfg, true)}
	ctx := context.Background()

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  = map[string]string{} // principal → request id
		done = make(chan struct{}) // closed once mid has returned: the deployment is settled
	)
	settled := make(chan struct{})
	close(settled) // before mid, nothing unsettles it
	activate := func(i int, settled <-chan struct{}) {
		defer wg.Done()
		p := fmt.Sprintf("p%d", i)
		svc := replicas[i%2].Service
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := svc.RequestActivation(ctx, core.Caller{Principal: p, Source: "test"}, core.ActivationInput{Role: "svc", Duration: 1500 * time.Millisecond})
			if err == nil {
				mu.Lock()
				ids[p] = r.ID
				mu.Unlock()
				return
			}
			if core.ErrorCode(err) == core.ECONFLICT {
				// An earlier attempt whose answer was lost holds the slot,
				// or held it on a master that was then demoted, losing it.
				// Once the failover settled, a request that is still there
				// (open or its window) did happen; otherwise retry.
				<-settled
				if open, _ := replicas[i%2].Store.OpenRequestsOf(ctx, p); len(open) > 0 {
					return
				}
				continue
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: no activation within 30s: %v", p, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for i := range n / 2 {
		wg.Add(1)
		go activate(i, settled)
	}
	wg.Wait()
	go func() {
		defer close(done)
		if mid != nil {
			mid()
		}
	}()
	for i := n / 2; i < n; i++ {
		wg.Add(1)
		go activate(i, done)
		time.Sleep(150 * time.Millisecond) // spread over the failover, which takes a second or two
	}
	wg.Wait()
	<-done

	// Every principal's requests, as the audit trail on the (new) master
	// has them. An attempt that failed only because no replica confirmed it
	// in time may still stand (it is on the new master): its window is
	// real, so the outbox may grant it, once at most; it too must expire
	// and be revoked once, and it must have ended before the retry began.
	deadline := time.Now().Add(40 * time.Second)
	for i := range n {
		p := fmt.Sprintf("p%d", i)
		var reqs []*core.Request
		for {
			reqs = reqs[:0]
			settled := true
			for _, id := range requestsOf(t, replicas[0].Store, p) {
				r, err := replicas[0].Store.Request(ctx, id)
				if err != nil {
					t.Fatalf("%s: request %s of the audit trail: %v", p, id, err)
				}
				revokes, _ := rcv.count("revoke", id)
				settled = settled && r.State == core.Expired && revokes == 1
				reqs = append(reqs, r)
			}
			if settled && len(reqs) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: requests %v, want each expired and revoked once", p, reqs)
			}
			time.Sleep(50 * time.Millisecond)
		}
		want, answered := ids[p]
		found := false
		for i, r := range reqs {
			grants, _ := rcv.count("grant", r.ID)
			if r.ID == want {
				found = true
				if grants != 1 {
					t.Errorf("%s: the activation that succeeded (%s) was granted %d times", p, r.ID, grants)
				}
			} else if grants > 1 {
				t.Errorf("%s: %s, whose activation did not report success, was granted %d times", p, r.ID, grants)
			}
			if i > 0 && reqs[i-1].EndsAt.After(r.ActivatedAt) {
				t.Errorf("%s: windows of %s and %s overlap", p, reqs[i-1].ID, r.ID)
			}
		}
		if answered && !found {
			t.Errorf("%s: activation returned %s, which the trail does not hold", p, want)
		}
	}
	events, head, err := core.ReadAudit(ctx, replicas[1].Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(events, head); err != nil {
		t.Fatalf("audit chain after the traffic: %v", err)
	}
}

// requestsOf returns the ids of the requests the audit trail records for principal.
func requestsOf(t *testing.T, st core.Store, principal string) []string {
	t.Helper()
	events, _, err := core.ReadAudit(context.Background(), st, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.Principal == principal && e.RequestID != "" && !slices.Contains(out, e.RequestID) {
			out = append(out, e.RequestID)
		}
	}
	return out
}
