package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestReadyzFollowsRedis: a replica whose Redis stops reports not-ready
// within 5 s (naming the store), stays alive, and is ready again once
// Redis is back.
func TestReadyzFollowsRedis(t *testing.T) {
	own := redistest.StartServer(t)
	cfg := redisConfig(t, "http://127.0.0.1:9/", 0)
	t.Setenv("ELEVATE_REDIS_URL", own.URL())
	t.Setenv("ELEVATE_METRICS_ADDR", "")
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := serveMain(t, m)
	body := waitStatus(t, base+"/readyz", 200, 10*time.Second)
	if !strings.Contains(body, "store: ok") || !strings.Contains(body, "scheduler: ok") {
		t.Fatalf("ready body %q", body)
	}

	own.Stop()
	stopped := time.Now()
	body = waitStatus(t, base+"/readyz", 503, 5*time.Second)
	t.Logf("not ready %v after Redis stopped", time.Since(stopped).Round(time.Millisecond))
	if !strings.Contains(body, "store: unreachable") {
		t.Fatalf("not-ready body %q, want the store named", body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz while Redis is down: %d, want 200 (alive)", code)
	}

	own.Start()
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
}

// TestMetricsOnTheirOwnPort: ELEVATE_METRICS_ADDR moves /metrics off the
// main listener.
func TestMetricsOnTheirOwnPort(t *testing.T) {
	t.Setenv("ELEVATE_REDIS_URL", "")
	addr := freeAddr(t)
	t.Setenv("ELEVATE_METRICS_ADDR", addr)
	_, base := mustServe(t, "../../examples/demo.yaml")
	if code, _ := get(t, base+"/metrics"); code != 404 {
		t.Errorf("/metrics on the main port: %d, want 404", code)
	}
	body := waitStatus(t, "http://"+addr+"/metrics", 200, 5*time.Second)
	if !strings.Contains(body, "elevate_scheduler_last_run_timestamp_seconds") {
		t.Errorf("metrics port serves no elevate metrics:\n%.500s", body)
	}
	if code, _ := get(t, base+"/readyz"); code != 200 && code != 503 {
		t.Errorf("/readyz on the main port: %d", code)
	}
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
