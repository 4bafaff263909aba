package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// The secrets of the ops conversation: none may ever appear in a log line.
const (
	opsSigningSecret = "sig-4f1c9a77e2b04d3b8c5e"
	opsBotToken      = "xoxb-1111-2222-bot-token-9f8e7d"
	opsHookSecret    = "hook-secret-5b6a7c8d9e0f"
	opsMFAKey        = "q2b6Yl0dFvXv1m3kZcR8yWJ7xN4tU5sP9aQeHhGiLko=" // base64 of 32 bytes
)

// opsEnv is a serve replica on Redis, wired to a fake Slack, with a manual
// clock, a webhook target and a JSON log at debug level.
type opsEnv struct {
	t     *testing.T
	m     *Main
	base  string
	fake  *slacktest.Server
	clock *clocktest.Clock
	hook  *receiver
	log   *lockedBuffer
	n     int
	acked map[string]bool // response_url ids of slash commands answered in their acknowledgement
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var opsT0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func newOpsEnv(t *testing.T) *opsEnv {
	t.Helper()
	e := &opsEnv{t: t, fake: slacktest.New(), clock: clocktest.New(opsT0), log: &lockedBuffer{}, acked: map[string]bool{}}
	t.Cleanup(e.fake.Close)
	for _, u := range []slacktest.User{{ID: "U0ALICE", Name: "alice"}, {ID: "U0BOB", Name: "bob"}, {ID: "U0DANA", Name: "dana"}} {
		e.fake.AddUser(u)
	}
	e.hook = newReceiver(t)
	e.hook.secret = []byte(opsHookSecret)
	t.Setenv("ELEVATE_REDIS_URL", redistest.URL(t))
	t.Setenv("ELEVATE_REDIS_PREFIX", redistest.NewPrefix(t))
	t.Setenv("ELEVATE_ENCRYPTION_KEY", opsMFAKey)
	t.Setenv("OPS_HOOK_SECRET", opsHookSecret)
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", opsBotToken)
	t.Setenv("ELEVATE_SLACK_SIGNING_SECRET", opsSigningSecret)
	t.Setenv("ELEVATE_SLACK_APP_TOKEN", "")
	t.Setenv("ELEVATE_SLACK_API_URL", e.fake.APIURL())
	t.Setenv("ELEVATE_DISCORD_BOT_TOKEN", "")
	t.Setenv("ELEVATE_METRICS_ADDR", "")
	for name, v := range apiTokens {
		t.Setenv(name, v)
	}
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	writeFile(t, cfg, fmt.Sprintf(`admin_role: admin
principals:
  dana: {slack: U0DANA}
  alice: {slack: U0ALICE}
  bob: {slack: U0BOB}
channels:
  sec: {slack: C0SEC}
notifications: {channel: sec}
roles:
  admin:
    critical: true
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  db:
    activation: {max_duration: 1h, justification: {required: true, min_length: 5}}
    approval: {required: true, approvers: [bob]}
    targets:
      - {type: webhook, url: %q, secret: "${OPS_HOOK_SECRET}", timeout: 2s}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: db, type: eligible, permanent: true}
api:
  tokens:
    - {name: alice-ci, principal: alice, token: "${API_ALICE_TOKEN}"}
    - {name: bob-ci, principal: bob, token: "${API_BOB_TOKEN}"}
    - {name: gateway, scopes: [check], token: "${API_GATEWAY_TOKEN}"}
    - {name: siem, scopes: ["audit:read"], hash: "sha256:%x"}
`, e.hook.URL+"/grant?token=not-a-label", sha256.Sum256([]byte(apiAuditToken))))
	log := zerolog.New(e.log).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	m, err := NewMain(context.Background(), cfg, log, Options{Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.base = serveMain(t, m)
	e.waitReady()
	return e
}

// serveMain serves m on a loopback port until the test ends and returns its base URL.
func serveMain(t *testing.T, m *Main) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
		m.Close()
	})
	return "http://" + ln.Addr().String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// get returns the status and body of GET base+path.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitStatus polls GET u until it answers want, failing after within.
func waitStatus(t *testing.T, u string, want int, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body := get(t, u)
		if code == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %q after %v, want %d", u, code, body, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *opsEnv) waitReady() { e.t.Helper(); waitStatus(e.t, e.base+"/readyz", 200, 10*time.Second) }

// post sends a signed Slack request to path and checks it is acknowledged.
func (e *opsEnv) post(path string, form url.Values) {
	e.t.Helper()
	if resp := slackPost(e.t, e.base+path, opsSigningSecret, form); resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
}

func (e *opsEnv) id(prefix string) string { e.n++; return fmt.Sprintf("%s-%d", prefix, e.n) }

// slash types "/elevate text" as Slack user and returns the id of its response_url.
func (e *opsEnv) slash(user, text string) string {
	e.t.Helper()
	resp := e.id("resp")
	r, err := signedSlackRequest(e.base+"/slack/commands", opsSigningSecret, url.Values{"command": {"/elevate"}, "text": {text}, "user_id": {user}, "team_id": {"T1"},
		"channel_id": {"C9"}, "trigger_id": {e.id("trigger")}, "response_url": {e.fake.ResponseURL(resp)}})
	if err != nil {
		e.t.Fatal(err)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil || r.StatusCode != http.StatusOK {
		e.t.Fatalf("/slack/commands %q: status %d, %v", text, r.StatusCode, err)
	}
	e.acked[resp] = len(body) > 0
	return resp
}

// replied reports whether the command whose response_url is resp was
// answered: in its acknowledgement, or at the response_url.
func (e *opsEnv) replied(resp string) bool {
	if e.acked[resp] {
		return true
	}
	for _, c := range e.fake.Calls("response_url") {
		if c.Params.Get("id") == resp {
			return true
		}
	}
	return false
}

// click presses the button labelled label on the newest message in channel that has it.
func (e *opsEnv) click(user, channel, label string) {
	e.t.Helper()
	var msg slacktest.Message
	var btn *slacktest.Button
	e.waitFor("a "+label+" button in "+channel, func() bool {
		for _, m := range e.fake.Messages(channel) {
			for _, b := range slacktest.Buttons(m.Blocks) {
				if b.Text == label {
					msg, btn = m, &b
				}
			}
		}
		return btn != nil
	})
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "team_id": "T1"}, "team": map[string]any{"id": "T1"},
		"container":  map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel},
		"channel":    map[string]any{"id": msg.Channel},
		"message":    map[string]any{"ts": msg.TS, "text": msg.Text, "blocks": msg.Blocks},
		"trigger_id": e.id("trigger"), "response_url": e.fake.ResponseURL(e.id("resp")),
		"actions": []map[string]any{{"action_id": btn.ActionID, "block_id": btn.BlockID, "value": btn.Value, "type": "button",
			"text": map[string]any{"type": "plain_text", "text": btn.Text}, "action_ts": e.id("1700000500")}},
	})
	e.post("/slack/interactions", url.Values{"payload": {string(payload)}})
}

