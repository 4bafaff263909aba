package core

import (
	"context"
	"time"
)

// Cancel withdraws the caller's own request while it is pending or
// scheduled. Errors: ENOTFOUND; EFORBIDDEN for someone else's request;
// ECONFLICT when it is already active (use Deactivate) or final.
func (s *Service) Cancel(ctx context.Context, c Caller, id string) (*Request, error) {
	return s.update(ctx, id, func(req *Request, now time.Time, ch *Change) (outcome, error) {
		if req.Principal != c.Principal {
			return outcome{}, Errorf(EFORBIDDEN, "Only %s can cancel %s.", req.Principal, req.ID)
		}
		switch req.State {
		case PendingMFA, PendingApproval, Scheduled:
		case StateActive:
			return outcome{}, Errorf(ECONFLICT, "%s is active; use `drop %s` to end it early.", req.ID, req.Role)
		default:
			return outcome{}, Errorf(ECONFLICT, "%s is already %s.", req.ID, req.State)
		}
		req.State, req.DecidedBy, req.DecidedAt, req.DeadlineAt = Canceled, c.Principal, now, time.Time{}
		release(req, ch)
		unschedule(req, ch, JobTimeout, JobEscalate, JobStart)
		ch.Audit = append(ch.Audit, audit(req, "cancel", c, now))
		return outcome{events: []Event{s.event(EventCanceled, req, c.Principal, now)}}, nil
	})
}

// Deactivate ends an active window early. The holder may end their own; an
// admin may end anyone's. The last active holder of the admin role cannot
// end theirs. Errors: ENOTFOUND; EFORBIDDEN; ECONFLICT when the request is
// not active or its holder is the last admin.
func (s *Service) Deactivate(ctx context.Context, c Caller, id string) (*Request, error) {
	isAdmin, err := s.holds(ctx, c.Principal, s.dir().AdminRole)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(req *Request, now time.Time, ch *Change) (outcome, error) {
		if req.Principal != c.Principal && !isAdmin {
			return outcome{}, Errorf(EFORBIDDEN, "Only %s or an admin can deactivate %s.", req.Principal, req.ID)
		}
		if req.State != StateActive {
			if req.State == Scheduled || req.State.Pending() {
				return outcome{}, Errorf(ECONFLICT, "%s is not active yet; use `cancel %s` instead.", req.ID, req.ID)
			}
			return outcome{}, Errorf(ECONFLICT, "%s is already %s.", req.ID, req.State)
		}
		if err := s.guardLastAdmin(ctx, req.Role, ch, req.Principal, true); err != nil {
			return outcome{}, err
		}
		req.State, req.DecidedBy, req.DecidedAt = Revoked, c.Principal, now
		if c.Principal != req.Principal {
			req.Reason = "deactivated by admin " + c.Principal
		}
		return s.end(req, c, now, ch, "deactivate", EventRevoked), nil
	})
}

// end closes an active request's window in ch and schedules its revocation.
func (s *Service) end(req *Request, c Caller, now time.Time, ch *Change, action string, kind EventKind) outcome {
	release(req, ch)
	unschedule(req, ch, JobExpire, JobWarn)
	ch.CloseWindows = append(ch.CloseWindows, WindowKey{Principal: req.Principal, Role: req.Role})
	if len(s.targets.For(req.Role)) > 0 {
		// Held by the committer, which revokes at once; another replica
		// takes the job over if this one dies first.
		ch.Unschedule = append(ch.Unschedule, JobID(JobGrant, req.ID))
		ch.Schedule = append(ch.Schedule, s.held(Job{Kind: JobRevoke, Ref: req.ID}, now))
	}
	ch.Audit = append(ch.Audit, audit(req, action, c, now))
	return outcome{events: []Event{s.event(kind, req, c.Principal, now)}}
}

