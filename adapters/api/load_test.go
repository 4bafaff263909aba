package api_test

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
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
