package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// withBreakGlass adds role "bg", which bob alone may break glass into.
func withBreakGlass(cfg *core.Config) {
	cfg.Directory.Roles["bg"] = &core.Role{Name: "bg", BreakGlass: true, Critical: true, BreakGlassPrincipals: []string{"bob"},
		Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour}}
}

func TestBreakGlass(t *testing.T) {
	onStores(t, withBreakGlass, func(t *testing.T, h *harness) {
		ctx := context.Background()
		_, err := h.svc.RequestActivation(ctx, as("alice"), core.ActivationInput{Role: "bg", Justification: "db down"})
		wantCode(t, err, core.EFORBIDDEN) // not on the list, however eligible she is elsewhere
		_, err = h.svc.RequestActivation(ctx, as("bob"), core.ActivationInput{Role: "bg"})
		wantCode(t, err, core.EINVALID) // a justification is the one thing it needs
		noAlert(t, h, core.AlertBreakGlassUsed)

		r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "bg", Justification: "primary db down, approvers asleep"})
		if r.State != core.StateActive || !holds(t, h, "bob", "bg") {
			t.Fatalf("break-glass activation is %s", r.State)
		}
		a := wantOpen(t, h, core.AlertBreakGlassUsed, r.ID, core.SeverityHigh, r.ID)
		h.mu.Lock()
		var dms []string
		for _, e := range h.events {
			if e.Kind == core.EventAlert && e.Alert != nil && e.Alert.ID == a.ID && e.Alert.Status == core.AlertOpen {
				dms = append(dms, e.Recipients...)
			}
		}
		h.mu.Unlock()
		if !slices.Equal(dms, []string{"dana"}) {
			t.Fatalf("admins told directly: %v, want [dana]", dms)
		}
		if roles, _ := h.svc.EligibleRoles(ctx, "bob"); !slices.Contains(roles, "bg") {
			t.Fatalf("bob's menu lacks the break-glass role: %v", roles)
		}
		// The follow-up: a reader cannot close it, the scan does not, an admin acknowledges.
		_, err = h.svc.Alerts().Acknowledge(ctx, as("erin"), a.ID, "seen")
		wantCode(t, err, core.EFORBIDDEN)
		h.advance(t, 2*time.Hour)
		wantOpen(t, h, core.AlertBreakGlassUsed, r.ID, core.SeverityHigh, r.ID)
		if _, err := h.svc.Alerts().Acknowledge(ctx, as("dana"), a.ID, "checked with bob: db failover"); err != nil {
			t.Fatal(err)
		}
		wantTrail(t, h, core.AlertBreakGlassUsed, r.ID, "alert_open", "alert_acknowledge")

		// Revoke now ends the window and closes the item.
		r2 := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "bg", Justification: "again"})
		a2 := h.alert(t, core.AlertBreakGlassUsed, r2.ID)
		_, err = h.svc.Alerts().RevokeBreakGlass(ctx, as("bob"), a2.ID)
		wantCode(t, err, core.EFORBIDDEN)
		if _, err := h.svc.Alerts().RevokeBreakGlass(ctx, as("dana"), a2.ID); err != nil {
			t.Fatal(err)
		}
		if holds(t, h, "bob", "bg") || h.mustGet(t, r2.ID).State != core.Revoked {
			t.Fatal("revoke now left the window open")
		}
		if got := h.alert(t, core.AlertBreakGlassUsed, r2.ID); got.Status != core.AlertResolved || got.ClosedBy != "dana" {
			t.Fatalf("follow-up after revoke: %+v", got)
		}
		if acts := h.actions(t, r2.ID); !slices.Contains(acts, "activate") || !slices.Contains(acts, "deactivate") {
			t.Fatalf("audit of the break-glass request: %v", acts)
		}
	})
}
