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
	"github.com/elevate-pim/elevate/store/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// TestRedisMemoryPerUnit measures, on a Redis of its own, what a
// deployment needs per active window (the activation's request, window,
// indexes, jobs and its two audit events), per open request (pending
// approval) and per audit event, from INFO memory; README's sizing table
// quotes these figures. It fails when one grows past a generous bound.
func TestRedisMemoryPerUnit(t *testing.T) {
	const n = 2000
	url := redistest.StartServer(t).URL()
	t.Setenv("ELEVATE_REDIS_URL", url)
	t.Setenv("ELEVATE_REDIS_PREFIX", "elevate")
	var b strings.Builder
	fmt.Fprintf(&b, "admin_role: admin\nprincipals:\n  dana: {}\n  bob: {}\n")
	for i := range n {
		fmt.Fprintf(&b, "  user%05d: {}\n", i)
	}
	fmt.Fprintf(&b, `roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  prod-db:
    activation: {max_duration: 8h}
  billing-admin:
    activation: {max_duration: 8h}
    approval: {required: true, approvers: [bob]}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
`)
	for i := range n {
		fmt.Fprintf(&b, "  - {principal: user%05d, role: prod-db, type: eligible, permanent: true}\n", i)
		fmt.Fprintf(&b, "  - {principal: user%05d, role: billing-admin, type: eligible, permanent: true}\n", i)
	}
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	opt, _ := goredis.ParseURL(url)
	raw := goredis.NewClient(opt)
	defer raw.Close()
	ctx := context.Background()
	used := func() int64 {
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
	in := func(role string) core.ActivationInput {
		return core.ActivationInput{Role: role, Duration: 4 * time.Hour, Justification: "rotate the replication credentials", Ticket: "INC-4411"}
	}
	measure := func(what string, limit int64, do func(i int)) {
		t.Helper()
		do(-1) // warm up: scripts loaded, shared keys created
		before := used()
		for i := range n - 1 {
			do(i)
		}
		per := (used() - before) / (n - 1)
		t.Logf("Redis memory per %s: %d bytes", what, per)
		if per > limit {
			t.Errorf("Redis memory per %s = %d bytes, want at most %d", what, per, limit)
		}
	}
	user := func(i int) core.Caller { return core.Caller{Principal: fmt.Sprintf("user%05d", i+1), Source: "slack"} }
	measure("active window", 4096, func(i int) {
		if _, err := m.Service.RequestActivation(ctx, user(i), in("prod-db")); err != nil {
			t.Fatal(err)
		}
	})
	measure("open request", 4096, func(i int) {
		if _, err := m.Service.RequestActivation(ctx, user(i), in("billing-admin")); err != nil {
			t.Fatal(err)
		}
	})
	event := func(i int) core.AuditEvent {
		return core.AuditEvent{Time: time.Now(), Actor: fmt.Sprintf("user%05d", i+1), Action: "activate", Principal: fmt.Sprintf("user%05d", i+1),
			Role: "prod-db", RequestID: fmt.Sprintf("r-%06d", i+1), Duration: 4 * time.Hour, Justification: "rotate the replication credentials", Ticket: "INC-4411", Source: "slack"}
	}
	measure("audit event", 1024, func(i int) {
		if err := m.Store.Apply(ctx, core.Change{Audit: []core.AuditEvent{event(i)}}); err != nil {
			t.Fatal(err)
		}
	})
}
