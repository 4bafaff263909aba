package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// testAuditChain checks that events appended across Changes come back in
// order, numbered from 1, with a chain and head that verify.
func testAuditChain(t *testing.T, s core.Store) {
	if es, head := mustAudit(t, s); len(es) != 0 || head != (core.AuditHead{}) {
		t.Fatalf("empty store's audit = %+v, head %+v", es, head)
	}

	var want []core.AuditEvent
	for i, n := range []int{1, 2, 3} {
		var c core.Change
		for j := range n {
			e := newEvent("alice", fmt.Sprintf("action-%d-%d", i, j), "r-1")
			c.Audit = append(c.Audit, e)
			want = append(want, e)
		}
		mustApply(t, s, c)
	}

	got, head := mustAudit(t, s)
	if len(got) != len(want) {
		t.Fatalf("audit has %d events, want %d", len(got), len(want))
	}
	for i, e := range got {
		w := want[i]
		if e.Seq != int64(i+1) || e.Action != w.Action || e.Actor != w.Actor || e.RequestID != w.RequestID ||
			e.Principal != w.Principal || e.Role != w.Role || e.Duration != w.Duration || e.Reason != w.Reason ||
			e.Source != w.Source || !e.Time.Equal(w.Time) {
			t.Fatalf("event %d = %+v, want %+v with seq %d", i, e, w, i+1)
		}
	}
	last := got[len(got)-1]
	if head.Seq != last.Seq || head.Hash != last.Hash {
		t.Fatalf("head = %+v, want the last event's seq %d and hash %s", head, last.Seq, last.Hash)
	}
}

// testConcurrentAudit checks that concurrent appends keep one intact chain.
func testConcurrentAudit(t *testing.T, s core.Store) {
	const writers = 20
	mustApply(t, s, core.Change{Audit: []core.AuditEvent{newEvent("system", "start", "")}})

	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, writers)
	)
	for i := range writers {
		wg.Go(func() {
			<-start
			errs[i] = s.Apply(t.Context(), core.Change{Audit: []core.AuditEvent{
				newEvent(fmt.Sprintf("actor-%d", i), "first", ""),
				newEvent(fmt.Sprintf("actor-%d", i), "second", ""),
			}})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}

	es, head := mustAudit(t, s)
	if len(es) != 1+2*writers || head.Seq != int64(len(es)) {
		t.Fatalf("audit has %d events, head seq %d; want %d", len(es), head.Seq, 1+2*writers)
	}
	// One Change's events are appended together, in order.
	for i := 1; i < len(es); i += 2 {
		if es[i].Actor != es[i+1].Actor || es[i].Action != "first" || es[i+1].Action != "second" {
			t.Fatalf("events %d and %d = %s/%s and %s/%s: one change's events were split or reordered",
				es[i].Seq, es[i+1].Seq, es[i].Actor, es[i].Action, es[i+1].Actor, es[i+1].Action)
		}
	}
}
