package storetest

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// newReviewItem is item n of review id, pending for reviewers in stage 0.
func newReviewItem(id string, n int, principal string, reviewers ...string) *core.ReviewItem {
	return &core.ReviewItem{Review: id, N: n, Principal: principal, Role: "db", Kind: core.Eligible,
		Recommendation: core.DecisionKeep, Reviewers: reviewers}
}

// mustReviewItem reads an item that must exist.
func mustReviewItem(t *testing.T, s core.Store, id string, n int) *core.ReviewItem {
	t.Helper()
	it, err := s.ReviewItem(t.Context(), id, n)
	if err != nil {
		t.Fatalf("ReviewItem(%s, %d): %v", id, n, err)
	}
	return it
}

// mustPending returns the positions of reviewer's pending page and the total.
func mustPending(t *testing.T, s core.Store, id string, stage int, reviewer string, offset, limit int) ([]int, int) {
	t.Helper()
	items, total, err := s.PendingReviewItems(t.Context(), id, stage, reviewer, offset, limit)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, it := range items {
		ns = append(ns, it.N)
	}
	return ns, total
}

func wantInts(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantCounts[V comparable](t *testing.T, what string, got, want map[string]V) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// testReviews: a review is written by compare-and-set, its items one by
// one; each reviewer's pending index and the status counts follow every
// item write, across decisions and stages; open reviews are listed.
func testReviews(t *testing.T, s core.Store) {
	ctx := t.Context()
	rv := &core.Review{ID: "rv-a", State: core.ReviewOpen, Created: ms(time.Now()), Items: 3, Plan: core.ReviewPlan{Roles: []string{"db"}}}
	items := []*core.ReviewItem{newReviewItem("rv-a", 1, "alice", "bob", "carol"), newReviewItem("rv-a", 2, "dave", "bob", "carol"), newReviewItem("rv-a", 3, "bob", "alice")}
	c := core.Change{Reviews: []core.ReviewWrite{{Review: rv}}}
	for _, it := range items {
		c.ReviewItems = append(c.ReviewItems, core.ReviewItemWrite{Item: it})
	}
	mustApply(t, s, c)
	mustFailApply(t, s, core.Change{Reviews: []core.ReviewWrite{{Review: rv}}}, core.ECONFLICT)
	mustFailApply(t, s, core.Change{ReviewItems: []core.ReviewItemWrite{{Item: items[0]}}}, core.ECONFLICT)

	got, err := s.Review(ctx, "rv-a")
	if err != nil || got.Version != 1 || got.Items != 3 || got.Plan.Roles[0] != "db" {
		t.Fatalf("Review = %+v, %v", got, err)
	}
	if _, err := s.Review(ctx, "rv-none"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("missing review: %v", err)
	}
	if _, err := s.ReviewItem(ctx, "rv-a", 4); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("missing item: %v", err)
	}
	ns, total := mustPending(t, s, "rv-a", 0, "bob", 0, 10)
	wantInts(t, "bob's pending", ns, 1, 2)
	if total != 2 {
		t.Fatalf("bob's total = %d", total)
	}
	ns, total = mustPending(t, s, "rv-a", 0, "bob", 1, 1)
	wantInts(t, "bob's second page", ns, 2)
	who, err := s.ReviewReviewers(ctx, "rv-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "reviewers", who, map[string]int{"bob": 2, "carol": 2, "alice": 1})
	counts, _ := s.ReviewCounts(ctx, "rv-a")
	wantCounts(t, "counts", counts, map[string]int{core.ItemPending: 3})

	// bob keeps item 1: it leaves bob's and carol's pending pages.
	was := mustReviewItem(t, s, "rv-a", 1)
	next := was.Clone()
	next.Decision, next.DecidedBy = core.DecisionKeep, "bob"
	mustApply(t, s, core.Change{ReviewItems: []core.ReviewItemWrite{{Item: next, Was: was}}})
	mustFailApply(t, s, core.Change{ReviewItems: []core.ReviewItemWrite{{Item: next, Was: was}}}, core.ECONFLICT)
	if it := mustReviewItem(t, s, "rv-a", 1); it.Version != 2 || it.Decision != core.DecisionKeep || it.DecidedBy != "bob" {
		t.Fatalf("decided item = %+v", it)
	}
	ns, _ = mustPending(t, s, "rv-a", 0, "carol", 0, 10)
	wantInts(t, "carol's pending", ns, 2)
	counts, _ = s.ReviewCounts(ctx, "rv-a")
	wantCounts(t, "counts", counts, map[string]int{core.ItemPending: 2, "keep": 1})

	// Item 2 moves to stage 1 with dana: stage 0 forgets it.
	was = mustReviewItem(t, s, "rv-a", 2)
	next = was.Clone()
	next.Stage, next.Reviewers = 1, []string{"dana"}
	mustApply(t, s, core.Change{ReviewItems: []core.ReviewItemWrite{{Item: next, Was: was}}})
	ns, _ = mustPending(t, s, "rv-a", 0, "bob", 0, 10)
	wantInts(t, "bob's pending after the stage moved", ns)
	ns, _ = mustPending(t, s, "rv-a", 1, "dana", 0, 10)
	wantInts(t, "dana's pending", ns, 2)
	who, _ = s.ReviewReviewers(ctx, "rv-a", 0)
	wantCounts(t, "stage 0 reviewers", who, map[string]int{"alice": 1})

	page, err := s.ReviewItems(ctx, "rv-a", 1, 5)
	if err != nil || len(page) != 2 || page[0].N != 2 || page[1].N != 3 {
		t.Fatalf("ReviewItems after 1 = %+v, %v", page, err)
	}

	open, err := s.OpenReviews(ctx)
	if err != nil || len(open) != 1 || open[0].ID != "rv-a" {
		t.Fatalf("OpenReviews = %+v, %v", open, err)
	}
	closed := got.Clone()
	closed.State = core.ReviewClosed
	mustApply(t, s, core.Change{Reviews: []core.ReviewWrite{{Review: closed, Expect: got.Version}}})
	if open, _ := s.OpenReviews(ctx); len(open) != 0 {
		t.Fatalf("OpenReviews after close = %+v", open)
	}
	if got, _ := s.Review(ctx, "rv-a"); got == nil || got.State != core.ReviewClosed || got.Version != 2 {
		t.Fatalf("closed review = %+v", got)
	}
}

// testReviewChangeIsAtomic: a failed review expectation writes nothing else.
func testReviewChangeIsAtomic(t *testing.T, s core.Store) {
	rv := &core.Review{ID: "rv-b", State: core.ReviewOpen}
	mustApply(t, s, core.Change{Reviews: []core.ReviewWrite{{Review: rv}}})
	mustFailApply(t, s, core.Change{
		Reviews:        []core.ReviewWrite{{Review: rv, Expect: 7}},
		ReviewItems:    []core.ReviewItemWrite{{Item: newReviewItem("rv-b", 1, "alice", "bob")}},
		PutAssignments: []core.Assignment{newAssignment(core.Eligible, "alice", "db")},
		PutRemovals:    []core.ReviewRemoval{{Key: "eligible/alice/db"}},
	}, core.ECONFLICT)
	if _, err := s.ReviewItem(t.Context(), "rv-b", 1); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("item written by a failed change: %v", err)
	}
	if rs, _ := s.ReviewRemovals(t.Context()); len(rs) != 0 {
		t.Fatalf("removal written by a failed change: %+v", rs)
	}
	if as, _ := mustAssignments(t, s); len(as) != 0 {
		t.Fatalf("assignment written by a failed change: %+v", as)
	}
}

