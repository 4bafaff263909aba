package slack_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
)

// fuzzEnv is one environment shared by a fuzz target's inputs, with a
// pending request that a well-formed click could decide.
func fuzzEnv(f *testing.F) (*env, map[string]any, map[string]any) {
	e := newEnv(f, options{submitWait: 50 * time.Millisecond})
	r, copy := pending2(f, e)
	click, _ := e.click(uBob, copy, button(f, copy.Blocks, "approve "+r))
	trigger, _ := e.slash(uAlice, "deploy")
	sub := e.submission(uAlice, e.waitOpened(trigger), map[string]string{"justification": "fuzzing the form"})
	e.settle()
	return e, click, sub
}

// pending2 is pending for any testing.TB.
func pending2(t testing.TB, e *env) (string, slacktest.Message) {
	t.Helper()
	e.slash(uAlice, "prod-db for 2h INC-4411 fixing replication lag")
	m := e.waitMessage("DU0BOB", "Approval needed")
	e.settle()
	return e.request("alice", "prod-db").ID, m
}

// state is what a payload could change: audited actions and open requests.
func (e *env) state() (int, int) {
	open := 0
	for id := range directory().Principals {
		rs, _ := e.store.OpenRequestsOf(context.Background(), id)
		open += len(rs)
	}
	return e.auditCount(""), open
}

// wellFormedInteraction reports whether body is an interaction the adapter
// acts on: a click on an elevate button or an elevate modal's submission, by a user.
func wellFormedInteraction(body []byte) bool {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ic, err := slackapi.InteractionCallbackParse(req)
	if err != nil || ic.User.ID == "" {
		return false
	}
	switch ic.Type {
	case slackapi.InteractionTypeBlockActions:
		for _, a := range ic.ActionCallback.BlockActions {
			if a != nil && strings.HasPrefix(a.ActionID, "elevate:") {
				return true
			}
		}
	case slackapi.InteractionTypeViewSubmission:
		return ic.View.CallbackID == "elevate:form" && ic.View.ID != ""
	}
	return false
}

// FuzzInteraction: any body with a valid signature gets 200 or 400, never
// panics, and changes nothing unless it is a well-formed elevate interaction.
func FuzzInteraction(f *testing.F) {
	e, click, sub := fuzzEnv(f)
	for _, p := range []map[string]any{click, sub} {
		f.Add([]byte(url.Values{"payload": {string(mustJSON(f, p))}}.Encode()))
	}
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%7D"))
	f.Add([]byte("payload=null"))
	f.Add([]byte(""))
	f.Add([]byte("payload=" + url.QueryEscape(`{"type":"view_submission","user":{"id":"U0ALICE"},"view":{"id":"V1","callback_id":"elevate:form","private_metadata":"{\"form\":\"request\",\"hidden\":{\"role\":\"admin\"}}","state":{"values":{"elevate:in:x":{"value":{"value":"y"}}}}}}`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		audit, open := e.state()
		rec := e.do("/slack/interactions", "application/x-www-form-urlencoded", body, signed(time.Now(), body))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		e.a.Wait()
		if wellFormedInteraction(body) {
			return
		}
		if a, o := e.state(); a != audit || o != open {
			t.Fatalf("a malformed interaction changed state (audit %d→%d, open %d→%d): %q", audit, a, open, o, body)
		}
	})
}

// FuzzEvent: any signed events body gets 200 or 400, never panics, and
// changes no state (events only publish App Home views).
func FuzzEvent(f *testing.F) {
	e, _, _ := fuzzEnv(f)
	f.Add([]byte(mustJSON(f, appHomeOpened(uAlice, "Ev-fuzz"))))
	f.Add([]byte(`{"type":"url_verification","challenge":"x"}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"E1","event":null}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"E2","event":{"type":"app_home_opened","user":""}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		audit, open := e.state()
		rec := e.do("/slack/events", "application/json", body, signed(time.Now(), body))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		e.a.Wait()
		if a, o := e.state(); a != audit || o != open {
			t.Fatalf("an event changed state: %q", body)
		}
	})
}

// FuzzCommand: any signed slash command body gets 200 or 400 and never
// panics; without a user and trigger id nothing happens.
func FuzzCommand(f *testing.F) {
	e, _, _ := fuzzEnv(f)
	form, _, _ := e.slashForm(uAlice, "staging for 1h")
	f.Add([]byte(form.Encode()))
	f.Add([]byte("user_id=U0ALICE&text=approve"))
	f.Add([]byte("text=%ZZ&user_id="))
	f.Fuzz(func(t *testing.T, body []byte) {
		audit, open := e.state()
		rec := e.do("/slack/commands", "application/x-www-form-urlencoded", body, signed(time.Now(), body))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		e.a.Wait()
		v, err := url.ParseQuery(string(body))
		if err == nil && v.Get("user_id") != "" && v.Get("trigger_id") != "" {
			return
		}
		if a, o := e.state(); a != audit || o != open {
			t.Fatalf("a malformed command changed state: %q", body)
		}
	})
}
