package siem

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Sink delivers audit events to a SIEM. Send returns nil only when the
// SIEM has taken every event of the batch.
type Sink interface {
	Send(ctx context.Context, events []core.AuditEvent) error
	// Name identifies the sink in logs and in the cursor's name.
	Name() string
	Close() error
}

// Source is where the events come from: the audit trail (archive and store).
type Source interface {
	AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error)
}

// Cursors keeps durable positions; the core store offers them.
type Cursors interface {
	// Cursor returns the named cursor's position, 0 when never set.
	Cursor(ctx context.Context, name string) (int64, error)
	// AdvanceCursor moves the cursor from from to to, and reports false
	// (moving nothing) when it is not at from.
	AdvanceCursor(ctx context.Context, name string, from, to int64) (bool, error)
}

// Leaser grants a named lease to one holder at a time; the core store offers it.
type Leaser interface {
	AcquireLease(ctx context.Context, name string, ttl time.Duration) (token int64, ok bool, err error)
	RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name string, token int64) error
}
