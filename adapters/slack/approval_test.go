package slack_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// pending has alice request prod-db in one line and returns the request
// and bob's copy of the approval message.
func pending(t *testing.T, e *env, justification string) (*core.Request, slacktest.Message) {
	t.Helper()
	_, resp := e.slash(uAlice, "prod-db for 2h INC-4411 "+justification)
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "waiting for approval") {
		t.Fatalf("alice's reply = %q, want 'waiting for approval'", got)
	}
	r := e.request("alice", "prod-db")
	return r, e.waitMessage(slacktest.DM(uBob), "Approval needed")
}

// TestApproveRefusedForRequesterAndNonApprover: alice clicking Approve on
// her own request (on a copy she was never sent, as a forged click would)
// and mallory clicking it are refused ephemerally; the request stays pending.
func TestApproveRefusedForRequesterAndNonApprover(t *testing.T) {
	e := newEnv(t, options{})
	r, copy := pending(t, e, "fixing replication lag")
	approve := button(t, copy.Blocks, "approve "+r.ID)
	for _, c := range []struct {
		user, want string
	}{
		{uAlice, "⛔ You cannot approve or deny your own request."},
		{uMallory, "⛔ You are not an approver for prod-db."},
	} {
		click, resp := e.click(c.user, copy, approve)
		e.interact(click)
		reply := e.waitResponse(resp)
		if reply["response_type"] != "ephemeral" || !strings.Contains(responseText(t, reply), c.want) {
			t.Errorf("%s's click: reply %v, want ephemeral %q", c.user, reply, c.want)
		}
	}
	e.settle()
	if got := e.mustGet(r.ID); got.State != core.PendingApproval || len(got.Approvals) != 0 {
		t.Errorf("request after refused clicks: %s with %d approvals, want pending with none", got.State, len(got.Approvals))
	}
	if n := e.auditCount("approve"); n != 0 {
		t.Errorf("%d approvals audited, want 0", n)
	}
	for _, m := range e.fake.Messages(slacktest.DM(uBob)) {
		if m.Updates != 0 {
			t.Errorf("bob's copy was updated after refused clicks: %q", m.Text)
		}
	}
}

// TestDuplicateBlockActionsApproveOnce: the same block_actions payload
// delivered twice, even at once, is one approval and one reply.
func TestDuplicateBlockActionsApproveOnce(t *testing.T) {
	e := newEnv(t, options{})
	r, copy := pending(t, e, "fixing replication lag")
	click, resp := e.click(uBob, copy, button(t, copy.Blocks, "approve "+r.ID))
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { e.interact(click) })
	}
	wg.Wait()
	e.interact(click) // and once more, later: a retry
	e.settle()
	if n := e.auditCount("approve"); n != 1 {
		t.Errorf("%d approvals audited, want 1", n)
	}
	if n := len(e.responses(resp)); n != 1 {
		t.Errorf("%d replies to the click, want 1", n)
	}
	if got := e.mustGet(r.ID); got.State != core.StateActive {
		t.Errorf("request = %s, want Active", got.State)
	}
	// A second, distinct click (a double click) is a new delivery: core answers it.
	click2, resp2 := e.click(uBob, copy, button(t, copy.Blocks, "approve "+r.ID))
	e.interact(click2)
	if got := responseText(t, e.waitResponse(resp2)); !strings.Contains(got, "already approved by bob") {
		t.Errorf("second click reply = %q, want 'already approved by bob'", got)
	}
}

// TestDenyOpensReasonModal: Deny opens a modal for the reason; submitting
// it denies the request, every copy shows the outcome, alice hears why.
func TestDenyOpensReasonModal(t *testing.T) {
	e := newEnv(t, options{})
	r, _ := pending(t, e, "fixing replication lag")
	carolCopy := e.waitMessage(slacktest.DM(uCarol), "Approval needed")
	click, _ := e.click(uCarol, carolCopy, button(t, carolCopy.Blocks, "deny "+r.ID))
	e.interact(click)
	opened := e.waitOpened(click["trigger_id"].(string))
	ins := slacktest.Inputs(opened)
	if len(ins) != 1 || ins[0].BlockID != "elevate:in:reason" || ins[0].Optional {
		t.Fatalf("deny modal inputs = %+v, want one required reason", ins)
	}
	if got := e.interact(e.submission(uCarol, opened, map[string]string{"reason": "use the read-only replica"})); !emptyResponse(got) {
		t.Fatalf("deny submission response = %s, want the modal closed", got)
	}
	e.settle()
	if got := e.mustGet(r.ID); got.State != core.Denied || got.DecidedBy != "carol" || got.Reason != "use the read-only replica" {
		t.Fatalf("request = %s by %q (%q), want Denied by carol with the reason", got.State, got.DecidedBy, got.Reason)
	}
	m := e.waitMessage(slacktest.DM(uAlice), "carol denied prod-db")
	if !strings.Contains(m.Text, "Reason: use the read-only replica") {
		t.Errorf("alice's DM = %q, want the reason", m.Text)
	}
	for _, ch := range []string{slacktest.DM(uBob), cAppr, slacktest.DM(uCarol)} {
		e.waitFor("the copy in "+ch+" to show the denial", func() bool {
			m, ok := e.messageWith(ch, "Denied")
			return ok && m.Updates > 0 && len(slacktest.Buttons(m.Blocks)) == 0
		})
	}
	e.waitMessage(slacktest.DM(uCarol), "You denied "+r.ID)
}

// TestSubmissionErrorsShowOnModal: a submission core refuses shows the
// error under the field it is about, and nothing is requested.
func TestSubmissionErrorsShowOnModal(t *testing.T) {
	e := newEnv(t, options{})
	trigger, _ := e.slash(uAlice, "prod-db")
	opened := e.waitOpened(trigger)
	for _, c := range []struct {
		values map[string]string
		block  string
		want   string
	}{
		{map[string]string{"justification": "too short", "ticket": "INC-1"}, "elevate:in:justification", "Justification is too short"},
		{map[string]string{"justification": "long enough reason", "ticket": "JIRA-1"}, "elevate:in:ticket", `Ticket "JIRA-1" does not match`},
		{map[string]string{"justification": "long enough reason", "ticket": "INC-1", "duration": "9h"}, "elevate:in:duration", "Duration 9h is over the maximum"},
	} {
		got := e.interact(e.submission(uAlice, opened, c.values))
		var resp struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := jsonUnmarshal(got, &resp); err != nil || resp.ResponseAction != "errors" || !strings.Contains(resp.Errors[c.block], c.want) {
			t.Errorf("values %v: response %s, want errors on %s containing %q", c.values, got, c.block, c.want)
		}
	}
	e.settle()
	if n := e.auditCount("request"); n != 0 {
		t.Errorf("%d requests after refused submissions, want 0", n)
	}
}
