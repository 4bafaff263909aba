package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retry settings for target calls and notices that failed.
const (
	retryMaxBackoff    = 5 * time.Minute
	revokeAlertAttempt = 3 // a High alert fires after this many failed revocations
)

// grantOf describes req to targets, for the action job j stands for: its
// id is the delivery id targets may use to drop repeats.
func (s *Service) grantOf(req *Request, j Job) Grant {
	g := Grant{Role: req.Role, RequestID: req.ID, Start: req.ActivatedAt, End: req.EndsAt, Justification: req.Justification, Delivery: j.ID()}
	if p, ok := s.dir().Principals[req.Principal]; ok {
		g.Principal = *p
	} else {
		g.Principal = Principal{ID: req.Principal}
	}
	return g
}

// grantJob is the durable grant of an activation that opened in the same
// Change, held by the committer, which runs it at once. Its payload holds
// the events to announce once every target has granted.
func grantJob(req *Request, announce []Event) Job {
	b, _ := json.Marshal(announce) // events of plain data always encode
	return Job{Kind: JobGrant, Ref: req.ID, Payload: b}
}

// grant runs a grant job: it calls every target of an activation still
// open, and then announces it, in a Change that completes the job, so that
// people hear of it once. If a target fails, the activation becomes Failed:
// its window is closed and every target is revoked, so that no partial
// grant outlives it.
func (s *Service) grant(ctx context.Context, h *Held) error {
	j := h.Job()
	req, err := h.request(ctx, j.Ref)
	if err != nil {
		return err
	}
	if req.State != StateActive {
		return nil // ended (or failed) before the grant ran: its revoke follows the end
	}
	var failure error
	var shown string // the failure as chat may show it; the detail is in failure
	for _, t := range s.targets.For(req.Role) {
		if err := s.targetCalls.call(ctx, t, func() error { return t.Grant(ctx, s.grantOf(req, j)) }); err != nil {
			failure, shown = fmt.Errorf("target %s: %w", t.Name(), err), targetFailure(t, err)
			break
		}
	}
	if failure == nil {
		var announce []Event
		_ = json.Unmarshal(j.Payload, &announce)
		var ch Change
		if err := s.Announce(&ch, announce...); err != nil {
			return err
		}
		if err := h.commit(ctx, ch); err != nil {
			return err
		}
		s.follow(ctx, ch)
		return nil
	}
	h.refused = true
	_, err = s.update(ctx, req.ID, func(r *Request, now time.Time, ch *Change) (outcome, error) {
		if r.State != StateActive || !r.ActivatedAt.Equal(req.ActivatedAt) {
			return outcome{}, errNothingToDo
		}
		r.State, r.Reason, r.DecidedAt = Failed, "grant failed: "+shown, now
		out := s.end(r, System, now, ch, "fail", EventFailed)
		ch.Audit[len(ch.Audit)-1].Reason = "grant failed: " + failure.Error()
		return out, nil
	})
	if s.onErr != nil {
		s.onErr(fmt.Errorf("grant of %s to %s (request %s) refused: %w", req.Role, req.Principal, req.ID, failure))
	}
	if err != nil && !errors.Is(err, errNothingToDo) {
		s.alerts.raise(ctx, AlertGrantCompensation, req.ID, fmt.Sprintf("Grant of %s to %s failed and the request could not be marked failed: %v", req.Role, req.Principal, err),
			requestRow(req, "a target may hold access elevate does not know of"))
		return fmt.Errorf("grant of %s to %s failed (%v) and the request could not be marked failed: %w", req.Role, req.Principal, failure, err)
	}
	return nil
}

// errNothingToDo stops an update whose step finds the work already done.
var errNothingToDo = errors.New("nothing to do")

