package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

func TestLastAdminCannotBeRemoved(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	err := h.svc.Unassign(ctx, as("dana"), core.Active, "dana", "admin")
	wantCode(t, err, core.ECONFLICT)
	if !strings.Contains(core.ErrorMessage(err), "last active holder") {
		t.Fatalf("message = %q", core.ErrorMessage(err))
	}
	_, err = h.svc.ConvertToEligible(ctx, as("dana"), "dana", "admin")
	wantCode(t, err, core.ECONFLICT)
	if !holds(t, h, "dana", "admin") {
		t.Fatal("the last admin lost the role")
	}
	// With a second admin, the first can go.
	if _, err := h.svc.Assign(ctx, as("dana"), core.Assignment{Kind: core.Active, Principal: "erin", Role: "admin", Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Unassign(ctx, as("erin"), core.Active, "dana", "admin"); err != nil {
		t.Fatalf("unassign with another admin present: %v", err)
	}
	err = h.svc.Unassign(ctx, as("erin"), core.Active, "erin", "admin")
	wantCode(t, err, core.ECONFLICT)
}

func TestLastAdminCannotDeactivate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// carol becomes eligible for admin and activates it; then dana hands over.
	if _, err := h.svc.Assign(ctx, as("dana"), core.Assignment{Kind: core.Eligible, Principal: "carol", Role: "admin", Permanent: true}); err != nil {
		t.Fatal(err)
	}
	r := h.mustRequest(t, as("carol"), core.ActivationInput{Role: "admin"})
	if err := h.svc.Unassign(ctx, as("carol"), core.Active, "dana", "admin"); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.Deactivate(ctx, as("carol"), r.ID)
	wantCode(t, err, core.ECONFLICT)
	if !holds(t, h, "carol", "admin") {
		t.Fatal("the last admin's window was closed")
	}
}

func TestLastAdminAssignmentNotExpired(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.svc.Assign(ctx, as("dana"), core.Assignment{Kind: core.Active, Principal: "erin", Role: "admin", End: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Unassign(ctx, as("erin"), core.Active, "dana", "admin"); err != nil {
		t.Fatal(err)
	}
	h.advance(t, time.Hour)
	if !holds(t, h, "erin", "admin") {
		t.Fatal("the last admin's assignment expired")
	}
	alerted := false
	h.mu.Lock()
	for _, e := range h.events {
		alerted = alerted || (e.Kind == core.EventAlert && e.Severity == core.SeverityHigh && strings.Contains(e.Message, "kept"))
	}
	h.mu.Unlock()
	if !alerted {
		t.Fatal("no High alert about the kept admin assignment")
	}
}

func TestAdminActionsNeedAdmin(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.svc.Assign(ctx, as("alice"), core.Assignment{Kind: core.Eligible, Principal: "alice", Role: "vault", Permanent: true})
	wantCode(t, err, core.EFORBIDDEN)
	wantCode(t, h.svc.Unassign(ctx, as("bob"), core.Eligible, "alice", "prod-db"), core.EFORBIDDEN)
	_, err = h.svc.WhoHas(ctx, as("alice"), "prod-db")
	wantCode(t, err, core.EFORBIDDEN)
	_, err = h.svc.AuditLog(ctx, as("alice"), core.AuditFilter{})
	wantCode(t, err, core.EFORBIDDEN)
	// The reader may look but not touch.
	if _, err := h.svc.WhoHas(ctx, as("erin"), "prod-db"); err != nil {
		t.Fatalf("reader who: %v", err)
	}
	if _, err := h.svc.AuditLog(ctx, as("erin"), core.AuditFilter{}); err != nil {
		t.Fatalf("reader audit: %v", err)
	}
	_, err = h.svc.Assign(ctx, as("erin"), core.Assignment{Kind: core.Eligible, Principal: "alice", Role: "vault", Permanent: true})
	wantCode(t, err, core.EFORBIDDEN)
}

func TestAssignmentRules(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tests := []struct {
		name string
		a    core.Assignment
		want string
	}{
		{"permanent active not allowed", core.Assignment{Kind: core.Active, Principal: "bob", Role: "staging", Permanent: true}, "does not allow permanent"},
		{"no end", core.Assignment{Kind: core.Eligible, Principal: "bob", Role: "vault"}, "Give an end"},
		{"end before start", core.Assignment{Kind: core.Eligible, Principal: "bob", Role: "vault", Start: t0.Add(2 * time.Hour), End: t0.Add(time.Hour)}, "after the start"},
		{"unknown role", core.Assignment{Kind: core.Eligible, Principal: "bob", Role: "nope", Permanent: true}, "Unknown role"},
		{"unknown principal", core.Assignment{Kind: core.Eligible, Principal: "zed", Role: "vault", Permanent: true}, "Unknown principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.Assign(ctx, as("dana"), tt.a)
			if err == nil || !strings.Contains(core.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWhoHasAndConvert(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.svc.Assign(ctx, as("dana"), core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", End: t0.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
	acc, err := h.svc.WhoHas(ctx, as("erin"), "vault")
	if err != nil || len(acc.Holders) != 1 || acc.Holders[0].Principal != "bob" || acc.Holders[0].Via != "assignment" {
		t.Fatalf("who vault: %v %+v", err, acc)
	}
	if len(acc.Eligible) != 1 || acc.Eligible[0].Principal != "alice" {
		t.Fatalf("eligible for vault: %+v", acc.Eligible)
	}
	acc, _ = h.svc.WhoHas(ctx, as("erin"), "staging")
	if len(acc.Holders) != 1 || acc.Holders[0].RequestID != r.ID {
		t.Fatalf("who staging: %+v", acc.Holders)
	}
	conv, err := h.svc.ConvertToEligible(ctx, as("dana"), "bob", "vault")
	if err != nil || conv.Kind != core.Eligible {
		t.Fatalf("convert: %v %+v", err, conv)
	}
	if holds(t, h, "bob", "vault") {
		t.Fatal("still holds vault standing after conversion")
	}
	if roles, _ := h.svc.EligibleRoles(ctx, "bob"); !strings.Contains(strings.Join(roles, ","), "vault") {
		t.Fatalf("bob not eligible for vault after conversion: %v", roles)
	}
}

func TestAssignmentEndsOnTime(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.svc.Assign(ctx, as("dana"), core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", End: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h.advance(t, time.Hour)
	if holds(t, h, "bob", "vault") {
		t.Fatal("direct assignment outlived its end")
	}
	if _, err := h.svc.WhoHas(ctx, as("dana"), "vault"); err != nil {
		t.Fatal(err)
	}
}
