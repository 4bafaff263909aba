package memory

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// AssignmentsOf returns principal's eligible and active assignments for role.
func (s *Store) AssignmentsOf(ctx context.Context, principal, role string) ([]core.Assignment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []core.Assignment
	for _, kind := range []core.AssignmentKind{core.Eligible, core.Active} {
		if a, ok := s.assignments[core.AssignmentKey(kind, principal, role)]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// Holding returns principal's live window of role and their direct active
// assignment of it, each nil when there is none.
func (s *Store) Holding(ctx context.Context, principal, role string) (*core.Window, *core.Assignment, error) {
	w, err := s.Window(ctx, principal, role)
	if core.ErrorCode(err) == core.ENOTFOUND {
		w, err = nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.assignments[core.AssignmentKey(core.Active, principal, role)]; ok {
		return w, &a, nil
	}
	return w, nil, nil
}
