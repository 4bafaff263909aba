package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// activateAndDrop activates role as p and ends it at once.
func activateAndDrop(t *testing.T, h *harness, p, role string) {
	t.Helper()
	r := h.mustRequest(t, as(p), core.ActivationInput{Role: role})
	if _, err := h.svc.Deactivate(context.Background(), as(p), r.ID); err != nil {
		t.Fatal(err)
	}
}

func TestAlertActivatedTooOften(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium, Threshold: 2, Period: 6 * time.Hour}
	onStores(t, withRule(core.AlertActivatedTooOften, rule), func(t *testing.T, h *harness) {
		activateAndDrop(t, h, "bob", "staging")
		activateAndDrop(t, h, "bob", "staging")
		h.advance(t, time.Minute) // the triggered check runs
		noAlert(t, h, core.AlertActivatedTooOften)

		activateAndDrop(t, h, "bob", "staging") // a third within 6h: more than 2
		h.advance(t, time.Minute)
		a := wantOpen(t, h, core.AlertActivatedTooOften, "", core.SeverityMedium, "bob/staging")
		if a.Report[0].Principal != "bob" || a.Report[0].Role != "staging" {
			t.Fatalf("report = %+v", a.Report)
		}
		activateAndDrop(t, h, "bob", "staging")
		activateAndDrop(t, h, "alice", "staging")
		h.advance(t, time.Minute)
		h.scan(t)
		wantOpen(t, h, core.AlertActivatedTooOften, "", core.SeverityMedium, "bob/staging")

		h.advance(t, 6*time.Hour) // the activations leave the period; the hourly scan sees it
		if a := h.alert(t, core.AlertActivatedTooOften, ""); a.Status != core.AlertResolved {
			t.Fatalf("status after the period = %s", a.Status)
		}
		wantTrail(t, h, core.AlertActivatedTooOften, "", "alert_open", "alert_update", "alert_resolve")
	})
}

func TestAlertUnusedEligibility(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium, Period: 10 * 24 * time.Hour}
	onStores(t, withRule(core.AlertUnusedEligibility, rule), func(t *testing.T, h *harness) {
		ctx := context.Background()
		// Only bob's and alice's staging eligibilities matter here.
		for _, r := range []string{"prod-db", "vault", "billing"} {
			if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, "alice", r); err != nil {
				t.Fatal(err)
			}
		}
		h.advance(t, 10*24*time.Hour-time.Hour)
		h.scan(t)
		noAlert(t, h, core.AlertUnusedEligibility)
		activateAndDrop(t, h, "alice", "staging") // alice uses hers
		h.advance(t, time.Hour)
		a := wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityMedium, "bob/staging")
		if a.Report[0].Command != "unassign bob staging eligible" || a.Report[0].Action != "Remove" {
			t.Fatalf("row = %+v, want a Remove action", a.Report[0])
		}
		h.advance(t, 10*24*time.Hour) // now alice's is idle too
		wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityMedium, "alice/staging", "bob/staging")
		// The Remove action, then alice activates: the condition clears.
		if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, "bob", "staging"); err != nil {
			t.Fatal(err)
		}
		h.advance(t, time.Minute)
		wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityMedium, "alice/staging")
		activateAndDrop(t, h, "alice", "staging")
		h.advance(t, time.Minute)
		if a := h.alert(t, core.AlertUnusedEligibility, ""); a.Status != core.AlertResolved {
			t.Fatalf("status = %s", a.Status)
		}
		wantTrail(t, h, core.AlertUnusedEligibility, "", "alert_open", "alert_update", "alert_update", "alert_resolve")
	})
}
