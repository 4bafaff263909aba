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

// testAuditRange checks reads from a cursor: windows of the trail by
// sequence number, an empty read past the end, and refused bad arguments.
func testAuditRange(t *testing.T, s core.Store) {
	if es, err := s.AuditRange(t.Context(), 0, 10); err != nil || len(es) != 0 {
		t.Fatalf("AuditRange on an empty store = %d events, %v; want none", len(es), err)
	}
	var c core.Change
	for i := range 10 {
		c.Audit = append(c.Audit, newEvent("alice", fmt.Sprintf("action-%d", i), ""))
	}
	mustApply(t, s, c)
	for _, r := range []struct {
		after      int64
		limit      int
		first, end int64 // want events first..end-1
	}{
		{0, 3, 1, 4}, {3, 3, 4, 7}, {8, 5, 9, 11}, {9, 1, 10, 11}, {10, 5, 0, 0}, {1000, 5, 0, 0}, {0, 100, 1, 11},
	} {
		es, err := s.AuditRange(t.Context(), r.after, r.limit)
		if err != nil {
			t.Fatalf("AuditRange(%d, %d): %v", r.after, r.limit, err)
		}
		if int64(len(es)) != r.end-r.first {
			t.Fatalf("AuditRange(%d, %d) = %d events, want %d", r.after, r.limit, len(es), r.end-r.first)
		}
		for i, e := range es {
			if want := r.first + int64(i); e.Seq != want || e.Action != fmt.Sprintf("action-%d", want-1) || e.Hash != e.ComputeHash() {
				t.Fatalf("AuditRange(%d, %d)[%d] = #%d %s, want #%d with its own hash", r.after, r.limit, i, e.Seq, e.Action, want)
			}
		}
	}
	head, err := s.AuditHead(t.Context())
	if err != nil || head.Seq != 10 {
		t.Fatalf("AuditHead = %+v, %v; want seq 10", head, err)
	}
	for _, bad := range []struct {
		after int64
		limit int
	}{{0, 0}, {0, -1}, {-1, 5}} {
		if _, err := s.AuditRange(t.Context(), bad.after, bad.limit); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("AuditRange(%d, %d): %v, want EINVALID", bad.after, bad.limit, err)
		}
	}
}
