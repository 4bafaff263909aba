package core_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// TestWindowLifecycle: an approved activation holds the role for exactly its
// window, then expires, audited and notified.
func TestWindowLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	if r.State != core.PendingApproval {
		t.Fatalf("state = %s", r.State)
	}
	h.advance(t, 5*time.Minute)
	got, err := h.svc.Approve(ctx, as("bob"), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	start := t0.Add(5 * time.Minute)
	if got.State != core.StateActive || !got.EndsAt.Equal(start.Add(2*time.Hour)) {
		t.Fatalf("after approval: %s until %v", got.State, got.EndsAt)
	}
	h.advance(t, 2*time.Hour-time.Second)
	if !holds(t, h, "alice", "prod-db") || h.mustGet(t, r.ID).State != core.StateActive {
		t.Fatal("window closed before its end")
	}
	h.advance(t, time.Second)
	if holds(t, h, "alice", "prod-db") {
		t.Fatal("alice still holds prod-db at the window's end")
	}
	if got := h.mustGet(t, r.ID); got.State != core.Expired {
		t.Fatalf("state at end = %s", got.State)
	}
	wantSeq(t, h.actions(t, r.ID), "request", "approve", "activate", "expire")
	wantSeq(t, eventNames(h.kinds(r.ID)), "requested", "approved", "activated", "expiring", "expired")
	// The slot is free again: a new request is allowed.
	h.mustRequest(t, as("alice"), prodDB())
}

func eventNames(kinds []core.EventKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

func wantSeq(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestNoApprovalActivatesAtOnce(t *testing.T) {
	h := newHarness(t)
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
	if r.State != core.StateActive || r.Duration != 2*time.Hour {
		t.Fatalf("got %s for %v", r.State, r.Duration)
	}
	_, err := h.svc.RequestActivation(context.Background(), as("bob"), core.ActivationInput{Role: "staging"})
	wantCode(t, err, core.ECONFLICT) // already holds it
}

func TestScheduledStart(t *testing.T) {
	h := newHarness(t)
	start := t0.Add(3 * time.Hour)
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging", Start: start, Duration: time.Hour})
	if r.State != core.Scheduled {
		t.Fatalf("state = %s", r.State)
	}
	h.advance(t, 3*time.Hour-time.Second)
	if holds(t, h, "bob", "staging") {
		t.Fatal("active before its start")
	}
	h.advance(t, time.Second)
	got := h.mustGet(t, r.ID)
	if got.State != core.StateActive || !got.ActivatedAt.Equal(start) || !got.EndsAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("at start: %s %v–%v", got.State, got.ActivatedAt, got.EndsAt)
	}
	if !holds(t, h, "bob", "staging") {
		t.Fatal("not holding at start")
	}
}

func TestStartTooFarAheadRefused(t *testing.T) {
	h := newHarness(t)
	_, err := h.svc.RequestActivation(context.Background(), as("bob"), core.ActivationInput{Role: "staging", Start: t0.Add(25 * time.Hour)})
	wantCode(t, err, core.EINVALID)
	_, err = h.svc.RequestActivation(context.Background(), as("bob"), core.ActivationInput{Role: "staging", Start: t0.Add(-time.Hour)})
	wantCode(t, err, core.EINVALID)
}

func TestEndedEligibilityRefused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := core.Assignment{Kind: core.Eligible, Principal: "carol", Role: "staging", End: t0.Add(time.Hour)}
	if _, err := h.svc.Assign(ctx, as("dana"), a); err != nil {
		t.Fatal(err)
	}
	h.advance(t, 2*time.Hour)
	_, err := h.svc.RequestActivation(ctx, as("carol"), core.ActivationInput{Role: "staging"})
	wantCode(t, err, core.EFORBIDDEN)
	// Never eligible at all:
	_, err = h.svc.RequestActivation(ctx, as("mallory"), core.ActivationInput{Role: "staging"})
	wantCode(t, err, core.EFORBIDDEN)
}

func TestEligibilityCheckedAtStart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := core.Assignment{Kind: core.Eligible, Principal: "carol", Role: "staging", End: t0.Add(2 * time.Hour)}
	if _, err := h.svc.Assign(ctx, as("dana"), a); err != nil {
		t.Fatal(err)
	}
	r := h.mustRequest(t, as("carol"), core.ActivationInput{Role: "staging", Start: t0.Add(time.Hour), Duration: 30 * time.Minute})
	if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, "carol", "staging"); err != nil {
		t.Fatal(err)
	}
	h.advance(t, time.Hour)
	if got := h.mustGet(t, r.ID); got.State != core.Failed || !strings.Contains(got.Reason, "not eligible") {
		t.Fatalf("at start without eligibility: %s %q", got.State, got.Reason)
	}
	if holds(t, h, "carol", "staging") {
		t.Fatal("activated without eligibility")
	}
}

