package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// TestBadEnvironmentIsOneLine: every ELEVATE_* setting elevate reads is
// checked at start-up; a bad value ends the command with exit 2 and one
// line naming the variable, never a panic (ELEVATE_REDIS_PREFIX='{bad}'
// used to crash `serve` with a stack trace).
func TestBadEnvironmentIsOneLine(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	if err := os.WriteFile(cfg, []byte("principals:\n  alice: {}\nroles:\n  db:\n    activation: {max_duration: 1h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"ELEVATE_REDIS_PREFIX":       "{bad}",
		"ELEVATE_REDIS_URL":          "not a url",
		"ELEVATE_REDIS_MODE":         "ring",
		"ELEVATE_LOG_LEVEL":          "loud",
		"ELEVATE_JOB_LEASE":          "-1s",
		"ELEVATE_SHUTDOWN_GRACE":     "soon",
		"ELEVATE_DISCORD_LEASE_TTL":  "0s",
		"ELEVATE_SIEM_LEASE_TTL":     "1 hour",
		"ELEVATE_ENCRYPTION_KEY":     "short",
		"ELEVATE_HTTP_ADDR":          "8080",
		"ELEVATE_METRICS_ADDR":       "localhost",
		"ELEVATE_DISCORD_MODE":       "websocket",
		"ELEVATE_DISCORD_PUBLIC_KEY": "xyz",
		"ELEVATE_SLACK_API_URL":      "slack.test/api",
		"ELEVATE_DISCORD_API_URL":    "ftp://discord.test",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("ELEVATE_REDIS_URL", "")
			t.Setenv(name, bad)
			code, _, stderr := run(t, "", "serve", "--config", cfg)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], name) || strings.Contains(stderr, "goroutine") {
				t.Fatalf("%s=%q: exit %d, stderr:\n%s\nwant exit 2 and one line naming %s", name, bad, code, stderr, name)
			}
		})
	}
}

// TestCheckNeedsOnlyTheRedisURL: `elevate check` with ELEVATE_REDIS_URL
// (and the prefix) and no --config answers from the store.
func TestCheckNeedsOnlyTheRedisURL(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	m := mustMain(t, cfg, false)
	if _, err := m.Service.RequestActivation(context.Background(), alice(), core.ActivationInput{Role: "svc", Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "check", "--principal", "alice", "--role", "svc")
	if code != checkHolds || !strings.Contains(out, "alice holds svc") {
		t.Fatalf("check without --config: exit %d, %q %q; want 0, alice holds svc", code, out, stderr)
	}
	if code, out, _ := run(t, "", "check", "--principal", "bob", "--role", "svc"); code != checkNo {
		t.Fatalf("check bob: exit %d %q, want %d", code, out, checkNo)
	}
	t.Setenv("ELEVATE_REDIS_URL", "")
	if code, _, stderr := run(t, "", "check", "--principal", "alice", "--role", "svc"); code == checkHolds || !strings.Contains(stderr, "ELEVATE_REDIS_URL") {
		t.Fatalf("check with neither: exit %d %q, want a refusal naming ELEVATE_REDIS_URL", code, stderr)
	}
}
