package memory

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// PurgeRequest deletes the request, its index entries and its message
// copies if its stored version equals expect: ENOTFOUND when it is gone,
// ECONFLICT when it changed.
func (s *Store) PurgeRequest(ctx context.Context, id string, expect int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	switch {
	case !ok:
		return core.Errorf(core.ENOTFOUND, "No request %q.", id)
	case r.Version != expect:
		return core.Errorf(core.ECONFLICT, "Request %s changed meanwhile (version %d, expected %d).", id, r.Version, expect)
	}
	delete(s.requests, id)
	s.openOf.remove(r.Principal, id)
	s.reqOf.remove(r.Principal, id)
	s.awaiting.remove(r.Role, id)
	delete(s.copies, id)
	return nil
}
