package core

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// groupTimeout bounds a platform lookup of group members during a decision.
const groupTimeout = 5 * time.Second

// GroupResolver expands a group's platform counterpart (a Slack user group,
// a Discord guild role) into principal ids. Adapters implement it and cache
// briefly; a failing lookup adds nobody, so authorization fails closed.
type GroupResolver interface {
	GroupMembers(ctx context.Context, g *Group) ([]string, error)
}

// groupResolvers holds the resolvers adapters registered.
type groupResolvers struct {
	mu   sync.RWMutex
	list []GroupResolver
}

// AddGroupResolver registers an adapter's resolver of platform groups.
func (s *Service) AddGroupResolver(r GroupResolver) {
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	s.groups.list = append(s.groups.list, r)
}

// approvers returns who may decide on a request for role now: the
// directory's approvers plus members of the approver groups' platform
// counterparts. The requester is never among them.
func (s *Service) approvers(role *Role, escalated bool, requester string) []string {
	out := s.dir().Approvers(role, escalated, requester)
	s.groups.mu.RLock()
	resolvers := s.groups.list
	s.groups.mu.RUnlock()
	if len(resolvers) == 0 {
		return out
	}
	names := role.Policy.Approval.ApproverGroups
	if escalated {
		names = append(append([]string(nil), names...), role.Policy.Approval.Escalation.ApproverGroups...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	for _, name := range names {
		g, ok := s.dir().Groups[name]
		if !ok || len(g.Platform) == 0 {
			continue
		}
		for _, r := range resolvers {
			members, err := r.GroupMembers(ctx, g)
			if err != nil {
				continue
			}
			for _, m := range members {
				if m != requester && !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
