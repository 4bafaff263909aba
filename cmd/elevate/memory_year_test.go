package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// dropKeys deletes the keys matching pattern.
func dropKeys(t *testing.T, c *goredis.Client, pattern string) {
	t.Helper()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	for len(batch) > 0 {
		n := min(len(batch), 1000)
		if err := c.Unlink(ctx, batch[:n]...).Err(); err != nil {
			t.Fatal(err)
		}
		batch = batch[n:]
	}
}

// TestRedisMemoryOverAYear simulates a year of activations with a fake
// clock on a Redis of its own (ELEVATE_MEMORY_YEAR=ACTIVATIONS_PER_DAY; it
// is skipped otherwise, being a load script): each day every activation
// opens a one-hour window that expires, final requests are purged after 90
// days and audit events older than 30 days move to the archive. It prints
// used_memory every 30 days and fails when memory in the second half of
// the year grows by more than 10% over the steady state reached after the
// retention period: Redis memory stays flat.
func TestRedisMemoryOverAYear(t *testing.T) {
	perDay, _ := strconv.Atoi(os.Getenv("ELEVATE_MEMORY_YEAR"))
	if perDay <= 0 {
		t.Skip("a load script: set ELEVATE_MEMORY_YEAR=ACTIVATIONS_PER_DAY")
	}
	url := redistest.StartServer(t).URL()
	t.Setenv("ELEVATE_REDIS_URL", url)
	t.Setenv("ELEVATE_REDIS_PREFIX", "year")
	var b strings.Builder
	fmt.Fprintf(&b, "admin_role: admin\nprincipals:\n  dana: {}\n")
	for i := range perDay {
		fmt.Fprintf(&b, "  p%d: {}\n", i)
	}
	fmt.Fprintf(&b, `roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  ops:
    activation: {max_duration: 8h}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
`)
	for i := range perDay {
		fmt.Fprintf(&b, "  - {principal: p%d, role: ops, type: eligible, permanent: true}\n", i)
	}
	fmt.Fprintf(&b, "audit: {hot: 30d, archive_dir: %s}\n", filepath.Join(t.TempDir(), "archive"))
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := clocktest.New(time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC))
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	if err := m.Service.ScheduleArchive(ctx); err != nil {
		t.Fatal(err)
	}
	opt, _ := goredis.ParseURL(url)
	raw := goredis.NewClient(opt)
	defer raw.Close()
	used := func() int64 {
		raw.Do(ctx, "memory", "purge")
		info, err := raw.Info(ctx, "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatal("no used_memory")
		return 0
	}
	var steady, most int64
	for day := 1; day <= 365; day++ {
		for i := range perDay {
			if _, err := m.Service.RequestActivation(ctx, core.Caller{Principal: "p" + strconv.Itoa(i)}, core.ActivationInput{Role: "ops", Duration: time.Hour}); err != nil {
				t.Fatalf("day %d: %v", day, err)
			}
		}
		clock.Advance(2 * time.Hour)
		mustRunDue(t, m)
		clock.Advance(22 * time.Hour)
		mustRunDue(t, m) // purges and the archive job
		// Redis expires each Change's at-most-once marker after ten real
		// minutes; a simulated day is far longer, so they are gone by now.
		dropKeys(t, raw, "{year}:applied:*")
		if day%30 == 0 || day == 365 {
			u := used()
			head, _ := m.Store.AuditHead(ctx)
			cp, _ := m.Store.AuditCheckpoint(ctx)
			t.Logf("day %3d: used_memory %7.1f MB, audit events %d (archived %d, in Redis %d)", day, float64(u)/1e6, head.Seq, cp.Seq, head.Seq-cp.Seq)
			switch {
			case day == 120: // past the 90-day retention and the 30-day hot period
				steady = u
			case day > 120:
				most = max(most, u)
			}
		}
	}
	if steady > 0 && most > steady+steady/10 {
		t.Fatalf("Redis memory grew from %d bytes on day 120 to %d later in the year", steady, most)
	}
}
