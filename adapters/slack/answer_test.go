package slack_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestReadOnlyCommandsAnsweredInAck: a command that changes nothing
// (help, status, the menu, who, a command that does not parse) is answered
// in the body of its 200, ephemerally, with a debug line: nothing goes
// into the inbox and nothing is posted to its response_url. A command that changes something
// is still written to the inbox first and acknowledged with an empty 200.
func TestReadOnlyCommandsAnsweredInAck(t *testing.T) {
	e := newEnv(t, options{})
	for _, c := range []struct{ user, text, want string }{
		{uBob, "help", "just-in-time access"},
		{uAlice, "status", "Eligible: deploy, ops, prod-db, staging"},
		{uAlice, "", "Activate staging"},
		{uDana, "who admin", "dana (assignment"},
		{uDana, "alerts", "alert"},
		{uAlice, "status please", "Usage: /elevate status"},
	} {
		form, _, _ := e.slashForm(c.user, c.text)
		rec := e.post("/slack/commands", form)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Fatalf("%q: status %d body %q, want the answer in a 200", c.text, rec.Code, rec.Body.String())
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%q: body %s: %v", c.text, rec.Body, err)
		}
		if m["response_type"] != "ephemeral" {
			t.Errorf("%q: response_type %v, want ephemeral", c.text, m["response_type"])
		}
		if got := responseText(t, m); !strings.Contains(got, c.want) {
			t.Errorf("%q answered %q, want it to contain %q", c.text, got, c.want)
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"principal":"alice","verb":"status","error":false,"message":"slack command answered in its acknowledgement"`) {
		t.Errorf("no debug line for alice's status answered in its acknowledgement:\n%s", logs)
	}
	e.settle()
	if n := e.inbox.written.Load(); n != 0 {
		t.Errorf("%d inbox items written for commands that change nothing", n)
	}
	if calls := e.fake.Calls("response_url"); len(calls) != 0 {
		t.Errorf("%d response_url posts for commands answered in their acknowledgement", len(calls))
	}

	form, _, resp := e.slashForm(uAlice, "staging for 1h")
	if rec := e.post("/slack/commands", form); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("activation: status %d body %q, want an empty 200", rec.Code, rec.Body.String())
	}
	if n := e.inbox.written.Load(); n != 1 {
		t.Errorf("%d inbox items written for an activation, want 1", n)
	}
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "staging is active") {
		t.Errorf("activation answered %q", got)
	}

	// Who a user without a Slack id in the config is takes users.info: the
	// inbox path finds out (here: not enrolled), and the next command of
	// that user is answered in its acknowledgement.
	_, resp = e.slash(uNobody, "status")
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "not enrolled") {
		t.Errorf("first status of an unknown user answered %q", got)
	}
	_, resp = e.slash(uNobody, "status")
	if _, ok := e.acks.Load(resp); !ok {
		t.Error("the second status of an unknown user was not answered in its acknowledgement")
	} else if got := responseText(t, e.responses(resp)[0]); !strings.Contains(got, "not enrolled") {
		t.Errorf("second status of an unknown user answered %q", got)
	}
	e.settle()
	if n := e.inbox.written.Load(); n != 2 {
		t.Errorf("%d inbox items written, want 2: the activation and the unknown user's first status", n)
	}
}