func (e *opsEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s\nlog:\n%s", what, e.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hookCalls counts the webhook's calls of action.
func (e *opsEnv) hookCalls(action string) int {
	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	n := 0
	for _, c := range e.hook.calls {
		if c.Action == action {
			n++
		}
	}
	return n
}

// converse runs a whole Slack conversation: alice asks for db, bob
// approves two minutes later, alice looks at her status, and the window
// expires three minutes after its end.
func (e *opsEnv) converse() {
	e.t.Helper()
	e.slash("U0ALICE", "db for 30m fixing replication lag")
	e.waitFor("the approval request in bob's DM", func() bool { return len(e.fake.Messages(slacktest.DM("U0BOB"))) > 0 })
	e.clock.Advance(2 * time.Minute)
	e.click("U0BOB", slacktest.DM("U0BOB"), "Approve")
	e.waitFor("the grant at the webhook", func() bool { return e.hookCalls("grant") == 1 })
	status := e.slash("U0ALICE", "status")
	e.waitFor("alice's status reply", func() bool { return e.replied(status) })
}

// expire moves the clock past the window's end and waits for the revoke.
func (e *opsEnv) expire() {
	e.t.Helper()
	e.clock.Advance(33 * time.Minute) // the window ran from +2m to +32m
	e.waitFor("the revoke at the webhook", func() bool { return e.hookCalls("revoke") == 1 })
	// The revoke is made inside the expiry job, and the Expired notice is
	// delivered beside it: wait until both have been counted.
	e.waitFor("the expiry job and its notice", func() bool {
		fams := scrape(e.t, e.base)
		return value(fams, "elevate_scheduler_jobs_total", map[string]string{"kind": "expire", "result": "ok"}) == 1 &&
			value(fams, "elevate_windows_ended_total", map[string]string{"role": "db", "reason": "expired"}) == 1
	})
}

// scrape fetches /metrics and parses it.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample finds the metric of family name whose labels include want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f, ok := fams[name]
	if !ok {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count; -1 when absent.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := sample(fams, name, labels)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

// histSum is a histogram's sum of observations; -1 when absent.
func histSum(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := sample(fams, name, labels)
	if m == nil || m.Histogram == nil {
		return -1
	}
	return m.Histogram.GetSampleSum()
}

// TestMetricsAfterConversation scrapes /metrics after a Slack conversation
// (request, approval two minutes later, grant, status, expiry three
// minutes late, revoke) and finds each counter and histogram with the
// value the conversation implies; the registry passes the client's lint.
func TestMetricsAfterConversation(t *testing.T) {
	e := newOpsEnv(t)
	e.converse()
	target := "webhook " + e.hook.URL + "/grant"
	// The conversation's notices are posted in the background: the outbox
	// drains, but not necessarily before alice's status reply.
	e.waitFor("the outbox to drain", func() bool {
		return value(scrape(t, e.base), "elevate_notification_outbox_depth", nil) == 0
	})
	during := scrape(t, e.base)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"elevate_requests_total", map[string]string{"role": "db", "outcome": "activated"}, 1},
		{"elevate_approval_decisions_total", map[string]string{"role": "db", "decision": "approved"}, 1},
		{"elevate_approval_decision_seconds", map[string]string{"role": "db"}, 1},
		{"elevate_active_windows", map[string]string{"role": "db"}, 1},
		{"elevate_active_windows", map[string]string{"role": "admin"}, 0},
		{"elevate_target_call_seconds", map[string]string{"target": target, "action": "grant"}, 1},
		{"elevate_chat_acks_total", map[string]string{"platform": "slack", "status": "200"}, 3},
		{"elevate_notification_outbox_depth", nil, 0},
	} {
		if got := value(during, c.name, c.labels); got != c.want {
			t.Errorf("during the window: %s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := histSum(during, "elevate_approval_decision_seconds", map[string]string{"role": "db"}); got != 120 {
		t.Errorf("decision latency sum = %v s, want 120 (approved two minutes after the request)", got)
	}
	for _, name := range []string{"elevate_store_operation_seconds", "elevate_notification_posts_total", "elevate_chat_ack_seconds"} {
		if got := value(during, name, map[string]string{}); got <= 0 {
			t.Errorf("%s = %v, want some", name, got)
		}
	}
	if got := value(during, "elevate_store_errors_total", map[string]string{}); got > 0 {
		t.Errorf("store errors = %v, want none", got)
	}
	// dana holds the critical admin role standing: a scan (the one serve
	// runs at start, or this one) opens that alert, once.
	if err := e.m.Service.Alerts().Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	sev := string(e.m.Service.Alerts().Rule(core.AlertStandingAccess).Severity)
	scanned := scrape(t, e.base)
	if got := value(scanned, "elevate_alerts_open", map[string]string{"kind": "standing_access", "severity": sev}); got != 1 {
		t.Errorf("elevate_alerts_open{standing_access,%s} = %v, want 1", sev, got)
	}
	if got := value(scanned, "elevate_alert_events_total", map[string]string{"kind": "standing_access", "severity": sev}); got != 1 {
		t.Errorf("elevate_alert_events_total{standing_access,%s} = %v, want 1 (opened)", sev, got)
	}

	e.expire()
	after := scrape(t, e.base)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"elevate_active_windows", map[string]string{"role": "db"}, 0},
		{"elevate_windows_ended_total", map[string]string{"role": "db", "reason": "expired"}, 1},
		{"elevate_scheduler_jobs_total", map[string]string{"kind": "expire", "result": "ok"}, 1},
		{"elevate_scheduler_jobs_total", map[string]string{"kind": "warn", "result": "ok"}, 1},
		{"elevate_scheduler_lag_seconds", map[string]string{"kind": "expire"}, 1},
		{"elevate_target_call_seconds", map[string]string{"target": target, "action": "revoke"}, 1},
		{"elevate_target_failures_total", map[string]string{}, -1},
	} {
		if got := value(after, c.name, c.labels); got != c.want {
			t.Errorf("after expiry: %s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Expiry was due at +32m and ran at +35m; the warning (10 minutes
	// before the end) at +22m.
	if got := histSum(after, "elevate_scheduler_lag_seconds", map[string]string{"kind": "expire"}); got != 180 {
		t.Errorf("expire lag sum = %v s, want 180", got)
	}
	if got := histSum(after, "elevate_scheduler_lag_seconds", map[string]string{"kind": "warn"}); got != 780 {
		t.Errorf("warn lag sum = %v s, want 780", got)
	}
	if strings.Contains(fmt.Sprint(after), "alice") || strings.Contains(fmt.Sprint(after), "not-a-label") {
		t.Error("a principal or a webhook URL's query appears in the metrics")
	}
	problems, err := testutil.GatherAndLint(e.m.Metrics.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