// testReviewRemovals: removals are remembered by key and forgotten.
func testReviewRemovals(t *testing.T, s core.Store) {
	at := ms(time.Now())
	r1 := core.ReviewRemoval{Key: "eligible/alice/db", Kind: core.Eligible, Principal: "alice", Role: "db", Review: "rv-c", DecidedBy: "bob", At: at}
	r2 := core.ReviewRemoval{Key: "active/bob/db", Kind: core.Active, Principal: "bob", Role: "db", Review: "rv-c", At: at}
	mustApply(t, s, core.Change{PutRemovals: []core.ReviewRemoval{r1, r2}})
	got, err := s.ReviewRemovals(t.Context())
	if err != nil || len(got) != 2 || got[0].Key != r2.Key || got[0].Review != "rv-c" || !got[1].At.Equal(at) || got[1].DecidedBy != "bob" {
		t.Fatalf("ReviewRemovals = %+v, %v", got, err)
	}
	mustApply(t, s, core.Change{DeleteRemovals: []string{r2.Key}})
	if got, _ := s.ReviewRemovals(t.Context()); len(got) != 1 || got[0].Key != r1.Key {
		t.Fatalf("after delete = %+v", got)
	}
}

// testLastActivations: opening a window records its start as the pair's
// last activation, which outlives the window.
func testLastActivations(t *testing.T, s core.Store) {
	w := newWindow("alice", "db", "r-1", 50*time.Millisecond)
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{w}})
	time.Sleep(100 * time.Millisecond)
	got, err := s.LastActivations(t.Context(), "db", []string{"alice", "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !sameTime(got["alice"], w.Window.Start) {
		t.Fatalf("LastActivations = %v, want alice at %v", got, w.Window.Start)
	}
}

