package slack_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// openHome delivers app_home_opened for user (with retry headers when retry
// is set) and waits for the adapter.
func (e *env) openHome(user, eventID string, retry bool) {
	e.t.Helper()
	body := mustJSON(e.t, appHomeOpened(user, eventID))
	h := signed(time.Now(), body)
	if retry {
		h.Set("X-Slack-Retry-Num", "1")
		h.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	if rec := e.do("/slack/events", "application/json", body, h); rec.Code != http.StatusOK {
		e.t.Fatalf("event: status %d", rec.Code)
	}
	e.settle()
}

func (e *env) publishes(user string) int {
	n := 0
	for _, c := range e.fake.Calls("views.publish") {
		if strings.Contains(string(c.JSON), `"user_id":"`+user+`"`) {
			n++
		}
	}
	return n
}

// TestAppHome: App Home shows eligible roles with Activate, pending
// requests with Cancel, requests waiting for an approver with Approve /
// Deny, and active windows with time left and Deactivate / Extend; clicks
// there work and the home is published again with their outcome. A
// retried event publishes once.
func TestAppHome(t *testing.T) {
	e := newEnv(t, options{})
	r, _ := pending(t, e, "fixing replication lag")

	e.openHome(uAlice, "Ev-1", false)
	home := e.fake.Home(uAlice)
	for _, v := range []string{"prod-db", "staging", "ops", "deploy", "cancel " + r.ID} {
		button(t, home, v)
	}
	if !strings.Contains(textOf(home), "prod-db for 2h: PendingApproval · "+r.ID) {
		t.Errorf("alice's home lacks her pending request: %s", textOf(home))
	}

	e.openHome(uBob, "Ev-2", false)
	e.openHome(uBob, "Ev-2", true) // Slack's retry of the same event
	if n := e.publishes(uBob); n != 1 {
		t.Errorf("bob's home published %d times, want 1", n)
	}
	home = e.fake.Home(uBob)
	if !strings.Contains(textOf(home), "alice wants prod-db for 2h · "+r.ID) {
		t.Errorf("bob's home lacks the request waiting for him: %s", textOf(home))
	}

	// Approve from the home: the request activates, bob's home shows the outcome.
	e.interact(e.homeClick(uBob, button(t, home, "approve "+r.ID)))
	e.settle()
	if got := e.mustGet(r.ID); got.State != core.StateActive {
		t.Fatalf("request = %s, want Active", got.State)
	}
	home = e.fake.Home(uBob)
	if !strings.Contains(textOf(home), "You approved "+r.ID) || len(slacktest.Buttons(home)) != 0 {
		t.Errorf("bob's home after approving: %s", textOf(home))
	}

	e.clock.Advance(30 * time.Minute)
	e.openHome(uAlice, "Ev-3", false)
	home = e.fake.Home(uAlice)
	if !strings.Contains(textOf(home), "prod-db until 11:00 UTC (1h30m left) · "+r.ID) {
		t.Errorf("alice's home lacks her active window: %s", textOf(home))
	}
	button(t, home, "drop "+r.ID)
	button(t, home, "extend "+r.ID+" by 30m")

	// Activate a role that needs a form: the click's trigger opens the modal.
	click := e.homeClick(uAlice, button(t, home, "deploy"))
	e.interact(click)
	e.waitOpened(click["trigger_id"].(string))
}
