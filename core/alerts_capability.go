package core

import "context"

// MemberTarget is the optional capability of a Target that can list its
// members (a Slack user group, a Discord guild role, a webhook or exec
// target with `list`), so that outside_elevate can find members elevate
// did not grant, and remove them.
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

// watched is a listing target and the role whose holders its members should be.
type watched struct {
	MemberTarget
	role string
}

// Role is the role the target grants.
func (w watched) Role() string { return w.role }

// WatchMembers adds a target of role whose members outside_elevate
// compares with the role's holders.
func (a *Alerts) WatchMembers(role string, t MemberTarget) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.members = append(a.members, watched{MemberTarget: t, role: role})
}

// WatchAccounts adds platforms whose deactivated accounts
// deactivated_account reports.
func (a *Alerts) WatchAccounts(cs ...AccountChecker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.accounts = append(a.accounts, cs...)
}
