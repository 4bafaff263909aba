package slack_test

import (
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
)

// TestIdentity: Slack users map to principals by configured id, else by a
// confirmed email of a principal without a Slack id; anyone else is told
// they are not enrolled, and nothing runs as them.
func TestIdentity(t *testing.T) {
	e := newEnv(t, options{})
	e.fake.AddUser(slacktest.User{ID: "U0FAKECAROL", Email: "carol@example.com", Unconfirmed: true})
	e.fake.AddUser(slacktest.User{ID: "U0FAKEBOB", Email: "bob@example.com"})
	before := e.auditCount("")
	notEnrolled := func(user string) {
		t.Helper()
		_, resp := e.slash(user, "staging for 1h")
		got := responseText(t, e.waitResponse(resp))
		if !strings.Contains(got, "🔎 You are not enrolled in elevate. Ask an admin to add your slack id ("+user+") to the config.") {
			t.Errorf("%s: reply %q, want not enrolled", user, got)
		}
	}
	notEnrolled(uNobody)
	notEnrolled("U0FAKECAROL") // carol's email, unconfirmed
	notEnrolled("U0FAKEBOB")   // bob's email, but bob's Slack id is configured
	notEnrolled("U0MISSING")   // unknown to Slack
	e.settle()
	if n := e.auditCount("") - before; n != 0 {
		t.Errorf("%d audit events from unenrolled users", n)
	}

	_, resp := e.slash(uCarol, "status")
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "Your access") {
		t.Errorf("carol (by email): reply %q, want her status", got)
	}
}
