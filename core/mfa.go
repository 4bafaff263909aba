package core

import (
	"context"
	"fmt"
	"time"
)

// MFA guard settings.
const (
	MFAMaxFailures = 5
	MFALockout     = 15 * time.Minute
)

// OTP makes and checks TOTP secrets; core/totp implements it.
type OTP interface {
	// Generate makes a new secret for account, its otpauth:// URL and a QR code PNG.
	Generate(issuer, account string) (Enrollment, error)
	// Match returns the time step at which code is valid for secret around t
	// (allowing the usual one step of clock skew), or false.
	Match(secret, code string, t time.Time) (step int64, ok bool)
}

// Enrollment is a new TOTP secret, to show to its owner exactly once.
type Enrollment struct {
	Secret string
	URL    string // otpauth://totp/...
	PNG    []byte // QR code of URL
}

// EnrollMFA makes a new TOTP secret for the caller, sealed at rest until a
// first code confirms it. Errors: ECONFLICT when MFA is already confirmed
// (re-enrollment would let a hijacked chat session replace the factor).
func (s *Service) EnrollMFA(ctx context.Context, c Caller) (*Enrollment, error) {
	if s.otp == nil || s.sealer == nil {
		return nil, Errorf(EINTERNAL, "MFA is not configured.")
	}
	p, err := s.dir().Principal(c.Principal)
	if err != nil {
		return nil, err
	}
	cur, err := s.store.MFA(ctx, c.Principal)
	var expect int64
	switch {
	case err == nil && cur.Confirmed:
		return nil, Errorf(ECONFLICT, "MFA is already enrolled for you. An admin must reset it before you can enroll again.")
	case err == nil:
		expect = cur.Version
	case ErrorCode(err) != ENOTFOUND:
		return nil, err
	}
	account := p.Email
	if account == "" {
		account = p.ID
	}
	en, err := s.otp.Generate(s.issuer, account)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(c.Principal, []byte(en.Secret))
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	rec := &MFARecord{Principal: c.Principal, Sealed: sealed, Version: expect + 1}
	err = s.store.Apply(ctx, Change{
		MFA:   &MFAWrite{Record: rec, Expect: expect},
		Audit: []AuditEvent{{Time: now, Actor: c.Principal, Action: "mfa_enroll", Principal: c.Principal, Source: c.Source}},
	})
	if err != nil {
		return nil, err
	}
	return &en, nil
}

// ConfirmMFA accepts the first code from a new enrollment, which makes MFA
// usable. Errors as for a code at activation.
func (s *Service) ConfirmMFA(ctx context.Context, c Caller, code string) error {
	return s.checkCode(ctx, c, code, true)
}

// verifyCode accepts code for the caller's confirmed enrollment, once.
func (s *Service) verifyCode(ctx context.Context, c Caller, code string) error {
	return s.checkCode(ctx, c, code, false)
}

// checkCode checks code against the caller's secret: locked MFA refuses
// everything; a code at or before the last accepted step is a replay; wrong
// codes and replays count towards the lockout. Each outcome is one
// compare-and-set on the MFA record, so a code is accepted at most once even
// when submitted twice at the same instant.
func (s *Service) checkCode(ctx context.Context, c Caller, code string, confirming bool) error {
	if s.otp == nil || s.sealer == nil {
		return Errorf(EINTERNAL, "MFA is not configured.")
	}
	for range maxRetries {
		rec, err := s.store.MFA(ctx, c.Principal)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(EFORBIDDEN, "You have no MFA enrolled. Run `mfa enroll` first.")
		} else if err != nil {
			return err
		}
		now := s.clock.Now()
		switch {
		case now.Before(rec.LockedUntil):
			return Errorf(ELOCKED, "MFA is locked until %s after %d wrong codes.", s.when(rec.LockedUntil), MFAMaxFailures)
		case !confirming && !rec.Confirmed:
			return Errorf(EFORBIDDEN, "Your MFA enrollment is not confirmed yet. Run `mfa verify CODE` with a code from your app.")
		case confirming && rec.Confirmed:
			return Errorf(ECONFLICT, "Your MFA is already confirmed.")
		}
		secret, err := s.sealer.Open(c.Principal, rec.Sealed)
		if err != nil {
			return Errorf(EINTERNAL, "MFA secret cannot be decrypted: was the encryption key changed?")
		}
		next := *rec
		next.Version = rec.Version + 1
		step, ok := s.otp.Match(string(secret), code, now)
		var verdict error
		action := "mfa_ok"
		switch {
		case ok && step > rec.LastStep:
			next.LastStep, next.Failures, next.Confirmed = step, 0, true
		case ok:
			verdict = &Error{Code: EFORBIDDEN, Message: "That code was already used. Wait for the next code.", Field: FieldCode}
		default:
			verdict = &Error{Code: EFORBIDDEN, Message: "Wrong MFA code.", Field: FieldCode}
		}
		if verdict != nil {
			action = "mfa_failed"
			next.Failures++
			if next.Failures >= MFAMaxFailures {
				next.Failures, next.LockedUntil = 0, now.Add(MFALockout)
				action = "mfa_locked"
				verdict = &Error{Code: ELOCKED, Message: fmt.Sprintf("Wrong MFA code. MFA is now locked until %s.", s.when(next.LockedUntil)), Field: FieldCode}
			}
		} else if confirming {
			action = "mfa_confirmed"
		}
		err = s.store.Apply(ctx, Change{
			MFA:   &MFAWrite{Record: &next, Expect: rec.Version},
			Audit: []AuditEvent{{Time: now, Actor: c.Principal, Action: action, Principal: c.Principal, Source: c.Source}},
		})
		if ErrorCode(err) == ECONFLICT {
			continue
		}
		if err != nil {
			return err
		}
		if action == "mfa_locked" {
			s.alerts.mfaLocked(ctx, &next)
		}
		if action == "mfa_confirmed" {
			s.tell(ctx, Event{Kind: EventMFAEnrolled, Severity: SeverityInfo, Time: now, Actor: c.Principal})
		}
		return verdict
	}
	return Errorf(ECONFLICT, "MFA check collided with another; try again.")
}

// HasMFA reports whether principal has a confirmed MFA enrollment, and the
// store's error when it cannot tell.
func (s *Service) HasMFA(ctx context.Context, principal string) (bool, error) {
	rec, err := s.store.MFA(ctx, principal)
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return rec.Confirmed, nil
}
