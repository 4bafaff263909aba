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
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		return nil, "", core.Errorf(core.EINVALID, "A scan needs a positive limit.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.requests))
	for id := range s.requests {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	next := ""
	if len(ids) > limit {
		ids, next = ids[:limit], ids[limit-1]
	}
	out := make([]*core.Request, len(ids))
	for i, id := range ids {
		out[i] = s.requests[id].Clone()
	}
	return out, next, nil
}
