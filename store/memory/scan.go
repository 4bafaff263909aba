package memory

import (
	"context"
	"sort"

	"github.com/elevate-pim/elevate/core"
)

// ScanRequests returns up to limit requests whose ids sort after after
// ("" to begin), in id order, and the last id returned when more follow
// ("" when the scan is complete).
func (s *Store) ScanRequests(ctx context.Context, after string, limit int) ([]*core.Request, string, error) {
	return scanByID(ctx, s, func() map[string]*core.Request { return s.requests }, (*core.Request).Clone, after, limit)
}

// ScanReviews returns up to limit reviews whose ids sort after after ("" to
// begin), in id order, and the last id returned when more follow.
func (s *Store) ScanReviews(ctx context.Context, after string, limit int) ([]*core.Review, string, error) {
	return scanByID(ctx, s, func() map[string]*core.Review { return s.rv.byID }, (*core.Review).Clone, after, limit)
}

// scanByID returns copies of up to limit values of the map that byID gives
// (read under the store's lock) whose ids sort after after, in id order,
// and the last id returned when more follow.
func scanByID[T any](ctx context.Context, s *Store, byID func() map[string]*T, clone func(*T) *T, after string, limit int) ([]*T, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		return nil, "", core.Errorf(core.EINVALID, "A scan needs a positive limit.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := byID()
	ids := make([]string, 0, len(m))
	for id := range m {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	next := ""
	if len(ids) > limit {
		ids, next = ids[:limit], ids[limit-1]
	}
	out := make([]*T, len(ids))
	for i, id := range ids {
		out[i] = clone(m[id])
	}
	return out, next, nil
}
