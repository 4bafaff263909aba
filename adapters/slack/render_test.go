package slack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
)

const evil = "<!channel> @here <https://evil.example|click>"

// TestUserTextIsInert: a justification that tries to ping the channel and
// forge a link reaches core verbatim and is shown inert everywhere: only
// in plain_text block objects, and escaped in the fallback text, which is
// sent with mrkdwn, parse and link_names off.
func TestUserTextIsInert(t *testing.T) {
	e := newEnv(t, options{})
	r, copy := pending(t, e, evil)
	if r.Justification != evil {
		t.Fatalf("justification in core = %q, want %q verbatim", r.Justification, evil)
	}
	escaped := "&lt;!channel&gt; @here &lt;https://evil.example|click&gt;"
	checkInert := func(where, text string, blocks []byte) {
		t.Helper()
		if !strings.Contains(text, escaped) {
			t.Errorf("%s: fallback text %q lacks the escaped justification", where, text)
		}
		for _, bad := range []string{"<!channel>", "<!here>", "<https://", "<!everyone>"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s: fallback text contains %q: %q", where, bad, text)
			}
		}
		found := false
		for _, tx := range slacktest.Texts(blocks) {
			if strings.Contains(tx.Text, "evil.example") {
				found = true
				if tx.Type != "plain_text" {
					t.Errorf("%s: user text in a %s object: %q", where, tx.Type, tx.Text)
				}
			}
		}
		if !found {
			t.Errorf("%s: the justification is not shown in the blocks", where)
		}
	}
	for _, ch := range []string{slacktest.DM(uBob), slacktest.DM(uCarol), cAppr} {
		m := e.waitMessage(ch, "Approval needed")
		checkInert(ch, m.Text, m.Blocks)
		for k, want := range map[string]string{"mrkdwn": "false", "parse": "none", "link_names": "false"} {
			if got := m.Params.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", ch, k, got, want)
			}
		}
	}

	// Bob's App Home lists the request inert too.
	body := mustJSON(t, appHomeOpened(uBob, "Ev-inert"))
	e.do("/slack/events", "application/json", body, signed(time.Now(), body))
	e.waitFor("bob's App Home", func() bool { return e.fake.Home(uBob) != nil })
	checkInert("App Home", escaped, e.fake.Home(uBob))

	// The decided copies and alice's activation DM keep it inert too.
	click, resp := e.click(uBob, copy, button(t, copy.Blocks, "approve "+r.ID))
	e.interact(click)
	e.waitResponse(resp)
	e.waitFor("the copies to be updated", func() bool {
		m, ok := e.messageWith(cAppr, "Approved")
		return ok && m.Updates > 0
	})
	m, _ := e.messageWith(cAppr, "Approved")
	checkInert("updated copy", m.Text, m.Blocks)
	m = e.waitMessage(slacktest.DM(uAlice), "is active until")
	checkInert("alice's DM", m.Text, m.Blocks)
}
