package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// weeklyStaging reviews staging every week for 3 days, decided by bob and
// carol, with a reason for every decision.
var weeklyStaging = core.ReviewPlan{Name: "weekly", Roles: []string{"staging"}, Kinds: []core.AssignmentKind{core.Eligible},
	Start: t0, Every: core.Period{Fixed: 7 * 24 * time.Hour}, Stages: []core.ReviewStage{{Reviewers: []string{"bob", "alice"}, Duration: 72 * time.Hour}},
	Reminders: core.DefaultReminders, AutoApply: true, IfNoAnswer: core.DecisionKeep, RequireReason: true, UnusedFor: core.DefaultUnusedFor}

// runDue runs the scheduler at the env's clock.
func (e *env) runDue() {
	e.t.Helper()
	if _, err := e.svc.RunDue(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// TestReviewDecidedInSlackDM: a recurring review DMs its reviewer the items
// with Keep / Remove; the holder's own click is refused; Remove opens a
// modal for the reason; the decision is applied at the end, the channel
// gets the totals, and the report lists who decided what and why.
func TestReviewDecidedInSlackDM(t *testing.T) {
	e := newEnv(t, options{reviews: []core.ReviewPlan{weeklyStaging}})
	if err := e.svc.Reviews().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.runDue()
	dm := e.waitMessage(slacktest.DM(uBob), "Access review rv-weekly-20261122")
	if !strings.Contains(textOf(dm.Blocks), "#1 alice: staging: eligible, permanent; never activated; recommended: remove") {
		t.Fatalf("bob's DM = %s", textOf(dm.Blocks))
	}
	if _, ok := e.messageWith(slacktest.DM(uAlice), "Access review"); ok {
		t.Fatal("alice was asked to review her own access")
	}
	button(t, dm.Blocks, "review keep rv-weekly-20261122 1")
	button(t, dm.Blocks, "review accept rv-weekly-20261122")
	remove := button(t, dm.Blocks, "review remove rv-weekly-20261122 1")

	// alice forges a click on bob's copy: refused, nothing recorded.
	click, resp := e.click(uAlice, dm, remove)
	e.interact(click)
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "Nobody reviews their own access") {
		t.Fatalf("alice's click: %q", got)
	}

	click, _ = e.click(uBob, dm, remove)
	e.interact(click)
	opened := e.waitOpened(click["trigger_id"].(string))
	if ins := slacktest.Inputs(opened); len(ins) != 1 || ins[0].BlockID != "elevate:in:reason" || ins[0].Optional {
		t.Fatalf("modal inputs = %+v, want one required reason", ins)
	}
	if got := e.interact(e.submission(uBob, opened, map[string]string{"reason": "moved to the data team"})); !emptyResponse(got) {
		t.Fatalf("submission response = %s", got)
	}
	e.settle()
	if n := e.auditCount("review_decision"); n != 1 {
		t.Fatalf("%d decisions audited, want 1", n)
	}

	e.clock.Set(t0.Add(36 * time.Hour))
	e.runDue()
	e.settle()
	if _, ok := e.messageWith(slacktest.DM(uBob), "Reminder"); ok {
		t.Fatal("bob was reminded although nothing waits for him")
	}
	e.clock.Set(t0.Add(72 * time.Hour))
	e.runDue()
	end := e.waitMessage(cSec, "Access review ended")
	if !strings.Contains(end.Text, "1 removed") {
		t.Fatalf("end post = %q", end.Text)
	}
	if as, _ := e.store.AssignmentsOf(context.Background(), "alice", "staging"); len(as) != 0 {
		t.Fatalf("alice's staging after the review = %+v", as)
	}
	_, resp = e.slash(uDana, "review report rv-weekly-20261122")
	e.waitResponse(resp)
	files := e.fake.Files()
	if len(files) != 1 || files[0].Name != "rv-weekly-20261122.csv" || !strings.Contains(string(files[0].Data), "remove,bob,moved to the data team") ||
		!strings.Contains(string(files[0].Data), ",removed,") {
		t.Fatalf("report = %+v", files)
	}
}
