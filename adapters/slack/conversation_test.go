package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// transport delivers Slack payloads to the adapter: as signed HTTP
// requests, or as Socket Mode envelopes.
type transport interface {
	// command runs "/elevate text" as user; it returns the trigger id and response_url id.
	command(user, text string) (string, string)
	// interact delivers an interaction and returns the acknowledgement's response payload.
	interact(payload map[string]any) []byte
}

type httpTransport struct{ e *env }

func (h httpTransport) command(user, text string) (string, string) { return h.e.slash(user, text) }
func (h httpTransport) interact(p map[string]any) []byte           { return h.e.interact(p) }

type socketTransport struct{ e *env }

func (s socketTransport) command(user, text string) (string, string) {
	s.e.t.Helper()
	form, trigger, resp := s.e.slashForm(user, text)
	payload := map[string]string{}
	for k := range form {
		payload[k] = form.Get(k)
	}
	if ack := s.send("slash_commands", payload); len(ack) > 0 && !emptyResponse(ack) {
		s.e.acks.Store(resp, []byte(ack))
	}
	return trigger, resp
}

func (s socketTransport) interact(p map[string]any) []byte {
	s.e.t.Helper()
	return s.send("interactive", p)
}

// send delivers an envelope and waits for its acknowledgement.
func (s socketTransport) send(typ string, payload any) []byte {
	s.e.t.Helper()
	id, err := s.e.fake.Send(typ, payload)
	if err != nil {
		s.e.t.Fatal(err)
	}
	ack, ok := s.e.fake.WaitAck(id, 5*time.Second)
	if !ok {
		s.e.t.Fatalf("envelope %s (%s) was not acknowledged", id, typ)
	}
	return ack.Payload
}

// emptyResponse reports whether a modal response closes the modal.
func emptyResponse(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null"
}

// converse drives the whole conversation of issue 4 through tr: a slash
// command opens a modal; its submission sends approver DMs (bob directly,
// carol through the dba Slack user group and her email) and an approvals
// channel post with buttons; bob's click approves; every copy is updated
// without buttons; alice is told and the security channel gets the
// activation; the window expires with a DM and a post.
func converse(t *testing.T, e *env, tr transport) {
	ctx := context.Background()

	trigger, _ := tr.command(uAlice, "prod-db for 2h")
	opened := e.waitOpened(trigger)
	inputs := map[string]slacktest.Input{}
	for _, in := range slacktest.Inputs(opened) {
		inputs[strings.TrimPrefix(in.BlockID, "elevate:in:")] = in
	}
	if in := inputs["role"]; in.Element != "static_select" || in.Initial != "prod-db" || !contains(in.Options, "prod-db") || contains(in.Options, "admin") {
		t.Errorf("role input = %+v, want a select of alice's eligible roles with prod-db chosen", in)
	}
	if in := inputs["duration"]; in.Initial != "2h" {
		t.Errorf("duration input = %+v, want 2h pre-filled", in)
	}
	if in := inputs["justification"]; in.Optional || !in.Multiline {
		t.Errorf("justification input = %+v, want a required multi-line input", in)
	}
	if _, ok := inputs["ticket"]; !ok {
		t.Errorf("modal has no ticket input: %s", opened)
	}

	resp := tr.interact(e.submission(uAlice, opened, map[string]string{"justification": "fixing replication lag", "ticket": "INC-4411"}))
	if !emptyResponse(resp) {
		t.Fatalf("submission response = %s, want the modal closed", resp)
	}
	e.settle()
	r := e.request("alice", "prod-db")
	if r.State != core.PendingApproval {
		t.Fatalf("request state = %s, want PendingApproval", r.State)
	}
	e.waitMessage(slacktest.DM(uAlice), "waiting for approval")

	// Approval requests with Approve / Deny in each approver's DM and the approvals channel.
	copies := []string{slacktest.DM(uBob), slacktest.DM(uCarol), cAppr}
	for _, ch := range copies {
		m := e.waitMessage(ch, "Approval needed")
		button(t, m.Blocks, "approve "+r.ID)
		button(t, m.Blocks, "deny "+r.ID)
		if !strings.Contains(textOf(m.Blocks), "fixing replication lag") {
			t.Errorf("approval request in %s lacks the justification: %s", ch, m.Blocks)
		}
	}
	if n := len(e.fake.Messages(slacktest.DM(uMallory))); n != 0 {
		t.Errorf("mallory, no approver, got %d DMs", n)
	}

	bobCopy, _ := e.messageWith(slacktest.DM(uBob), "Approval needed")
	click, respID := e.click(uBob, bobCopy, button(t, bobCopy.Blocks, "approve "+r.ID))
	if resp := tr.interact(click); !emptyResponse(resp) {
		t.Errorf("block_actions ack = %s, want empty", resp)
	}
	reply := e.waitResponse(respID)
	if reply["response_type"] != "ephemeral" || !strings.Contains(responseText(t, reply), "You approved "+r.ID) {
		t.Errorf("bob's reply = %v, want an ephemeral 'You approved'", reply)
	}

	// Every copy is updated to the outcome, without buttons.
	for _, ch := range copies {
		e.waitFor("the copy in "+ch+" to be updated", func() bool {
			m, ok := e.messageWith(ch, "Approved")
			return ok && m.Updates > 0
		})
		m, _ := e.messageWith(ch, "Approved")
		if bs := slacktest.Buttons(m.Blocks); len(bs) != 0 {
			t.Errorf("updated copy in %s still has buttons: %+v", ch, bs)
		}
		if !strings.Contains(m.Text, "bob approved prod-db for alice") {
			t.Errorf("updated copy in %s = %q, want who decided", ch, m.Text)
		}
	}
	e.waitMessage(slacktest.DM(uAlice), "prod-db is active until")
	e.waitMessage(cSec, "alice activated prod-db")
	if r := e.mustGet(r.ID); r.State != core.StateActive || r.DecidedBy != "bob" {
		t.Fatalf("request = %s decided by %q, want Active by bob", r.State, r.DecidedBy)
	}
	if _, err := e.store.Window(ctx, "alice", "prod-db"); err != nil {
		t.Fatalf("window: %v", err)
	}

	// Ten minutes before the end alice is warned, with an Extend button.
	e.clock.Advance(time.Hour + 51*time.Minute)
	if _, err := e.svc.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	warn := e.waitMessage(slacktest.DM(uAlice), "Expiring soon")
	button(t, warn.Blocks, "extend "+r.ID+" by 30m")

	// The window expires: alice is told, the security channel gets a post.
	e.clock.Advance(10 * time.Minute)
	if _, err := e.svc.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitMessage(slacktest.DM(uAlice), "window ended")
	e.waitMessage(cSec, "alice's prod-db window ended")
	if _, err := e.store.Window(ctx, "alice", "prod-db"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("window after expiry: %v, want gone", err)
	}
}

