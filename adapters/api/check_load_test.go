package api_test

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/store/redis/redistest"
)

var checkLoad = flag.Duration("load.check", 0, "TestLoadCheck: how long each load phase runs (0 skips; scripts/check-load.sh and make bench run 1s)")

// loadConns are the closed-loop loads TestLoadCheck sweeps: that many
// clients, each on its own keep-alive connection, each sending its next
// request as soon as its previous answer arrived. saturationConns is
// among them.
var loadConns = func() []int {
	c := []int{1, 2, 4, 8, 16, 32, 50, saturationConns()}
	slices.Sort(c)
	return slices.Compact(c)
}()

// saturationConns is the closed-loop load at which TestLoadCheck reports
// p99 "at saturation": two connections per core, so that every core has
// a request to serve while another waits on Redis or the network. On 2
// cores the sweep's throughput stops growing there (it reaches about 90 %
// of its peak); beyond it requests only queue, and p99 grows with the
// connections (Little's law), for the floor as much as for /check.
func saturationConns() int { return 2 * runtime.GOMAXPROCS(0) }

// pacedRate is the open-loop rate (requests per second) of TestLoadCheck's
// fixed-rate phase.
const pacedRate = 1000

// loadTarget is one handler under load.
type loadTarget struct {
	name string
	do   func() error
}

// loadRounds is how many turns each handler takes at each load, for
// 1/loadRounds of the flag's duration each.
const loadRounds = 4

// phase is what a handler's turns at one load measured.
type phase struct {
	elapsed time.Duration
	lat     []time.Duration // every request's latency; sorted once all turns are in
}

// throughput is answers per second.
func (p phase) throughput() float64 { return float64(len(p.lat)) / p.elapsed.Seconds() }

// p99 is the 99th percentile latency of sorted p.
func (p phase) p99() time.Duration {
	if len(p.lat) == 0 {
		return 0
	}
	return p.lat[len(p.lat)*99/100]
}

