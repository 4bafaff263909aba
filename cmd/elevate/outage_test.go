package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/console"
	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// unavailableText is what every adapter shows while the store is down.
const unavailableText = "elevate cannot reach its store; nothing was changed"

// chatEnv is `serve` on a Redis of the test's own, with Slack and Discord
// both wired over HTTP to their platform stand-ins; dana (slack U0, discord
// 1000) is the admin and alice (U1, 1001) is eligible for staging, whose
// targets the config's extra YAML may add.
type chatEnv struct {
	m       *Main
	base    string
	redis   *redistest.Server
	slack   *slacktest.Server
	discord *discordtest.Server
	signer  *discordtest.Signer
}

func newChatEnv(t *testing.T, stagingTargets string) *chatEnv {
	t.Helper()
	e := &chatEnv{redis: redistest.StartServer(t), slack: slacktest.New(), discord: discordtest.New(t), signer: discordtest.NewSigner()}
	t.Cleanup(e.slack.Close)
	e.slack.AddUser(slacktest.User{ID: "U0", Name: "dana"})
	e.slack.AddUser(slacktest.User{ID: "U1", Name: "alice"})
	e.discord.AddMember("g1", "1000")
	e.discord.AddMember("g1", "1001")
	t.Setenv("ELEVATE_REDIS_URL", e.redis.URL())
	t.Setenv("ELEVATE_REDIS_PREFIX", "elevate")
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("ELEVATE_SLACK_SIGNING_SECRET", "signing-secret")
	t.Setenv("ELEVATE_SLACK_APP_TOKEN", "")
	t.Setenv("ELEVATE_SLACK_API_URL", e.slack.APIURL())
	t.Setenv("ELEVATE_DISCORD_BOT_TOKEN", "bot-token")
	t.Setenv("ELEVATE_DISCORD_APP_ID", "app")
	t.Setenv("ELEVATE_DISCORD_PUBLIC_KEY", e.signer.PublicKeyHex())
	t.Setenv("ELEVATE_DISCORD_MODE", "http")
	t.Setenv("ELEVATE_DISCORD_API_URL", e.discord.URL())
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	err := os.WriteFile(cfg, []byte(`admin_role: admin
principals:
  dana: {slack: U0, discord: "1000", console: dana}
  alice: {slack: U1, discord: "1001", console: alice}
channels:
  sec: {slack: C1, discord: "9000"}
notifications: {channel: sec}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  staging:
    activation: {max_duration: 4h, default_duration: 1h}
    extension: {allowed: true, max_total: 2h}
`+stagingTargets+`
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: staging, type: eligible, permanent: true}
discord:
  guilds: ["g1"]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	e.m, e.base = mustServe(t, cfg)
	return e
}

// slackCommand sends a signed /elevate as user and returns the first reply
// posted to its response_url.
func (e *chatEnv) slackCommand(t *testing.T, user, text string) string {
	t.Helper()
	reply, _ := e.slackTimed(t, "resp-"+user+"-"+strings.ReplaceAll(text, " ", "-"), user, text)
	return reply
}

// slackTimed sends a signed /elevate as user, with a response_url named
// id, and returns the first reply posted to it and how long after sending
// it came.
func (e *chatEnv) slackTimed(t *testing.T, id, user, text string) (string, time.Duration) {
	t.Helper()
	form := url.Values{"command": {"/elevate"}, "text": {text}, "user_id": {user}, "team_id": {"T1"},
		"channel_id": {"C9"}, "trigger_id": {"trig-" + id}, "response_url": {e.slack.ResponseURL(id)}}
	var resp *http.Response
	var body []byte
	var sent time.Time
	for range 100 { // the adapter mounts as serve starts
		sent = time.Now()
		var err error
		if resp, err = signedSlackRequest(e.base+"/slack/commands", "signing-secret", form); err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("slack %q: HTTP %d", text, resp.StatusCode)
	}
	if len(body) > 0 { // answered in the acknowledgement: the command was not queued
		return string(body), time.Since(sent)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range e.slack.Calls("response_url") {
			if c.Params.Get("id") == id {
				return string(c.JSON), time.Since(sent)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("slack %q: no reply on the response_url; calls: %+v", text, e.slack.Calls())
	return "", 0
}

// discordCommand sends a signed /elevate sub as user and returns the
// reply: the interaction's response, or the edit that follows a deferral.
func (e *chatEnv) discordCommand(t *testing.T, id, user, sub string, opts ...discordtest.Option) string {
	t.Helper()
	where := discordtest.Where{App: "app", Guild: "g1", Channel: "c1"}
	body := discordtest.Command(where, id, user, sub, opts...)
	var raw []byte
	for range 100 {
		resp, err := http.DefaultClient.Do(e.signer.Request(e.base+"/discord/interactions", body, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("discord %s: HTTP %d %s", sub, resp.StatusCode, raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var r struct {
		Type int `json:"type"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("discord %s: %v: %s", sub, err, raw)
	}
	if r.Type != 5 { // not a deferral: the answer itself
		return string(raw)
	}
	calls := e.discord.WaitFor(t, 10*time.Second, 1, "PATCH", `^/webhooks/app/`+discordtest.Token(id)+`/messages/@original$`)
	return string(calls[0].Body)
}

// consoleSay runs lines through a console adapter on the same Main.
func (e *chatEnv) consoleSay(t *testing.T, lines ...string) string {
	t.Helper()
	var out bytes.Buffer
	c := console.New(e.m.Bot, &out)
	if err := c.Run(context.Background(), strings.NewReader(strings.Join(lines, "\n"))); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestStoreOutageIsNotForbidden: while Redis is down, an admin's `who` is
// answered on Slack, Discord and the console with "cannot reach its store",
// not with a refusal (the holder lookup used to turn the error into "not
// allowed").
func TestStoreOutageIsNotForbidden(t *testing.T) {
	e := newChatEnv(t, "")
	if got := e.slackCommand(t, "U0", "who staging"); !strings.Contains(got, "alice") {
		t.Fatalf("who with Redis up: %s", got)
	}
	e.redis.Stop()

	for name, got := range map[string]string{
		"slack":   e.slackCommand(t, "U0", "who admin"),
		"discord": e.discordCommand(t, "i-who", "1000", "who", discordtest.Option{Name: "role", Value: "staging"}),
		"console": e.consoleSay(t, "dana: who staging"),
	} {
		if !strings.Contains(got, unavailableText) || strings.Contains(strings.ToLower(got), "only holders") {
			t.Errorf("%s: who while Redis is down answered\n%s\nwant %q", name, got, unavailableText)
		}
	}
}

// refuser is a webhook receiver that refuses every call with status and
// a body that must never reach chat.
func refuser(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "policy denied: token=s3cr3t-internal", status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestFailedGrantIsNotRepliedActive: when the target refuses the grant, the
// immediate reply to the command on Slack, Discord and the console says the
// activation failed; it never shows "active until" or a Deactivate button.
func TestFailedGrantIsNotRepliedActive(t *testing.T) {
	hook := refuser(t, http.StatusForbidden)
	t.Setenv("HOOK_SECRET", "hook-secret")
	e := newChatEnv(t, `    targets:
      - {type: webhook, url: "`+hook.URL+`", secret: "${HOOK_SECRET}", timeout: 2s}`)
	for name, say := range map[string]func() string{
		"slack": func() string { return e.slackCommand(t, "U1", "staging for 30m") },
		"discord": func() string {
			return e.discordCommand(t, "i-req", "1001", "request", discordtest.Option{Name: "role", Value: "staging"})
		},
		"console": func() string { return e.consoleSay(t, "alice: staging for 30m") },
	} {
		got := say()
		if strings.Contains(got, "active until") || strings.Contains(got, "Deactivate") || !strings.Contains(got, "Failed") {
			t.Errorf("%s: reply to a request whose grant was refused:\n%s\nwant it Failed, without Deactivate", name, got)
		}
	}
	events, _, err := core.ReadAudit(context.Background(), e.m.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, ev := range events {
		if ev.Action == "fail" {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d requests failed, want 3 (one per platform)", failed)
	}
}

// TestExtendReachesTargets: `extend` tells a webhook target (action
// "extend", the window's new end) and an exec target (ELEVATE_ACTION=extend,
// ELEVATE_WINDOW_END the new end), and the request's card shows the new end
// instead of the requested duration.
func TestExtendReachesTargets(t *testing.T) {
	rcv := newReceiver(t)
	dir := t.TempDir()
	script, record := filepath.Join(dir, "target.sh"), filepath.Join(dir, "calls")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$ELEVATE_ACTION $ELEVATE_WINDOW_END\" >> \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOK_SECRET", "hook-secret")
	e := newChatEnv(t, `    targets:
      - {type: webhook, url: "`+rcv.URL+`", secret: "${HOOK_SECRET}", timeout: 2s}
      - {type: exec, command: "`+script+`", args: ["`+record+`"], timeout: 5s}`)
	out := e.consoleSay(t, "alice: staging for 1h", "alice: extend staging by 30m")
	r, err := e.m.Service.FindOpen(context.Background(), core.Caller{Principal: "alice", Source: "test"}, "staging")
	if err != nil || r == nil {
		t.Fatalf("no open staging request: %v\n%s", err, out)
	}
	end := r.EndsAt.UTC().Format(time.RFC3339)
	if r.EndsAt.Sub(r.ActivatedAt) != 90*time.Minute {
		t.Fatalf("window %v..%v, want 1h30m", r.ActivatedAt, r.EndsAt)
	}

	if n, _ := rcv.count("extend", r.ID); n != 1 {
		t.Errorf("webhook got %d extend calls for %s, want 1", n, r.ID)
	}
	rcv.mu.Lock()
	for _, c := range rcv.calls {
		if c.Action == "extend" && !c.Window.End.Equal(r.EndsAt.Truncate(time.Second)) && !c.Window.End.Equal(r.EndsAt) {
			t.Errorf("webhook extend window ends %v, want %v", c.Window.End, r.EndsAt)
		}
	}
	rcv.mu.Unlock()
	calls, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if want := "extend " + end; !strings.Contains(string(calls), want) {
		t.Errorf("exec target calls:\n%s\nwant a line %q", calls, want)
	}

	// The card posted to the channel on Slack.
	var card string
	for deadline := time.Now().Add(10 * time.Second); card == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, m := range e.slack.Messages("C1") {
			if strings.Contains(string(m.Blocks), "extended staging") {
				card = string(m.Blocks)
			}
		}
	}
	if card == "" || strings.Contains(card, "Duration") || !strings.Contains(card, "(extended by 30m)") {
		t.Errorf("card of the extension:\n%s\nwant the new end instead of the requested duration", card)
	}
}

// TestTargetErrorsStayOutOfChat: a refused grant tells chat (the reply,
// the requester's DM, the channel) only "target `NAME` refused: HTTP 403"
// or "target `NAME` exited 2"; the URL, the response body and stderr go to
// the audit trail.
func TestTargetErrorsStayOutOfChat(t *testing.T) {
	hook := refuser(t, http.StatusForbidden)
	script := filepath.Join(t.TempDir(), "pg-grant.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'password=s3cr3t-internal rejected' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOK_SECRET", "hook-secret")
	for _, c := range []struct{ target, want, detail string }{
		{`{name: iam-webhook, type: webhook, url: "` + hook.URL + `", secret: "${HOOK_SECRET}", timeout: 2s}`, "target `iam-webhook` refused: HTTP 403", hook.URL},
		{`{name: pg-grant, type: exec, command: "` + script + `", timeout: 5s}`, "target `pg-grant` exited 2", "s3cr3t-internal"},
	} {
		e := newChatEnv(t, "    targets:\n      - "+c.target)
		reply := e.slackCommand(t, "U1", "staging for 30m")
		var chat []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			chat = []string{reply}
			for _, ch := range []string{"C1", slacktest.DM("U1")} {
				for _, m := range e.slack.Messages(ch) {
					chat = append(chat, m.Text+string(m.Blocks))
				}
			}
			if strings.Count(strings.Join(chat, "\n"), c.want) >= 3 {
				break
			}
		}
		all := strings.Join(chat, "\n")
		if strings.Count(all, c.want) < 3 || strings.Contains(all, "s3cr3t-internal") || strings.Contains(all, hook.URL) {
			t.Errorf("chat after a refused grant:\n%s\nwant %q in the reply, the DM and the channel, and no URL, body or stderr", all, c.want)
		}
		events, _, err := core.ReadAudit(context.Background(), e.m.Store, core.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var audited bool
		for _, ev := range events {
			audited = audited || (ev.Action == "fail" && strings.Contains(ev.Reason, c.detail))
		}
		if !audited {
			t.Errorf("the audit trail lacks the detail %q of the failure", c.detail)
		}
	}
}
