package slack_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/slack"
	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/memory"
)

const (
	secret   = "8f742231b10e8888abcd99yyyzzz85a5"
	botToken = "xoxb-test-token"
	appToken = "xapp-1-test-token"
)

// Slack users of the test workspace. carol has no Slack id in the config:
// she is mapped by her email.
const (
	uAlice   = "U0ALICE"
	uBob     = "U0BOB"
	uCarol   = "U0CAROL"
	uDana    = "U0DANA"
	uErin    = "U0ERIN"
	uMallory = "U0MALLORY"
	uNobody  = "U0NOBODY"
	uOther   = "U0OTHER"
	cSec     = "C0SEC"
	cAppr    = "C0APPR"
)

// t0 is the start of every test's domain clock.
var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// env is elevate on the memory store and a manual clock, with the Slack
// adapter wired as the notifier's poster and pointed at a fake Slack.
type env struct {
	t        testing.TB
	fake     *slacktest.Server
	a        *slack.Adapter
	h        http.Handler
	svc      *core.Service
	store    *memory.Store
	inbox    *inboxCounter // the service's store: counts inbox writes
	clock    *clocktest.Clock
	notifier *notifications.Notifier
	targets  *targets
	logs     *syncBuffer
	seq      atomic.Int64
	acks     sync.Map // response_url id → the body of a slash command's acknowledgement that answered it
}

type options struct {
	appToken   string
	submitWait time.Duration
	targets    map[string][]core.Target
	reviews    []core.ReviewPlan
}

// targets is a core.Targets that tests can change.
type targets struct {
	mu sync.Mutex
	m  map[string][]core.Target
}

func (ts *targets) For(role string) []core.Target {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.m[role]
}

func (ts *targets) set(role string, t ...core.Target) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.m[role] = t
}

func directory() *core.Directory {
	p := func(id, slackID, email string) *core.Principal {
		ids := map[string]string{}
		if slackID != "" {
			ids[core.PlatformSlack] = slackID
		}
		return &core.Principal{ID: id, Name: id, Email: email, IDs: ids}
	}
	elig := core.ExpiryRule{AllowPermanent: true}
	notify := core.Routing{Channel: "security", ApprovalsChannel: "approvals", DMApprovers: true}
	return &core.Directory{
		Principals: map[string]*core.Principal{
			"alice": p("alice", uAlice, "alice@example.com"), "bob": p("bob", uBob, "bob@example.com"),
			"carol": p("carol", "", "carol@example.com"), "dana": p("dana", uDana, ""),
			"erin": p("erin", uErin, ""), "mallory": p("mallory", uMallory, ""),
		},
		Groups: map[string]*core.Group{"dba": {Name: "dba", Platform: map[string]string{core.PlatformSlack: "S0DBA"}}},
		Roles: map[string]*core.Role{
			"prod-db": {Name: "prod-db", Description: "Production database superuser", Notify: notify, Policy: core.Policy{
				MaxDuration: 4 * time.Hour, DefaultDuration: time.Hour, Eligibility: elig,
				RequireJustification: true, JustificationMinLen: 10,
				RequireTicket: true, TicketPattern: regexp.MustCompile(`^INC-[0-9]+$`),
				Approval:  core.ApprovalRule{Required: true, Approvers: []string{"bob"}, ApproverGroups: []string{"dba"}, MinApprovals: 1, Timeout: 24 * time.Hour},
				Extension: core.ExtensionRule{Allowed: true, MaxTotal: time.Hour},
			}},
			"staging": {Name: "staging", Notify: core.Routing{Channel: "security"}, Policy: core.Policy{MaxDuration: 8 * time.Hour, DefaultDuration: time.Hour, Eligibility: elig}},
			"deploy": {Name: "deploy", Notify: core.Routing{Channel: "security"}, Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig,
				RequireJustification: true}},
			"ops":    {Name: "ops", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig}},
			"admin":  {Name: "admin", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Assignment: elig, Eligibility: elig}},
			"reader": {Name: "reader", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Assignment: elig}},
		},
		AdminRole: "admin", ReaderRole: "reader",
	}
}

