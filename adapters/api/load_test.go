package api_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

var auditEvents = flag.Int("load.audit", 0, "TestLoadAuditDownload: events to seed and download (0 skips; scripts/audit-rss.sh runs 1000000)")

// rssBytes is this process's resident set size.
func rssBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestLoadAuditDownload seeds -load.audit events in Redis and downloads
// them all through GET /audit over real HTTP, sampling the process's RSS
// throughout: it fails if RSS grows by 64 MB or more over its level before
// the download.
func TestLoadAuditDownload(t *testing.T) {
	if *auditEvents == 0 {
		t.Skip("set -load.audit=N (scripts/audit-rss.sh)")
	}
	e := newEnv(t, nil)
	start := time.Now()
	n := *auditEvents
	for done := 0; done < n; {
		var c core.Change
		for ; done < n && len(c.Audit) < 500; done++ {
			c.Audit = append(c.Audit, core.AuditEvent{Time: t0, Actor: "alice", Action: "approve", Principal: "alice", Role: "prod-db",
				RequestID: "r-0123456789abcdef", Justification: "fixing replication lag on the primary", Ticket: "INC-4411", Source: "slack"})
		}
		if err := e.store.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d events in %v", n, time.Since(start).Round(time.Millisecond))
	runtime.GC()
	before := rssBytes(t)
	var peak atomic.Int64
	peak.Store(before)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if r := rssBytes(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	start = time.Now()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/audit?format=json", nil)
	req.Header.Set("Authorization", "Bearer siem-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bytes, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(stop)
	<-sampled
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download: %d, %v", resp.StatusCode, err)
	}
	growth := peak.Load() - before
	t.Logf("downloaded %d events (%d MB) in %v; RSS %d MB before, peak growth %d MB",
		n, bytes>>20, time.Since(start).Round(time.Millisecond), before>>20, growth>>20)
	if growth >= 64<<20 {
		t.Fatalf("RSS grew by %d MB during the download, want < 64 MB", growth>>20)
	}
}

var checkLoad = flag.Duration("load.check", 0, "TestLoadCheck: how long each phase runs (0 skips; scripts/check-load.sh runs 3s)")

// loadResult is one handler's numbers.
type loadResult struct {
	throughput float64       // requests per second at saturation
	p99        time.Duration // at the paced rate
}

// TestLoadCheck measures GET /api/v1/check, for a principal who holds the
// role by a window and for one who holds nothing (the answer then needs
// the assignment too: still one round trip), beside a minimal Go handler
// that does one Redis GET per request, with the same client in the same
// run: saturated throughput (32 concurrent clients) and p99 latency at
// 1 000 req/s. It fails below 0.5× the minimal handler's throughput or
// above 2 ms p99.
func TestLoadCheck(t *testing.T) {
	if *checkLoad == 0 {
		t.Skip("set -load.check=DURATION (scripts/check-load.sh)")
	}
	e := newEnv(t, nil)
	e.mustActivate("staging")
	client := redistest.NewClient(t)
	if err := client.Set(context.Background(), "check-load-key", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	minimal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := client.Get(r.Context(), "check-load-key").Result()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"holds":`+strconv.FormatBool(v == "1")+`}`)
	}))
	defer minimal.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	hc := &http.Client{Transport: tr}
	get := func(url, token string) func() error {
		return func() error {
			req, _ := http.NewRequest("GET", url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		}
	}
	checkURL := e.srv.URL + "/api/v1/check?principal=alice&role=staging"
	handlers := []struct {
		name string
		do   func() error
	}{
		{"minimal handler, one Redis GET", get(minimal.URL, "")},
		{"GET /api/v1/check (gateway token)", get(checkURL, "gateway-token")},
		{"GET /api/v1/check, holds nothing", get(e.srv.URL+"/api/v1/check?principal=alice&role=prod-db", "gateway-token")},
	}
	var results []loadResult
	for _, h := range handlers {
		results = append(results, loadResult{throughput: saturate(t, h.do, 32, *checkLoad), p99: paced(t, h.do, 1000, *checkLoad)})
	}
	for i, h := range handlers {
		t.Logf("%-36s %8.0f req/s saturated   p99 %v at 1000 req/s", h.name, results[i].throughput, results[i].p99.Round(10*time.Microsecond))
	}
	for _, i := range []int{1, 2} {
		ratio := results[i].throughput / results[0].throughput
		t.Logf("%s: throughput %.2f× the minimal handler's (target ≥ 0.5); p99 %v (target ≤ 2ms)", handlers[i].name, ratio, results[i].p99.Round(10*time.Microsecond))
		if ratio < 0.5 || results[i].p99 > 2*time.Millisecond {
			t.Errorf("%s missed its target", handlers[i].name)
		}
	}
}

// saturate runs do from workers goroutines for d and returns requests per second.
func saturate(t *testing.T, do func() error, workers int, d time.Duration) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := do(); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

// paced issues rate requests per second for d (each on its own goroutine
// at its scheduled time) and returns the 99th percentile latency.
func paced(t *testing.T, do func() error, rate int, d time.Duration) time.Duration {
	total := int(d.Seconds() * float64(rate))
	lat := make([]time.Duration, total)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			t0 := time.Now()
			if err := do(); err != nil {
				t.Error(err)
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return lat[total*99/100]
}

// BenchmarkCheck serves GET /check in process (no HTTP client or socket in
// the measurement) against real Redis, for the window and the "holds
// nothing" paths: its allocations and CPU per call are /check's own.
func BenchmarkCheck(b *testing.B) {
	for _, c := range []struct{ name, query string }{
		{"window", "principal=alice&role=staging"},
		{"none", "principal=alice&role=prod-db"},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, nil)
			if c.name == "window" {
				e.mustActivate("staging")
			}
			req := httptest.NewRequest("GET", "/api/v1/check?"+c.query, nil)
			req.Header.Set("Authorization", "Bearer gateway-token")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.api.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d %s", w.Code, w.Body)
				}
			}
		})
	}
}
