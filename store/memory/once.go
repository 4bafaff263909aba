package memory

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// minSweep is the fewest remembered keys at which Once sweeps expired ones.
const minSweep = 1024

// Once reports whether key was not seen within the last ttl (by the store's
// clock) and marks it seen for ttl from now. An empty key or a ttl that is
// not positive is EINVALID.
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := core.ValidateOnce(key, ttl); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if until, ok := s.seen[key]; ok && now.Before(until) {
		return false, nil
	}
	s.seen[key] = now.Add(ttl)
	s.sweepSeen(now)
	return true, nil
}

// sweepSeen forgets expired keys once the map has doubled since the last
// sweep, so that keys never asked about again do not pile up, at an
// amortized constant cost per call.
func (s *Store) sweepSeen(now time.Time) {
	if len(s.seen) < max(s.seenSweep, minSweep) {
		return
	}
	for k, until := range s.seen {
		if !now.Before(until) {
			delete(s.seen, k)
		}
	}
	s.seenSweep = 2 * len(s.seen)
}
