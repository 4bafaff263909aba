package slack_test

import (
	"context"
	"fmt"
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
	// The modal's answer edits the DM whose Remove button opened it.
	if edited, _ := e.messageWith(slacktest.DM(uBob), "rv-weekly-20261122"); edited.Updates != 1 || !strings.Contains(textOf(edited.Blocks), "Remove #1 (alice, staging, eligible): recorded") ||
		len(values(edited.Blocks)) != 0 {
		t.Fatalf("bob's DM after the reason form (%d edits) = %s %q", edited.Updates, textOf(edited.Blocks), values(edited.Blocks))
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

// dmPages reviews staging, ops and deploy once, decided by bob without a
// reason, with auto_apply off: decided removals wait for `review apply`.
var dmPages = core.ReviewPlan{Name: "pages", Roles: []string{"staging", "ops", "deploy"}, Kinds: []core.AssignmentKind{core.Eligible},
	Start: t0, Stages: []core.ReviewStage{{Reviewers: []string{"bob"}, Duration: 72 * time.Hour}},
	Reminders: core.DefaultReminders, AutoApply: false, IfNoAnswer: core.DecisionKeep, UnusedFor: core.DefaultUnusedFor}

// values lists the values of a message's buttons.
func values(raw []byte) []string {
	var out []string
	for _, b := range slacktest.Buttons(raw) {
		out = append(out, b.Value)
	}
	return out
}

// TestReviewDMEditedInPlace: a reviewer's click on Keep or Remove in their
// DM edits that DM (chat.update of the message that carried the buttons):
// the decided item shows its decision and loses its buttons, the others
// keep theirs, and no new message or ephemeral reply is sent. With
// auto_apply off the removal waits until an admin types `review apply`,
// which carries it out once.
func TestReviewDMEditedInPlace(t *testing.T) {
	e := newEnv(t, options{reviews: []core.ReviewPlan{dmPages}})
	ctx := context.Background()
	if err := e.svc.Reviews().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	e.runDue()
	const id = "rv-pages-20261122"
	dm := e.waitMessage(slacktest.DM(uBob), "Access review "+id)
	e.settle()
	posts, updates := len(e.fake.Calls("chat.postMessage")), len(e.fake.Calls("chat.update"))
	if got := values(dm.Blocks); len(got) != 7 {
		t.Fatalf("DM buttons = %q, want Keep and Remove for 3 items, accept all and nothing else", got)
	}

	click, resp := e.click(uBob, dm, button(t, dm.Blocks, "review keep "+id+" 1"))
	e.interact(click)
	e.waitFor("the DM edited", func() bool { m, _ := e.messageWith(slacktest.DM(uBob), id); return m.Updates == 1 })
	e.settle()
	dm, _ = e.messageWith(slacktest.DM(uBob), id)
	if !strings.Contains(textOf(dm.Blocks), "Keep #1 (alice, ") || !strings.Contains(textOf(dm.Blocks), "2 item(s) still wait for you") {
		t.Fatalf("edited DM = %s", textOf(dm.Blocks))
	}
	got := strings.Join(values(dm.Blocks), "|")
	if strings.Contains(got, id+" 1") || !strings.Contains(got, "review keep "+id+" 2") || !strings.Contains(got, "review remove "+id+" 3") {
		t.Fatalf("edited DM's buttons = %s, want none for item 1, Keep/Remove for 2 and 3", got)
	}
	if n := len(e.fake.Calls("chat.update")) - updates; n != 1 {
		t.Fatalf("%d chat.update calls for one click, want 1", n)
	}
	if n := len(e.fake.Calls("chat.postMessage")) - posts; n != 0 {
		t.Fatalf("%d new messages for one click, want the DM edited instead", n)
	}
	if r := e.responses(resp); len(r) != 0 {
		t.Fatalf("the click was also answered by response_url: %v", r)
	}

	click, _ = e.click(uBob, dm, button(t, dm.Blocks, "review remove "+id+" 2"))
	e.interact(click)
	e.waitFor("the DM edited again", func() bool { m, _ := e.messageWith(slacktest.DM(uBob), id); return m.Updates == 2 })
	dm, _ = e.messageWith(slacktest.DM(uBob), id)
	got = strings.Join(values(dm.Blocks), "|")
	if !strings.Contains(textOf(dm.Blocks), "Remove #2 (alice, ") || strings.Contains(got, id+" 2") || !strings.Contains(got, "review keep "+id+" 3") {
		t.Fatalf("DM after Remove #2 = %s / %s", textOf(dm.Blocks), got)
	}
	click, _ = e.click(uBob, dm, button(t, dm.Blocks, "review accept "+id))
	e.interact(click)
	e.waitFor("the DM edited a third time", func() bool { m, _ := e.messageWith(slacktest.DM(uBob), id); return m.Updates == 3 })
	e.settle()
	dm, _ = e.messageWith(slacktest.DM(uBob), id)
	if !strings.Contains(textOf(dm.Blocks), "Accepted the recommendation on 1 item(s)") || len(values(dm.Blocks)) != 0 {
		t.Fatalf("DM after accept all = %s, buttons %q", textOf(dm.Blocks), values(dm.Blocks))
	}
	if n := len(e.fake.Calls("chat.postMessage")) - posts; n != 0 {
		t.Fatalf("%d new messages for three clicks", n)
	}

	e.clock.Set(t0.Add(72 * time.Hour))
	e.runDue()
	e.waitMessage(cSec, "Access review ended")
	if as, _ := e.store.AssignmentsOf(ctx, "alice", "ops"); len(as) != 1 {
		t.Fatalf("auto_apply: false removed alice's ops at the end: %+v", as)
	}
	_, resp = e.slash(uErin, "review apply "+id)
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "Only admins and the owners of "+id) {
		t.Fatalf("erin's apply: %q", got)
	}
	_, resp = e.slash(uDana, "review apply "+id)
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "Applied 2 decided removal(s) of "+id+": 1 kept, 2 removed") {
		t.Fatalf("dana's apply: %q", got)
	}
	for _, role := range []string{"ops", "deploy"} {
		if as, _ := e.store.AssignmentsOf(ctx, "alice", role); len(as) != 0 {
			t.Fatalf("alice's %s after apply = %+v", role, as)
		}
	}
	if as, _ := e.store.AssignmentsOf(ctx, "alice", "staging"); len(as) != 1 {
		t.Fatalf("apply removed what bob kept: %+v", as)
	}
	_, resp = e.slash(uDana, "review apply "+id)
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "Nothing left to apply in "+id) {
		t.Fatalf("second apply: %q", got)
	}
	if n := e.auditCount("review_remove"); n != 2 {
		t.Fatalf("%d removals audited, want 2", n)
	}
}

