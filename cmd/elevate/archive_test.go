package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestAuditArchiveTiers: with a fake clock, 40 days of activations on
// Redis; the archive job moves the events older than 30 days (audit.hot)
// to gzip JSON-lines segments and trims them from Redis, leaving the
// archive's head as the checkpoint. `audit verify` walks both tiers and
// names a single altered event in either; `audit export` reads both.
func TestAuditArchiveTiers(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	dir := filepath.Join(t.TempDir(), "archive")
	appendConfig(t, cfg, "audit: {hot: 30d, archive_dir: "+dir+"}\n")
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := clocktest.New(start)
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	mustLiveDays(t, m, clock, 40)
	if err := m.Service.ScheduleArchive(ctx); err != nil {
		t.Fatal(err)
	}
	mustRunDue(t, m)

	cutoff := clock.Now().Add(-30 * 24 * time.Hour)
	head, _ := m.Store.AuditHead(ctx)
	cp, err := m.Store.AuditCheckpoint(ctx)
	if err != nil || cp.Seq == 0 {
		t.Fatalf("no checkpoint after archiving: %+v %v", cp, err)
	}
	cold, _ := m.archive.AuditHead(ctx)
	if cold != cp {
		t.Fatalf("archive head %+v, store checkpoint %+v: want equal", cold, cp)
	}
	archived := readAll(t, m.archive)
	hot := readAll(t, m.Store)
	if int64(len(archived)) != cp.Seq || len(hot) == 0 || hot[0].Seq != cp.Seq+1 || hot[len(hot)-1].Seq != head.Seq {
		t.Fatalf("archive holds %d events, Redis %d from #%d; checkpoint %d, head %d", len(archived), len(hot), hot[0].Seq, cp.Seq, head.Seq)
	}
	days := map[string]bool{}
	for _, e := range archived {
		if !e.Time.Before(cutoff) {
			t.Fatalf("archived #%d of %v is inside the hot period (after %v)", e.Seq, e.Time, cutoff)
		}
		days[e.Time.Format(time.DateOnly)] = true
	}
	for _, e := range hot {
		if e.Time.Before(cutoff) {
			t.Fatalf("Redis still holds #%d of %v, older than the hot period", e.Seq, e.Time)
		}
	}
	if len(days) != 10 {
		t.Fatalf("the archive holds events of %d days, want the older 10", len(days))
	}

	if code, out, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 0 || !strings.Contains(out, fmt.Sprintf("ok, %d events", head.Seq)) {
		t.Fatalf("verify both tiers: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, "", "audit", "export", "--config", cfg, "--format", "json"); code != 0 || strings.Count(out, `"seq":`) != int(head.Seq) {
		t.Fatalf("export of both tiers: %d, %d events, want %d", code, strings.Count(out, `"seq":`), head.Seq)
	}

	// One altered event in the archive, then one in Redis: verify names it.
	seg := mustGlob(t, filepath.Join(dir, "audit-*.jsonl.gz"))
	original, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	rewriteSegment(t, seg, 3)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 1 || !strings.Contains(errOut, "audit event 3: content does not match") {
		t.Fatalf("verify with archived event 3 altered: %d %s", code, errOut)
	}
	if err := os.WriteFile(seg, original, 0o600); err != nil {
		t.Fatal(err)
	}
	altered := hot[2].Seq
	alterStreamEvent(t, altered)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 1 || !strings.Contains(errOut, fmt.Sprintf("audit event %d: content does not match", altered)) {
		t.Fatalf("verify with Redis event %d altered: %d %s", altered, code, errOut)
	}
}

// appendConfig adds text to the config file.
func appendConfig(t *testing.T, cfg, text string) {
	t.Helper()
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// mustLiveDays has alice activate svc for an hour once a day, for days
// days of the fake clock, running what comes due.
func mustLiveDays(t *testing.T, m *Main, clock *clocktest.Clock, days int) {
	t.Helper()
	for day := range days {
		if _, err := m.Service.RequestActivation(context.Background(), alice(), core.ActivationInput{Role: "svc", Duration: time.Hour}); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		clock.Advance(2 * time.Hour)
		mustRunDue(t, m)
		clock.Advance(22 * time.Hour)
	}
}

func mustRunDue(t *testing.T, m *Main) {
	t.Helper()
	if _, err := m.Service.RunDue(context.Background()); err != nil {
		t.Fatalf("run due: %v", err)
	}
}

// readAll reads a whole audit tier.
func readAll(t *testing.T, r core.AuditReader) []core.AuditEvent {
	t.Helper()
	var out []core.AuditEvent
	for {
		after := int64(0)
		if len(out) > 0 {
			after = out[len(out)-1].Seq
		}
		es, err := r.AuditRange(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			return out
		}
		out = append(out, es...)
	}
}

func mustGlob(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("no file matches %s", pattern)
	}
	return m[0]
}

// rewriteSegment changes the actor of event seq in a segment file.
func rewriteSegment(t *testing.T, path string, seq int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var events []core.AuditEvent
	dec := json.NewDecoder(bufio.NewReader(zr))
	for dec.More() {
		var e core.AuditEvent
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.Seq == seq {
			e.Actor = "mallory"
		}
		events = append(events, e)
	}
	f.Close()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	enc := json.NewEncoder(zw)
	for i := range events {
		enc.Encode(&events[i])
	}
	zw.Close()
	out.Close()
}

// alterStreamEvent rewrites the Redis audit stream with event seq's actor
// changed (stream entries cannot be edited: the stream is rebuilt with the
// same ids).
func alterStreamEvent(t *testing.T, seq int64) {
	t.Helper()
	c := redistest.NewClient(t)
	ctx := context.Background()
	key := "{" + os.Getenv("ELEVATE_REDIS_PREFIX") + "}:audit"
	msgs, err := c.XRange(ctx, key, "-", "+").Result()
	if err != nil || len(msgs) == 0 {
		t.Fatalf("read the stream: %v", err)
	}
	if err := c.Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	for _, msg := range msgs {
		if msg.ID == fmt.Sprintf("0-%d", seq) {
			msg.Values["e"] = strings.Replace(msg.Values["e"].(string), `"actor":"`, `"actor":"mallory-`, 1)
		}
		if err := c.XAdd(ctx, &goredis.XAddArgs{Stream: key, ID: msg.ID, Values: msg.Values}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
