package core

import (
	"context"
	"sort"
	"time"
)

// checkEligible returns nil when principal has an eligible assignment for
// role in force at t, and a message saying why not otherwise.
func (s *Service) checkEligible(ctx context.Context, principal, role string, t time.Time) error {
	all, err := s.store.AssignmentsOf(ctx, principal, role)
	if err != nil {
		return err
	}
	var found *Assignment
	for i, a := range all {
		if a.Kind == Active && a.In(t) {
			return Errorf(ECONFLICT, "You already hold %s through a direct assignment; no activation is needed.", role)
		}
		if a.Kind == Eligible {
			found = &all[i]
		}
	}
	switch {
	case found == nil:
		return Errorf(EFORBIDDEN, "You are not eligible for %s.", role)
	case !found.Start.IsZero() && t.Before(found.Start):
		return Errorf(EFORBIDDEN, "Your eligibility for %s starts at %s.", role, s.when(found.Start))
	case !found.In(t):
		return Errorf(EFORBIDDEN, "Your eligibility for %s ended at %s.", role, s.when(found.End))
	}
	return nil
}

// EligibleRoles returns the roles principal may activate now, sorted. It
// reads only principal's own assignments.
func (s *Service) EligibleRoles(ctx context.Context, principal string) ([]string, error) {
	own, err := s.store.AssignmentsByPrincipal(ctx, principal)
	if err != nil {
		return nil, err
	}
	return s.eligibleRoles(own, s.clock.Now()), nil
}

// eligibleRoles returns the configured roles that the eligible assignments
// among own let their principal activate at now, sorted.
func (s *Service) eligibleRoles(own []Assignment, now time.Time) []string {
	var out []string
	for _, a := range own {
		if a.Kind == Eligible && a.In(now) {
			if _, ok := s.dir.Roles[a.Role]; ok {
				out = append(out, a.Role)
			}
		}
	}
	sort.Strings(out)
	return out
}