// TestLoadCheck is the load tool behind scripts/check-load.sh and the
// check rows of make bench. It serves GET /api/v1/check (for a principal
// who holds the role by a window, and for one who holds nothing, whose
// answer also needs the assignment: still one round trip) beside the floor,
// a minimal Go handler doing one Redis GET per request, on the same Redis,
// loaded by the same client in the same run, each handler for the flag's
// duration at each load, handlers and loads taking turns (loadRounds):
//
//   - closed loop at each of loadConns connections: throughput and p99;
//   - open loop at pacedRate requests per second: p99.
//
// It logs the peak throughput of each (and /check's ratio to the floor's),
// their p99s at saturation (saturationConns) with the share of its peak
// each reached there, at 50 connections, and at pacedRate. It judges no target
// (cmd/bench does); it fails only when a request fails or /check answers
// wrongly.
func TestLoadCheck(t *testing.T) {
	if *checkLoad == 0 {
		t.Skip("set -load.check=DURATION (scripts/check-load.sh)")
	}
	e := newEnv(t, nil)
	e.mustActivate("staging")
	client := redistest.NewClient(t)
	key := "{" + redistest.NewPrefix(t) + "}:floor"
	if err := client.Set(context.Background(), key, "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := client.Get(r.Context(), key).Result()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"holds":`+fmt.Sprint(v == "1")+`}`)
	}))
	defer floor.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: slices.Max(loadConns)}}
	defer hc.CloseIdleConnections()
	get := func(url, token, want string) func() error {
		return func() error {
			req, _ := http.NewRequest("GET", url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			if resp.StatusCode != 200 || !strings.HasPrefix(string(body), want) {
				return fmt.Errorf("%s: %d %s, want 200 %s…", url, resp.StatusCode, body, want)
			}
			return nil
		}
	}
	targets := []loadTarget{
		{"one-GET handler (floor)", get(floor.URL, "", `{"holds":true`)},
		{"/check", get(e.srv.URL+"/api/v1/check?principal=alice&role=staging", "gateway-token", `{"holds":true`)},
		{"/check holds nothing", get(e.srv.URL+"/api/v1/check?principal=alice&role=prod-db", "gateway-token", `{"holds":false`)},
	}
	for _, tg := range targets { // connections open, scripts loaded, answers right
		closedLoop(t, tg.do, slices.Max(loadConns), *checkLoad/4)
	}
	// Every handler at every load for *checkLoad in all, in turns: a burst
	// of other work on the machine falls on all handlers and loads alike.
	loads := make([]func(do func() error, d time.Duration) phase, 0, len(loadConns)+1)
	for _, c := range loadConns {
		loads = append(loads, func(do func() error, d time.Duration) phase { return closedLoop(t, do, c, d) })
	}
	loads = append(loads, func(do func() error, d time.Duration) phase { return paced(t, do, pacedRate, d) })
	res := make([][]phase, len(targets)) // by target, by load
	for i := range res {
		res[i] = make([]phase, len(loads))
	}
	for range loadRounds {
		for l, load := range loads {
			for i, tg := range targets {
				p := load(tg.do, *checkLoad/loadRounds)
				res[i][l].elapsed += p.elapsed
				res[i][l].lat = append(res[i][l].lat, p.lat...)
			}
		}
	}
	for i := range res {
		for l := range res[i] {
			slices.Sort(res[i][l].lat)
		}
	}
	for l, c := range loadConns {
		line := fmt.Sprintf("closed loop, %2d connections:", c)
		for i, tg := range targets {
			line += fmt.Sprintf("  %s %6.0f req/s p99 %-8v", tg.name, res[i][l].throughput(), res[i][l].p99().Round(10*time.Microsecond))
		}
		t.Log(line)
	}
	pacedAt := len(loadConns)
	sweep := make([][]phase, len(targets)) // by target, closed loops only
	for i := range res {
		sweep[i] = res[i][:pacedAt]
	}
	peak := func(i int) float64 {
		return slices.MaxFunc(sweep[i], func(a, b phase) int { return cmp.Compare(a.throughput(), b.throughput()) }).throughput()
	}
	t.Logf("peak throughput: floor %.0f req/s, check %.0f req/s (%.2f of floor), check holds nothing %.0f req/s (%.2f of floor)",
		peak(0), peak(1), peak(1)/peak(0), peak(2), peak(2)/peak(0))
	sat := slices.Index(loadConns, saturationConns())
	t.Logf("at saturation (%d connections, 2 per core): check p99 %v (%.0f%% of its peak throughput), check holds nothing p99 %v (%.0f%%), floor p99 %v (%.0f%%)",
		loadConns[sat], ms(sweep[1][sat].p99()), 100*sweep[1][sat].throughput()/peak(1), ms(sweep[2][sat].p99()), 100*sweep[2][sat].throughput()/peak(2),
		ms(sweep[0][sat].p99()), 100*sweep[0][sat].throughput()/peak(0))
	c50 := slices.Index(loadConns, 50)
	t.Logf("at 50 connections: check p99 %v, check holds nothing p99 %v, floor p99 %v", ms(sweep[1][c50].p99()), ms(sweep[2][c50].p99()), ms(sweep[0][c50].p99()))
	t.Logf("at %d req/s: check p99 %v, check holds nothing p99 %v, floor p99 %v", pacedRate, ms(res[1][pacedAt].p99()), ms(res[2][pacedAt].p99()), ms(res[0][pacedAt].p99()))
}

// ms formats d in milliseconds, for cmd/bench to read.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", d.Seconds()*1000) }

// closedLoop runs do from conns goroutines for d, each calling it again as
// soon as it returns, and returns every latency. It collects garbage
// first, so that one turn's garbage is not charged to the next.
func closedLoop(t *testing.T, do func() error, conns int, d time.Duration) phase {
	runtime.GC()
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Bool
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for !failed.Load() {
				t0 := time.Now()
				if t0.After(deadline) {
					break
				}
				if err := do(); err != nil {
					t.Error(err)
					failed.Store(true)
					break
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed.Load() {
		t.FailNow()
	}
	return phase{elapsed: time.Since(start), lat: lat}
}

// paced issues rate requests per second for d (each on its own goroutine
// at its scheduled time) and returns every latency.
func paced(t *testing.T, do func() error, rate int, d time.Duration) phase {
	runtime.GC()
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
	return phase{elapsed: time.Since(start), lat: lat}
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
