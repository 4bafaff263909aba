package redis_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// storeCalls calls every method of a store once, each with ctx.
func storeCalls(s core.Store) map[string]func(ctx context.Context) error {
	now := time.Now()
	return map[string]func(ctx context.Context) error{
		"Apply": func(ctx context.Context) error {
			return s.Apply(ctx, core.Change{Audit: []core.AuditEvent{event("alice", "request")}})
		},
		"Request":                func(ctx context.Context) error { _, err := s.Request(ctx, "r-1"); return err },
		"OpenRequestsOf":         func(ctx context.Context) error { _, err := s.OpenRequestsOf(ctx, "alice"); return err },
		"AwaitingApproval":       func(ctx context.Context) error { _, err := s.AwaitingApproval(ctx, "db"); return err },
		"Window":                 func(ctx context.Context) error { _, err := s.Window(ctx, "alice", "db"); return err },
		"Windows":                func(ctx context.Context) error { _, err := s.Windows(ctx, "db"); return err },
		"AssignmentsByPrincipal": func(ctx context.Context) error { _, err := s.AssignmentsByPrincipal(ctx, "alice"); return err },
		"AssignmentsByRole":      func(ctx context.Context) error { _, _, err := s.AssignmentsByRole(ctx, "db"); return err },
		"AssignmentsByKey":       func(ctx context.Context) error { _, _, err := s.AssignmentsByKey(ctx, "eligible/alice/db"); return err },
		"AssignmentsOf":          func(ctx context.Context) error { _, err := s.AssignmentsOf(ctx, "alice", "db"); return err },
		"MFA":                    func(ctx context.Context) error { _, err := s.MFA(ctx, "alice"); return err },
		"ClaimJobs":              func(ctx context.Context) error { _, err := s.ClaimJobs(ctx, now, time.Minute, 10); return err },
		"CompleteJob": func(ctx context.Context) error {
			return s.CompleteJob(ctx, core.Job{Kind: core.JobExpire, Ref: "r-1", Due: now, Lease: now})
		},
		"Jobs":       func(ctx context.Context) error { _, err := s.Jobs(ctx); return err },
		"AuditRange": func(ctx context.Context) error { _, err := s.AuditRange(ctx, 0, 10); return err },
		"AuditHead":  func(ctx context.Context) error { _, err := s.AuditHead(ctx); return err },
		"Once":       func(ctx context.Context) error { _, err := s.Once(ctx, "k", time.Minute); return err },
	}
}

// TestStoppedRedisIsUnavailable: with the server gone, every store call
// fails with EUNAVAILABLE (never a bare network error, which adapters would
// show as an internal error), its text saying which redis call failed.
func TestStoppedRedisIsUnavailable(t *testing.T) {
	srv := redistest.StartServer(t)
	opt, err := goredis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	client := goredis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	s := redis.New(client, redis.WithPrefix(redistest.NewPrefix(t)))
	if _, err := s.Request(t.Context(), "r-1"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("before the outage: %v, want ENOTFOUND", err)
	}
	srv.Stop()
	for name, call := range storeCalls(s) {
		if err := call(t.Context()); core.ErrorCode(err) != core.EUNAVAILABLE || !strings.HasPrefix(err.Error(), "redis ") {
			t.Errorf("%s with Redis stopped: %v, want %s wrapped with what was asked of redis", name, err, core.EUNAVAILABLE)
		}
	}
	client.Close()
	for name, call := range storeCalls(s) {
		if err := call(t.Context()); core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("%s on a closed client: %v, want %s", name, err, core.EUNAVAILABLE)
		}
	}
}

// TestSilentRedisIsUnavailable: a server that accepts connections and never
// answers makes each call fail at the caller's deadline with EUNAVAILABLE.
func TestSilentRedisIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	client := goredis.NewClient(&goredis.Options{Addr: ln.Addr().String(), MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { client.Close() })
	s := redis.New(client)
	for name, call := range storeCalls(s) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		err := call(ctx)
		cancel()
		if core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("%s against a silent server: %v, want %s", name, err, core.EUNAVAILABLE)
		}
	}
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := s.Request(ctx, "r-1"); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("Request past its deadline: %v, want %s", err, core.EUNAVAILABLE)
	}
}