// Extend lengthens the caller's active window by d, within the policy's
// total extension allowance. Errors: ENOTFOUND; EFORBIDDEN for someone
// else's request or a role that allows no extension; EINVALID when d is
// over what remains of the allowance; ECONFLICT when not active.
func (s *Service) Extend(ctx context.Context, c Caller, id string, d time.Duration) (*Request, error) {
	if d <= 0 {
		return nil, Invalidf(FieldDuration, "Say how long to extend by, e.g. `extend prod-db by 30m`.")
	}
	return s.update(ctx, id, func(req *Request, now time.Time, ch *Change) (outcome, error) {
		role, err := s.dir().Role(req.Role)
		if err != nil {
			return outcome{}, err
		}
		rule := role.Policy.Extension
		switch {
		case req.Principal != c.Principal:
			return outcome{}, Errorf(EFORBIDDEN, "Only %s can extend %s.", req.Principal, req.ID)
		case req.State != StateActive:
			return outcome{}, Errorf(ECONFLICT, "%s is %s; only an active window can be extended.", req.ID, req.State)
		case !rule.Allowed:
			return outcome{}, Errorf(EFORBIDDEN, "%s does not allow extensions; request a new activation when this one ends.", role.Name)
		case req.Extended+d > rule.MaxTotal:
			return outcome{}, Invalidf(FieldDuration, "%s allows %s of extensions in total; %s remain.", role.Name, FormatDuration(rule.MaxTotal), FormatDuration(rule.MaxTotal-req.Extended))
		}
		if err := s.checkEligible(ctx, req.Principal, req.Role, req.EndsAt.Add(d-time.Nanosecond)); ErrorCode(err) == EFORBIDDEN {
			return outcome{}, Errorf(EFORBIDDEN, "Your eligibility for %s does not cover the extended window.", req.Role)
		} else if err != nil {
			return outcome{}, err
		}
		req.Extended += d
		req.EndsAt = req.EndsAt.Add(d)
		ch.OpenWindows = append(ch.OpenWindows, WindowWrite{
			Window: Window{Principal: req.Principal, Role: req.Role, RequestID: req.ID, Start: req.ActivatedAt, End: req.EndsAt},
			TTL:    req.EndsAt.Sub(now),
		})
		unschedule(req, ch, JobWarn)
		scheduleEnd(req, ch)
		if len(s.targets.For(req.Role)) > 0 {
			ch.Schedule = append(ch.Schedule, s.held(extendJob(req), now))
		}
		e := audit(req, "extend", c, now)
		e.Duration = d
		ch.Audit = append(ch.Audit, e)
		return outcome{events: []Event{s.event(EventExtended, req, c.Principal, now)}}, nil
	})
}

// ProvideMFA supplies the TOTP code a PendingMFA request waits for. A right
// code moves the request on as its policy says; a wrong one counts towards
// the lockout and leaves the request waiting. Errors: ENOTFOUND; EFORBIDDEN
// for someone else's request or a wrong code; ELOCKED; ECONFLICT when the
// request no longer waits for MFA.
func (s *Service) ProvideMFA(ctx context.Context, c Caller, id, code string) (*Request, error) {
	req, err := s.store.Request(ctx, id)
	if err != nil {
		return nil, Errorf(ENOTFOUND, "No request %s.", id)
	}
	if req.Principal != c.Principal {
		return nil, Errorf(EFORBIDDEN, "Only %s can give the MFA code for %s.", req.Principal, id)
	}
	if req.State != PendingMFA {
		return nil, Errorf(ECONFLICT, "%s does not wait for an MFA code; it is %s.", id, req.State)
	}
	if err := s.verifyCode(ctx, c, code); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(req *Request, now time.Time, ch *Change) (outcome, error) {
		if req.State != PendingMFA {
			return outcome{}, Errorf(ECONFLICT, "%s does not wait for an MFA code; it is %s.", id, req.State)
		}
		unschedule(req, ch, JobTimeout)
		ch.Audit = append(ch.Audit, audit(req, "mfa_verified", c, now))
		return s.afterMFA(req, c, now, ch), nil
	})
}
