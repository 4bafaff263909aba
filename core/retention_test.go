package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
)

// TestFinalRequestsArePurgedAfterRetention: with the default 90 days, an
// expired and a denied request are still there on day 89 of being final
// and gone on day 91; an open request is kept; their audit events remain
// and the chain verifies. On memory and on Redis.
func TestFinalRequestsArePurgedAfterRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		h := newHarnessOn(t, clock, newStore(clock), nil)
		ctx := context.Background()
		expired := h.mustRequest(t, as("alice"), core.ActivationInput{Role: "staging", Duration: time.Hour})
		denied := h.mustRequest(t, as("alice"), prodDB())
		if _, err := h.svc.Deny(ctx, as("bob"), denied.ID, "not now"); err != nil {
			t.Fatal(err)
		}
		h.advance(t, 2*time.Hour) // staging expires
		if got := h.mustGet(t, expired.ID); got.State != core.Expired {
			t.Fatalf("staging is %s", got.State)
		}
		open := h.mustRequest(t, as("alice"), core.ActivationInput{Role: "vault", Duration: 30 * time.Minute})
		before := len(h.actions(t, expired.ID)) + len(h.actions(t, denied.ID))

		h.advance(t, 89*24*time.Hour)
		h.mustGet(t, expired.ID)
		h.mustGet(t, denied.ID)
		h.advance(t, 2*24*time.Hour)
		for _, id := range []string{expired.ID, denied.ID} {
			if _, err := h.store.Request(ctx, id); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("%s final for 91 days: %v, want it gone", id, err)
			}
		}
		// The open request timed out meanwhile (a final state too, but only
		// for 91 days minus its 24 h timeout): still kept.
		if got := h.mustGet(t, open.ID); got.State != core.TimedOut {
			t.Fatalf("vault request is %s", got.State)
		}
		after := len(h.actions(t, expired.ID)) + len(h.actions(t, denied.ID)) // verifies the chain too
		if after != before || before == 0 {
			t.Fatalf("audit events of purged requests: %d before, %d after", before, after)
		}
		if st, err := h.svc.StatusOf(ctx, as("alice")); err != nil {
			t.Fatalf("status after the purge: %v (%+v)", err, st)
		}
		jobs, err := h.store.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Ref == expired.ID || j.Ref == denied.ID {
				t.Fatalf("job %s left for a purged request", j.ID())
			}
		}
	})
}

// TestRetentionIsConfigurable: a shorter retention purges sooner.
func TestRetentionIsConfigurable(t *testing.T) {
	h := newHarnessWith(t, func(c *core.Config) { c.RequestRetention = 7 * 24 * time.Hour })
	r := h.mustRequest(t, as("alice"), core.ActivationInput{Role: "staging", Duration: time.Hour})
	if _, err := h.svc.Deactivate(context.Background(), as("alice"), r.ID); err != nil {
		t.Fatal(err)
	}
	h.advance(t, 6*24*time.Hour)
	h.mustGet(t, r.ID)
	h.advance(t, 2*24*time.Hour)
	if _, err := h.store.Request(context.Background(), r.ID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("revoked 8 days ago with a 7-day retention: %v", err)
	}
}
