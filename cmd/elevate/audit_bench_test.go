package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

var auditEvents = flag.Int("audit.events", 100000, "BenchmarkAuditVerify: how many audit events to verify")

// rssBytes returns the process's resident set size.
func rssBytes() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkAuditVerify: `elevate audit verify` on a Redis audit stream of
// -audit.events events (100 000 by default), in this process: events per
// second, and how far the resident set grew above what it was before the
// verification started (sampled every 5 ms).
func BenchmarkAuditVerify(b *testing.B) {
	n := *auditEvents
	prefix := redistest.NewPrefix(b)
	st := redis.New(redistest.NewClient(b), redis.WithPrefix(prefix))
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < n; i += 200 {
		var ch core.Change
		for k := i; k < min(i+200, n); k++ {
			ch.Audit = append(ch.Audit, core.AuditEvent{Time: now, Actor: fmt.Sprintf("p%d", k%10000), Action: "activate",
				Principal: fmt.Sprintf("p%d", k%10000), Role: "prod-db", RequestID: fmt.Sprintf("r-%07d", k), Duration: time.Hour,
				Justification: "fixing replication lag", Ticket: "INC-4411"})
		}
		if err := st.Apply(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.AuditHead(ctx); err != nil { // seals what is still pending: verify is what is timed
		b.Fatal(err)
	}
	cfg := filepath.Join(b.TempDir(), "elevate.yaml")
	if err := os.WriteFile(cfg, []byte("admin_role: admin\nprincipals:\n  dana: {}\nroles:\n  admin:\n    activation: {max_duration: 1h}\n    assignment: {allow_permanent: true}\nassignments:\n  - {principal: dana, role: admin, type: active, permanent: true}\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("ELEVATE_REDIS_URL", redistest.URL(b))
	b.Setenv("ELEVATE_REDIS_PREFIX", prefix)
	var took time.Duration
	var grew int64
	for b.Loop() {
		runtime.GC()
		base := rssBytes()
		var peak atomic.Int64
		done := make(chan struct{})
		go func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				if r := rssBytes(); r > peak.Load() {
					peak.Store(r)
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
		var out, errs bytes.Buffer
		start := time.Now()
		err := cmdAuditVerify(ctx, []string{"--config", cfg}, &out, &errs)
		took = time.Since(start)
		close(done)
		if err != nil {
			b.Fatalf("audit verify: %v\n%s%s", err, out.String(), errs.String())
		}
		grew = max(grew, peak.Load()-base)
	}
	b.ReportMetric(float64(n)/took.Seconds(), "events/s")
	b.ReportMetric(float64(grew)/(1<<20), "rss-growth-MB")
}
