package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/webhook"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// receiver is a webhook endpoint that verifies signatures and records actions.
type receiver struct {
	*httptest.Server
	secret []byte

	mu      sync.Mutex
	calls   []webhook.Payload
	at      []time.Time
	failing bool
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{secret: []byte("hook-secret")}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := webhook.Verify(r.secret, req.Header.Get("X-Elevate-Timestamp"), req.Header.Get("X-Elevate-Signature"), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.failing {
			http.Error(w, "directory down", http.StatusServiceUnavailable)
			return
		}
		r.calls = append(r.calls, p)
		r.at = append(r.at, time.Now())
	}))
	t.Cleanup(r.Close)
	return r
}

// count returns how many actions of kind the receiver took for request id, and when the last was.
func (r *receiver) count(action, id string) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, last := 0, time.Time{}
	for i, c := range r.calls {
		if c.Action == action && c.RequestID == id {
			n++
			last = r.at[i]
		}
	}
	return n, last
}

// redisConfig writes a config whose role "db" has a webhook target at url,
// with alice eligible and dana admin, and points the process at a fresh Redis prefix.
func redisConfig(t *testing.T, url string, principals int) string {
	t.Helper()
	t.Setenv("ELEVATE_REDIS_URL", redistest.URL(t))
	t.Setenv("ELEVATE_REDIS_PREFIX", redistest.NewPrefix(t))
	t.Setenv("HOOK_SECRET", "hook-secret")
	var b strings.Builder
	fmt.Fprintf(&b, `admin_role: admin
principals:
  dana: {}
  alice: {}
  bob: {}
  carol: {}
`)
	for i := range principals {
		fmt.Fprintf(&b, "  p%d: {}\n", i)
	}
	fmt.Fprintf(&b, `channels:
  sec: {console: "#sec"}
notifications: {channel: sec}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  db:
    activation: {max_duration: 1h}
    approval: {required: true, approvers: [bob, carol]}
  svc:
    activation: {max_duration: 1h}
    targets:
      - {type: webhook, url: %q, secret: "${HOOK_SECRET}", timeout: 2s}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: db, type: eligible, permanent: true}
  - {principal: alice, role: svc, type: eligible, permanent: true}
`, url)
	for i := range principals {
		fmt.Fprintf(&b, "  - {principal: p%d, role: svc, type: eligible, permanent: true}\n", i)
	}
	path := filepath.Join(t.TempDir(), "elevate.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustMain builds a replica on the config; serve starts its scheduler.
func mustMain(t *testing.T, cfg string, serve bool) *Main {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m, err := NewMain(ctx, cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.persistent {
		t.Fatal("the replica is not on Redis")
	}
	done := make(chan struct{})
	if serve {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { defer close(done); _ = m.ServeListener(ctx, ln) }()
	} else {
		close(done)
	}
	t.Cleanup(func() { cancel(); <-done; m.Close() })
	return m
}

func alice() core.Caller { return core.Caller{Principal: "alice", Source: "test"} }

// TestWindowOnRedis: a 300 ms window is a Redis key with that TTL;
// `elevate check` says yes, then no; the webhook receives revoke within 1 s
// of the window's end.
func TestWindowOnRedis(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	m := mustMain(t, cfg, true)
	ctx := context.Background()
	r, err := m.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "svc", Duration: 300 * time.Millisecond})
	if err != nil || r.State != core.StateActive {
		t.Fatalf("activate: %v %v", err, r)
	}
	if n, _ := rcv.count("grant", r.ID); n != 1 {
		t.Fatalf("grants = %d", n)
	}
	ttl := rawPTTL(t, "win:alice/svc")
	if ttl <= 0 || ttl > 300*time.Millisecond {
		t.Fatalf("window key PTTL = %v, want (0, 300ms]", ttl)
	}
	if code, out, errOut := run(t, "", "check", "--config", cfg, "--principal", "alice", "--role", "svc"); code != 0 || !strings.Contains(out, "alice holds svc") {
		t.Fatalf("check during the window: %d %q %q", code, out, errOut)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, at := rcv.count("revoke", r.ID)
		if n > 0 {
			if late := at.Sub(r.EndsAt); late > time.Second {
				t.Fatalf("revoke came %v after the window's end", late)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no revoke at the webhook")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, out, _ := run(t, "", "check", "--config", cfg, "--principal", "alice", "--role", "svc"); code != 1 || !strings.Contains(out, "does not hold") {
		t.Fatalf("check after the window: %d %q", code, out)
	}
}

// rawPTTL reads a key's TTL under the test's prefix straight from Redis.
func rawPTTL(t *testing.T, key string) time.Duration {
	t.Helper()
	c := redistest.NewClient(t)
	d, err := c.PTTL(context.Background(), "{"+os.Getenv("ELEVATE_REDIS_PREFIX")+"}:"+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGrantFailureOnRedis: a failing receiver leaves no window key and the request Failed.
func TestGrantFailureOnRedis(t *testing.T) {
	rcv := newReceiver(t)
	rcv.failing = true
	cfg := redisConfig(t, rcv.URL, 0)
	m := mustMain(t, cfg, false)
	r, err := m.Service.RequestActivation(context.Background(), alice(), core.ActivationInput{Role: "svc", Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Store.Request(context.Background(), r.ID)
	if err != nil || got.State != core.Failed || !strings.Contains(got.Reason, "503") {
		t.Fatalf("after failing grant: %v %+v", err, got)
	}
	if ttl := rawPTTL(t, "win:alice/svc"); ttl != -2*time.Nanosecond {
		t.Fatalf("window key left behind (PTTL %v)", ttl)
	}
}

// TestDecisionRaceAcrossReplicas: 50 concurrent approve/deny/cancel calls
// through two replicas (two Redis clients) end in one outcome with one audit event.
func TestDecisionRaceAcrossReplicas(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	a, b := mustMain(t, cfg, false), mustMain(t, cfg, false)
	ctx := context.Background()
	r, err := a.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "db", Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := []*core.Service{a.Service, b.Service}[i%2]
			approver := core.Caller{Principal: []string{"bob", "carol"}[i/2%2]}
			var err error
			switch i % 3 {
			case 0:
				_, err = svc.Approve(ctx, approver, r.ID)
			case 1:
				_, err = svc.Deny(ctx, approver, r.ID, "race")
			default:
				_, err = svc.Cancel(ctx, alice(), r.ID)
			}
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if core.ErrorCode(err) != core.ECONFLICT {
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	events, head, err := core.ReadAudit(ctx, a.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(events, head); err != nil {
		t.Fatal(err)
	}
	decisions := 0
	for _, e := range events {
		if e.RequestID == r.ID && (e.Action == "approve" || e.Action == "deny" || e.Action == "cancel") {
			decisions++
		}
	}
	if wins != 1 || decisions != 1 {
		t.Fatalf("%d calls won and %d decisions audited, want 1 and 1", wins, decisions)
	}
}

// TestAuditCommandsOnRedis: export and verify read the Redis audit stream.
func TestAuditCommandsOnRedis(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	m := mustMain(t, cfg, false)
	r, err := m.Service.RequestActivation(context.Background(), alice(), core.ActivationInput{Role: "db", Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "audit", "export", "--config", cfg, "--role", "db", "--format", "json")
	if code != 0 || !strings.Contains(out, r.ID) || strings.Contains(out, `"role": "admin"`) {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 0 || !strings.Contains(out, "chain intact") {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "", "audit", "export", "--config", cfg, "--since", "yesterday"); code != 2 || !strings.Contains(errOut, "--since") {
		t.Fatalf("bad --since: %d %s", code, errOut)
	}
}

// TestFailingRevokeOnRedis: a webhook that keeps failing revoke is retried
// with backoff until it succeeds, with a High alert after 3 failures; the
// window is gone meanwhile.
func TestFailingRevokeOnRedis(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	m := mustMain(t, cfg, true)
	posts := &recPoster{}
	m.Notifier.AddPoster(posts)
	ctx := context.Background()
	r, err := m.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "svc", Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.failing = true
	rcv.mu.Unlock()
	time.Sleep(time.Until(r.EndsAt) + 300*time.Millisecond)
	if code, _, _ := run(t, "", "check", "--config", cfg, "--principal", "alice", "--role", "svc"); code != 1 {
		t.Fatalf("check while revoke fails: exit %d, want 1", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		events, _, err := core.ReadAudit(ctx, m.Store, core.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		failing := false
		for _, e := range events {
			failing = failing || (e.Action == "revoke_failing" && e.RequestID == r.ID)
		}
		if failing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no revoke_failing after repeated failures")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for !posts.has("Security alert (high): revoke_failing", r.ID) {
		if time.Now().After(deadline) {
			t.Fatal("no High alert posted for the failing revoke")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The alert says which target failed and how, never its URL or body.
	if !posts.has("Security alert (high): revoke_failing", "refused: HTTP 503") || posts.has("Security alert (high): revoke_failing", "directory down") {
		t.Errorf("revoke_failing alert shows more than the fixed-form reason: %+v", posts.msgs)
	}
	rcv.mu.Lock()
	rcv.failing = false
	rcv.mu.Unlock()
	waitRevoked(t, rcv, []string{r.ID}, 15*time.Second)
}

// recPoster records what the notifier posted.
type recPoster struct {
	mu   sync.Mutex
	msgs []bot.Message
}

func (p *recPoster) Post(_ context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, m)
	return notifications.Ref{Destination: d, ID: fmt.Sprint(len(p.msgs))}, nil
}

// has reports whether a message titled title mentioning text was posted.
func (p *recPoster) has(title, text string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.msgs {
		if m.Title == title && strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}
