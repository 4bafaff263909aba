package slack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestURLVerificationEchoesTheChallenge: Slack's Request URL check on
// /slack/events is answered with the value under the lower-case key
// "challenge", as Slack's Events API documentation asks.
func TestURLVerificationEchoesTheChallenge(t *testing.T) {
	e := newEnv(t, options{})
	body := []byte(`{"token":"x","challenge":"abc123","type":"url_verification"}`)
	rec := e.do("/slack/events", "application/json", body, signed(time.Now(), body))
	var got map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got["challenge"] != "abc123" {
		t.Fatalf("url_verification: %d %s, want 200 {\"challenge\":\"abc123\"}", rec.Code, rec.Body)
	}
}

// TestSSLCheckIsAcknowledged: Slack's certificate check of the commands
// Request URL (ssl_check=1, no command) gets a plain 200 and runs nothing.
func TestSSLCheckIsAcknowledged(t *testing.T) {
	e := newEnv(t, options{})
	rec := e.post("/slack/commands", url.Values{"token": {"x"}, "ssl_check": {"1"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("ssl_check: %d %q, want 200", rec.Code, rec.Body)
	}
}

// TestBadRequestsAreLogged: a 400 from the Slack handlers is logged at
// debug with its reason.
func TestBadRequestsAreLogged(t *testing.T) {
	e := newEnv(t, options{})
	if rec := e.post("/slack/commands", url.Values{"token": {"x"}, "command": {"/elevate"}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("command without a user: %d, want 400", rec.Code)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "slack request refused: 400") || !strings.Contains(logs, "bad slash command payload") {
		t.Errorf("the 400 was not logged with its reason:\n%s", logs)
	}
}

// TestCorrectedModalIsSubmitted: a modal refused for a bad ticket and
// submitted again with the ticket fixed carries the same view id and hash;
// it is a new submission, not a duplicate delivery, and makes the request.
// A true retry of that delivery (same values) still counts once.
func TestCorrectedModalIsSubmitted(t *testing.T) {
	e := newEnv(t, options{})
	trigger, _ := e.slash(uAlice, "prod-db")
	opened := e.waitOpened(trigger)
	sameView := func(values map[string]string) map[string]any {
		p := e.submission(uAlice, opened, values)
		view := p["view"].(map[string]any)
		view["id"], view["hash"] = "V0MODAL", "1700000000.abcdef"
		return p
	}
	got := e.interact(sameView(map[string]string{"justification": "fixing replication lag", "ticket": "INC-"}))
	if !strings.Contains(string(got), `"response_action":"errors"`) {
		t.Fatalf("bad ticket: %s, want response_action errors", got)
	}
	fixed := sameView(map[string]string{"justification": "fixing replication lag", "ticket": "INC-4411"})
	e.interact(fixed)
	e.interact(fixed) // Slack retrying that delivery
	e.settle()
	if n := e.auditCount("request"); n != 1 {
		t.Fatalf("%d requests after the corrected submission (and its retry), want 1", n)
	}
}

// TestBlockActionsRunOnlyTheFirstAction: one block_actions delivery with
// many actions (Slack sends one per click) runs only the first.
func TestBlockActionsRunOnlyTheFirstAction(t *testing.T) {
	e := newEnv(t, options{})
	r, copy := pending(t, e, "fixing replication lag")
	click, resp := e.click(uMallory, copy, button(t, copy.Blocks, "approve "+r.ID))
	one := click["actions"].([]map[string]any)[0]
	var many []map[string]any
	for i := range 500 {
		a := map[string]any{}
		for k, v := range one {
			a[k] = v
		}
		a["action_ts"] = fmt.Sprintf("1700000600.%06d", i)
		many = append(many, a)
	}
	click["actions"] = many
	e.interact(click)
	e.waitResponse(resp)
	e.settle()
	if n := len(e.responses(resp)); n != 1 {
		t.Fatalf("%d replies to one delivery of 500 actions, want 1", n)
	}
}
