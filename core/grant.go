package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Revocation retry settings.
const (
	revokeGrace        = 5 * time.Second // the durable revoke job waits this long for the inline attempt
	revokeMaxBackoff   = 5 * time.Minute
	revokeAlertAttempt = 3 // a High alert fires after this many failed attempts
)

// grantOf describes req to targets.
func (s *Service) grantOf(req *Request) Grant {
	g := Grant{Role: req.Role, RequestID: req.ID, Start: req.ActivatedAt, End: req.EndsAt, Justification: req.Justification}
	if p, ok := s.dir.Principals[req.Principal]; ok {
		g.Principal = *p
	} else {
		g.Principal = Principal{ID: req.Principal}
	}
	return g
}

// grant calls every target of an activation that has just opened. If one
// fails, the activation becomes Failed: its window is closed and every
// target is revoked, so no partial grant outlives it. It returns req itself
// when every target granted, and otherwise the request as it now stands.
func (s *Service) grant(ctx context.Context, req *Request) *Request {
	targets := s.targets.For(req.Role)
	if len(targets) == 0 {
		return req
	}
	g := s.grantOf(req)
	var failure error
	for _, t := range targets {
		if err := t.Grant(ctx, g); err != nil {
			failure = fmt.Errorf("target %s: %w", t.Name(), err)
			break
		}
	}
	if failure == nil {
		return req
	}
	failed, err := s.update(ctx, req.ID, func(r *Request, now time.Time, ch *Change) (outcome, error) {
		if r.State != StateActive || !r.ActivatedAt.Equal(req.ActivatedAt) {
			return outcome{}, errNothingToDo
		}
		r.State, r.Reason, r.DecidedAt = Failed, "grant failed: "+failure.Error(), now
		out := s.end(r, System, now, ch, "fail", EventFailed)
		ch.Audit[len(ch.Audit)-1].Reason = r.Reason
		return out, nil
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		s.alerts.raise(ctx, AlertGrantCompensation, req.ID, fmt.Sprintf("Grant of %s to %s failed and the request could not be marked failed: %v", req.Role, req.Principal, err),
			requestRow(req, "a target may hold access elevate does not know of"))
	}
	if failed == nil || failed.State == StateActive {
		// Not marked failed (someone ended it first, or the store failed):
		// still not the Active copy that the grant was asked for.
		failed = req.Clone()
		failed.State, failed.Reason = Failed, "grant failed: "+failure.Error()
	}
	return failed
}

// extendTargets tells every target of req's role that is an Extender of
// the window's new end. The extension is already committed and the role
// stays held until then; a target that was not told may cut the holder
// off at the old end, so a failure is audited and raises an alert.
func (s *Service) extendTargets(ctx context.Context, req *Request) {
	g := s.grantOf(req)
	for _, t := range s.targets.For(req.Role) {
		x, ok := t.(Extender)
		if !ok {
			continue
		}
		if err := x.Extend(ctx, g); err != nil {
			cause := fmt.Errorf("target %s: %w", t.Name(), err)
			now := s.clock.Now()
			_ = s.store.Apply(ctx, Change{Audit: []AuditEvent{{Time: now, Actor: System.Principal, Action: "extend_failed",
				Principal: req.Principal, Role: req.Role, RequestID: req.ID, Reason: cause.Error(), Source: System.Source}}})
			s.alerts.raise(ctx, AlertExtendFailed, req.ID, fmt.Sprintf("Extending %s for %s (request %s) until %s failed at %v; it may end access at the old end.",
				req.Role, req.Principal, req.ID, s.when(req.EndsAt), cause), requestRow(req, cause.Error()))
		}
	}
}

// errNothingToDo stops an update whose step finds the work already done.
var errNothingToDo = errors.New("nothing to do")

// revokeNow revokes an ended activation at its targets at once. On success
// it removes the durable revoke job; on failure the job retries with backoff.
func (s *Service) revokeNow(ctx context.Context, req *Request) {
	job := Job{Kind: JobRevoke, Ref: req.ID}
	if err := s.revokeTargets(ctx, req); err != nil {
		s.retryRevoke(ctx, req, job, err)
		return
	}
	_ = s.store.Apply(ctx, Change{Unschedule: []string{job.ID()}})
	_ = s.alerts.resolve(ctx, AlertRevokeFailing, req.ID, System, "the revocation succeeded")
}

// revokeTargets calls Revoke on every target of req's role, and reports the first failure.
func (s *Service) revokeTargets(ctx context.Context, req *Request) error {
	g := s.grantOf(req)
	var errs []error
	for _, t := range s.targets.For(req.Role) {
		if err := t.Revoke(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("target %s: %w", t.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// retryRevoke reschedules a failed revocation with exponential backoff and
// raises a High alert once it has failed revokeAlertAttempt times.
func (s *Service) retryRevoke(ctx context.Context, req *Request, job Job, cause error) {
	job.Attempt++
	backoff := min(time.Second<<min(job.Attempt-1, 20), revokeMaxBackoff)
	now := s.clock.Now()
	job.Due, job.Lease = now.Add(backoff), time.Time{} // back in the schedule, unclaimed
	ch := Change{Schedule: []Job{job}}
	if job.Attempt == revokeAlertAttempt {
		ch.Audit = []AuditEvent{{Time: now, Actor: System.Principal, Action: "revoke_failing", Principal: req.Principal,
			Role: req.Role, RequestID: req.ID, Reason: cause.Error(), Source: System.Source}}
	}
	if err := s.store.Apply(ctx, ch); err != nil {
		return // the job is still scheduled from before; its lease brings it back
	}
	if job.Attempt >= revokeAlertAttempt {
		s.alerts.raise(ctx, AlertRevokeFailing, req.ID, fmt.Sprintf("Revoking %s from %s (request %s) has failed %d times: %v. Retrying.", req.Role, req.Principal, req.ID, job.Attempt, cause),
			requestRow(req, fmt.Sprintf("%d failed attempts; last error: %v", job.Attempt, cause)))
	}
}
