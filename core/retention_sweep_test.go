package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
)

// TestRetentionSweepPurgesRequestsFinalBeforeRetention: requests made final
// the way an elevate without retention wrote them (no purge job) are found
// by the one-time sweep, in several batches, and purged once final for
// longer than the retention; an open request stays; their audit events
// remain; a second start schedules no sweep. On memory and on Redis.
func TestRetentionSweepPurgesRequestsFinalBeforeRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		h := newHarnessOn(t, clock, newStore(clock), nil)
		ctx := context.Background()
		const old = 600 // more than two batches of the sweep
		var ch core.Change
		for i := range old {
			id := fmt.Sprintf("r-old-%03d", i)
			ch.Requests = append(ch.Requests, core.RequestWrite{Request: &core.Request{
				ID: id, Principal: "alice", Role: "staging", State: core.Expired,
				CreatedAt: t0.Add(-time.Hour), EndsAt: t0, DecidedAt: t0,
			}})
			ch.Audit = append(ch.Audit, core.AuditEvent{Time: t0, Actor: "system", Action: "expire", RequestID: id, Role: "staging", Principal: "alice"})
		}
		open := &core.Request{ID: "r-old-open", Principal: "bob", Role: "prod-db", State: core.PendingApproval, CreatedAt: t0}
		ch.Requests = append(ch.Requests, core.RequestWrite{Request: open})
		if err := h.store.Apply(ctx, ch); err != nil {
			t.Fatal(err)
		}
		before := len(h.actions(t, "r-old-007"))

		if err := h.svc.ScheduleRetentionSweep(ctx); err != nil {
			t.Fatal(err)
		}
		h.advance(t, time.Minute) // the sweep runs
		purges := 0
		jobs, err := h.store.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			switch {
			case j.Kind == core.JobRetentionSweep:
				t.Fatalf("the sweep is still scheduled after it ran: %+v", j)
			case j.Kind == core.JobPurge && j.Due.Equal(t0.Add(core.DefaultRequestRetention)):
				purges++
			}
		}
		if purges != old {
			t.Fatalf("%d purge jobs due 90 days after the requests became final, want %d", purges, old)
		}
		if err := h.svc.ScheduleRetentionSweep(ctx); err != nil {
			t.Fatal(err)
		}
		if jobs, _ := h.store.Jobs(ctx); hasKind(jobs, core.JobRetentionSweep) {
			t.Fatal("a second start scheduled the sweep again")
		}

		h.advance(t, 89*24*time.Hour)
		h.mustGet(t, "r-old-000")
		h.advance(t, 2*24*time.Hour)
		for i := range old {
			id := fmt.Sprintf("r-old-%03d", i)
			if _, err := h.store.Request(ctx, id); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("%s final for 91 days: %v, want it gone", id, err)
			}
		}
		if got := h.mustGet(t, open.ID); got.State != core.PendingApproval {
			t.Fatalf("the open request is %s", got.State)
		}
		if after := len(h.actions(t, "r-old-007")); after != before || before == 0 {
			t.Fatalf("audit events of a purged request: %d before, %d after", before, after)
		}
	})
}

func hasKind(jobs []core.Job, k core.JobKind) bool {
	for _, j := range jobs {
		if j.Kind == k {
			return true
		}
	}
	return false
}