func (e *env) mustGet(id string) *core.Request {
	e.t.Helper()
	r, err := e.store.Request(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestConversationOverHTTP(t *testing.T) {
	e := newEnv(t, options{})
	converse(t, e, httpTransport{e})
	if n := len(e.fake.Calls("socket")); n != 0 {
		t.Errorf("HTTP mode dialed the socket %d times", n)
	}
}

func TestConversationOverSocketMode(t *testing.T) {
	e := newEnv(t, options{appToken: appToken})
	if err := e.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.a.Close()
		e.a.Wait() // returns once Socket Mode has stopped
	})
	if !e.fake.WaitConnected(5 * time.Second) {
		t.Fatal("the adapter did not connect to the socket")
	}
	if calls := e.fake.Calls("apps.connections.open"); len(calls) == 0 || calls[0].Auth != "xapp" {
		t.Fatalf("apps.connections.open calls = %+v, want one with the app token", calls)
	}
	converse(t, e, socketTransport{e})

	// A command that changes nothing is answered in its acknowledgement's payload.
	_, resp := socketTransport{e}.command(uAlice, "status")
	if ack, ok := e.acks.Load(resp); !ok {
		t.Error("status over Socket Mode was not answered in its acknowledgement")
	} else if got := responseText(t, e.responses(resp)[0]); !strings.Contains(got, "Eligible: deploy, ops, prod-db, staging") {
		t.Errorf("status over Socket Mode answered %s", ack)
	}

	// Every envelope was acknowledged promptly, and app_home_opened works too.
	id, err := e.fake.Send("events_api", appHomeOpened(uBob, "Ev-socket-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.fake.WaitAck(id, 5*time.Second); !ok {
		t.Fatal("event envelope not acknowledged")
	}
	e.waitFor("bob's App Home", func() bool { return e.fake.Home(uBob) != nil })
	for _, ack := range e.fake.Acks() {
		if d := ack.At.Sub(e.fake.SentAt(ack.EnvelopeID)); d > time.Second {
			t.Errorf("envelope %s acknowledged after %v", ack.EnvelopeID, d)
		}
	}
	if n := len(e.fake.Calls("views.open", "chat.postMessage")); n == 0 {
		t.Fatal("no Web API calls recorded")
	}
}
