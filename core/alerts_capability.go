package core

import "context"

// MemberTarget is the optional capability of a Target that can list its
// members (a Slack user group, a Discord guild role, a webhook or exec
// target with `list`), so that outside_elevate can find members elevate
// did not grant, and remove them.
type MemberTarget interface {
	Target
	// Role is the role whose holders the target's members should be.
	Role() string
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

// WatchMembers adds targets whose members outside_elevate compares with
// the role's holders.
func (a *Alerts) WatchMembers(ts ...MemberTarget) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.members = append(a.members, ts...)
}

// WatchAccounts adds platforms whose deactivated accounts
// deactivated_account reports.
func (a *Alerts) WatchAccounts(cs ...AccountChecker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.accounts = append(a.accounts, cs...)
}
