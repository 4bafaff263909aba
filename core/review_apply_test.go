package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
)

// manual reviews staging and admin once, decided by erin, owned by the dba
// group, with auto_apply off: removals wait for an admin or an owner.
func manual() core.ReviewPlan {
	return core.ReviewPlan{Name: "manual", Roles: []string{"staging", "admin"}, Kinds: []core.AssignmentKind{core.Eligible, core.Active},
		Start: t0.Add(time.Hour), Stages: []core.ReviewStage{{Reviewers: []string{"erin"}, Duration: 24 * time.Hour}},
		Reminders: core.DefaultReminders, AutoApply: false, IfNoAnswer: core.DecisionKeep, Owners: []string{"group:dba"}}
}

// auditCount counts the audit events of action, by principal.
func auditCount(t *testing.T, st core.Store, action string) map[string]int {
	t.Helper()
	events, _, err := core.ReadAudit(context.Background(), st, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range events {
		if ev.Action == action {
			out[ev.Principal]++
		}
	}
	return out
}

// TestReviewApply: with auto_apply off, a closed review's removals wait as
// "remove not applied"; `review apply` by an owner and by an admin on two
// replicas at once carries each out once through the unassign path (the
// last admin kept and said so), audited; applying again does nothing;
// others may not, and an open review is not applied.
func TestReviewApply(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		st := newStore(clock)
		a, b := newReviewEnv(t, st, clock, manual()), newReviewEnv(t, st, clock, manual())
		ctx := context.Background()
		a.to(t, t0.Add(time.Hour))
		id := "rv-manual-20261122"
		for _, p := range []string{"alice", "bob", "dana"} {
			if _, err := a.svc.Reviews().Decide(ctx, as("erin"), id, itemOf(t, st, id, p).N, core.DecisionRemove, "not needed"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.svc.Reviews().Apply(ctx, as("dana"), id); core.ErrorCode(err) != core.ECONFLICT {
			t.Fatalf("apply of an open review: %v, want ECONFLICT", err)
		}
		a.to(t, t0.Add(25*time.Hour))
		for _, p := range []string{"alice", "bob", "dana"} {
			if it := itemOf(t, st, id, p); it.Outcome != core.OutcomeNotApplied {
				t.Fatalf("%s's item at the end = %+v, want %q", p, it, core.OutcomeNotApplied)
			}
		}
		if !hasAssignment(t, st, core.Eligible, "alice", "staging") || !hasAssignment(t, st, core.Eligible, "bob", "staging") {
			t.Fatal("auto_apply: false removed an assignment at the end")
		}
		if _, err := a.svc.Reviews().Apply(ctx, as("mallory"), id); core.ErrorCode(err) != core.EFORBIDDEN {
			t.Fatalf("apply by mallory: %v, want EFORBIDDEN", err)
		}
		if _, err := a.svc.Reviews().Apply(ctx, as("dana"), "rv-nope"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("apply of an unknown review: %v, want ENOTFOUND", err)
		}
		if !hasAssignment(t, st, core.Eligible, "alice", "staging") {
			t.Fatal("a refused apply removed an assignment")
		}

		// carol owns it through group:dba; dana is an admin: both at once.
		var wg sync.WaitGroup
		applied := make([]int, 2)
		for i, run := range []struct {
			e  *reviewEnv
			by string
		}{{a, "carol"}, {b, "dana"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := run.e.svc.Reviews().Apply(ctx, as(run.by), id)
				if err != nil {
					t.Errorf("apply by %s: %v", run.by, err)
					return
				}
				applied[i] = r.Applied
			}()
		}
		wg.Wait()
		if applied[0]+applied[1] != 3 {
			t.Fatalf("items applied by the two runs = %v, want 3 in all", applied)
		}
		if hasAssignment(t, st, core.Eligible, "alice", "staging") || hasAssignment(t, st, core.Eligible, "bob", "staging") {
			t.Fatal("apply left a decided removal in place")
		}
		if !hasAssignment(t, st, core.Active, "dana", "admin") {
			t.Fatal("apply removed the last admin")
		}
		for p, want := range map[string]string{"alice": core.OutcomeRemoved, "bob": core.OutcomeRemoved, "dana": core.OutcomeLastAdmin} {
			if it := itemOf(t, st, id, p); it.Outcome != want || it.AppliedAt.IsZero() {
				t.Fatalf("%s's item after apply = %+v, want %q", p, it, want)
			}
		}
		if got := fmt.Sprint(auditCount(t, st, "review_remove")); got != "map[alice:1 bob:1]" {
			t.Fatalf("removals audited = %s, want each once", got)
		}
		if got := fmt.Sprint(auditCount(t, st, "review_kept_last_admin")); got != "map[dana:1]" {
			t.Fatalf("last-admin notes audited = %s, want one", got)
		}
		rms, err := st.ReviewRemovals(ctx)
		if err != nil || len(rms) != 2 || rms[0].DecidedBy != "erin" || rms[0].Review != id {
			t.Fatalf("removals of config-declared assignments = %+v, %v", rms, err)
		}

		// Again: nothing left, nothing changes.
		before := auditCount(t, st, "review_apply")
		r, err := a.svc.Reviews().Apply(ctx, as("dana"), id)
		if err != nil || r.Applied != 0 || r.Counts["outcome:"+core.OutcomeRemoved] != 2 || r.Counts["outcome:"+core.OutcomeLastAdmin] != 1 {
			t.Fatalf("second apply = %+v, %v", r, err)
		}
		if fmt.Sprint(auditCount(t, st, "review_apply")) != fmt.Sprint(before) || fmt.Sprint(auditCount(t, st, "review_remove")) != "map[alice:1 bob:1]" {
			t.Fatal("a second apply was audited or removed again")
		}
	})
}

// TestReviewRetention: a closed review and its items are deleted a year
// after it closed (not a day before); its audit events and the removals it
// decided stay, and an open review is kept.
func TestReviewRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		st := newStore(clock)
		e := newReviewEnv(t, st, clock)
		ctx := context.Background()
		old, err := e.svc.Reviews().Start(ctx, as("dana"), "staging", 24*time.Hour, []string{"carol"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reviews().Decide(ctx, as("carol"), old.ID, itemOf(t, st, old.ID, "alice").N, core.DecisionRemove, "left"); err != nil {
			t.Fatal(err)
		}
		e.to(t, t0.Add(24*time.Hour))
		if rv, err := st.Review(ctx, old.ID); err != nil || rv.State != core.ReviewClosed {
			t.Fatalf("review after its end = %+v, %v", rv, err)
		}
		closedAt := clock.Now()
		e.to(t, closedAt.Add(core.DefaultReviewRetention-24*time.Hour))
		open, err := e.svc.Reviews().Start(ctx, as("dana"), "prod-db", 365*24*time.Hour, []string{"carol"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Review(ctx, old.ID); err != nil {
			t.Fatalf("a review was purged a day before its retention ended: %v", err)
		}
		e.to(t, closedAt.Add(core.DefaultReviewRetention))
		if _, err := st.Review(ctx, old.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("review after its retention: %v, want ENOTFOUND", err)
		}
		if items, err := st.ReviewItems(ctx, old.ID, 0, 10); err != nil || len(items) != 0 {
			t.Fatalf("items after the retention = %v, %v", items, err)
		}
		if _, err := st.Review(ctx, open.ID); err != nil {
			t.Fatalf("an open review was purged: %v", err)
		}
		events, head, err := core.ReadAudit(ctx, st, core.AuditFilter{})
		if err != nil || core.VerifyAudit(events, head) != nil {
			t.Fatalf("audit after the purge: %v", err)
		}
		kept := map[string]int{}
		for _, ev := range events {
			if ev.ReviewID == old.ID {
				kept[ev.Action]++
			}
		}
		if kept["review_start"] != 1 || kept["review_decision"] != 1 || kept["review_remove"] != 1 || kept["review_close"] != 1 {
			t.Fatalf("audit events of the purged review = %v", kept)
		}
		if rms, err := st.ReviewRemovals(ctx); err != nil || len(rms) != 1 || rms[0].Review != old.ID {
			t.Fatalf("removals after the purge = %+v, %v", rms, err)
		}
	})
}

// TestReviewSweepGivesOldReviewsRetention: a review closed before retention
// existed (stored without a purge job) gets one from the start-up sweep and
// is deleted when its retention ends; the sweep runs once.
func TestReviewSweepGivesOldReviewsRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		st := newStore(clock)
		ctx := context.Background()
		old := &core.Review{ID: "rv-before", State: core.ReviewClosed, Items: 1, Created: t0.Add(-30 * 24 * time.Hour), Closed: t0.Add(-20 * 24 * time.Hour),
			Plan: core.ReviewPlan{Roles: []string{"staging"}, Stages: []core.ReviewStage{{Reviewers: []string{"carol"}, Duration: 24 * time.Hour}}}}
		item := &core.ReviewItem{Review: old.ID, N: 1, Principal: "alice", Role: "staging", Kind: core.Eligible, Decision: core.DecisionKeep, Outcome: core.OutcomeKept}
		if err := st.Apply(ctx, core.Change{Reviews: []core.ReviewWrite{{Review: old}}, ReviewItems: []core.ReviewItemWrite{{Item: item}}}); err != nil {
			t.Fatal(err)
		}
		e := newReviewEnv(t, st, clock)
		e.to(t, t0)
		jobs, err := st.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var due time.Time
		for _, j := range jobs {
			if j.Kind == core.JobReviewSweep {
				t.Fatalf("the sweep is still scheduled after it ran: %+v", j)
			}
			if j.Kind == core.JobReviewPurge && j.Ref == old.ID {
				due = j.Due
			}
		}
		if !due.Equal(old.Closed.Add(core.DefaultReviewRetention)) {
			t.Fatalf("purge of the old review due %v, want a year after it closed", due)
		}
		again := newReviewEnv(t, st, clock)
		if jobs, _ := st.Jobs(ctx); slices.ContainsFunc(jobs, func(j core.Job) bool { return j.Kind == core.JobReviewSweep }) {
			t.Fatal("a second start-up scheduled the sweep again")
		}
		again.to(t, old.Closed.Add(core.DefaultReviewRetention))
		if _, err := st.Review(ctx, old.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("the old review after its retention: %v, want ENOTFOUND", err)
		}
	})
}
