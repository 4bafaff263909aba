package core_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

func TestSelfApprovalRefused(t *testing.T) {
	h := newHarness(t)
	r := h.mustRequest(t, as("alice"), prodDB())
	// alice is in the dba approver group, yet cannot approve her own request.
	_, err := h.svc.Approve(context.Background(), as("alice"), r.ID)
	wantCode(t, err, core.EFORBIDDEN)
	if !strings.Contains(core.ErrorMessage(err), "own request") {
		t.Errorf("message = %q", core.ErrorMessage(err))
	}
	if got := h.mustGet(t, r.ID); got.State != core.PendingApproval || len(got.Approvals) != 0 {
		t.Fatalf("after self-approval: state %s, %d approvals", got.State, len(got.Approvals))
	}
}

func TestNonApproverRefused(t *testing.T) {
	h := newHarness(t)
	r := h.mustRequest(t, as("alice"), prodDB())
	for _, who := range []string{"mallory", "dana"} { // dana only becomes an approver on escalation
		_, err := h.svc.Approve(context.Background(), as(who), r.ID)
		wantCode(t, err, core.EFORBIDDEN)
		_, err = h.svc.Deny(context.Background(), as(who), r.ID, "no")
		wantCode(t, err, core.EFORBIDDEN)
	}
	if got := h.mustGet(t, r.ID); got.State != core.PendingApproval {
		t.Fatalf("state = %s", got.State)
	}
}

func TestQuorumNeedsTwoDistinctApprovers(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), core.ActivationInput{Role: "vault"})
	got, err := h.svc.Approve(ctx, as("bob"), r.ID)
	if err != nil || got.State != core.PendingApproval {
		t.Fatalf("first approval: %v, state %v", err, got)
	}
	_, err = h.svc.Approve(ctx, as("bob"), r.ID)
	wantCode(t, err, core.ECONFLICT)
	if got := h.mustGet(t, r.ID); got.State != core.PendingApproval || len(got.Approvals) != 1 {
		t.Fatalf("after bob twice: %s with %d approvals", got.State, len(got.Approvals))
	}
	if holds(t, h, "alice", "vault") {
		t.Fatal("alice holds vault after one of two approvals")
	}
	got, err = h.svc.Approve(ctx, as("carol"), r.ID)
	if err != nil || got.State != core.StateActive || got.DecidedBy != "carol" {
		t.Fatalf("second approval: %v, %+v", err, got)
	}
	if !holds(t, h, "alice", "vault") {
		t.Fatal("alice does not hold vault after quorum")
	}
}

func TestFirstDecisiveVoteWins(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	if _, err := h.svc.Deny(ctx, as("carol"), r.ID, "not during the freeze"); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.Approve(ctx, as("bob"), r.ID)
	wantCode(t, err, core.ECONFLICT)
	if msg := core.ErrorMessage(err); !strings.Contains(msg, "already denied by carol") {
		t.Fatalf("message = %q", msg)
	}
	_, err = h.svc.Deny(ctx, as("bob"), r.ID, "")
	wantCode(t, err, core.EINVALID) // a deny needs a reason
}

// TestDecisionRace: 50 goroutines approve, deny and cancel one request at
// once; exactly one decision lands, and the audit holds exactly one event for it.
func TestDecisionRace(t *testing.T) {
	for range 5 {
		h := newHarness(t)
		ctx := context.Background()
		r := h.mustRequest(t, as("alice"), prodDB())
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := map[string]int{}
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				var what string
				switch i % 3 {
				case 0:
					what = "approve"
					_, err = h.svc.Approve(ctx, as([]string{"bob", "carol"}[i%2]), r.ID)
				case 1:
					what = "deny"
					_, err = h.svc.Deny(ctx, as([]string{"bob", "carol"}[i%2]), r.ID, "race")
				case 2:
					what = "cancel"
					_, err = h.svc.Cancel(ctx, as("alice"), r.ID)
				}
				if err == nil {
					mu.Lock()
					wins[what]++
					mu.Unlock()
				} else if code := core.ErrorCode(err); code != core.ECONFLICT {
					t.Errorf("%s: unexpected %v", what, err)
				}
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range wins {
			total += n
		}
		if total != 1 {
			t.Fatalf("%d calls succeeded (%v), want exactly 1", total, wins)
		}
		final := h.mustGet(t, r.ID)
		decisive := 0
		for _, a := range h.actions(t, r.ID) {
			if a == "approve" || a == "deny" || a == "cancel" {
				decisive++
			}
		}
		if decisive != 1 {
			t.Fatalf("audit has %d decisions, want 1 (final state %s)", decisive, final.State)
		}
		want := map[string]core.State{"approve": core.StateActive, "deny": core.Denied, "cancel": core.Canceled}
		for what := range wins {
			if final.State != want[what] {
				t.Fatalf("winner %s but state %s", what, final.State)
			}
		}
	}
}

func TestEscalationAddsBackupApprovers(t *testing.T) {
	h := newHarness(t)
	r := h.mustRequest(t, as("alice"), prodDB())
	h.advance(t, 61*60e9) // 61 minutes
	got := h.mustGet(t, r.ID)
	if !got.Escalated {
		t.Fatal("not escalated after the escalation delay")
	}
	var recipients []string
	h.mu.Lock()
	for _, e := range h.events {
		if e.Kind == core.EventEscalated {
			recipients = e.Recipients
		}
	}
	h.mu.Unlock()
	if len(recipients) != 1 || recipients[0] != "dana" {
		t.Fatalf("escalation recipients = %v, want [dana]", recipients)
	}
	if _, err := h.svc.Approve(context.Background(), as("dana"), r.ID); err != nil {
		t.Fatalf("escalation approver: %v", err)
	}
}
