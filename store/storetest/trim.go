package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// testTrimAudit checks that trimming drops the events up to a checkpoint
// only when the store holds that event with that hash, that the trail
// then reads from the checkpoint on, and that appends continue the chain.
func testTrimAudit(t *testing.T, s core.Store) {
	ctx := context.Background()
	var c core.Change
	for i := range 10 {
		c.Audit = append(c.Audit, newEvent("alice", fmt.Sprintf("action-%d", i), ""))
	}
	mustApply(t, s, c)
	all, err := s.AuditRange(ctx, 0, 100)
	if err != nil || len(all) != 10 {
		t.Fatalf("AuditRange = %d events, %v", len(all), err)
	}
	four := core.AuditHead{Seq: 4, Hash: all[3].Hash}
	if err := s.TrimAudit(ctx, core.AuditHead{Seq: 4, Hash: all[4].Hash}); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("trim to event 4 with another event's hash: %v, want ECONFLICT", err)
	}
	if err := s.TrimAudit(ctx, core.AuditHead{Seq: 40, Hash: all[3].Hash}); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("trim past the head: %v, want ECONFLICT", err)
	}
	if cp, err := s.AuditCheckpoint(ctx); err != nil || cp != (core.AuditHead{}) {
		t.Fatalf("checkpoint before any trim = %+v, %v", cp, err)
	}
	if err := s.TrimAudit(ctx, four); err != nil {
		t.Fatalf("trim to event 4: %v", err)
	}
	if cp, err := s.AuditCheckpoint(ctx); err != nil || cp != four {
		t.Fatalf("checkpoint = %+v, %v; want %+v", cp, err, four)
	}
	hot, err := s.AuditRange(ctx, 0, 100)
	if err != nil || len(hot) != 6 || hot[0].Seq != 5 || hot[0].PrevHash != four.Hash {
		t.Fatalf("after the trim the trail reads %d events from #%d, %v; want 6 from #5 chained to #4", len(hot), first(hot), err)
	}
	if es, err := s.AuditRange(ctx, 6, 2); err != nil || len(es) != 2 || es[0].Seq != 7 {
		t.Fatalf("AuditRange(6, 2) after the trim = %v, %v", es, err)
	}
	if err := s.TrimAudit(ctx, core.AuditHead{Seq: 3, Hash: all[2].Hash}); err != nil {
		t.Fatalf("trim before the checkpoint: %v, want nothing done", err)
	}
	mustApply(t, s, core.Change{Audit: []core.AuditEvent{newEvent("bob", "after-trim", "")}})
	head, err := s.AuditHead(ctx)
	if err != nil || head.Seq != 11 {
		t.Fatalf("head after an append = %+v, %v; want seq 11", head, err)
	}
	hot, _ = s.AuditRange(ctx, 4, 100)
	v := core.VerifierFrom(four)
	for i := range hot {
		if err := v.Add(&hot[i]); err != nil {
			t.Fatalf("hot trail after the trim: %v", err)
		}
	}
	if err := v.End(head); err != nil {
		t.Fatal(err)
	}
}

func first(es []core.AuditEvent) int64 {
	if len(es) == 0 {
		return 0
	}
	return es[0].Seq
}
