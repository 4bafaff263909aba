package core

import (
	"context"
	"slices"
	"strings"
)

// MemberTarget is the optional capability of a Target that can list its
// members (a Slack user group, a Discord guild role, a webhook or exec
// target with `list`), so that outside_elevate can find members elevate
// did not grant, and remove them. The engine finds such targets among the
// roles' Targets at every scan (through Wrapper decorations), so what it
// watches follows config reloads.
type MemberTarget interface {
	Target
	// Platform names the id space of Members: a chat platform ("slack",
	// "discord"), whose ids map to principals through Principal.IDs, or ""
	// when the target lists principal ids.
	Platform() string
	// Members returns the ids of the target's current members.
	Members(ctx context.Context) ([]string, error)
	// RemoveMember takes one member out of the target.
	RemoveMember(ctx context.Context, id string) error
}

// AccountChecker is the optional capability of a chat platform to tell
// whether a principal's account there was deactivated (Slack users.info
// "deleted") or has left (a Discord guild member gone).
type AccountChecker interface {
	// Platform is the key of Principal.IDs the checker reads.
	Platform() string
	// Deactivated reports whether the account with the platform id is gone.
	Deactivated(ctx context.Context, id string) (bool, error)
}

// watched is a listing target and the roles whose holders its members
// should be (one target may stand for several roles).
type watched struct {
	MemberTarget
	roles []string
}

// Role names the roles the target grants, for reports and the audit.
func (w watched) Role() string { return strings.Join(w.roles, ", ") }

// Wrapper is a Target that decorates another (timing, retries); Unwrap
// returns the one it wraps, so that optional capabilities such as
// MemberTarget are found through the decoration.
type Wrapper interface {
	Unwrap() Target
}

// asMemberTarget returns the MemberTarget that t is or wraps.
func asMemberTarget(t Target) (MemberTarget, bool) {
	for t != nil {
		if m, ok := t.(MemberTarget); ok {
			return m, true
		}
		w, ok := t.(Wrapper)
		if !ok {
			return nil, false
		}
		t = w.Unwrap()
	}
	return nil, false
}

// watchedTargets returns the listing targets of the roles in force, each
// once by name with every role it grants. They are read from the
// service's Targets at every scan, so a config reload that adds, changes
// or drops a target is watched from the next scan on.
func (a *Alerts) watchedTargets() []watched {
	var out []watched
	for _, role := range a.s.dir().RoleNames() {
		for _, t := range a.s.targets.For(role) {
			m, ok := asMemberTarget(t)
			if !ok {
				continue
			}
			if i := slices.IndexFunc(out, func(w watched) bool { return w.Name() == m.Name() }); i >= 0 {
				out[i].roles = append(out[i].roles, role)
				continue
			}
			out = append(out, watched{MemberTarget: m, roles: []string{role}})
		}
	}
	return out
}

// WatchAccounts adds platforms whose deactivated accounts
// deactivated_account reports.
func (a *Alerts) WatchAccounts(cs ...AccountChecker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.accounts = append(a.accounts, cs...)
}
