package memory

import (
	"context"
	"sort"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// reviews holds the review part of the store. The caller holds Store.mu.
type reviews struct {
	byID     map[string]*core.Review
	items    map[string]map[int]*core.ReviewItem // review id → n → item
	pending  map[pendKey]map[int]bool            // a reviewer's pending items in a stage
	counts   map[string]map[string]int           // review id → item status → count
	removals map[string]core.ReviewRemoval       // by assignment key
	lastAct  map[string]map[string]time.Time     // role → principal → last window start
}

// pendKey names one reviewer's pending index in one stage of a review.
type pendKey struct {
	review   string
	stage    int
	reviewer string
}

func newReviews() reviews {
	return reviews{
		byID:     map[string]*core.Review{},
		items:    map[string]map[int]*core.ReviewItem{},
		pending:  map[pendKey]map[int]bool{},
		counts:   map[string]map[string]int{},
		removals: map[string]core.ReviewRemoval{},
		lastAct:  map[string]map[string]time.Time{},
	}
}

// check returns ECONFLICT when a review or item expectation of c fails.
func (r *reviews) check(c core.Change) error {
	for _, w := range c.Reviews {
		var have int64
		if cur, ok := r.byID[w.Review.ID]; ok {
			have = cur.Version
		}
		if have != w.Expect {
			return core.Errorf(core.ECONFLICT, "Review %s changed meanwhile (version %d, expected %d).", w.Review.ID, have, w.Expect)
		}
	}
	for _, w := range c.ReviewItems {
		var have int64
		if cur, ok := r.items[w.Item.Review][w.Item.N]; ok {
			have = cur.Version
		}
		if have != w.Expect() {
			return core.Errorf(core.ECONFLICT, "Review item %s/%d changed meanwhile (version %d, expected %d).", w.Item.Review, w.Item.N, have, w.Expect())
		}
	}
	return nil
}

// write applies the review parts of c, whose expectations hold.
func (r *reviews) write(c core.Change) {
	for _, w := range c.OpenWindows {
		if r.lastAct[w.Window.Role] == nil {
			r.lastAct[w.Window.Role] = map[string]time.Time{}
		}
		r.lastAct[w.Window.Role][w.Window.Principal] = w.Window.Start
	}
	for _, w := range c.Reviews {
		rv := w.Review.Clone()
		rv.Version = w.Expect + 1
		r.byID[rv.ID] = rv
	}
	for _, w := range c.ReviewItems {
		id, n := w.Item.Review, w.Item.N
		if r.items[id] == nil {
			r.items[id] = map[int]*core.ReviewItem{}
			r.counts[id] = map[string]int{}
		}
		if old := r.items[id][n]; old != nil {
			r.counts[id][old.Status()]--
			if old.Pending() {
				for _, who := range old.Reviewers {
					delete(r.pending[pendKey{id, old.Stage, who}], n)
				}
			}
		}
		it := w.Item.Clone()
		it.Version = w.Expect() + 1
		r.items[id][n] = it
		r.counts[id][it.Status()]++
		if it.Pending() {
			for _, who := range it.Reviewers {
				k := pendKey{id, it.Stage, who}
				if r.pending[k] == nil {
					r.pending[k] = map[int]bool{}
				}
				r.pending[k][n] = true
			}
		}
	}
	for _, k := range c.DeleteRemovals {
		delete(r.removals, k)
	}
	for _, rm := range c.PutRemovals {
		r.removals[rm.Key] = rm
	}
}

// Review returns a copy of the review with the given id, or ENOTFOUND.
func (s *Store) Review(ctx context.Context, id string) (*core.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rv, ok := s.rv.byID[id]
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "No review %s.", id)
	}
	return rv.Clone(), nil
}

// OpenReviews returns copies of every review that is not closed, oldest first.
func (s *Store) OpenReviews(ctx context.Context) ([]*core.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*core.Review
	for _, rv := range s.rv.byID {
		if rv.State != core.ReviewClosed {
			out = append(out, rv.Clone())
		}
	}
	core.SortReviews(out)
	return out, nil
}

// ReviewItem returns a copy of item n of review id, or ENOTFOUND.
func (s *Store) ReviewItem(ctx context.Context, id string, n int) (*core.ReviewItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.rv.items[id][n]
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "Review %s has no item %d.", id, n)
	}
	return it.Clone(), nil
}

// ReviewItems returns up to limit items of review id after position after.
func (s *Store) ReviewItems(ctx context.Context, id string, after, limit int) ([]core.ReviewItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []core.ReviewItem
	for n := max(after, 0) + 1; len(out) < limit; n++ {
		it, ok := s.rv.items[id][n]
		if !ok {
			break
		}
		out = append(out, *it.Clone())
	}
	return out, nil
}

// PendingReviewItems returns a page of reviewer's pending items in stage.
func (s *Store) PendingReviewItems(ctx context.Context, id string, stage int, reviewer string, offset, limit int) ([]core.ReviewItem, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.rv.pending[pendKey{id, stage, reviewer}]
	ns := make([]int, 0, len(set))
	for n := range set {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	var out []core.ReviewItem
	for _, n := range ns[min(max(offset, 0), len(ns)):] {
		if len(out) == limit {
			break
		}
		out = append(out, *s.rv.items[id][n].Clone())
	}
	return out, len(ns), nil
}

// ReviewReviewers returns each reviewer of stage with pending items, and how many.
func (s *Store) ReviewReviewers(ctx context.Context, id string, stage int) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, set := range s.rv.pending {
		if k.review == id && k.stage == stage && len(set) > 0 {
			out[k.reviewer] = len(set)
		}
	}
	return out, nil
}

// ReviewCounts returns how many items of review id have each status.
func (s *Store) ReviewCounts(ctx context.Context, id string) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.rv.counts[id] {
		if v > 0 {
			out[k] = v
		}
	}
	return out, nil
}

// ReviewRemovals returns the remembered review removals, by assignment key.
func (s *Store) ReviewRemovals(ctx context.Context) ([]core.ReviewRemoval, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.ReviewRemoval, 0, len(s.rv.removals))
	for _, r := range s.rv.removals {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// LastActivations returns when each of principals last activated role.
func (s *Store) LastActivations(ctx context.Context, role string, principals []string) (map[string]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for _, p := range principals {
		if t, ok := s.rv.lastAct[role][p]; ok {
			out[p] = t
		}
	}
	return out, nil
}

// PurgeReview deletes the review, its items, counts and pending indexes if
// its stored version equals expect.
func (s *Store) PurgeReview(ctx context.Context, id string, expect int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rv, ok := s.rv.byID[id]
	switch {
	case !ok:
		return core.Errorf(core.ENOTFOUND, "No review %s.", id)
	case rv.Version != expect:
		return core.Errorf(core.ECONFLICT, "Review %s changed meanwhile (version %d, expected %d).", id, rv.Version, expect)
	}
	delete(s.rv.byID, id)
	delete(s.rv.items, id)
	delete(s.rv.counts, id)
	for k := range s.rv.pending {
		if k.review == id {
			delete(s.rv.pending, k)
		}
	}
	return nil
}
