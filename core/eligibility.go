package core

import (
	"context"
	"slices"
	"sort"
	"time"
)

// checkEligible returns nil when principal has an eligible assignment for
// role in force at t, and a message saying why not otherwise.
// For a break-glass role its list of principals is the eligibility.
func (s *Service) checkEligible(ctx context.Context, principal, role string, t time.Time) error {
	if r, ok := s.dir().Roles[role]; ok && r.BreakGlass {
		if !slices.Contains(r.BreakGlassPrincipals, principal) {
			return Errorf(EFORBIDDEN, "You are not on the break-glass list of %s.", role)
		}
		return nil
	}
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
	return s.eligibleRoles(principal, own, s.clock.Now()), nil
}

// eligibleRoles returns the configured roles that the eligible assignments
// among own let principal activate at now, and the break-glass roles that
// list principal, sorted.
func (s *Service) eligibleRoles(principal string, own []Assignment, now time.Time) []string {
	var out []string
	for _, a := range own {
		if a.Kind == Eligible && a.In(now) {
			if _, ok := s.dir().Roles[a.Role]; ok {
				out = append(out, a.Role)
			}
		}
	}
	for _, name := range s.dir().RoleNames() {
		if r := s.dir().Roles[name]; r.BreakGlass && slices.Contains(r.BreakGlassPrincipals, principal) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
