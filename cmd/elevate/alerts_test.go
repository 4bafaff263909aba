package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// destPoster records each post with its destination.
type destPoster struct {
	mu    sync.Mutex
	posts []string // "DEST TITLE"
}

func (p *destPoster) Post(_ context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, d.String()+" "+m.Title)
	return notifications.Ref{Destination: d, Platform: "rec", ID: fmt.Sprint(len(p.posts))}, nil
}

func (p *destPoster) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posts...)
}

// withBreakGlass adds a break-glass role "bg" (carol may use it) with a
// webhook target at url, and the anchor file, to a redisConfig file.
func withBreakGlass(t *testing.T, cfg, url, anchors string) {
	t.Helper()
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf(`roles:
  bg:
    break_glass: true
    break_glass_principals: [carol]
    activation: {max_duration: 1h}
    targets:
      - {type: webhook, url: %q, secret: "${HOOK_SECRET}", timeout: 2s}
`, url)
	doc := strings.Replace(string(data), "roles:\n", role, 1) + "audit:\n  anchor_file: " + anchors + "\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBreakGlassFromTheCLI: with no chat adapter running, `elevate
// breakglass` opens the window and grants the target, with the audit and the
// open High alert in Redis; the next serve posts the alert to the alerts
// channel and DMs every admin, once. Someone not on the list is refused.
func TestBreakGlassFromTheCLI(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	withBreakGlass(t, cfg, rcv.URL, filepath.Join(t.TempDir(), "anchors.txt"))

	code, _, errOut := run(t, "", "breakglass", "--config", cfg, "--principal", "bob", "--role", "bg", "--reason", "db down")
	if code != 1 || !strings.Contains(errOut, "not on the break-glass list of bg") {
		t.Fatalf("bob, not on the list: exit %d %q", code, errOut)
	}
	code, out, errOut := run(t, "", "breakglass", "--config", cfg, "--principal", "carol", "--role", "bg", "--reason", "slack is down and the db is on fire")
	if code != 0 {
		t.Fatalf("breakglass: exit %d %s %s", code, out, errOut)
	}
	id := regexp.MustCompile(`request (r-[a-z0-9]+)`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no request id in %q", out)
	}
	if n, _ := rcv.count("grant", id[1]); n != 1 {
		t.Fatalf("grants at the target = %d, want 1", n)
	}
	if code, out, _ := run(t, "", "check", "--config", cfg, "--principal", "carol", "--role", "bg"); code != 0 || !strings.Contains(out, "carol holds bg") {
		t.Fatalf("check: %d %q", code, out)
	}
	m := mustMain(t, cfg, false)
	ctx := context.Background()
	open, err := m.Service.Alerts().List(ctx, core.Caller{Principal: "dana", Source: "test"})
	if err != nil || len(open) != 1 || open[0].Kind != core.AlertBreakGlassUsed || open[0].Severity != core.SeverityHigh || open[0].Scope != id[1] {
		t.Fatalf("open alerts = %+v, %v; want the High break_glass_used of %s", open, err, id[1])
	}
	events, _, err := core.ReadAudit(ctx, m.Store, core.AuditFilter{Principal: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+":"+e.Decision+":"+e.Source)
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "request:break_glass:cli") || !strings.Contains(got, "activate::cli") || !strings.Contains(got, "alert_open:high") {
		t.Fatalf("audit of carol: %s", got)
	}

	// Chat comes back: the alert is posted and the admin told, once.
	posts := &destPoster{}
	m.Notifier.AddPoster(posts)
	for range 2 {
		if err := m.Service.Alerts().Republish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"#sec Security alert (high): break_glass_used", "DM @dana Security alert (high): break_glass_used"}
	if got := posts.all(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("posts = %q, want %q", got, want)
	}
	// The follow-up item: an admin acknowledges it, and the post says so.
	if _, err := m.Service.Alerts().Acknowledge(ctx, core.Caller{Principal: "dana", Source: "test"}, open[0].ID, "talked to carol"); err != nil {
		t.Fatal(err)
	}
	if open, _ := m.Service.Alerts().List(ctx, core.Caller{Principal: "dana", Source: "test"}); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
}

// TestAnchorsDetectARewrittenLog rewrites one audit event in Redis and
// recomputes every later hash and the head, as someone with write access to
// Redis could: `audit verify` alone passes, `audit verify --anchors` fails
// and names the first anchor that no longer matches.
func TestAnchorsDetectARewrittenLog(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	anchors := filepath.Join(t.TempDir(), "anchors.txt")
	withBreakGlass(t, cfg, rcv.URL, anchors)
	m := mustMain(t, cfg, false)
	ctx := context.Background()
	dana := core.Caller{Principal: "dana", Source: "test"}
	if _, err := m.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "svc"}); err != nil {
		t.Fatal(err)
	}
	first, err := m.Service.Alerts().Anchor(ctx, dana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.RequestActivation(ctx, alice(), core.ActivationInput{Role: "db"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.Alerts().Anchor(ctx, dana); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "", "audit", "verify", "--config", cfg, "--anchors", anchors); code != 0 || !strings.Contains(out, "2 anchors match") {
		t.Fatalf("verify before the rewrite: %d %s %s", code, out, errOut)
	}

	rewriteAudit(t, 2, func(e *core.AuditEvent) { e.Justification = "nothing to see here" })

	if code, out, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 0 || !strings.Contains(out, "chain intact") {
		t.Fatalf("verify alone should be fooled by a consistent rewrite: %d %s %s", code, out, errOut)
	}
	code, _, errOut := run(t, "", "audit", "verify", "--config", cfg, "--anchors", anchors)
	want := fmt.Sprintf("anchor %d:%s (%s:1) no longer matches", first.Seq, first.Hash, anchors)
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("verify --anchors: exit %d %q, want it to name %q", code, errOut, want)
	}
	code, _, errOut = run(t, "", "audit", "verify", "--config", cfg, "--anchor", fmt.Sprintf("%d:%s", first.Seq, first.Hash))
	if code != 1 || !strings.Contains(errOut, "(--anchor) no longer matches") {
		t.Fatalf("verify --anchor: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg, "--anchor", "12:xyz"); code != 2 || !strings.Contains(errOut, "SEQ:HASH") {
		t.Fatalf("bad --anchor: exit %d %q", code, errOut)
	}
}

// rewriteAudit changes audit event seq in the test's Redis and rechains it
// and every later event, and the head, so that the chain verifies again.
func rewriteAudit(t *testing.T, seq int64, change func(*core.AuditEvent)) {
	t.Helper()
	ctx := context.Background()
	c := redistest.NewClient(t)
	tag := "{" + os.Getenv("ELEVATE_REDIS_PREFIX") + "}:"
	msgs, err := c.XRange(ctx, tag+"audit", "-", "+").Result()
	if err != nil || len(msgs) < int(seq) {
		t.Fatalf("read the stream: %v (%d entries)", err, len(msgs))
	}
	prev := ""
	head := core.AuditHead{}
	var rewritten []goredis.XMessage
	for _, msg := range msgs {
		var e core.AuditEvent
		if err := json.Unmarshal([]byte(msg.Values["e"].(string)), &e); err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.ParseInt(strings.TrimPrefix(msg.ID, "0-"), 10, 64)
		if n == seq {
			change(&e)
		}
		raw, _ := json.Marshal(e)
		hash := msg.Values["hash"].(string)
		if n >= seq {
			hash = core.ChainHash(prev, n, e.ContentDigest())
		}
		rewritten = append(rewritten, goredis.XMessage{ID: msg.ID, Values: map[string]any{"e": string(raw), "prev": prev, "hash": hash}})
		prev, head = hash, core.AuditHead{Seq: n, Hash: hash}
	}
	if err := c.Del(ctx, tag+"audit").Err(); err != nil {
		t.Fatal(err)
	}
	for _, msg := range rewritten {
		if err := c.XAdd(ctx, &goredis.XAddArgs{Stream: tag + "audit", ID: msg.ID, Values: msg.Values}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(head)
	if err := c.Set(ctx, tag+"audithead", b, 0).Err(); err != nil {
		t.Fatal(err)
	}
}
