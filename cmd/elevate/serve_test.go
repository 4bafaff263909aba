package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestServeHealthz(t *testing.T) {
	t.Setenv("ELEVATE_REDIS_URL", "")
	_, base := mustServe(t, "../../examples/demo.yaml")
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
}

// mustServe builds Main on cfg and serves it on a loopback port until the
// test ends, which must find serve stopped cleanly; it returns the base URL.
func mustServe(t *testing.T, cfg string) (*Main, string) {
	t.Helper()
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, serveMain(t, m)
}

// TestPersistentStoreNeedsAKeyForMFA: with Redis and an MFA role, start-up
// without ELEVATE_ENCRYPTION_KEY fails with a clear message; a bad key too.
func TestPersistentStoreNeedsAKeyForMFA(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	data, _ := os.ReadFile(cfg)
	mfa := strings.Replace(string(data), "  db:\n    activation: {max_duration: 1h}", "  db:\n    activation: {max_duration: 1h, mfa: true}", 1)
	path := filepath.Join(t.TempDir(), "mfa.yaml")
	if err := os.WriteFile(path, []byte(mfa), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ELEVATE_ENCRYPTION_KEY", "")
	_, err := NewMain(context.Background(), path, zerolog.Nop(), Options{})
	if err == nil || !strings.Contains(err.Error(), "ELEVATE_ENCRYPTION_KEY is not set") {
		t.Fatalf("no key: %v", err)
	}
	t.Setenv("ELEVATE_ENCRYPTION_KEY", "c2hvcnQ=")
	if _, err := NewMain(context.Background(), path, zerolog.Nop(), Options{}); err == nil || !strings.Contains(err.Error(), "32 random bytes") {
		t.Fatalf("short key: %v", err)
	}
	t.Setenv("ELEVATE_ENCRYPTION_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	m, err := NewMain(context.Background(), path, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatalf("good key: %v", err)
	}
	m.Close()
}