// TestReviewEphemeralPageReplacedByResponseURL: a click on the page that
// `review ID` showed as an ephemeral reply replaces that reply through its
// response_url (replace_original), since chat.update cannot reach it.
func TestReviewEphemeralPageReplacedByResponseURL(t *testing.T) {
	e := newEnv(t, options{reviews: []core.ReviewPlan{dmPages}})
	if err := e.svc.Reviews().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.runDue()
	const id = "rv-pages-20261122"
	e.waitMessage(slacktest.DM(uBob), "Access review "+id)
	_, resp := e.slash(uBob, "review "+id)
	page := e.waitResponse(resp)
	blocks := mustJSON(t, page["blocks"])
	eph := slacktest.Message{Channel: "C0GENERAL", TS: "1700000999.000001", Text: fmt.Sprint(page["text"]), Blocks: blocks}
	updates := len(e.fake.Calls("chat.update"))
	click, clickResp := e.click(uBob, eph, button(t, blocks, "review remove "+id+" 2"))
	click["container"].(map[string]any)["is_ephemeral"] = true
	e.interact(click)
	got := e.waitResponse(clickResp)
	if got["replace_original"] != true || !strings.Contains(responseText(t, got), "Remove #2 (alice, ops, eligible): recorded") {
		t.Fatalf("the click on an ephemeral page answered %v", got)
	}
	if strings.Contains(strings.Join(values(mustJSON(t, got["blocks"])), "|"), id+" 2") {
		t.Fatalf("the replaced page still offers item 2: %v", got["blocks"])
	}
	e.settle()
	if n := len(e.fake.Calls("chat.update")) - updates; n != 0 {
		t.Fatalf("%d chat.update calls for an ephemeral page", n)
	}
}
