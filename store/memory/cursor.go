package memory

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// Cursor returns the named cursor's position, 0 when never set.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := core.ValidateCursor(name); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[name], nil
}

// AdvanceCursor moves the cursor from from to to; false when it is not at from.
func (s *Store) AdvanceCursor(ctx context.Context, name string, from, to int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := core.ValidateCursor(name); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cursors[name] != from {
		return false, nil
	}
	s.cursors[name] = to
	return true, nil
}
