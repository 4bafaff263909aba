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
