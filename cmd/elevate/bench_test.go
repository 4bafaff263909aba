package main

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// grantTarget records when Grant was called, so that activation → grant
// latency can be measured.
type grantTarget struct{ grants atomic.Int64 }

func (g *grantTarget) Name() string                             { return "bench" }
func (g *grantTarget) Grant(context.Context, core.Grant) error  { g.grants.Add(1); return nil }
func (g *grantTarget) Revoke(context.Context, core.Grant) error { return nil }

type oneTarget struct{ t core.Target }

func (o oneTarget) For(string) []core.Target { return []core.Target{o.t} }

// benchService is a core service on a fresh Redis prefix where principals
// p0..p(n-1) are eligible for "svc", which needs no approval.
func benchService(b *testing.B, n int, target core.Target) *core.Service {
	b.Helper()
	st := redistest.NewStore(b)
	dir, seed := svcDirectory(n)
	svc, err := core.NewService(core.Config{Store: st, Directory: dir, Targets: oneTarget{target}})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.SeedAssignments(context.Background(), seed); err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkActivateToGrant: an activation without approval on Redis, from
// the request until the target's Grant has been called; reports p50/p99.
func BenchmarkActivateToGrant(b *testing.B) {
	target := &grantTarget{}
	svc := benchService(b, b.N, target)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := svc.RequestActivation(ctx, core.Caller{Principal: fmt.Sprintf("p%d", i)}, core.ActivationInput{Role: "svc"}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if target.grants.Load() != int64(b.N) {
		b.Fatalf("%d grants for %d activations", target.grants.Load(), b.N)
	}
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
}

// percentile returns the q-quantile of lat in milliseconds; it sorts lat.
func percentile(lat []time.Duration, q float64) float64 {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000
}

// svcDirectory is principals p0..p(n-1), each eligible for "svc", a role
// without approval, and the assignments that say so.
func svcDirectory(n int) (*core.Directory, []core.Assignment) {
	dir := &core.Directory{Principals: map[string]*core.Principal{}, Roles: map[string]*core.Role{
		"svc": {Name: "svc", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: core.ExpiryRule{AllowPermanent: true}}},
	}}
	seed := make([]core.Assignment, 0, n)
	for i := range n {
		id := fmt.Sprintf("p%d", i)
		dir.Principals[id] = &core.Principal{ID: id}
		seed = append(seed, core.Assignment{Kind: core.Eligible, Principal: id, Role: "svc", Permanent: true})
	}
	return dir, seed
}
