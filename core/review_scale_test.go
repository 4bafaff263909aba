package core_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/memory"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// fullReads counts reads of a whole role's assignments.
type fullReads struct {
	core.Store
	full atomic.Int64
}

func (c *fullReads) AssignmentsByRole(ctx context.Context, role string) ([]core.Assignment, int64, error) {
	c.full.Add(1)
	return c.Store.AssignmentsByRole(ctx, role)
}

// holders seeds n eligible holders of staging (u00001...).
func holders(t testing.TB, svc *core.Service, n int) {
	t.Helper()
	as := reviewSeed()
	for i := range n {
		as = append(as, core.Assignment{Kind: core.Eligible, Principal: fmt.Sprintf("u%05d", i+1), Role: "staging", Permanent: true})
	}
	if err := svc.SeedAssignments(context.Background(), as); err != nil {
		t.Fatal(err)
	}
}

// TestReviewScale: a review of a role with 5 000 holders (1 000 on Redis,
// where each audit event is chained in Lua; BenchmarkReviewDecide runs 5 000
// there) pages the reviewer's DM, takes a click and accept-all without
// reading all assignments, and applies every item at the end.
func TestReviewScale(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		newStore func(*clocktest.Clock) core.Store
	}{
		{"memory", 5000, func(c *clocktest.Clock) core.Store { return memory.New(memory.WithClock(c)) }},
		{"redis", 1000, func(*clocktest.Clock) core.Store { return redistest.NewStore(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			clock := clocktest.New(t0)
			st := &fullReads{Store: tc.newStore(clock)}
			e := newReviewEnv(t, st, clock)
			holders(t, e.svc, n)
			ctx := context.Background()
			rv, err := e.svc.Reviews().Start(ctx, as("dana"), "staging", 24*time.Hour, []string{"carol"})
			if err != nil {
				t.Fatal(err)
			}
			if rv.Items != n+2 { // alice, bob and the n holders
				t.Fatalf("items = %d, want %d", rv.Items, n+2)
			}
			dm := e.took(core.EventReviewRequested)
			if len(dm) != 1 || len(dm[0].ReviewItems) != core.ReviewPageSize || dm[0].Pending != n+2 {
				t.Fatalf("carol's DM: %d events, page %d, pending %d", len(dm), len(dm[0].ReviewItems), dm[0].Pending)
			}
			st.full.Store(0)
			if _, err := e.svc.Reviews().Decide(ctx, as("carol"), rv.ID, 3, core.DecisionKeep, ""); err != nil {
				t.Fatal(err)
			}
			// The last full page skips n-5 pending items; item 3 is no longer among them.
			page, err := e.svc.Reviews().Pending(ctx, as("carol"), rv.ID, n-core.ReviewPageSize)
			if err != nil || len(page.Items) != core.ReviewPageSize || page.Total != n+1 || page.Items[0].N != n-3 {
				t.Fatalf("last page = %+v, %v", page, err)
			}
			done, err := e.svc.Reviews().AcceptAll(ctx, as("carol"), rv.ID)
			if err != nil || done != n+1 {
				t.Fatalf("accept all = %d, %v", done, err)
			}
			if got := st.full.Load(); got != 0 {
				t.Fatalf("a click, a page and accept-all read all holders %d times", got)
			}
			if _, err := e.svc.Reviews().Stop(ctx, as("dana"), rv.ID); err != nil {
				t.Fatal(err)
			}
			counts, err := st.ReviewCounts(ctx, rv.ID)
			if err != nil || counts["outcome:removed"] != n+1 || counts["outcome:kept"] != 1 {
				t.Fatalf("outcomes = %v, %v", counts, err)
			}
		})
	}
}

// BenchmarkReviewDecide measures one reviewer click (read one item, write
// it with its audit event) in a review of 5 000 holders on Redis.
func BenchmarkReviewDecide(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			clock := clocktest.New(t0)
			var st core.Store = memory.New(memory.WithClock(clock))
			if name == "redis" {
				st = redistest.NewStore(b)
			}
			e := newReviewEnvTB(b, st, clock)
			holders(b, e.svc, 5000)
			ctx := context.Background()
			rv, err := e.svc.Reviews().Start(ctx, as("dana"), "staging", 24*time.Hour, []string{"carol"})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := e.svc.Reviews().Decide(ctx, as("carol"), rv.ID, i%rv.Items+1, core.DecisionKeep, ""); err != nil && core.ErrorCode(err) != core.ECONFLICT {
					b.Fatal(err)
				}
			}
		})
	}
}