func TestPendingRequestTimesOut(t *testing.T) {
	h := newHarness(t)
	r := h.mustRequest(t, as("alice"), prodDB())
	h.advance(t, 2*time.Hour-time.Second)
	if got := h.mustGet(t, r.ID); got.State != core.PendingApproval {
		t.Fatalf("state before timeout = %s", got.State)
	}
	h.advance(t, time.Second)
	if got := h.mustGet(t, r.ID); got.State != core.TimedOut {
		t.Fatalf("state after timeout = %s", got.State)
	}
	_, err := h.svc.Approve(context.Background(), as("bob"), r.ID)
	wantCode(t, err, core.ECONFLICT)
	if !slices.Contains(h.actions(t, r.ID), "timeout") {
		t.Fatal("timeout not audited")
	}
}

func TestDurationOverMaxNamesTheMax(t *testing.T) {
	h := newHarness(t)
	in := prodDB()
	in.Duration = 5 * time.Hour
	_, err := h.svc.RequestActivation(context.Background(), as("alice"), in)
	wantCode(t, err, core.EINVALID)
	if msg := core.ErrorMessage(err); !strings.Contains(msg, "maximum of 4h") {
		t.Fatalf("message = %q", msg)
	}
}

func TestPolicyInputChecks(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		edit func(*core.ActivationInput)
		want string
	}{
		{"short justification", func(in *core.ActivationInput) { in.Justification = "fix" }, "too short"},
		{"no justification", func(in *core.ActivationInput) { in.Justification = "" }, "requires a justification"},
		{"no ticket", func(in *core.ActivationInput) { in.Ticket = "" }, "requires a ticket"},
		{"bad ticket", func(in *core.ActivationInput) { in.Ticket = "JIRA-1" }, "does not match"},
		{"huge justification", func(in *core.ActivationInput) { in.Justification = strings.Repeat("x", 501) }, "too long"},
		{"unknown role", func(in *core.ActivationInput) { in.Role = "nope" }, "Unknown role"},
		{"escape sequence", func(in *core.ActivationInput) { in.Justification = "fixing lag \x1b[2J now" }, "control characters"},
		{"bad utf-8", func(in *core.ActivationInput) { in.Ticket = "INC-1\xff" }, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := prodDB()
			tt.edit(&in)
			_, err := h.svc.RequestActivation(context.Background(), as("alice"), in)
			if err == nil || !strings.Contains(core.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want message containing %q", err, tt.want)
			}
		})
	}
	open, _ := h.store.OpenRequestsOf(context.Background(), "alice")
	if len(open) != 0 {
		t.Fatalf("bad input left %d requests", len(open))
	}
}

func TestMissingFields(t *testing.T) {
	p := testDirectory().Roles["prod-db"].Policy
	p.RequireMFA = true
	got := p.Missing(core.ActivationInput{Role: "prod-db"})
	want := []core.Field{core.FieldJustification, core.FieldTicket, core.FieldCode}
	if !slices.Equal(got, want) {
		t.Fatalf("Missing = %v, want %v", got, want)
	}
	if got := p.Missing(core.ActivationInput{Justification: "x", Ticket: "INC-1", Code: "123456"}); len(got) != 0 {
		t.Fatalf("Missing = %v, want none", got)
	}
}

func TestOneOpenRequestPerRole(t *testing.T) {
	h := newHarness(t)
	r := h.mustRequest(t, as("alice"), prodDB())
	_, err := h.svc.RequestActivation(context.Background(), as("alice"), prodDB())
	wantCode(t, err, core.ECONFLICT)
	if !strings.Contains(core.ErrorMessage(err), r.ID) {
		t.Fatalf("message does not name the open request: %q", core.ErrorMessage(err))
	}
}

func TestCancelAndDeactivate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	_, err := h.svc.Cancel(ctx, as("bob"), r.ID)
	wantCode(t, err, core.EFORBIDDEN)
	if _, err := h.svc.Cancel(ctx, as("alice"), r.ID); err != nil {
		t.Fatal(err)
	}
	s := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
	_, err = h.svc.Deactivate(ctx, as("alice"), s.ID)
	wantCode(t, err, core.EFORBIDDEN)
	got, err := h.svc.Deactivate(ctx, as("bob"), s.ID)
	if err != nil || got.State != core.Revoked {
		t.Fatalf("deactivate: %v %v", err, got)
	}
	if holds(t, h, "bob", "staging") {
		t.Fatal("still holds after deactivation")
	}
	// An admin may deactivate someone else's window.
	s2 := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
	if _, err := h.svc.Deactivate(ctx, as("dana"), s2.ID); err != nil {
		t.Fatalf("admin deactivate: %v", err)
	}
}

func TestExtend(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	if _, err := h.svc.Approve(ctx, as("bob"), r.ID); err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.Extend(ctx, as("alice"), r.ID, 45*time.Minute)
	if err != nil || !got.EndsAt.Equal(t0.Add(2*time.Hour+45*time.Minute)) {
		t.Fatalf("extend: %v %v", err, got)
	}
	_, err = h.svc.Extend(ctx, as("alice"), r.ID, 30*time.Minute)
	wantCode(t, err, core.EINVALID) // 45m + 30m is over the 1h allowance
	h.advance(t, 2*time.Hour+30*time.Minute)
	if !holds(t, h, "alice", "prod-db") {
		t.Fatal("extended window ended at its original end")
	}
	h.advance(t, 15*time.Minute)
	if holds(t, h, "alice", "prod-db") || h.mustGet(t, r.ID).State != core.Expired {
		t.Fatal("extended window did not expire at its new end")
	}
}
