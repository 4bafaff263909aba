package core

import (
	"context"
	"fmt"
	"time"
)

// ConvertToEligible turns principal's direct active assignment of role
// (standing access, permanent or long) into an eligible one, so that its
// holder activates the role just in time instead of holding it all along:
// Entra's "discover and convert". The eligibility keeps the active
// assignment's end (permanent stays permanent where the role's eligibility
// rule allows it, and is otherwise capped at the rule's maximum); an
// eligibility the principal already has is kept when it lasts longer. Only
// admins may convert, and the last active holder of the admin role cannot
// be converted. Errors: EFORBIDDEN; ENOTFOUND when there is no active
// assignment; ECONFLICT for the last admin; EINVALID when the role allows
// neither permanent nor capped eligibility.
func (s *Service) ConvertToEligible(ctx context.Context, c Caller, principal, role string) (*Assignment, error) {
	if err := s.authorize(ctx, c, "manage assignments", s.dir().AdminRole); err != nil {
		return nil, err
	}
	r, err := s.dir().Role(role)
	if err != nil {
		return nil, err
	}
	all, err := s.store.AssignmentsOf(ctx, principal, role)
	if err != nil {
		return nil, err
	}
	var active, eligible *Assignment
	for i := range all {
		switch all[i].Kind {
		case Active:
			active = &all[i]
		case Eligible:
			eligible = &all[i]
		}
	}
	if active == nil {
		return nil, Errorf(ENOTFOUND, "%s has no active assignment for %s to convert.", principal, role)
	}
	var ch Change
	if err := s.guardLastAdmin(ctx, role, &ch, principal, false); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	e, err := convertedEligibility(*active, r.Policy.Eligibility, now)
	if err != nil {
		return nil, err
	}
	e.Source, e.CreatedBy, e.CreatedAt = c.Source, c.Principal, now
	if eligible != nil && outlasts(*eligible, e) {
		e = *eligible
	} else {
		ch.PutAssignments = []Assignment{e}
		if e.Permanent {
			ch.Unschedule = append(ch.Unschedule, assignmentJob(e))
		} else {
			ch.Schedule = []Job{{Kind: JobEligibilityEnd, Ref: e.Key(), Due: e.End}}
		}
	}
	ch.DeleteAssignments = []string{active.Key()}
	ch.Unschedule = append(ch.Unschedule, assignmentJob(*active))
	ev := assignmentAudit(*active, "convert_to_eligible", c, now)
	ev.Decision = string(Eligible)
	ev.Reason = "standing " + describeEnd(*active, s.when) + " → eligible " + describeEnd(e, s.when)
	ch.Audit = []AuditEvent{ev}
	if err := s.store.Apply(ctx, ch); err != nil {
		return nil, fmt.Errorf("convert %s's %s: %w", principal, role, err)
	}
	s.events.Publish(ctx, Event{Kind: EventAssignment, Severity: SeverityInfo, Time: now, Actor: c.Principal, Assignment: &e,
		Message: fmt.Sprintf("%s converted %s's standing %s to eligible (%s)", c.Principal, principal, role, describeEnd(e, s.when))})
	return &e, nil
}

// convertedEligibility is the eligible assignment that replaces active
// under the role's eligibility rule.
func convertedEligibility(active Assignment, rule ExpiryRule, now time.Time) (Assignment, error) {
	e := Assignment{Kind: Eligible, Principal: active.Principal, Role: active.Role, Start: active.Start, End: active.End, Permanent: active.Permanent}
	if !e.Permanent && e.End.IsZero() {
		e.Permanent = true // a stored active assignment without an end is standing for good
	}
	if e.Permanent && rule.AllowPermanent {
		return e, nil
	}
	from := e.Start
	if from.IsZero() || from.Before(now) {
		from = now
	}
	if rule.MaxDuration > 0 && (e.Permanent || e.End.Sub(from) > rule.MaxDuration) {
		e.Permanent, e.End = false, from.Add(rule.MaxDuration)
	}
	if e.Permanent {
		return Assignment{}, Errorf(EINVALID, "%s allows neither permanent nor time-limited eligibility with a maximum; assign an eligibility with an end first, then unassign the active one.", active.Role)
	}
	return e, nil
}

// outlasts reports whether a lasts at least as long as b.
func outlasts(a, b Assignment) bool {
	switch {
	case a.Permanent:
		return true
	case b.Permanent:
		return false
	}
	return !a.End.Before(b.End)
}

// describeEnd says how long an assignment lasts: "permanently" or "until T".
func describeEnd(a Assignment, when func(time.Time) string) string {
	if a.Permanent || a.End.IsZero() {
		return "permanently"
	}
	return "until " + when(a.End)
}
