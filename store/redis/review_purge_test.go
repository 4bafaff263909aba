package redis_test

import (
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// TestPurgeReviewLeavesNoKeys: a purged review leaves no key behind (its
// items, counts, reviewer counts and pending sets of every stage), while
// the audit stream and the removals hash stay.
func TestPurgeReviewLeavesNoKeys(t *testing.T) {
	stores, raw, prefix := newStores(t, 1)
	s := stores[0]
	rv := &core.Review{ID: "rv-gone", State: core.ReviewOpen, Items: 3}
	c := core.Change{Reviews: []core.ReviewWrite{{Review: rv}}, Audit: []core.AuditEvent{event("dana", "review_start")}}
	for n, who := range []string{"alice", "dave", "erin"} {
		c.ReviewItems = append(c.ReviewItems, core.ReviewItemWrite{Item: &core.ReviewItem{Review: "rv-gone", N: n + 1, Principal: who, Role: "db",
			Kind: core.Eligible, Stage: n % 2, Reviewers: []string{"bob", "carol"}}})
	}
	c.PutRemovals = []core.ReviewRemoval{{Key: "eligible/alice/db", Review: "rv-gone"}}
	mustApply(t, s, c)
	keys := func() []string {
		t.Helper()
		all, err := raw.Keys(t.Context(), "{"+prefix+"}*").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range all {
			if strings.Contains(k, "rv-gone") {
				out = append(out, k)
			}
		}
		return out
	}
	if len(keys()) < 6 {
		t.Fatalf("before the purge the review has keys %v; want the review, items, counts, two stages' reviewer counts and pending sets", keys())
	}
	if err := s.PurgeReview(t.Context(), "rv-gone", 1); err != nil {
		t.Fatal(err)
	}
	if left := keys(); len(left) != 0 {
		t.Fatalf("keys left after the purge: %v", left)
	}
	if n, err := raw.SCard(t.Context(), "{"+prefix+"}:revopen").Result(); err != nil || n != 0 {
		t.Fatalf("open set after the purge: %d, %v", n, err)
	}
	if rm, err := s.ReviewRemovals(t.Context()); err != nil || len(rm) != 1 {
		t.Fatalf("removals after the purge: %v, %v", rm, err)
	}
}
