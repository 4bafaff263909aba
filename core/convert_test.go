package core_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// eligibility returns principal's eligible assignment for role, or nil.
func eligibility(t *testing.T, h *harness, principal, role string) *core.Assignment {
	t.Helper()
	all, err := h.store.AssignmentsOf(context.Background(), principal, role)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.Kind == core.Eligible {
			return &a
		}
	}
	return nil
}

func mustAssign(t *testing.T, h *harness, a core.Assignment) {
	t.Helper()
	if _, err := h.svc.Assign(context.Background(), as("dana"), a); err != nil {
		t.Fatalf("assign %+v: %v", a, err)
	}
}

func auditActions(t *testing.T, h *harness) []string {
	t.Helper()
	events, _, err := core.ReadAudit(context.Background(), h.store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Action+" "+e.Principal+" "+e.Role)
	}
	return out
}

func TestConvertPermanentToEligible(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "carol", Role: "admin", Permanent: true})
	got, err := h.svc.ConvertToEligible(ctx, as("dana"), "carol", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != core.Eligible || !got.Permanent {
		t.Fatalf("converted = %+v, want permanent eligible", got)
	}
	if holds(t, h, "carol", "admin") {
		t.Fatal("carol still holds admin standing")
	}
	if e := eligibility(t, h, "carol", "admin"); e == nil || !e.Permanent || e.CreatedBy != "dana" {
		t.Fatalf("stored eligibility = %+v", e)
	}
	if !slices.Contains(auditActions(t, h), "convert_to_eligible carol admin") {
		t.Fatalf("no audit of the conversion: %v", auditActions(t, h))
	}
	// carol now activates just in time.
	r := h.mustRequest(t, as("carol"), core.ActivationInput{Role: "admin"})
	if r.State != core.StateActive {
		t.Fatalf("activation after conversion: %s", r.State)
	}
	// Converting again finds nothing standing.
	_, err = h.svc.ConvertToEligible(ctx, as("dana"), "carol", "admin")
	wantCode(t, err, core.ENOTFOUND)
}

func TestConvertKeepsEndAndSchedulesIt(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	end := t0.Add(72 * time.Hour)
	mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", End: end})
	got, err := h.svc.ConvertToEligible(ctx, as("dana"), "bob", "vault")
	if err != nil {
		t.Fatal(err)
	}
	if got.Permanent || !got.End.Equal(end) {
		t.Fatalf("converted = %+v, want eligible until %v", got, end)
	}
	h.advance(t, 72*time.Hour)
	if e := eligibility(t, h, "bob", "vault"); e != nil {
		t.Fatalf("eligibility outlived the end it kept: %+v", e)
	}
}

func TestConvertKeepsLongerEligibility(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// alice is eligible for vault permanently; a week of standing access
	// converts into nothing shorter.
	mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "alice", Role: "vault", End: t0.Add(7 * 24 * time.Hour)})
	got, err := h.svc.ConvertToEligible(ctx, as("dana"), "alice", "vault")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Permanent {
		t.Fatalf("the permanent eligibility was shortened: %+v", got)
	}
	if holds(t, h, "alice", "vault") {
		t.Fatal("alice still holds vault standing")
	}
}

func TestConvertCapsWhereEligibilityMustEnd(t *testing.T) {
	h := newHarness(t)
	h.dir.Roles["vault"].Policy.Eligibility = core.ExpiryRule{MaxDuration: 30 * 24 * time.Hour}
	h.dir.Roles["vault"].Policy.Assignment = core.ExpiryRule{AllowPermanent: true}
	mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", Permanent: true})
	got, err := h.svc.ConvertToEligible(context.Background(), as("dana"), "bob", "vault")
	if err != nil {
		t.Fatal(err)
	}
	if got.Permanent || !got.End.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("converted = %+v, want eligible for the 30d maximum", got)
	}
}

func TestConvertRefusals(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", End: t0.Add(48 * time.Hour)})
	before := auditActions(t, h)

	_, err := h.svc.ConvertToEligible(ctx, as("erin"), "bob", "vault") // a reader
	wantCode(t, err, core.EFORBIDDEN)
	_, err = h.svc.ConvertToEligible(ctx, as("bob"), "bob", "vault")
	wantCode(t, err, core.EFORBIDDEN)
	_, err = h.svc.ConvertToEligible(ctx, as("dana"), "alice", "vault") // eligible only
	wantCode(t, err, core.ENOTFOUND)
	_, err = h.svc.ConvertToEligible(ctx, as("dana"), "bob", "nope")
	wantCode(t, err, core.ENOTFOUND)
	_, err = h.svc.ConvertToEligible(ctx, as("dana"), "dana", "admin") // the last admin
	wantCode(t, err, core.ECONFLICT)
	if !strings.Contains(core.ErrorMessage(err), "last active holder") {
		t.Fatalf("message = %q", core.ErrorMessage(err))
	}
	// reader's eligibility may be neither permanent nor capped.
	_, err = h.svc.ConvertToEligible(ctx, as("dana"), "erin", "reader")
	wantCode(t, err, core.EINVALID)

	if !holds(t, h, "bob", "vault") || !holds(t, h, "dana", "admin") || !holds(t, h, "erin", "reader") {
		t.Fatal("a refused conversion changed who holds what")
	}
	if after := auditActions(t, h); len(after) != len(before) {
		t.Fatalf("refusals were audited as changes: %v", after[len(before):])
	}
}
