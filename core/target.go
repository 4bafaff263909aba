package core

import (
	"context"
	"time"
)

// Target is a system where a role is really granted: a webhook, a program,
// a Discord role, a Slack user group. Grant and Revoke must be idempotent.
type Target interface {
	Name() string
	Grant(ctx context.Context, g Grant) error
	Revoke(ctx context.Context, g Grant) error
}

// Extender is a Target that must be told when an active window is
// lengthened: one that enforces the end on its own (a database role's
// VALID UNTIL, a cloud session's expiry) and would otherwise cut the holder
// off at the old end. Targets that hold access until elevate revokes it
// (a Slack user group, a Discord role) do not implement it. Extend gets the
// Grant with the new End and must be idempotent, like Grant.
type Extender interface {
	Extend(ctx context.Context, g Grant) error
}

// Grant is what a target is told about an activation.
type Grant struct {
	Principal     Principal
	Role          string
	RequestID     string
	Start         time.Time
	End           time.Time
	Justification string
	// Delivery identifies this action (grant, revoke or one extension of
	// one request): it is the same on every retry, so a target can drop
	// repeats. Webhooks send it as X-Elevate-Delivery, programs get it as
	// ELEVATE_DELIVERY.
	Delivery string
}

// Targets returns the targets configured for a role.
type Targets interface {
	For(role string) []Target
}
