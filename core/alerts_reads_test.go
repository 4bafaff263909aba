package core_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/memory"
)

// auditCounter is a store that counts the audit events read from it.
type auditCounter struct {
	core.Store
	read atomic.Int64
}

func (c *auditCounter) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	events, err := c.Store.AuditRange(ctx, after, limit)
	c.read.Add(int64(len(events)))
	return events, err
}

// TestAlertScanReadsOnlyThePeriod: with a long audit trail behind them,
// activated_too_often and unused_eligibility read the events of their
// periods (found by a binary search) and the last-activation index, not
// the whole trail, and still find what they should.
func TestAlertScanReadsOnlyThePeriod(t *testing.T) {
	const old = 20000
	clock := clocktest.New(t0)
	st := &auditCounter{Store: memory.New(memory.WithClock(clock))}
	h := newHarnessOn(t, clock, st, withRule(core.AlertActivatedTooOften, core.AlertRule{Severity: core.SeverityLow, Threshold: 2, Period: 24 * time.Hour},
		withRule(core.AlertUnusedEligibility, core.AlertRule{Severity: core.SeverityLow, Period: 30 * 24 * time.Hour})))
	ctx := context.Background()
	activateAndDrop(t, h, "bob", "staging") // bob's use, long ago
	trail := make([]core.AuditEvent, 0, 1000)
	for i := range old {
		trail = append(trail, core.AuditEvent{Time: clock.Now(), Actor: "test", Action: "note", Reason: "filler"})
		if len(trail) == cap(trail) || i == old-1 {
			if err := st.Apply(ctx, core.Change{Audit: trail}); err != nil {
				t.Fatal(err)
			}
			trail = trail[:0]
		}
	}
	h.advance(t, 40*24*time.Hour)
	for range 3 {
		activateAndDrop(t, h, "alice", "staging")
	}
	st.read.Store(0)
	h.scan(t)
	if n := st.read.Load(); n > 200 {
		t.Fatalf("the scan read %d audit events of a trail of more than %d", n, old)
	}
	wantOpen(t, h, core.AlertActivatedTooOften, "", core.SeverityLow, "alice/staging")
	a := wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityLow, "alice/billing", "alice/prod-db", "alice/vault", "bob/staging")
	for _, r := range a.Report {
		if r.Subject == "bob/staging" && r.Detail != "last activated "+t0.UTC().Format("2006-01-02 15:04 MST") {
			t.Fatalf("bob's row = %+v, want his activation from the index", r)
		}
	}
}
