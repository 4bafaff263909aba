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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/adapters/webhook"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// gatedHook is a webhook receiver that records each action once it
// answers it, with its delivery id. While an action is gated, its calls
// hang until the caller goes away (a killed replica) or the gate opens.
type gatedHook struct {
	*httptest.Server
	mu      sync.Mutex
	gated   map[string]chan struct{} // action → closed when it opens
	arrived map[string]int           // calls received, answered or not
	waiting int                      // calls held at a gate now
	calls   []webhook.Payload
	ids     []string // X-Elevate-Delivery of each recorded call
	at      []time.Time
}

func newGatedHook(t *testing.T, gated ...string) *gatedHook {
	t.Helper()
	h := &gatedHook{gated: map[string]chan struct{}{}, arrived: map[string]int{}}
	for _, a := range gated {
		h.gated[a] = make(chan struct{})
	}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte("hook-secret"), r.Header.Get("X-Elevate-Timestamp"), r.Header.Get("X-Elevate-Signature"), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.arrived[p.Action]++
		gate := h.gated[p.Action]
		h.mu.Unlock()
		if gate != nil {
			h.mu.Lock()
			h.waiting++
			h.mu.Unlock()
			select {
			case <-gate:
			case <-r.Context().Done():
			}
			h.mu.Lock()
			h.waiting--
			h.mu.Unlock()
			if r.Context().Err() != nil {
				return // the caller died: the action was never answered
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls = append(h.calls, p)
		h.ids = append(h.ids, r.Header.Get("X-Elevate-Delivery"))
		h.at = append(h.at, time.Now())
	}))
	t.Cleanup(h.Close)
	return h
}

// open lets the gated calls of action through.
func (h *gatedHook) open(action string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if g := h.gated[action]; g != nil {
		close(g)
		delete(h.gated, action)
	}
}

// openAfterKill opens action's gate once every call held at it has seen
// its caller die (a killed replica's connections close), so that a call
// of the dead replica is never recorded as answered.
func (h *gatedHook) openAfterKill(t *testing.T, action string) {
	t.Helper()
	waitFor(t, "the dead replica's calls to end", 5*time.Second, func() bool { return h.held() == 0 })
	h.open(action)
}

func (h *gatedHook) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waiting
}

func (h *gatedHook) arrivedCount(action string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.arrived[action]
}

// answered returns the answered calls of action for request id: their
// delivery ids and times.
func (h *gatedHook) answered(action, id string) ([]string, []time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	var at []time.Time
	for i, c := range h.calls {
		if c.Action == action && c.RequestID == id {
			ids = append(ids, h.ids[i])
			at = append(at, h.at[i])
		}
	}
	return ids, at
}

// durableEnv is a Redis, a fake Slack and a config that real `elevate
// serve` processes and in-process replicas share: bob and carol approve
// db (DMs and the approvals channel), svc has a webhook target.
type durableEnv struct {
	cfg   string
	slack *slacktest.Server
	hook  *gatedHook
}

