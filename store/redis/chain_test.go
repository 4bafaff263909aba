package redis_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
)

// mustVerifiedAudit reads the whole audit trail of s and fails the test
// unless its chain and head verify.
func mustVerifiedAudit(t *testing.T, s *redis.Store) []core.AuditEvent {
	t.Helper()
	head, err := s.AuditHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.AuditRange(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(es, head); err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return es
}

func actions(es []core.AuditEvent) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

// TestStaleAuditHeadIsChainedAgain: a replica whose last-seen audit head
// was moved by another replica misses once, chains its events again from
// the head the script returns, and the trail stays one exact chain.
func TestStaleAuditHeadIsChainedAgain(t *testing.T) {
	stores, _, _ := newStores(t, 2)
	a, b := stores[0], stores[1]
	mustApply(t, a, core.Change{Audit: []core.AuditEvent{event("a", "first")}})
	mustApply(t, b, core.Change{Audit: []core.AuditEvent{event("b", "second"), event("b", "third")}})
	mustApply(t, a, core.Change{Audit: []core.AuditEvent{event("a", "fourth")}}) // a last saw head 1

	if got := redis.ChainMisses(a); got != 1 {
		t.Errorf("replica a missed %d times, want 1 (its head was stale once)", got)
	}
	if got := redis.ChainMisses(b); got != 0 {
		t.Errorf("replica b missed %d times, want 0", got)
	}
	es := mustVerifiedAudit(t, a)
	if got, want := fmt.Sprint(actions(es)), "[first second third fourth]"; got != want {
		t.Fatalf("audit = %s, want %s", got, want)
	}
}

// TestAuditWritersRacing: two replicas append audited Changes as fast as
// they can, each from many goroutines; every event is in the trail once,
// one Change's events together, in one chain that verifies. Run with the
// events chained in Go (compare-and-set on the head, chained again on a
// miss) and with the script chaining them (the fallback after misses).
func TestAuditWritersRacing(t *testing.T) {
	for _, inScript := range []bool{false, true} {
		t.Run(fmt.Sprintf("chained in script %v", inScript), func(t *testing.T) {
			if inScript {
				redis.ChainInScript(t)
			}
			stores, _, _ := newStores(t, 2)
			const writers, changes = 6, 15
			var wg sync.WaitGroup
			for r, s := range stores {
				for w := range writers {
					wg.Go(func() {
						for i := range changes {
							actor := fmt.Sprintf("r%d-w%d-%d", r, w, i)
							if err := s.Apply(t.Context(), core.Change{Audit: []core.AuditEvent{event(actor, "one"), event(actor, "two")}}); err != nil {
								t.Errorf("apply %s: %v", actor, err)
							}
						}
					})
				}
			}
			wg.Wait()
			es := mustVerifiedAudit(t, stores[0])
			if want := 2 * len(stores) * writers * changes; len(es) != want {
				t.Fatalf("audit has %d events, want %d", len(es), want)
			}
			seen := map[string]bool{}
			for i := 0; i < len(es); i += 2 {
				one, two := es[i], es[i+1]
				if one.Actor != two.Actor || one.Action != "one" || two.Action != "two" || seen[one.Actor] {
					t.Fatalf("events %d, %d = %s %s, %s %s: a Change's events split, reordered or repeated", one.Seq, two.Seq, one.Actor, one.Action, two.Actor, two.Action)
				}
				seen[one.Actor] = true
			}
			t.Logf("head misses: %d and %d", redis.ChainMisses(stores[0]), redis.ChainMisses(stores[1]))
		})
	}
}

// TestRefusedChangeInABatch: a Change whose check fails in the middle of
// a batch is refused alone; the Changes after it, whose chain no longer
// fits, are chained again and committed, without counting as contention.
func TestRefusedChangeInABatch(t *testing.T) {
	stores, _, _ := newStores(t, 1)
	s := stores[0]
	stale := &core.Request{ID: "r-missing", Principal: "alice", Role: "prod-db", State: core.PendingApproval}
	errs := redis.ApplyTogether(t.Context(), s, []core.Change{
		{Audit: []core.AuditEvent{event("a", "first")}},
		{Requests: []core.RequestWrite{{Request: stale, Expect: 3}}, Audit: []core.AuditEvent{event("b", "refused")}},
		{Audit: []core.AuditEvent{event("c", "second"), event("c", "third")}},
	})
	if errs[0] != nil || core.ErrorCode(errs[1]) != core.ECONFLICT || errs[2] != nil {
		t.Fatalf("outcomes = %v, want nil, ECONFLICT, nil", errs)
	}
	if got := redis.ChainMisses(s); got != 0 {
		t.Errorf("%d misses counted, want 0: the refused Change moved nothing", got)
	}
	es := mustVerifiedAudit(t, s)
	if got, want := fmt.Sprint(actions(es)), "[first second third]"; got != want {
		t.Fatalf("audit = %s, want %s", got, want)
	}
}
