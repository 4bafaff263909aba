package redis_test

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// benchConns is how many goroutines the parallel benchmarks run, like
// redis-benchmark's 50 connections, so that ratios between them compare.
const benchConns = 50

// benchClient returns a client with a pool large enough for benchConns.
func benchClient(b *testing.B) *goredis.Client {
	b.Helper()
	opt, err := goredis.ParseURL(redistest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	opt.PoolSize = benchConns
	c := goredis.NewClient(opt)
	b.Cleanup(func() { c.Close() })
	return c
}

// runParallel runs body in about benchConns goroutines.
func runParallel(b *testing.B, body func(pb *testing.PB)) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchConns + procs - 1) / procs)
	b.RunParallel(body)
}

// BenchmarkWindowCheck measures "does alice hold prod-db now?": Window on a
// live window, from many goroutines.
func BenchmarkWindowCheck(b *testing.B) {
	s := redis.New(benchClient(b), redis.WithPrefix(redistest.NewPrefix(b)))
	mustApply(b, s, core.Change{OpenWindows: []core.WindowWrite{window("alice", "prod-db", "r-1", time.Hour)}})
	b.ResetTimer()
	runParallel(b, func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Window(b.Context(), "alice", "prod-db"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRawGET is the floor for BenchmarkWindowCheck, measured side by
// side: a bare GET of a short string on the same server and client setup.
func BenchmarkRawGET(b *testing.B) {
	c := benchClient(b)
	key := "{" + redistest.NewPrefix(b) + "}:bench"
	if err := c.Set(b.Context(), key, `{"req":"r-1","start":1740819600000,"end":1740823200000}`, time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	runParallel(b, func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Get(b.Context(), key).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkApplyActivate measures the Apply of an activation: a new
// request, its slot, its window, its expire and warn jobs and one audit
// event, from one goroutine.
func BenchmarkApplyActivate(b *testing.B) {
	s := redis.New(benchClient(b), redis.WithPrefix(redistest.NewPrefix(b)))
	now := time.Now()
	i := 0
	for b.Loop() {
		i++
		id, principal := fmt.Sprintf("r-%07d", i), fmt.Sprintf("U%07d", i)
		r := &core.Request{ID: id, Principal: principal, Role: "prod-db", State: core.StateActive,
			Duration: time.Hour, Justification: "fixing replication lag", Ticket: "INC-4411", Source: "slack",
			CreatedAt: now, ActivatedAt: now, EndsAt: now.Add(time.Hour)}
		mustApply(b, s, core.Change{
			Requests:    []core.RequestWrite{{Request: r}},
			Slots:       []core.SlotWrite{{Principal: principal, Role: "prod-db", Set: id}},
			OpenWindows: []core.WindowWrite{window(principal, "prod-db", id, time.Minute)},
			Schedule: []core.Job{
				{Kind: core.JobExpire, Ref: id, Due: r.EndsAt},
				{Kind: core.JobWarn, Ref: id, Due: r.EndsAt.Add(-10 * time.Minute)},
			},
			Audit: []core.AuditEvent{{Time: now, Actor: principal, Action: "activate", Principal: principal, Role: "prod-db", RequestID: id, Duration: time.Hour}},
		})
	}
}

// BenchmarkWindowBytes reports the Redis memory one live window costs: its
// key (with TTL) and its entry in the role's index. It opens 10 000 windows,
// 100 per Change, and divides the growth of used_memory by their number.
func BenchmarkWindowBytes(b *testing.B) {
	const n = 10000
	c := benchClient(b)
	s := redis.New(c, redis.WithPrefix(redistest.NewPrefix(b)))
	used := func() int64 {
		info, err := c.Info(b.Context(), "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for line := range strings.Lines(info) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				return n
			}
		}
		b.Fatal("no used_memory in INFO memory")
		return 0
	}
	for b.Loop() {
		before := used()
		for i := 0; i < n; i += 100 {
			var ch core.Change
			for k := i; k < i+100; k++ {
				ch.OpenWindows = append(ch.OpenWindows, window(fmt.Sprintf("U%07d", k), "prod-db", fmt.Sprintf("r-%07d", k), time.Hour))
			}
			mustApply(b, s, ch)
		}
		b.ReportMetric(float64(used()-before)/n, "B/window")
	}
}
