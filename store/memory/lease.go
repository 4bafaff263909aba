package memory

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// lease is a held lease: its fencing token and when it lapses.
type lease struct {
	token   int64
	expires time.Time
}

// AcquireLease takes the lease name for ttl (by the store's clock) when
// nobody holds it, and returns its fencing token, larger than any given
// before for that name; ok is false while another holds it.
func (s *Store) AcquireLease(ctx context.Context, name string, ttl time.Duration) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	if err := core.ValidateLease(name, ttl); err != nil {
		return 0, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if l, ok := s.leases[name]; ok && now.Before(l.expires) {
		return 0, false, nil
	}
	s.leaseTokens[name]++
	tok := s.leaseTokens[name]
	s.leases[name] = lease{token: tok, expires: now.Add(ttl)}
	return tok, true, nil
}

// RenewLease extends the lease for ttl from now if token still holds it.
func (s *Store) RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := core.ValidateLease(name, ttl); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	l, ok := s.leases[name]
	if !ok || l.token != token || !now.Before(l.expires) {
		return false, nil
	}
	s.leases[name] = lease{token: token, expires: now.Add(ttl)}
	return true, nil
}

// ReleaseLease frees the lease if token still holds it.
func (s *Store) ReleaseLease(ctx context.Context, name string, token int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.token == token {
		delete(s.leases, name)
	}
	return nil
}
