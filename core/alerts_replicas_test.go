package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestScanRunsOncePerPeriodAcrossReplicas runs three services on one Redis,
// each running its scheduler at the same moments: the hourly scan and the
// hourly anchor each run exactly once per period.
func TestScanRunsOncePerPeriodAcrossReplicas(t *testing.T) {
	client := redistest.NewClient(t)
	prefix := redistest.NewPrefix(t)
	clock := clocktest.New(t0)
	var replicas []*harness
	for range 3 {
		replicas = append(replicas, newHarnessOn(t, clock, redis.New(client, redis.WithPrefix(prefix)), nil))
	}
	const periods = 5
	for p := 0; p <= periods; p++ {
		var wg sync.WaitGroup
		for _, h := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := h.svc.RunDue(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		clock.Advance(time.Hour)
	}
	events, _, err := core.ReadAudit(context.Background(), replicas[0].store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string][]time.Time{}
	for _, e := range events {
		if e.Action == "alert_scan" || e.Action == "audit_anchor" {
			count[e.Action] = append(count[e.Action], e.Time)
		}
	}
	for action, want := range map[string]int{"alert_scan": periods + 1, "audit_anchor": periods} {
		got := count[action]
		if len(got) != want {
			t.Fatalf("%s ran %d times on 3 replicas, want %d: %v", action, len(got), want, got)
		}
		first := t0
		if action == "audit_anchor" {
			first = t0.Add(time.Hour)
		}
		for i, at := range got {
			if want := first.Add(time.Duration(i) * time.Hour); !at.Equal(want) {
				t.Fatalf("%s run %d at %v, want %v", action, i, at, want)
			}
		}
	}
}