func newDurableEnv(t *testing.T, hook *gatedHook, principals int) *durableEnv {
	t.Helper()
	e := &durableEnv{slack: slacktest.New(), hook: hook}
	t.Cleanup(e.slack.Close)
	for _, u := range []string{"U1", "U2", "U3"} {
		e.slack.AddUser(slacktest.User{ID: u, Name: u})
	}
	t.Setenv("ELEVATE_REDIS_URL", redistest.URL(t))
	t.Setenv("ELEVATE_REDIS_PREFIX", redistest.NewPrefix(t))
	t.Setenv("HOOK_SECRET", "hook-secret")
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("ELEVATE_SLACK_SIGNING_SECRET", "signing-secret")
	t.Setenv("ELEVATE_SLACK_APP_TOKEN", "")
	t.Setenv("ELEVATE_SLACK_API_URL", e.slack.APIURL())
	var b strings.Builder
	fmt.Fprintf(&b, `admin_role: admin
principals:
  dana: {}
  alice: {slack: U1}
  bob: {slack: U2}
  carol: {slack: U3}
`)
	for i := range principals {
		fmt.Fprintf(&b, "  p%d: {slack: UP%d, discord: \"%d\"}\n", i, i, 3000+i)
		e.slack.AddUser(slacktest.User{ID: "UP" + itoa(i), Name: "p" + itoa(i)})
	}
	fmt.Fprintf(&b, `channels:
  sec: {slack: C1}
  approvals: {slack: C2}
notifications: {channel: sec}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  db:
    activation: {max_duration: 1h}
    approval: {required: true, approvers: [bob, carol]}
    notify: {channel: sec, approvals_channel: approvals}
  ops:
    activation: {max_duration: 1h, max_lead_time: 1h}
  svc:
    activation: {max_duration: 1h}
    targets:
      - {type: webhook, url: %[1]q, secret: "${HOOK_SECRET}", timeout: 30s}
  svcj:
    activation:
      max_duration: 1h
      justification: {required: true, min_length: 5}
    targets:
      - {type: webhook, url: %[1]q, secret: "${HOOK_SECRET}", timeout: 30s}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: db, type: eligible, permanent: true}
  - {principal: alice, role: svc, type: eligible, permanent: true}
`, hook.URL)
	for i := range principals {
		fmt.Fprintf(&b, "  - {principal: p%d, role: svc, type: eligible, permanent: true}\n", i)
		fmt.Fprintf(&b, "  - {principal: p%d, role: ops, type: eligible, permanent: true}\n", i)
		fmt.Fprintf(&b, "  - {principal: p%d, role: svcj, type: eligible, permanent: true}\n", i)
	}
	e.cfg = filepath.Join(t.TempDir(), "elevate.yaml")
	if err := os.WriteFile(e.cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// posts returns the messages in channel whose text contains s.
func (e *durableEnv) posts(channel, s string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range e.slack.Messages(channel) {
		if strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCopiesUpdatedByTheDecidingReplica: a request raised on replica A is
// approved on replica B; B updates every copy A posted (both approvers'
// DMs and the approvals channel) exactly once.
func TestCopiesUpdatedByTheDecidingReplica(t *testing.T) {
	e := newDurableEnv(t, newGatedHook(t), 0)
	a, _ := mustServe(t, e.cfg)
	b, _ := mustServe(t, e.cfg)
	ctx := context.Background()
	r, err := a.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "db", Duration: time.Hour, Justification: "INC-1"})
	if err != nil {
		t.Fatal(err)
	}
	copies := []string{slacktest.DM("U2"), slacktest.DM("U3"), "C2"}
	waitFor(t, "the three copies of the approval request", 10*time.Second, func() bool {
		got, err := a.Store.Copies(ctx, r.ID)
		return err == nil && len(got) == 3
	})
	if _, err := b.Service.Approve(ctx, core.Caller{Principal: "carol", Source: "test"}, r.ID); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			for _, ch := range copies {
				t.Logf("%s: %+v", ch, e.slack.Messages(ch))
			}
		}
	}()
	updated := func(ch string) []slacktest.Message {
		var out []slacktest.Message
		for _, m := range e.posts(ch, "Request: "+r.ID) {
			if m.Updates > 0 {
				out = append(out, m)
			}
		}
		return out
	}
	waitFor(t, "every copy updated", 10*time.Second, func() bool {
		for _, ch := range copies {
			if len(updated(ch)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // room for a doubled update to show
	for _, ch := range copies {
		ms := e.posts(ch, "Request: "+r.ID)
		up := updated(ch)
		if len(ms) != 1 || len(up) != 1 || up[0].Updates != 1 || !strings.HasPrefix(up[0].Text, "✅ Approved") || strings.Contains(string(up[0].Blocks), `"actions"`) {
			t.Errorf("%s: want one copy updated once to Approved without buttons; have %d messages, %d updated", ch, len(ms), len(up))
		}
	}
	if got, _ := a.Store.Copies(ctx, r.ID); len(got) != 0 {
		t.Errorf("copies of a decided request are still stored: %+v", got)
	}
}

// TestGrantTakenOverAfterKill: `elevate serve` is SIGKILLed after the
// commit that opens a window, while its grant call hangs; the survivor
// makes the grant after the lease, with the same delivery id, and the
// requester is told once.
func TestGrantTakenOverAfterKill(t *testing.T) {
	t.Setenv("ELEVATE_JOB_LEASE", "1s")
	elevateBinary(t)
	hook := newGatedHook(t, "grant")
	e := newDurableEnv(t, hook, 0)
	addr := freeAddr(t)
	dying := startServe(t, e.cfg, "ELEVATE_HTTP_ADDR="+addr)
	form := map[string][]string{"command": {"/elevate"}, "text": {"svc for 30m INC-7"}, "user_id": {"U1"}, "team_id": {"T1"},
		"channel_id": {"C9"}, "trigger_id": {"trig-1"}, "response_url": {e.slack.ResponseURL("r1")}}
	waitFor(t, "the replica to serve", 15*time.Second, func() bool {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		return false
	})
	if resp := slackPost(t, "http://"+addr+"/slack/commands", "signing-secret", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("slash command: HTTP %d", resp.StatusCode)
	}
	waitFor(t, "the grant call", 15*time.Second, func() bool { return hook.arrivedCount("grant") > 0 })
	_ = dying.Process.Signal(syscall.SIGKILL)
	_ = dying.Wait()
	killed := time.Now()
	hook.openAfterKill(t, "grant")

	survivor := mustMain(t, e.cfg, true)
	ctx := context.Background()
	open, err := survivor.Store.OpenRequestsOf(ctx, "alice")
	if err != nil || len(open) != 1 || open[0].State != core.StateActive {
		t.Fatalf("open requests after the kill: %+v %v", open, err)
	}
	id := open[0].ID
	waitFor(t, "the survivor's grant", 10*time.Second, func() bool { ids, _ := hook.answered("grant", id); return len(ids) > 0 })
	ids, at := hook.answered("grant", id)
	if len(ids) != 1 || ids[0] != "grant:"+id {
		t.Fatalf("grants answered %v, want one with delivery id grant:%s", ids, id)
	}
	if wait := at[0].Sub(killed); wait > 5*time.Second {
		t.Errorf("the grant was taken over %v after the kill", wait)
	}
	waitFor(t, "the requester told", 10*time.Second, func() bool { return len(e.posts(slacktest.DM("U1"), "active until")) > 0 })
	time.Sleep(1500 * time.Millisecond) // a doubled announcement would come within a lease
	if n := len(e.posts(slacktest.DM("U1"), "active until")); n != 1 {
		t.Errorf("the requester was told %d times that the role is active", n)
	}
	if n := len(e.posts("C1", "activated svc")); n != 1 {
		t.Errorf("the channel was told %d times", n)
	}
}

// TestClaimedExpiriesTakenOverAfterKill: 1 000 windows end in the same
// second; the `elevate serve` that claimed their expiry jobs is SIGKILLed
// while its revokes hang; two surviving serve processes revoke every one
// exactly once, after the dead replica's lease, within seconds.
func TestClaimedExpiriesTakenOverAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("1 000 activations")
	}
	const n = 1000
	elevateBinary(t) // built before the clock starts
	hook := newGatedHook(t)
	e := newDurableEnv(t, hook, n)
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "") // posts are not what this test counts
	m := mustMain(t, e.cfg, false)
	ctx := context.Background()
	// Opening 1 000 windows takes seconds under the race detector on a busy machine.
	end := time.Now().Add(20 * time.Second).Truncate(time.Second).Add(time.Second)
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := m.Service.RequestActivation(ctx, core.Caller{Principal: "p" + itoa(i), Source: "test"}, core.ActivationInput{Role: "svc", Duration: time.Until(end)})
			if err != nil {
				t.Errorf("activate %d: %v", i, err)
				return
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	if t.Failed() || time.Until(end) < 2*time.Second {
		t.Fatalf("could not open %d windows before their common end", n)
	}
	hook.mu.Lock()
	hook.gated["revoke"] = make(chan struct{})
	hook.mu.Unlock()

	dying := startServe(t, e.cfg)
	waitFor(t, "the dying replica's first revoke", time.Until(end)+5*time.Second, func() bool { return hook.held() > 0 })
	_ = dying.Process.Signal(syscall.SIGKILL)
	_ = dying.Wait()
	killedAt := time.Now()
	jobs, err := m.Store.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claimed := 0
	for _, j := range jobs {
		if (j.Kind == core.JobExpire || j.Kind == core.JobRevoke) && !j.Lease.IsZero() {
			claimed++
		}
	}
	// Windows whose end rounds to the millisecond before may have been
	// claimed a tick earlier or later: nearly all must be held by the dead replica.
	if claimed < n-n/50 {
		t.Errorf("the killed replica held %d expiry or revoke jobs, want about %d", claimed, n)
	}
	hook.openAfterKill(t, "revoke")
	startServe(t, e.cfg)
	startServe(t, e.cfg)

	waitFor(t, "every revoke", time.Until(end)+20*time.Second, func() bool {
		for _, id := range ids {
			if got, _ := hook.answered("revoke", id); len(got) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond) // room for a doubled revoke to show
	var latest time.Duration
	earliest := time.Hour
	for _, id := range ids {
		dids, at := hook.answered("revoke", id)
		if len(dids) != 1 || dids[0] != "revoke:"+id {
			t.Fatalf("%s: revokes %v, want one with delivery id revoke:%s", id, dids, id)
		}
		latest = max(latest, at[0].Sub(end))
		earliest = min(earliest, at[0].Sub(end))
	}
	t.Logf("revokes from %v to %v after the windows' end (killed at %v)", earliest, latest, killedAt.Sub(end))
	// The survivors take over when the dead replica's 4 s leases run out,
	// and revoking 1 000 then takes them under a second (race detector
	// included): every revoke within 6 s of the windows' end (issue 9).
	if latest > 6*time.Second {
		t.Errorf("the last revoke came %v after the windows' end; want at most 6 s", latest)
	}
}

// TestServeWaitsForRedis: `elevate serve` started while Redis refuses
// connections stays up, logs one line per backoff step, and serves once
// Redis appears.
func TestServeWaitsForRedis(t *testing.T) {
	bin := elevateBinary(t)
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	e := newDurableEnv(t, newGatedHook(t), 0)
	redisAddr, httpAddr := freeAddr(t), freeAddr(t)
	_, port, _ := net.SplitHostPort(redisAddr)
	cmd := exec.Command(bin, "serve", "--config", e.cfg)
	cmd.Env = append(os.Environ(), "ELEVATE_HTTP_ADDR="+httpAddr, "ELEVATE_REDIS_URL=redis://"+redisAddr+"/0")
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })

	select {
	case err := <-exited:
		t.Fatalf("serve exited while Redis was down: %v\n%s", err, logs.String())
	case <-time.After(6 * time.Second):
	}
	// A try takes up to a few seconds; then waits of 1, 2, 4 s: a handful
	// of lines, not one per 200 ms.
	if n := strings.Count(logs.String(), "store unreachable"); n < 2 || n > 5 {
		t.Fatalf("%d backoff lines in 6 s, want 2 to 5:\n%s", n, logs.String())
	}
	srv := exec.Command(redisBin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	waitFor(t, "serve to answer once Redis is up", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestNoticesSurviveKill: an `elevate serve` that cannot reach Slack
// starts 100 scheduled activations and is SIGKILLed with their 100
// "activated" notices queued; another replica posts every one exactly once.
func TestNoticesSurviveKill(t *testing.T) {
	const n = 100
	elevateBinary(t)
	e := newDurableEnv(t, newGatedHook(t), n)
	m := mustMain(t, e.cfg, false)
	ctx := context.Background()
	start := time.Now().Add(4 * time.Second)
	ids := make([]string, n)
	for i := range n {
		r, err := m.Service.RequestActivation(ctx, core.Caller{Principal: "p" + itoa(i), Source: "test"}, core.ActivationInput{Role: "ops", Duration: time.Hour, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = r.ID
	}
	if time.Now().After(start) {
		t.Fatal("could not schedule the activations before their start")
	}
	dying := startServe(t, e.cfg, "ELEVATE_SLACK_API_URL=http://"+freeAddr(t)+"/api/")
	waitFor(t, "every activation started", time.Until(start)+10*time.Second, func() bool {
		for _, id := range ids {
			if r, err := m.Store.Request(ctx, id); err != nil || r.State != core.StateActive {
				return false
			}
		}
		return true
	})
	_ = dying.Process.Signal(syscall.SIGKILL)
	_ = dying.Wait()
	if got := len(e.slack.Messages("C1")); got != 0 {
		t.Fatalf("%d posts reached Slack from the replica that could not reach it", got)
	}
	queued := 0
	jobs, _ := m.Store.Jobs(ctx)
	for _, j := range jobs {
		if j.Kind == core.JobNotify {
			queued++
		}
	}
	if queued < n {
		t.Fatalf("%d notices queued at the kill, want %d", queued, n)
	}

	mustServe(t, e.cfg)
	posted := func(i int) int { return len(e.posts("C1", fmt.Sprintf("p%d activated ops", i))) }
	waitFor(t, "every notice posted", 30*time.Second, func() bool {
		for i := range n {
			if posted(i) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // room for a doubled post to show
	for i := range n {
		if got := posted(i); got != 1 {
			t.Errorf("p%d's activation was posted %d times", i, got)
		}
	}
}
