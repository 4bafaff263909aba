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

// Grant is what a target is told about an activation.
type Grant struct {
	Principal     Principal
	Role          string
	RequestID     string
	Start         time.Time
	End           time.Time
	Justification string
}

// Targets returns the targets configured for a role.
type Targets interface {
	For(role string) []Target
}
