package core

import (
	"context"
	"errors"
	"fmt"
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

// TargetError is a target's failure told two ways. Summary is a short,
// fixed-form phrase that is safe to show in chat ("refused: HTTP 403",
// "exited 2", "timed out"); Err holds the detail (URLs, response bodies,
// stderr), which may carry secrets and goes only to the log and the audit
// trail that admins read.
type TargetError struct {
	Summary string
	Err     error
}

// Error implements error: the summary and the detail.
func (e *TargetError) Error() string { return e.Summary + ": " + e.Err.Error() }

// Unwrap returns the detail.
func (e *TargetError) Unwrap() error { return e.Err }

// targetFailure is what chat may say of target t's failure err: its name
// and the TargetError's summary, or "failed" for any other error.
func targetFailure(t Target, err error) string {
	summary := "failed"
	if te, ok := errors.AsType[*TargetError](err); ok {
		summary = te.Summary
	}
	return fmt.Sprintf("target `%s` %s", t.Name(), summary)
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
