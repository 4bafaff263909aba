package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// slackPost sends form to the serve endpoint signed with secret, as Slack does.
func slackPost(t *testing.T, endpoint, secret string, form url.Values) *http.Response {
	t.Helper()
	resp, err := signedSlackRequest(endpoint, secret, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// signedSlackRequest posts form to endpoint signed with secret; the caller closes the body.
func signedSlackRequest(endpoint, secret string, form url.Values) (*http.Response, error) {
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return http.DefaultClient.Do(req)
}

// TestServeWithSlackHTTP wires `serve` to Slack from the environment: a
// signed /elevate on the serve endpoint activates a role whose
// slack_usergroup target adds the requester to the user group, keeping its
// other members; a forged request is refused.
func TestServeWithSlackHTTP(t *testing.T) {
	fake, _, base := mustServeSlack(t, slacktest.User{ID: "U1", Name: "alice", Email: "alice@example.com"})

	slackSlash(t, fake, base, "U1", "staging for 30m")
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, _ := fake.Group("S1")
		if slices.Contains(g.Members, "U1") && slices.Contains(g.Members, "U9") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("user group S1 = %+v, want U1 added beside U9", g)
		}
		time.Sleep(20 * time.Millisecond)
	}
	form := url.Values{"command": {"/elevate"}, "text": {"staging for 30m"}, "user_id": {"U1"}, "team_id": {"T1"}}
	if resp := slackPost(t, base+"/slack/commands", "wrong-secret", form); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %d", resp.StatusCode)
	}
}

// TestOutsideElevateOnSlack: a user group target whose stand-in has a
// member elevate never granted raises a High outside_elevate alert naming
// them in the alerts channel; an admin's signed `alerts remove` takes them
// out of the user group, leaving the member elevate granted, and is audited.
func TestOutsideElevateOnSlack(t *testing.T) {
	fake, m, base := mustServeSlack(t,
		slacktest.User{ID: "U0", Name: "dana", Email: "dana@example.com"},
		slacktest.User{ID: "U1", Name: "alice", Email: "alice@example.com"},
		slacktest.User{ID: "U9", Name: "mallory", Email: "mallory@example.com"})
	slash := func(user, text string) { t.Helper(); slackSlash(t, fake, base, user, text) }
	// alice activates through elevate: her membership is granted, not outside.
	slash("U1", "staging for 30m")
	waitFor(t, "alice added to S1", 5*time.Second, func() bool { g, _ := fake.Group("S1"); return slices.Contains(g.Members, "U1") })
	if err := m.Service.Alerts().Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := core.AlertID(core.AlertOutsideElevate, "slack_usergroup:S1")
	waitFor(t, "the High alert in #sec naming U9", 5*time.Second, func() bool {
		for _, msg := range fake.Messages("C1") {
			all := msg.Text + string(msg.Blocks)
			if strings.Contains(all, "Security alert (high): outside_elevate") && strings.Contains(all, "U9") && !strings.Contains(all, "U1 is a member") {
				return true
			}
		}
		return false
	})
	slash("U0", "alerts remove "+id+" U9")
	waitFor(t, "U9 removed from S1, U1 kept", 5*time.Second, func() bool {
		g, _ := fake.Group("S1")
		return !slices.Contains(g.Members, "U9") && slices.Contains(g.Members, "U1")
	})
	events, _, err := core.ReadAudit(context.Background(), m.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range events {
		audited = audited || (e.Action == "remove_outside_member" && e.Actor == "dana" && strings.Contains(e.Reason, "U9"))
	}
	if !audited {
		t.Fatal("the removal is not audited")
	}
	waitFor(t, "the alert resolved", 5*time.Second, func() bool {
		a, err := m.Service.Alerts().Get(context.Background(), core.Caller{Principal: "dana"}, id)
		return err == nil && a.Status == core.AlertResolved
	})
}

// slackSlash sends a signed `/elevate text` by user to serve at base,
// retrying while the endpoint is not mounted yet; the reply goes to the
// stand-in's response_url named text.
func slackSlash(t *testing.T, fake *slacktest.Server, base, user, text string) {
	t.Helper()
	form := url.Values{"command": {"/elevate"}, "text": {text}, "user_id": {user}, "team_id": {"T1"},
		"channel_id": {"C9"}, "trigger_id": {"trig-" + text}, "response_url": {fake.ResponseURL(text)}}
	var resp *http.Response
	for range 50 {
		if resp = slackPost(t, base+"/slack/commands", "signing-secret", form); resp.StatusCode != http.StatusNotFound {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", text, resp.StatusCode)
	}
}

// slackReply waits for the reply to the slash command text and returns its JSON.
func slackReply(t *testing.T, fake *slacktest.Server, text string) string {
	t.Helper()
	var got string
	waitFor(t, "the reply to "+text, 5*time.Second, func() bool {
		for _, c := range fake.Calls("response_url") {
			if c.Params.Get("id") == text {
				got = string(c.JSON)
				return true
			}
		}
		return false
	})
	return got
}

// mustServeSlack runs `serve` on the in-memory store, wired from the
// environment to a Slack stand-in that knows users: dana (U0) is the
// permanent admin, alice (U1) is eligible for staging, whose
// slack_usergroup target S1 already holds U9, carol (U3) is on the
// break-glass list of bg (user group S2), bob (U2) is not, and #sec (C1)
// gets the posts.
func mustServeSlack(t *testing.T, users ...slacktest.User) (*slacktest.Server, *Main, string) {
	t.Helper()
	fake := slacktest.New()
	t.Cleanup(fake.Close) // after serve has stopped and posted its last notifications
	for _, u := range users {
		fake.AddUser(u)
	}
	fake.SetGroup("S1", "U9")
	fake.SetGroup("S2")
	t.Setenv("ELEVATE_REDIS_URL", "")
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("ELEVATE_SLACK_SIGNING_SECRET", "signing-secret")
	t.Setenv("ELEVATE_SLACK_APP_TOKEN", "")
	t.Setenv("ELEVATE_SLACK_API_URL", fake.APIURL())
	t.Setenv("ELEVATE_DISCORD_BOT_TOKEN", "")
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	err := os.WriteFile(cfg, []byte(`admin_role: admin
principals:
  dana: {slack: U0}
  alice: {slack: U1}
  bob: {slack: U2}
  carol: {slack: U3}
channels:
  sec: {slack: C1}
notifications: {channel: sec}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  staging:
    activation: {max_duration: 1h}
    targets:
      - {type: slack_usergroup, usergroup: S1}
  bg:
    break_glass: true
    break_glass_principals: [carol]
    activation: {max_duration: 1h}
    targets:
      - {type: slack_usergroup, usergroup: S2}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: staging, type: eligible, permanent: true}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	m, base := mustServe(t, cfg)
	return fake, m, base
}
