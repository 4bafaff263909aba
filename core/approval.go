package core

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Approve records the caller's approval of request id. When the role's
// quorum is reached the first decisive vote wins: the request is scheduled or
// activated and later clicks get "already decided by X". Errors: ENOTFOUND;
// EFORBIDDEN when the caller is the requester or not an approver of the
// role; ECONFLICT when the request is no longer pending or the caller
// already approved it.
func (s *Service) Approve(ctx context.Context, c Caller, id string) (*Request, error) {
	return s.update(ctx, id, func(req *Request, now time.Time, ch *Change) (outcome, error) {
		role, err := s.authorizeDecision(req, c)
		if err != nil {
			return outcome{}, err
		}
		if req.approvedBy(c.Principal) {
			return outcome{}, Errorf(ECONFLICT, "You already approved %s; it waits for %d more approval(s).", req.ID, role.Policy.Approval.quorum()-len(req.Approvals))
		}
		req.Approvals = append(req.Approvals, Vote{Approver: c.Principal, At: now})
		vote := audit(req, "approve", c, now)
		vote.Decision = "approve"
		ch.Audit = append(ch.Audit, vote)
		if len(req.Approvals) < role.Policy.Approval.quorum() {
			return outcome{events: []Event{s.event(EventApprovalVote, req, c.Principal, now)}}, nil
		}
		req.DecidedBy, req.DecidedAt = c.Principal, now
		out := s.approved(req, c, now, ch)
		out.events = append([]Event{s.event(EventApproved, req, c.Principal, now)}, out.events...)
		return out, nil
	})
}

// Deny refuses request id with a reason; the first deny decides.
// Errors as for Approve, and EINVALID when the reason is empty or too long.
func (s *Service) Deny(ctx context.Context, c Caller, id, reason string) (*Request, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, Invalidf(FieldReason, "A reason is required to deny a request.")
	case len(reason) > maxTextLen:
		return nil, Invalidf(FieldReason, "Reason is too long: %d characters, the limit is %d.", len(reason), maxTextLen)
	}
	if err := checkText(FieldReason, "Reason", reason); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(req *Request, now time.Time, ch *Change) (outcome, error) {
		if _, err := s.authorizeDecision(req, c); err != nil {
			return outcome{}, err
		}
		req.State, req.DecidedBy, req.DecidedAt, req.Reason = Denied, c.Principal, now, reason
		req.DeadlineAt = time.Time{}
		release(req, ch)
		unschedule(req, ch, JobTimeout, JobEscalate)
		e := audit(req, "deny", c, now)
		e.Decision, e.Reason = "deny", reason
		ch.Audit = append(ch.Audit, e)
		return outcome{events: []Event{s.event(EventDenied, req, c.Principal, now)}}, nil
	})
}

// authorizeDecision checks, at decision time, that c may decide on req and
// that req still waits for a decision.
func (s *Service) authorizeDecision(req *Request, c Caller) (*Role, error) {
	role, err := s.dir().Role(req.Role)
	if err != nil {
		return nil, err
	}
	if c.Principal == req.Principal {
		return nil, Errorf(EFORBIDDEN, "You cannot approve or deny your own request.")
	}
	if !slices.Contains(s.approvers(role, req.Escalated, req.Principal), c.Principal) {
		return nil, Errorf(EFORBIDDEN, "You are not an approver for %s.", role.Name)
	}
	if req.State != PendingApproval {
		return nil, s.alreadyDecided(req)
	}
	return role, nil
}

// alreadyDecided explains why a request no longer takes decisions.
func (s *Service) alreadyDecided(req *Request) error {
	switch req.State {
	case Scheduled, StateActive, Expired, Revoked, Failed:
		if req.DecidedBy == "" {
			return Errorf(ECONFLICT, "Request %s needed no approval; it is %s.", req.ID, req.State)
		}
		return Errorf(ECONFLICT, "Request %s was already approved by %s at %s.", req.ID, req.DecidedBy, s.when(req.DecidedAt))
	case Denied:
		return Errorf(ECONFLICT, "Request %s was already denied by %s at %s.", req.ID, req.DecidedBy, s.when(req.DecidedAt))
	case Canceled:
		return Errorf(ECONFLICT, "Request %s was canceled by %s.", req.ID, req.DecidedBy)
	case TimedOut:
		return Errorf(ECONFLICT, "Request %s timed out without a decision.", req.ID)
	case PendingMFA:
		return Errorf(ECONFLICT, "Request %s still waits for the requester's MFA code.", req.ID)
	}
	return Errorf(ECONFLICT, "Request %s is %s.", req.ID, req.State)
}
