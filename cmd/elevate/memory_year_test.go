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

// TestRedisMemoryOverAYear runs a year of activations in fast-forward on a
// Redis of its own, every key timed by the fake clock (windows are closed
// by their expiry jobs, de-duplication markers by the store's clock):
// each day every principal activates a one-hour window that expires; final
// requests are deleted after 30 days (retention.requests) and audit events
// older than 30 days move to the archive (audit.hot), so that the steady
// state is reached in the second month. It fails when Redis's memory for
// the data (used_memory above the freshly started deployment's) later in
// the year exceeds month 2's by more than 10%: memory stays flat. It logs
// the steady state per daily activation. ELEVATE_MEMORY_YEAR=N runs it with
// N activations a day; below 20 the data is so small that Redis's own
// bookkeeping (up to tens of KB over the year) may not fit in 10%.
func TestRedisMemoryOverAYear(t *testing.T) {
	v := os.Getenv("ELEVATE_MEMORY_YEAR")
	if v == "" {
		t.Skip("a load script (2 minutes at 20 a day, far longer under -race): set ELEVATE_MEMORY_YEAR=ACTIVATIONS_PER_DAY, at least 20")
	}
	perDay, err := strconv.Atoi(v)
	if err != nil || perDay <= 0 {
		t.Fatalf("ELEVATE_MEMORY_YEAR=%q: want activations a day", v)
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
	fmt.Fprintf(&b, "retention: {requests: 30d}\naudit: {hot: 30d, archive_dir: %s}\n", filepath.Join(t.TempDir(), "archive"))
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
	runDue := func() {
		for {
			n, err := m.Service.RunDue(ctx)
			if err != nil {
				t.Fatalf("run due: %v", err)
			}
			if n == 0 {
				return
			}
		}
	}
	runDue()
	empty := used()
	var month2, most int64
	for day := 1; day <= 365; day++ {
		for i := range perDay {
			if _, err := m.Service.RequestActivation(ctx, core.Caller{Principal: "p" + strconv.Itoa(i)}, core.ActivationInput{Role: "ops", Duration: time.Hour}); err != nil {
				t.Fatalf("day %d: %v", day, err)
			}
		}
		clock.Advance(2 * time.Hour)
		runDue() // the windows expire
		clock.Advance(22 * time.Hour)
		runDue() // purges and the archive job
		if day%30 != 0 && day != 365 {
			continue
		}
		data := used() - empty
		head, _ := m.Store.AuditHead(ctx)
		cp, _ := m.Store.AuditCheckpoint(ctx)
		keys, _ := raw.DBSize(ctx).Result()
		t.Logf("day %3d: data %7.1f KB, %d keys, audit events %d (archived %d, in Redis %d)", day, float64(data)/1e3, keys, head.Seq, cp.Seq, head.Seq-cp.Seq)
		switch {
		case day == 60:
			month2 = data
		case day > 60:
			most = max(most, data)
		}
	}
	t.Logf("steady state: %d bytes of Redis per daily activation; at 10 000 activations a day %.0f MB", month2/int64(perDay), float64(month2)/float64(perDay)*10000/1e6)
	if most > month2+month2/10 {
		t.Fatalf("Redis memory for the data grew from %d bytes in month 2 to %d later in the year", month2, most)
	}
}