// revoke runs a revoke job: every target of an ended activation is told to
// revoke it; a failure is retried with backoff, and raises a High alert
// after revokeAlertAttempt attempts.
func (s *Service) revoke(ctx context.Context, h *Held) error {
	j := h.Job()
	req, err := h.request(ctx, j.Ref)
	if err != nil {
		return err
	}
	var errs []error
	var shown []string // the failures as chat may show them
	for _, t := range s.targets.For(req.Role) {
		if err := s.targetCalls.call(ctx, t, func() error { return t.Revoke(ctx, s.grantOf(req, j)) }); err != nil {
			errs = append(errs, fmt.Errorf("target %s: %w", t.Name(), err))
			shown = append(shown, targetFailure(t, err))
		}
	}
	cause := errors.Join(errs...)
	if cause == nil {
		if j.Attempt < revokeAlertAttempt {
			return nil // no alert was raised for this revocation
		}
		return s.alerts.resolve(ctx, AlertRevokeFailing, req.ID, System, "the revocation succeeded")
	}
	var audit []AuditEvent
	if j.Attempt+1 == revokeAlertAttempt {
		audit = []AuditEvent{{Time: s.clock.Now(), Actor: System.Principal, Action: "revoke_failing", Principal: req.Principal,
			Role: req.Role, RequestID: req.ID, Reason: cause.Error(), Source: System.Source}}
	}
	attempt, err := s.retry(ctx, h, cause, audit...)
	if err == nil && attempt >= revokeAlertAttempt {
		last := strings.Join(shown, "; ")
		s.alerts.raise(ctx, AlertRevokeFailing, req.ID, fmt.Sprintf("Revoking %s from %s (request %s) has failed %d times: %s. Retrying.", req.Role, req.Principal, req.ID, attempt, last),
			requestRow(req, fmt.Sprintf("%d failed attempts; last: %s", attempt, last)))
	}
	return err
}

// extendJob tells the targets of req's role that its window was
// lengthened to req.EndsAt; the ref names the extension, so that each is
// its own job and its own delivery id.
func extendJob(req *Request) Job {
	return Job{Kind: JobExtend, Ref: req.ID + "@" + strconv.FormatInt(req.EndsAt.UnixMilli(), 10)}
}

// extend runs an extend job at the targets that take extensions
// (Extender); failures are retried with backoff.
func (s *Service) extend(ctx context.Context, h *Held) error {
	j := h.Job()
	id, _, _ := cutLast(j.Ref, "@")
	req, err := s.store.Request(ctx, id)
	if err != nil {
		return err
	}
	if req.State != StateActive {
		return nil // ended: its revoke is what the targets need now
	}
	var errs []error
	var shown []string // the failures as chat may show them
	for _, t := range s.targets.For(req.Role) {
		if x, ok := t.(Extender); ok {
			if err := s.targetCalls.call(ctx, t, func() error { return x.Extend(ctx, s.grantOf(req, j)) }); err != nil {
				errs = append(errs, fmt.Errorf("target %s: %w", t.Name(), err))
				shown = append(shown, targetFailure(t, err))
			}
		}
	}
	cause := errors.Join(errs...)
	if cause == nil {
		return nil
	}
	// The extension is committed and the role stays held until the new end;
	// a target that was not told may cut the holder off at the old end.
	var audit []AuditEvent
	if j.Attempt == 0 {
		audit = []AuditEvent{{Time: s.clock.Now(), Actor: System.Principal, Action: "extend_failed",
			Principal: req.Principal, Role: req.Role, RequestID: req.ID, Reason: cause.Error(), Source: System.Source}}
	}
	attempt, err := s.retry(ctx, h, cause, audit...)
	if err == nil && attempt == 1 {
		last := strings.Join(shown, "; ")
		s.alerts.raise(ctx, AlertExtendFailed, req.ID, fmt.Sprintf("Extending %s for %s (request %s) until %s failed: %s; it may end access at the old end. Retrying.",
			req.Role, req.Principal, req.ID, s.when(req.EndsAt), last), requestRow(req, last))
	}
	return err
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// retry puts a held job that failed back into the schedule, unclaimed,
// after an exponential backoff, with audit appended, and returns the
// attempt that failed. The job's lease must still be held.
func (s *Service) retry(ctx context.Context, h *Held, cause error, audit ...AuditEvent) (int, error) {
	j := h.Job()
	j.Attempt++
	backoff := min(time.Second<<min(j.Attempt-1, 20), retryMaxBackoff)
	j.Due, j.Lease = s.clock.Now().Add(backoff), time.Time{}
	if err := h.commit(ctx, Change{Schedule: []Job{j}, Audit: audit}); err != nil {
		return j.Attempt, fmt.Errorf("reschedule after %v: %w", cause, err)
	}
	return j.Attempt, nil
}

// alert announces a security alert.
func (s *Service) alert(ctx context.Context, sev Severity, msg string) {
	s.tell(ctx, Event{Kind: EventAlert, Severity: sev, Time: s.clock.Now(), Actor: System.Principal, Message: msg})
}

// tell announces events about something already committed, in a Change of
// their own; a failure is reported, since what they describe has happened.
func (s *Service) tell(ctx context.Context, events ...Event) {
	if err := s.Notify(ctx, events...); err != nil && s.onErr != nil {
		s.onErr(fmt.Errorf("notices %v: %w", events[0].Kind, err))
	}
}