// testPurgeReview: a review is deleted only at the expected version, with
// its items, counts and indexes; another review, the removals reviews
// decided and the audit trail stay.
func testPurgeReview(t *testing.T, s core.Store) {
	ctx := t.Context()
	for _, id := range []string{"rv-old", "rv-new"} {
		rv := &core.Review{ID: id, State: core.ReviewOpen, Created: ms(time.Now()), Items: 2, Plan: core.ReviewPlan{Roles: []string{"db"}}}
		c := core.Change{Reviews: []core.ReviewWrite{{Review: rv}}, Audit: []core.AuditEvent{{Action: "review_start", ReviewID: id}}}
		for n, who := range []string{"alice", "dave"} {
			c.ReviewItems = append(c.ReviewItems, core.ReviewItemWrite{Item: newReviewItem(id, n+1, who, "bob")})
		}
		mustApply(t, s, c)
	}
	// rv-old: item 1 decided, item 2 left pending in the index, then closed.
	was := mustReviewItem(t, s, "rv-old", 1)
	it := was.Clone()
	it.Decision, it.DecidedBy, it.Outcome = core.DecisionRemove, "bob", core.OutcomeRemoved
	closed := &core.Review{ID: "rv-old", State: core.ReviewClosed, Created: ms(time.Now()), Items: 2, Plan: core.ReviewPlan{Roles: []string{"db"}}}
	mustApply(t, s, core.Change{Reviews: []core.ReviewWrite{{Review: closed, Expect: 1}}, ReviewItems: []core.ReviewItemWrite{{Item: it, Was: was}},
		PutRemovals: []core.ReviewRemoval{{Key: "eligible/alice/db", Kind: core.Eligible, Principal: "alice", Role: "db", Review: "rv-old", DecidedBy: "bob"}}})

	wantCode(t, s.PurgeReview(ctx, "rv-old", 1), core.ECONFLICT)
	if _, err := s.Review(ctx, "rv-old"); err != nil {
		t.Fatalf("a refused purge deleted the review: %v", err)
	}
	if err := s.PurgeReview(ctx, "rv-old", 2); err != nil {
		t.Fatalf("purge: %v", err)
	}
	wantCode(t, s.PurgeReview(ctx, "rv-old", 2), core.ENOTFOUND)
	if _, err := s.Review(ctx, "rv-old"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a purged review is still read: %v", err)
	}
	if _, err := s.ReviewItem(ctx, "rv-old", 1); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a purged review's item is still read: %v", err)
	}
	if items, err := s.ReviewItems(ctx, "rv-old", 0, 10); err != nil || len(items) != 0 {
		t.Fatalf("a purged review's items = %v, %v", items, err)
	}
	ns, total := mustPending(t, s, "rv-old", 0, "bob", 0, 10)
	if len(ns) != 0 || total != 0 {
		t.Fatalf("a purged review's pending index = %v (%d)", ns, total)
	}
	if who, err := s.ReviewReviewers(ctx, "rv-old", 0); err != nil || len(who) != 0 {
		t.Fatalf("a purged review's reviewers = %v, %v", who, err)
	}
	if counts, err := s.ReviewCounts(ctx, "rv-old"); err != nil || len(counts) != 0 {
		t.Fatalf("a purged review's counts = %v, %v", counts, err)
	}
	open, err := s.OpenReviews(ctx)
	if err != nil || len(open) != 1 || open[0].ID != "rv-new" {
		t.Fatalf("open reviews after the purge = %v, %v", open, err)
	}
	ns, total = mustPending(t, s, "rv-new", 0, "bob", 0, 10)
	wantInts(t, "rv-new's pending", ns, 1, 2)
	if total != 2 {
		t.Fatalf("rv-new's pending total = %d", total)
	}
	if rm, err := s.ReviewRemovals(ctx); err != nil || len(rm) != 1 || rm[0].Review != "rv-old" {
		t.Fatalf("removals after the purge = %v, %v", rm, err)
	}
	events, head := mustAudit(t, s)
	if len(events) != 2 || core.VerifyAudit(events, head) != nil {
		t.Fatalf("audit after the purge: %v", events)
	}
	// A purged id may be used again from scratch.
	mustApply(t, s, core.Change{Reviews: []core.ReviewWrite{{Review: &core.Review{ID: "rv-old", State: core.ReviewOpen}}}})
}

// testScanReviews: a scan in small batches returns every stored review,
// open and closed, and nothing else (not the items, counts or indexes).
func testScanReviews(t *testing.T, s core.Store) {
	ctx := t.Context()
	want := map[string]core.ReviewState{}
	var ch core.Change
	for i := range 30 {
		rv := &core.Review{ID: fmt.Sprintf("rv-%02d", i), State: core.ReviewOpen, Items: 1, Plan: core.ReviewPlan{Roles: []string{"db"}}}
		if i%3 == 0 {
			rv.State = core.ReviewClosed
		}
		want[rv.ID] = rv.State
		ch.Reviews = append(ch.Reviews, core.ReviewWrite{Review: rv})
		ch.ReviewItems = append(ch.ReviewItems, core.ReviewItemWrite{Item: newReviewItem(rv.ID, 1, "alice", "bob")})
	}
	mustApply(t, s, ch)
	if _, _, err := s.ScanReviews(ctx, "", 0); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("scan with limit 0: %v, want EINVALID", err)
	}
	got := map[string]core.ReviewState{}
	after, steps := "", 0
	for {
		rvs, next, err := s.ScanReviews(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, rv := range rvs {
			got[rv.ID] = rv.State
		}
		if steps++; next == "" || steps > 1000 {
			break
		}
		after = next
	}
	wantCounts(t, "scanned reviews", got, want)
}