func newEnv(t testing.TB, opt options) *env {
	t.Helper()
	e := &env{t: t, fake: slacktest.New(), clock: clocktest.New(t0), targets: &targets{m: map[string][]core.Target{}}, logs: &syncBuffer{}}
	for role, ts := range opt.targets {
		e.targets.set(role, ts...)
	}
	for _, u := range []slacktest.User{
		{ID: uAlice, Name: "alice", Email: "alice@example.com"}, {ID: uBob, Name: "bob", Email: "bob@example.com"},
		{ID: uCarol, Name: "carol", Email: "carol@example.com"}, {ID: uDana, Name: "dana"}, {ID: uErin, Name: "erin"},
		{ID: uMallory, Name: "mallory"}, {ID: uNobody, Name: "nobody", Email: "nobody@example.com"}, {ID: uOther, Name: "other"},
	} {
		e.fake.AddUser(u)
	}
	e.fake.SetGroup("S0DBA", uCarol, uNobody)

	log := zerolog.New(e.logs).Level(zerolog.DebugLevel)
	e.store = memory.New(memory.WithClock(e.clock))
	e.inbox = &inboxCounter{Store: e.store}
	var err error
	e.svc, err = core.NewService(core.Config{
		Store: e.inbox, Directory: directory(), Clock: e.clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32), Targets: e.targets, Reviews: opt.reviews,
		Events: core.EventSinkFunc(func(ctx context.Context, ev core.Event) { e.notifier.Publish(ctx, ev) }),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(e.svc, time.UTC)
	e.a, err = slack.New(b, e.store, slack.Config{
		BotToken: botToken, SigningSecret: secret, AppToken: opt.appToken, APIURL: e.fake.APIURL(),
		Channels: map[string]string{"security": cSec, "approvals": cAppr}, Log: log, SubmitWait: opt.submitWait,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = e.a.Handler()
	e.svc.AddGroupResolver(e.a)
	e.notifier = notifications.New(b, e.svc.Store(), notifications.Config{Channel: "security"}, log, e.a)
	err = e.svc.SeedAssignments(context.Background(), []core.Assignment{
		{Kind: core.Eligible, Principal: "alice", Role: "prod-db", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "staging", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "ops", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "deploy", Permanent: true},
		{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true},
		{Kind: core.Active, Principal: "erin", Role: "reader", Permanent: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.a.Wait()
		e.a.Wait()
		e.fake.Close()
		if t.Failed() {
			t.Logf("adapter log:\n%s", e.logs.String())
		}
	})
	return e
}

// inboxCounter is a core.Store that counts the Slack inbox items written
// through it.
type inboxCounter struct {
	core.Store
	written atomic.Int64
}

func (s *inboxCounter) Apply(ctx context.Context, c core.Change) error {
	err := s.Store.Apply(ctx, c)
	if err == nil {
		for _, j := range c.Schedule {
			if j.Kind == core.InboxJob(core.PlatformSlack) {
				s.written.Add(1)
			}
		}
	}
	return err
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// id returns a unique suffix for trigger ids, action timestamps and response URLs.
func (e *env) id(prefix string) string { return fmt.Sprintf("%s-%d", prefix, e.seq.Add(1)) }

// signed returns Slack's signature headers for body at ts.
func signed(ts time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// do sends body to path with headers into the adapter's handler.
func (e *env) do(path, ctype string, body []byte, h http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// post sends a correctly signed form post, as Slack does.
func (e *env) post(path string, form url.Values) *httptest.ResponseRecorder {
	body := []byte(form.Encode())
	return e.do(path, "application/x-www-form-urlencoded", body, signed(time.Now(), body))
}

// slashForm is the form Slack posts for "/elevate text" typed by user.
func (e *env) slashForm(user, text string) (url.Values, string, string) {
	trigger, resp := e.id("trigger"), e.id("resp")
	return url.Values{
		"token": {"deprecated"}, "team_id": {"T0TEAM"}, "team_domain": {"example"}, "channel_id": {"C0GENERAL"},
		"channel_name": {"general"}, "user_id": {user}, "user_name": {strings.ToLower(user)}, "command": {"/elevate"},
		"text": {slackEscape(text)}, "response_url": {e.fake.ResponseURL(resp)}, "trigger_id": {trigger}, "api_app_id": {"A0ELEVATE"},
	}, trigger, resp
}

// slackEscape escapes command text the way Slack does before sending it.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slash runs "/elevate text" as user over HTTP and returns its trigger id
// and response_url id. An acknowledgement with a body is the command's
// answer: responses reads it as the first reply to that response_url.
func (e *env) slash(user, text string) (string, string) {
	e.t.Helper()
	form, trigger, resp := e.slashForm(user, text)
	rec := e.post("/slack/commands", form)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("slash command: status %d body %q, want 200", rec.Code, rec.Body.String())
	}
	if rec.Body.Len() > 0 {
		e.acks.Store(resp, rec.Body.Bytes())
	}
	return trigger, resp
}

// interact posts an interaction payload over HTTP and returns the response body.
func (e *env) interact(payload map[string]any) []byte {
	e.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	rec := e.post("/slack/interactions", url.Values{"payload": {string(raw)}})
	if rec.Code != http.StatusOK {
		e.t.Fatalf("interaction: status %d body %q", rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// click is the block_actions payload of user clicking b on a message in channel.
func (e *env) click(user string, m slacktest.Message, b slacktest.Button) (map[string]any, string) {
	resp := e.id("resp")
	return map[string]any{
		"type": "block_actions", "api_app_id": "A0ELEVATE", "token": "deprecated",
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0TEAM"},
		"team":       map[string]any{"id": "T0TEAM", "domain": "example"},
		"container":  map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
		"channel":    map[string]any{"id": m.Channel},
		"message":    map[string]any{"ts": m.TS, "text": m.Text, "blocks": m.Blocks},
		"trigger_id": e.id("trigger"), "response_url": e.fake.ResponseURL(resp),
		"actions": []map[string]any{{
			"action_id": b.ActionID, "block_id": b.BlockID, "value": b.Value, "type": "button",
			"text": map[string]any{"type": "plain_text", "text": b.Text}, "action_ts": e.id("1700000500"),
		}},
	}, resp
}

// homeClick is the block_actions payload of user clicking b in their App Home.
func (e *env) homeClick(user string, b slacktest.Button) map[string]any {
	return map[string]any{
		"type": "block_actions", "api_app_id": "A0ELEVATE",
		"user":       map[string]any{"id": user, "team_id": "T0TEAM"},
		"container":  map[string]any{"type": "view", "view_id": "VHOME"},
		"view":       map[string]any{"id": "VHOME", "type": "home", "hash": "h", "callback_id": "elevate:home"},
		"trigger_id": e.id("trigger"),
		"actions": []map[string]any{{
			"action_id": b.ActionID, "block_id": b.BlockID, "value": b.Value, "type": "button", "action_ts": e.id("1700000600"),
		}},
	}
}

// submission is the view_submission payload of user submitting the modal
// that views.open opened with values (input name → value).
func (e *env) submission(user string, opened json.RawMessage, values map[string]string) map[string]any {
	e.t.Helper()
	var req struct {
		View map[string]any `json:"view"`
	}
	if err := json.Unmarshal(opened, &req); err != nil || req.View == nil {
		e.t.Fatalf("views.open body %s: %v", opened, err)
	}
	view := req.View
	view["id"], view["hash"] = e.id("VMODAL"), e.id("hash")
	state := map[string]any{}
	for _, in := range slacktest.Inputs(mustJSON(e.t, view)) {
		name := strings.TrimPrefix(in.BlockID, "elevate:in:")
		v, ok := values[name]
		if !ok {
			v = in.Initial
		}
		var action map[string]any
		if in.Element == "static_select" {
			action = map[string]any{"type": "static_select", "selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": v}, "value": v}}
			if v == "" {
				action = map[string]any{"type": "static_select", "selected_option": nil}
			}
		} else {
			action = map[string]any{"type": "plain_text_input", "value": v}
		}
		state[in.BlockID] = map[string]any{in.ActionID: action}
	}
	view["state"] = map[string]any{"values": state}
	return map[string]any{
		"type": "view_submission", "api_app_id": "A0ELEVATE",
		"team": map[string]any{"id": "T0TEAM"}, "user": map[string]any{"id": user, "team_id": "T0TEAM"},
		"trigger_id": e.id("trigger"), "view": view, "response_urls": []any{},
	}
}

// appHomeOpened is the Events API callback of user opening the App Home.
func appHomeOpened(user, eventID string) map[string]any {
	return map[string]any{
		"token": "deprecated", "team_id": "T0TEAM", "api_app_id": "A0ELEVATE", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000000,
		"event": map[string]any{"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1700000000.000100"},
	}
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits for the adapter's jobs and the notifier's queue.
func (e *env) settle() {
	e.t.Helper()
	e.a.Wait()
	time.Sleep(20 * time.Millisecond)
	e.a.Wait()
}

// messageWith returns the first message in channel whose fallback text contains s.
func (e *env) messageWith(channel, s string) (slacktest.Message, bool) {
	for _, m := range e.fake.Messages(channel) {
		if strings.Contains(m.Text, s) {
			return m, true
		}
	}
	return slacktest.Message{}, false
}

// waitMessage waits for a message in channel containing s.
func (e *env) waitMessage(channel, s string) slacktest.Message {
	e.t.Helper()
	var m slacktest.Message
	e.waitFor(fmt.Sprintf("a message in %s containing %q", channel, s), func() bool {
		var ok bool
		m, ok = e.messageWith(channel, s)
		return ok
	})
	return m
}

// responses returns the replies to the slash command or click whose
// response_url is id, decoded: the acknowledgement's answer, if any, then
// what was posted to the response_url.
func (e *env) responses(id string) []map[string]any {
	var out []map[string]any
	if ack, ok := e.acks.Load(id); ok {
		var m map[string]any
		if err := json.Unmarshal(ack.([]byte), &m); err != nil {
			e.t.Fatalf("acknowledgement body %s: %v", ack, err)
		}
		out = append(out, m)
	}
	for _, c := range e.fake.Calls("response_url") {
		if c.Params.Get("id") == id {
			var m map[string]any
			if err := json.Unmarshal(c.JSON, &m); err != nil {
				e.t.Fatalf("response_url body %s: %v", c.JSON, err)
			}
			out = append(out, m)
		}
	}
	return out
}

// waitResponse waits for one post to response_url id and returns it.
func (e *env) waitResponse(id string) map[string]any {
	e.t.Helper()
	e.waitFor("a response_url post to "+id, func() bool { return len(e.responses(id)) > 0 })
	return e.responses(id)[0]
}

// opened returns the body of the views.open call made with trigger.
func (e *env) opened(trigger string) (json.RawMessage, bool) {
	for _, c := range e.fake.Calls("views.open") {
		var req struct {
			TriggerID string `json:"trigger_id"`
		}
		if json.Unmarshal(c.JSON, &req) == nil && req.TriggerID == trigger {
			return c.JSON, true
		}
	}
	return nil, false
}

func (e *env) waitOpened(trigger string) json.RawMessage {
	e.t.Helper()
	var body json.RawMessage
	e.waitFor("views.open with trigger "+trigger, func() bool {
		var ok bool
		body, ok = e.opened(trigger)
		return ok
	})
	return body
}

// request returns the only request of principal for role.
func (e *env) request(principal, role string) *core.Request {
	e.t.Helper()
	open, err := e.store.OpenRequestsOf(context.Background(), principal)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range open {
		if r.Role == role {
			return r
		}
	}
	e.t.Fatalf("no open request of %s for %s", principal, role)
	return nil
}

// auditCount counts audit events with action.
func (e *env) auditCount(action string) int {
	events, _, err := core.ReadAudit(context.Background(), e.store, core.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if action == "" || ev.Action == action {
			n++
		}
	}
	return n
}

// button returns the button of m whose value starts with prefix.
func button(t testing.TB, raw json.RawMessage, prefix string) slacktest.Button {
	t.Helper()
	for _, b := range slacktest.Buttons(raw) {
		if strings.HasPrefix(b.Value, prefix) {
			return b
		}
	}
	t.Fatalf("no button with value %q in %s", prefix, raw)
	return slacktest.Button{}
}

// textOf joins the text objects of a blocks or view JSON.
func textOf(raw json.RawMessage) string {
	var parts []string
	for _, tx := range slacktest.Texts(raw) {
		parts = append(parts, tx.Text)
	}
	return strings.Join(parts, "\n")
}

// responseText returns a response_url post's fallback text and block text.
func responseText(t *testing.T, m map[string]any) string {
	t.Helper()
	return fmt.Sprint(m["text"]) + "\n" + textOf(mustJSON(t, m["blocks"]))
}

// slackMessageStub is a message a click can come from, for payloads that never get that far.
func slackMessageStub() slacktest.Message {
	return slacktest.Message{Channel: slacktest.DM(uBob), TS: "1700000000.000001", Text: "Approval needed"}
}

func buttonStub(value string) slacktest.Button {
	return slacktest.Button{BlockID: "elevate:actions:0", ActionID: "elevate:0", Value: value, Text: "Approve"}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
