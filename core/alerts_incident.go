package core

import (
	"context"
	"fmt"
)

// mfaUnlocked resolves principal's mfa_locked alert once the lock has ended.
func (a *Alerts) mfaUnlocked(ctx context.Context, principal string) error {
	rec, err := a.s.store.MFA(ctx, principal)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return err
	}
	if rec != nil && a.s.clock.Now().Before(rec.LockedUntil) {
		return nil // a newer lock; its own job resolves it
	}
	return a.resolve(ctx, AlertMFALocked, principal, System, "the MFA lock ended")
}

// mfaLocked raises mfa_locked and schedules its resolution at the lock's end.
func (a *Alerts) mfaLocked(ctx context.Context, rec *MFARecord) {
	a.raise(ctx, AlertMFALocked, rec.Principal, fmt.Sprintf("MFA locked for %s until %s after repeated wrong codes.", rec.Principal, a.s.when(rec.LockedUntil)),
		AlertRow{Subject: rec.Principal, Principal: rec.Principal, Detail: "locked until " + a.s.when(rec.LockedUntil)})
	_ = a.s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobAlertScan, Ref: string(AlertMFALocked) + "@" + rec.Principal, Due: rec.LockedUntil}}})
}

// requestRow is the report row of an incident about one request.
func requestRow(req *Request, detail string) AlertRow {
	return AlertRow{Subject: req.ID, Principal: req.Principal, Role: req.Role, Detail: detail}
}
